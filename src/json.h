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
	char		 *str;		/* string value, or number text (NUL ended) */
	size_t		  len;		/* length of str */
	size_t		  n;		/* array items or object members */
	struct json	**items;
	char		**keys;		/* object member names (NUL ended) */
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
