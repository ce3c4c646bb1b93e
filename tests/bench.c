/*
 * bench.c — `make bench`: runs every benchmark against the corpus and prints
 * the figures.  Nothing here asserts a time.  `bench NAME...` runs only the
 * benchmarks named (quote, bootlog, ima, framing, xdoc, store).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Whether the benchmark name was asked for (all when none was named). */
static int
is_wanted(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *corpus = getenv("RIV_CORPUS");

	if (corpus == NULL || *corpus == '\0')
		corpus = "../shared/corpus";
	printf("rivd benchmarks (corpus %s)\n", corpus);
	if (is_wanted(argc, argv, "quote"))
		bench_quote(corpus);
	if (is_wanted(argc, argv, "bootlog"))
		bench_bootlog(corpus);
	if (is_wanted(argc, argv, "ima"))
		bench_ima(corpus);
	if (is_wanted(argc, argv, "framing"))
		bench_framing();
	if (is_wanted(argc, argv, "xdoc"))
		bench_xdoc();
	if (is_wanted(argc, argv, "store"))
		bench_store();
	return 0;
}
