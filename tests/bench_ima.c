/* bench_ima.c — placeholder, being written. */
#include "bench.h"

/* Placeholder. */
void
bench_ima(const char *corpus)
{
	(void)corpus;
}
