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

struct json		*json_parse(const char *, size_t, struct riv_err *);
struct json		*json_load(const char *, struct riv_err *);
void			 json_free(struct json *);
const struct json	*json_get(const struct json *, const char *);
const char		*json_type_name(enum json_type);
int			 json_uint(const struct json *, unsigned long long,
			    unsigned long long *);

void			 json_put_string(FILE *, const char *);
void			 json_put_hex(FILE *, const unsigned char *, size_t);

#endif
