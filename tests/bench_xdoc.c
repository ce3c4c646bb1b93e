/*
 * bench_xdoc.c — how fast rivd reads an evidence notification: xdoc.c's
 * lean reader (checked against the compiled schema) beside libyang's
 * parser building a data tree, on a pcr-trust-evidence notification of
 * the fuzz seeds (one TPM, ten SHA-256 PCRs); CPU time, best of 7 runs.
 * Figures only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "bench.h"
#include "rivd.h"
#include "xdoc.h"

#define BENCH_XDOC_ROUNDS	5000	/* per run; the best of BENCH_XDOC_RUNS */
#define BENCH_XDOC_RUNS		7
#define BENCH_XDOC_SEED		"tests/fuzz/seeds/pcr_evidence/foreign-id.xml"

/* Read the whole file at path into a NUL-terminated buffer, or NULL. */
static char *
read_seed(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) ==
	    NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Time libyang's parse of msg into a notification tree, per message. */
static double
time_libyang(struct ly_ctx *ctx, const char *msg)
{
	struct lyd_node *tree, *op;
	struct ly_in *in;
	double t0;
	int i, ok = 1;

	t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < BENCH_XDOC_ROUNDS / 10; i++) {
		if (ly_in_new_memory(msg, &in) != LY_SUCCESS)
			return -1;
		tree = op = NULL;
		if (lyd_parse_op(ctx, NULL, in, LYD_XML,
		    LYD_TYPE_NOTIF_NETCONF, &tree, &op) != LY_SUCCESS)
			ok = 0;
		lyd_free_all(tree);
		lyd_free_all(op);
		ly_in_free(in, 0);
	}
	return ok ? (bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0) /
	    (BENCH_XDOC_ROUNDS / 10) : -1;
}

/* Benchmark both readers on the seed notification. */
void
bench_xdoc(void)
{
	const char *src = getenv("RIV_SRCDIR");
	struct ly_ctx *ctx = NULL;
	struct riv_err err;
	struct xdoc *d = NULL;
	char path[4096], *msg = NULL;
	double t0, t, lean = 1e9, ly = 1e9;
	size_t len;
	int i, run;

	if (src == NULL || *src == '\0')
		src = "..";
	snprintf(path, sizeof(path), "%s/yang", src);
	if (yang_context(path, 0, &ctx, &err) != 0) {
		printf("xdoc: skipped: %s\n", err.msg);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", src, BENCH_XDOC_SEED);
	if ((msg = read_seed(path, &len)) == NULL || (d = xdoc_new()) ==
	    NULL) {
		printf("xdoc: skipped: cannot read %s\n", path);
		goto done;
	}
	if (xdoc_read(d, ctx, msg, len) != XDOC_EVIDENCE) {
		printf("xdoc: skipped: %s refused: %s\n", path, xdoc_why(d));
		goto done;
	}
	for (run = 0; run < BENCH_XDOC_RUNS; run++) {
		t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
		for (i = 0; i < BENCH_XDOC_ROUNDS; i++)
			xdoc_read(d, ctx, msg, len);
		t = (bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0) /
		    BENCH_XDOC_ROUNDS;
		if (t < lean)
			lean = t;
		if ((t = time_libyang(ctx, msg)) < ly)
			ly = t;
	}
	printf("xdoc: a %zu-byte pcr-trust-evidence notification: lean reader "
	    "%.1f us (%.0f MB/s); libyang tree %.1f us\n", len, lean * 1e6,
	    len / lean / 1e6, ly * 1e6);
done:
	xdoc_free(d);
	free(msg);
	ly_ctx_destroy(ctx);
}
