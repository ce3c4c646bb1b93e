/*
 * util.c — error reporting, bounded file reading, hex and base64 decoding
 * and the wall clock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* Record a formatted reason in err (which may be NULL) and return code. */
int
err_set(struct riv_err *err, int code, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return code;
	/* Through a copy: callers may pass err->msg as an argument. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(err->msg, msg, sizeof(msg));
	return code;
}

/*
 * Read a whole file of at most max bytes into a malloc'd buffer (with one
 * extra NUL byte so text parsers may treat it as a string).
 */
int
file_read(const char *path, size_t max, uint8_t **bufp, size_t *lenp,
    struct riv_err *err)
{
	FILE *f;
	uint8_t *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return err_set(err, RIV_MALFORMED, "%s: %s", path,
		    strerror(errno));
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > max + 1)
				cap = max + 1;
			if ((nbuf = realloc(buf, cap + 1)) == NULL) {
				err_set(err, RIV_MALFORMED, "%s: out of memory",
				    path);
				goto fail;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > max) {
			err_set(err, RIV_MALFORMED,
			    "%s: larger than the limit of %zu bytes", path, max);
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		err_set(err, RIV_MALFORMED, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return RIV_OK;
fail:
	free(buf);
	fclose(f);
	return RIV_MALFORMED;
}

/* Write len bytes as lowercase hex into out (2 * len + 1 bytes). */
void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Return the value of one hex digit, or -1. */
int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode slen hex digits into at most max bytes; store the byte count in
 * *outlen.  Returns 0, or -1 on an odd length, a non-hex digit or overflow.
 */
int
hex_decode(const char *s, size_t slen, uint8_t *out, size_t max,
    size_t *outlen)
{
	size_t i;
	int hi, lo;

	if (slen % 2 != 0 || slen / 2 > max)
		return -1;
	for (i = 0; i < slen / 2; i++) {
		hi = hex_value((unsigned char)s[2 * i]);
		lo = hex_value((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = slen / 2;
	return 0;
}

/* Tell whether len bytes are all zero. */
int
all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Milliseconds from a to b (monotonic times). */
int64_t
ms_between(struct timespec a, struct timespec b)
{
	return (int64_t)(b.tv_sec - a.tv_sec) * 1000 +
	    (b.tv_nsec - a.tv_nsec) / 1000000;
}

/* Add ms milliseconds to ts. */
void
ts_add_ms(struct timespec *ts, int64_t ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* The microseconds since 1970 of wall-clock time ts. */
int64_t
ts_us(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000 + ts->tv_nsec / 1000;
}

/* The wall clock in microseconds since 1970. */
int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_us(&ts);
}

/*
 * The value of each byte as a base64 digit (RFC 4648), -1 for none.
 */
static const int8_t b64_digit[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * Decode the canonical base64 s of len bytes (padded to a multiple of 4,
 * no white space, the unused bits of the last digit zero) into out (max
 * bytes); set *outlen.  0, or -1.
 */
static int
b64_decode_canonical(const char *s, size_t len, uint8_t *out, size_t max,
    size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n, pad = 0;
	int a, b, c, d;

	if (len % 4 != 0)
		return -1;
	if (len > 0 && p[len - 1] == '=')
		pad = p[len - 2] == '=' ? 2 : 1;
	if ((n = len / 4 * 3 - pad) > max)
		return -1;
	for (i = 0; i + 4 <= len - (pad ? 4 : 0); i += 4) {
		a = b64_digit[p[i]];
		b = b64_digit[p[i + 1]];
		c = b64_digit[p[i + 2]];
		d = b64_digit[p[i + 3]];
		if ((a | b | c | d) < 0)
			return -1;
		*out++ = (uint8_t)(a << 2 | b >> 4);
		*out++ = (uint8_t)((b & 0xf) << 4 | c >> 2);
		*out++ = (uint8_t)((c & 0x3) << 6 | d);
	}
	if (pad > 0) {
		a = b64_digit[p[i]];
		b = b64_digit[p[i + 1]];
		c = pad == 2 ? 0 : b64_digit[p[i + 2]];
		if ((a | b | c) < 0 || (pad == 2 && (b & 0xf) != 0) ||
		    (pad == 1 && (c & 0x3) != 0))
			return -1;
		*out++ = (uint8_t)(a << 2 | b >> 4);
		if (pad == 1)
			*out = (uint8_t)((b & 0xf) << 4 | c >> 2);
	}
	*outlen = n;
	return 0;
}

/*
 * Decode base64 s of len bytes into out (max bytes) and set *outlen: with
 * B64_CANONICAL only the canonical form (see b64_decode_canonical), else
 * white space is skipped and the unused bits are not looked at.  0, or -1.
 */
int
b64_decode(const char *s, size_t len, uint8_t *out, size_t max,
    size_t *outlen, int flags)
{
	uint32_t acc = 0;
	size_t i, n = 0, bits = 0, pad = 0;
	int v;

	if (flags & B64_CANONICAL)
		return b64_decode_canonical(s, len, out, max, outlen);
	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_digit[(unsigned char)s[i]]) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= max)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* 4 bits left over: two digits in the last group, "==". */
	if (pad > 2 || bits >= 6 || (bits == 0 && pad != 0) ||
	    (bits == 4 && pad != 2) || (bits == 2 && pad != 1))
		return -1;
	*outlen = n;
	return 0;
}
