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
	if ((d = opendir(dir)) == NULL) {
		printf("  cannot open %s\n", dir);
		return;
	}
	while ((de = readdir(d)) != NULL && n < sizeof(names) / sizeof(*names))
		if (is_log(de->d_name) &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	if ((log = malloc(sizeof(*log))) != NULL)
		for (i = 0; i < n; i++)
			bench_one(dir, names[i], log);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(log);
}
