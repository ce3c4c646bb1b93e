/*
 * bench.h — benchmark entry points; each prints its figures to stdout.
 */
#ifndef RIV_BENCH_H
#define RIV_BENCH_H

#include <time.h>

void	bench_quote(const char *);
void	bench_bootlog(const char *);
void	bench_ima(const char *);
void	bench_framing(void);
void	bench_store(void);
void	bench_xdoc(void);

/* Return a monotonic time in seconds. */
static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Return the CPU seconds clock (CLOCK_THREAD_CPUTIME_ID or
 * CLOCK_PROCESS_CPUTIME_ID) has counted: figures per core, since on a
 * shared machine wall time also counts the time spent waiting for one.
 */
static inline double
bench_cpu(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
