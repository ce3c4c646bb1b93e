/*
 * bench_bootlog.c — parse+replay time of every measured-boot log in the
 * corpus: microseconds per log (averaged over many iterations) and events
 * per second.  Figures only; nothing here asserts a time.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bootlog.h"

#define BENCH_MIN_SECONDS	0.2	/* per log */
#define BENCH_MIN_ITERS		20

/* Time the replay of one log and print its line. */
static void
bench_one(const char *dir, const char *name, struct bootlog *log)
{
	char path[4096];
	struct riv_err err;
	uint8_t *buf;
	size_t len;
	double start, elapsed;
	unsigned long iters = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		printf("  %-48s path too long\n", name);
		return;
	}
	if (file_read(path, RIV_FILE_MAX, &buf, &len, &err) != RIV_OK) {
		printf("  %-48s unreadable: %s\n", name, err.msg);
		return;
	}
	if (bootlog_replay(buf, len, log, NULL, NULL, &err) != RIV_OK) {
		printf("  %-48s malformed: %s\n", name, err.msg);
		free(buf);
		return;
	}
	start = bench_now();
	do {
		bootlog_replay(buf, len, log, NULL, NULL, &err);
		iters++;
		elapsed = bench_now() - start;
	} while (elapsed < BENCH_MIN_SECONDS || iters < BENCH_MIN_ITERS);
	printf("  %-48s %6zu bytes %4u events %9.1f us/log %11.0f events/s\n",
	    name, len, log->nevents, elapsed / (double)iters * 1e6,
	    (double)log->nevents * (double)iters / elapsed);
	free(buf);
}

/* Tell whether name is a log (a .bin file). */
static int
is_log(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".bin") == 0;
}

/* Compare two names for qsort. */
static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append a little-endian u32 to p; return the next byte. */
static uint8_t *
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

/*
 * Generate a crypto-agile log of about len bytes (sha1, sha256 and sha384
 * digests, 100 bytes of data per event, PCRs 0-9) into buf; return its
 * size.
 */
static size_t
gen_log(uint8_t *buf, size_t len)
{
	static const uint8_t specid[] = {
	    'S', 'p', 'e', 'c', ' ', 'I', 'D', ' ', 'E', 'v', 'e', 'n', 't',
	    '0', '3', 0, 0, 0, 0, 0, 0, 2, 0, 2, 3, 0, 0, 0,
	    0x04, 0, 20, 0, 0x0b, 0, 32, 0, 0x0c, 0, 48, 0, 0 };
	uint8_t *p = buf;
	uint32_t i = 0;

	p = put_le32(p, 0);
	p = put_le32(p, 3);			/* EV_NO_ACTION */
	memset(p, 0, 20);
	p = put_le32(p + 20, sizeof(specid));
	memcpy(p, specid, sizeof(specid));
	p += sizeof(specid);
	while ((size_t)(p - buf) + 228 <= len) {
		p = put_le32(p, i % 10);
		p = put_le32(p, 0x80000001);
		p = put_le32(p, 3);
		p[0] = 0x04, p[1] = 0, memset(p + 2, (int)i, 20), p += 22;
		p[0] = 0x0b, p[1] = 0, memset(p + 2, (int)i, 32), p += 34;
		p[0] = 0x0c, p[1] = 0, memset(p + 2, (int)i, 48), p += 50;
		p = put_le32(p, 100);
		memset(p, 'd', 100);
		p += 100;
		i++;
	}
	return (size_t)(p - buf);
}

/* Time a generated 100 KB log: the target is under 0.5 ms. */
static void
bench_100k(struct bootlog *log)
{
	static uint8_t buf[100 * 1024];
	struct riv_err err;
	double start, elapsed;
	unsigned long iters = 0;
	size_t len = gen_log(buf, sizeof(buf));

	if (bootlog_replay(buf, len, log, NULL, NULL, &err) != RIV_OK) {
		printf("  generated log malformed: %s\n", err.msg);
		return;
	}
	start = bench_now();
	do {
		bootlog_replay(buf, len, log, NULL, NULL, &err);
		iters++;
		elapsed = bench_now() - start;
	} while (elapsed < BENCH_MIN_SECONDS || iters < BENCH_MIN_ITERS);
	printf("  %-48s %6zu bytes %4u events %9.1f us/log (target < 500)\n",
	    "generated, sha1+sha256+sha384", len, log->nevents,
	    elapsed / (double)iters * 1e6);
}

/* Benchmark every corpus/bios/ log, in name order. */
void
bench_bootlog(const char *corpus)
{
	char dir[4096], *names[256];
	struct bootlog *log;
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/bios", corpus);
	printf("bootlog: parse + replay per log\n");
	if ((log = malloc(sizeof(*log))) == NULL)
		return;
	bench_100k(log);
	if ((d = opendir(dir)) == NULL) {
		printf("  cannot open %s\n", dir);
		free(log);
		return;
	}
	while ((de = readdir(d)) != NULL && n < sizeof(names) / sizeof(*names))
		if (is_log(de->d_name) &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++)
		bench_one(dir, names[i], log);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(log);
}
