/*
 * util.h — error reporting, bounded file reading, hex and base64 decoding
 * shared by every rivd module.
 */
#ifndef RIV_UTIL_H
#define RIV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Outcome of every check: the exit status rivctl reports, too. */
enum riv_status {
	RIV_OK = 0,		/* valid, verified, passed */
	RIV_FAIL = 1,		/* well formed but verification failed */
	RIV_MALFORMED = 2	/* unreadable or malformed input */
};

#define RIV_ERR_MAX 512

/* A human-readable reason, filled in by the function that failed. */
struct riv_err {
	char msg[RIV_ERR_MAX];
};

/* Largest evidence file rivctl reads (boot logs, IMA lists, policies). */
#define RIV_FILE_MAX (512u * 1024 * 1024)

int	 err_set(struct riv_err *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 file_read(const char *, size_t, uint8_t **, size_t *,
	    struct riv_err *);
void	 hex_encode(const uint8_t *, size_t, char *);
int	 hex_decode(const char *, size_t, uint8_t *, size_t, size_t *);
int	 hex_value(int);
int	 all_zero(const uint8_t *, size_t);
int64_t	 now_us(void);
int64_t	 ts_us(const struct timespec *);
int64_t	 ms_between(struct timespec, struct timespec);
void	 ts_add_ms(struct timespec *, int64_t);

#define B64_CANONICAL	0x1	/* b64_decode: the canonical form only */

int	 b64_decode(const char *, size_t, uint8_t *, size_t, size_t *, int);

#endif
