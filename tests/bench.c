/*
 * bench.c — `make bench`: runs every benchmark against the corpus and prints
 * the figures.  Nothing here asserts a time.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

int
main(void)
{
	const char *corpus = getenv("RIV_CORPUS");

	if (corpus == NULL || *corpus == '\0')
		corpus = "../shared/corpus";
	printf("rivd benchmarks (corpus %s)\n", corpus);
	bench_quote(corpus);
	bench_bootlog(corpus);
	bench_ima(corpus);
	bench_framing();
	bench_store();
	return 0;
}
