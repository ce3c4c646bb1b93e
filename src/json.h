/*
 * json.h — a small, bounded JSON reader (DOM) and writer helpers for the
 * files rivd reads (PCR values, reference values, policies, state) and the
 * objects rivctl prints.
 */
#ifndef RIV_JSON_H
#define RIV_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

#define JSON_DEPTH_MAX	64

/*
 * Most values a document of len bytes may hold: one per JSON_VALUE_BYTES
 * bytes, plus JSON_VALUES_MIN, so a document of tiny values ("[0,0,0,...]")
 * cannot cost much more memory than a document of real data (digests, paths:
 * tens of bytes per value).
 */
#define JSON_VALUE_BYTES	8
#define JSON_VALUES_MIN		1024
#define JSON_VALUES(len)	((len) / JSON_VALUE_BYTES + JSON_VALUES_MIN)

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json {
	enum json_type	  type;
	char		 *str;		/* string value, or number text (NUL ended;
					   allocated with the value) */
	size_t		  len;		/* length of str */
	size_t		  n;		/* array items or object members */
	struct json	**items;
	char		**keys;		/* object member names (NUL ended,
					   unique) */
	size_t		  offset;	/* byte offset of the value in the input */
};

/*
 * json_parse's reader, for a parser that reads part of a text itself
 * (ima_policy.c reads a policy's name maps straight into its tables) with
 * the same limits and the same errors at the same offsets.  If member is
 * set, it reads the value of every object member (called after the ':',
 * with the value's depth and the member's name) instead of json_read_value.
 */
struct json_reader {
	const char	*buf;
	size_t		 len;
	size_t		 pos;		/* offset of the next byte */
	size_t		 values;	/* values read so far */
	size_t		 max_values;	/* JSON_VALUES(len) */
	struct riv_err	*err;
	struct json	*(*member)(struct json_reader *, int, const char *);
	void		*arg;		/* for member */
	char		*scratch;	/* strings with escapes, decoded */
	size_t		 scratchlen;
};

/* Called by json_read_items at each item: reader, arg, index, depth. */
typedef int		 json_item_fn(struct json_reader *, void *, size_t, int);

struct json		*json_parse(const char *, size_t, struct riv_err *);
void			 json_reader_init(struct json_reader *, const char *,
			    size_t, struct riv_err *);
struct json		*json_read(struct json_reader *);
struct json		*json_read_value(struct json_reader *, int);
int			 json_read_items(struct json_reader *, int,
			    json_item_fn *, void *);
int			 json_read_key(struct json_reader *, const char **,
			    size_t *);
int			 json_read_colon(struct json_reader *);
int			 json_read_str(struct json_reader *, const char **,
			    size_t *);
void			 json_skip_space(struct json_reader *);
struct json		*json_fail(struct json_reader *, const char *);
void			 json_fail_repeated(struct json_reader *, const char *,
			    size_t, size_t);
struct json		*json_load(const char *, struct riv_err *);
void			 json_free(struct json *);
const struct json	*json_get(const struct json *, const char *);
const char		*json_type_name(enum json_type);
int			 json_uint(const struct json *, unsigned long long,
			    unsigned long long *);

void			 json_put_string(FILE *, const char *);
void			 json_put_hex(FILE *, const unsigned char *, size_t);

#endif
