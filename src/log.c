/*
 * log.c — rivd's log: lines on stderr with a time stamp and a level;
 * debugging lines only when verbose.  rivd never writes to stdout.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "rivd.h"

static int log_verbose;

/* Set whether debugging lines are written. */
void
log_init(int verbose)
{
	log_verbose = verbose;
}

static void	log_vline(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

/* Write one line with a level tag. */
static void
log_vline(const char *tag, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32], line[2048], *p;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	for (p = line; *p != '\0'; p++)	/* no forged lines */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "rivd %s.%03ldZ %s%s\n", when, ts.tv_nsec / 1000000,
	    tag, line);
}

/* Log an event an operator wants to see. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}

/* Log a problem. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("warning: ", fmt, ap);
	va_end(ap);
}

/* Log a debugging detail (-v). */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline("debug: ", fmt, ap);
	va_end(ap);
}
