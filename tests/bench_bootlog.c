/* bench_bootlog.c — placeholder, being written. */
#include "bench.h"

/* Placeholder. */
void
bench_bootlog(const char *corpus)
{
	(void)corpus;
}
