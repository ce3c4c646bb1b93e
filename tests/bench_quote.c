/* bench_quote.c — placeholder, being written. */
#include "bench.h"

/* Placeholder. */
void
bench_quote(const char *corpus)
{
	(void)corpus;
}
