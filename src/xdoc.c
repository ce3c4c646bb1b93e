/*
 * xdoc.c — the lean reader of evidence notifications: those of rivd's
 * streams (riv-attestation-streams) and of the IETF stream `attestation`
 * (ietf-tpm-remote-attestation-stream).  Building a libyang data tree was
 * most of what a quote notification cost rivd (parse, lookups by path,
 * free: ~125 us of ~200).  This reads the XML that
 * NETCONF publishers print — elements, xmlns declarations, character data
 * with the predefined and numeric entities, an XML declaration — in one
 * pass into an element tree over a private copy of the message, then
 * checks every element against the compiled schema of rivd's YANG context
 * as libyang's parser does: an element of the schema in its module's
 * namespace; leaves' values of their type (integers and their ranges,
 * base64 binaries and their lengths, strings, identities derived from the
 * type's bases, enumerations, empty); single instances at most once; list
 * keys present.  Like libyang's parser it evaluates no must, when or
 * mandatory statement.
 *
 * What it does not read (comments, CDATA, other attributes, unprefixed
 * identities, white space around numbers, other types) it refuses, and
 * message.c hands the message to libyang, the judge: libyang's data is
 * printed again in its canonical form and read here once more.  So a
 * message is taken here only if libyang takes it too
 * (tests/fuzz/notif_harness.c checks that on every input).
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyang/libyang.h>

#include "rivd.h"
#include "xdoc.h"

#define XDOC_NODES_MAX	65536	/* elements in one message */
#define XDOC_DEPTH_MAX	32
#define XDOC_NS_MAX	256	/* xmlns declarations in one message */
#define XDOC_SEEN	8	/* namespaces, identities a reader remembers */

/* Classes of bytes (struct xdoc's cls). */
#define XC_NAME_START	0x01	/* may start a name: A-Z a-z _ */
#define XC_NAME		0x02	/* may follow in a name: those, 0-9 - . */
#define XC_PLAIN	0x04	/* character data needing no check: printable
				 * ASCII but '<' and '&' */

#define NOTIF_NS	"urn:ietf:params:xml:ns:netconf:notification:1.0"
#define STREAMS_NS	"urn:rivd:params:xml:ns:yang:riv-attestation-streams"
#define TRAS_NS		"urn:ietf:params:xml:ns:yang:" \
			    "ietf-tpm-remote-attestation-stream"

/* The qualified name of an element's tags, as written. */
struct xname {
	const char	*prefix;
	size_t		 prefixlen, len;
	int		 blank;		/* its text is white space only */
	const struct xns *defns;	/* the default namespace in scope */
};

/* An xmlns declaration: prefix "" is the default namespace. */
struct xns {
	const char	*prefix;
	size_t		 prefixlen;
	const char	*uri;
	size_t		 urilen;
};

/* A namespace looked up before, and its implemented module. */
struct xseen_ns {
	char		*uri;
	const struct lys_module *mod;
};

/* An identity found before: its module, its name, it (enabled). */
struct xseen_ident {
	const struct lys_module *mod;
	char		*name;
	const struct lysc_ident *id;
};

/*
 * The reader.  What it has seen (namespaces, identities, the second of an
 * eventTime) is of the context of the last message; the context must live
 * as long as the reader reads with it.
 */
struct xdoc {
	char		*buf;		/* the message's private copy */
	size_t		 bufcap;
	const char	*end;		/* its end (a NUL) */
	uint8_t		*arena;		/* decoded binaries */
	size_t		 arenacap, arenaused;
	struct xnode	*nodes;
	size_t		 nodecap, nnodes;
	struct xname	*names;		/* per node, until the names end */
	struct xns	 ns[XDOC_NS_MAX];
	size_t		 nns;
	struct xnode	*root, *op;
	const struct ly_ctx *ctx;	/* that of the last message and of: */
	const char	*lastns;	/* module_of's cache for this message */
	const struct lys_module *lastmod;
	struct xseen_ns	 seen_ns[XDOC_SEEN];
	struct xseen_ident seen_ident[XDOC_SEEN];
	unsigned	 next_ns, next_ident;	/* the ones to replace */
	char		 seen_second[20];	/* of an eventTime libyang read */
	char		 seen_zone[8];		/* and its time zone */
	char		 why[256];
	unsigned char	 cls[256];	/* XC_* of each byte */
};

/* A new reader, or NULL. */
struct xdoc *
xdoc_new(void)
{
	struct xdoc *d;
	int c;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	for (c = 0; c < 256; c++) {
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '_')
			d->cls[c] |= XC_NAME_START | XC_NAME;
		if ((c >= '0' && c <= '9') || c == '-' || c == '.')
			d->cls[c] |= XC_NAME;
		if (c > ' ' && c < 0x7f && c != '<' && c != '&')
			d->cls[c] |= XC_PLAIN;
	}
	return d;
}

/* Forget the namespaces, identities and time d has seen. */
static void
forget_seen(struct xdoc *d)
{
	unsigned i;

	for (i = 0; i < XDOC_SEEN; i++) {
		free(d->seen_ns[i].uri);
		free(d->seen_ident[i].name);
	}
	memset(d->seen_ns, 0, sizeof(d->seen_ns));
	memset(d->seen_ident, 0, sizeof(d->seen_ident));
	d->next_ns = d->next_ident = 0;
	d->seen_second[0] = '\0';
}

/* Free a reader. */
void
xdoc_free(struct xdoc *d)
{
	if (d == NULL)
		return;
	forget_seen(d);
	free(d->buf);
	free(d->arena);
	free(d->nodes);
	free(d->names);
	free(d);
}

/* The notification's content (its stream's element) after XDOC_EVIDENCE. */
const struct xnode *
xdoc_op(const struct xdoc *d)
{
	return d->op;
}

/* Why the last message was refused. */
const char *
xdoc_why(const struct xdoc *d)
{
	return d->why;
}

static int refuse(struct xdoc *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Note why the message is refused, naming the offset; always -1. */
static int
refuse(struct xdoc *d, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(d->why, sizeof(d->why), "at offset %zu: ",
	    at != NULL ? (size_t)(at - d->buf) : 0);
	if (n < 0 || (size_t)n >= sizeof(d->why))
		return -1;
	va_start(ap, fmt);
	vsnprintf(d->why + n, sizeof(d->why) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Make room for message msg of len bytes.  0, or -1. */
static int
make_room(struct xdoc *d, const char *msg, size_t len)
{
	size_t elements = 1;
	const char *p, *end;
	void *n;

	if (len + 1 > d->bufcap) {
		if ((n = realloc(d->buf, len + 1)) == NULL)
			return refuse(d, NULL, "out of memory");
		d->buf = n;
		d->bufcap = len + 1;
	}
	if (len > d->arenacap) {
		if ((n = realloc(d->arena, len)) == NULL)
			return refuse(d, NULL, "out of memory");
		d->arena = n;
		d->arenacap = len;
	}
	/* Every element starts with '<'. */
	for (p = msg, end = msg + len; (p = memchr(p, '<', (size_t)
	    (end - p))) != NULL; p++)
		elements++;
	if (elements > XDOC_NODES_MAX)
		return refuse(d, NULL, "more than %d elements", XDOC_NODES_MAX);
	if (elements > d->nodecap) {
		if ((n = realloc(d->nodes, elements * sizeof(*d->nodes))) ==
		    NULL)
			return refuse(d, NULL, "out of memory");
		d->nodes = n;
		if ((n = realloc(d->names, elements * sizeof(*d->names))) ==
		    NULL)
			return refuse(d, NULL, "out of memory");
		d->names = n;
		d->nodecap = elements;
	}
	return 0;
}

/* Tell whether c is XML white space. */
static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip white space from p. */
static char *
skip_space(char *p)
{
	while (is_space((unsigned char)*p))
		p++;
	return p;
}

/* The length of the name at p (ASCII NCName), or 0. */
static size_t
name_len(const struct xdoc *d, const char *p)
{
	size_t n;

	if (!(d->cls[(unsigned char)p[0]] & XC_NAME_START))
		return 0;
	for (n = 1; d->cls[(unsigned char)p[n]] & XC_NAME; n++)
		;
	return n;
}

/*
 * Read a qualified name at *pp into prefix (NULL if none) and local name.
 * 0, or -1.
 */
static int
read_qname(struct xdoc *d, char **pp, const char **prefix, size_t *plen,
    const char **local, size_t *llen)
{
	char *p = *pp;
	size_t n;

	if ((n = name_len(d, p)) == 0)
		return refuse(d, p, "a name was expected");
	*prefix = NULL;
	*plen = 0;
	if (p[n] == ':') {
		*prefix = p;
		*plen = n;
		p += n + 1;
		if ((n = name_len(d, p)) == 0)
			return refuse(d, p, "a name was expected after the "
			    "prefix");
	}
	*local = p;
	*llen = n;
	*pp = p + n;
	return 0;
}

/*
 * Check the UTF-8 sequence at p (of at most end - p bytes) for an XML
 * character; its length, or 0.
 */
static size_t
utf8_char(const unsigned char *p, const unsigned char *end)
{
	uint32_t c;
	size_t n, i;

	if (p[0] < 0x80)
		return (p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' ||
		    p[0] == '\r') ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe ||
	    c == 0xffff)
		return 0;
	return n;
}

/*
 * Write code point c of a character reference as UTF-8 at out; its
 * length, or 0 if it is no XML character or one libyang refuses in a
 * reference: U+FDD0-FDEF, U+FFFE-FFFF, and above U+FFFF every xFFE-xFFF.
 */
static size_t
put_utf8(char *out, unsigned long c)
{
	if (c == 0 || c > 0x10ffff || (c < 0x20 && c != '\t' && c != '\n' &&
	    c != '\r') || (c >= 0xd800 && c <= 0xdfff) || (c >= 0xfdd0 &&
	    c <= 0xfdef) || c == 0xfffe || c == 0xffff || (c > 0xffff &&
	    (c & 0xffe) == 0xffe))
		return 0;
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * Decode the entity reference at p (after '&') into out; set *used to the
 * bytes read.  The bytes written, or 0.
 */
static size_t
read_entity(const char *p, char *out, size_t *used)
{
	static const struct { const char *name; char c; } named[] = {
		{ "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' },
		{ "apos;", '\'' }, { "quot;", '"' }
	};
	unsigned long c = 0;
	size_t i, n;
	int hex;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		n = strlen(named[i].name);
		if (strncmp(p, named[i].name, n) == 0) {
			*out = named[i].c;
			*used = n;
			return 1;
		}
	}
	if (p[0] != '#')
		return 0;
	hex = p[1] == 'x';
	for (i = hex ? 2 : 1; i < 10; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			c = c * (hex ? 16 : 10) + (unsigned long)(p[i] - '0');
		else if (hex && p[i] >= 'a' && p[i] <= 'f')
			c = c * 16 + (unsigned long)(p[i] - 'a' + 10);
		else if (hex && p[i] >= 'A' && p[i] <= 'F')
			c = c * 16 + (unsigned long)(p[i] - 'A' + 10);
		else
			break;
	}
	if (p[i] != ';' || i == (hex ? 2u : 1u))
		return 0;
	*used = i + 1;
	return put_utf8(out, c);
}

/*
 * Read character data from *pp up to the next '<' into n's text, entities
 * decoded in place.  A text outside an element, or beside child elements,
 * must be white space.  0, or -1.
 */
static int
read_text(struct xdoc *d, char **pp, const char *end, struct xnode *n)
{
	char *p = *pp, *out = *pp, *start = *pp, *q;
	size_t k, used;
	int blank = 1;

	while (p < end && *p != '<') {
		/* A run of printable ASCII needs no further check (the
		 * buffer ends with a NUL, which ends the run). */
		for (q = p; d->cls[(unsigned char)*q] & XC_PLAIN; q++)
			;
		if (q > p) {
			if (out != p)
				memmove(out, p, (size_t)(q - p));
			out += q - p;
			p = q;
			blank = 0;
			continue;
		}
		if (*p == '&') {
			if ((k = read_entity(p + 1, out, &used)) == 0)
				return refuse(d, p, "a bad entity reference");
			p += used + 1;
			out += k;
			blank = 0;
			continue;
		}
		if ((k = utf8_char((unsigned char *)p,
		    (const unsigned char *)end)) == 0)
			return refuse(d, p, "a byte that is no XML character");
		if (!is_space((unsigned char)*p))
			blank = 0;
		if (out != p)
			memmove(out, p, k);
		out += k;
		p += k;
	}
	*pp = p;
	if (blank && (n == NULL || n->child != NULL))
		return 0;
	if (n == NULL || n->child != NULL || n->textlen > 0)
		return refuse(d, start, "character data beside elements");
	/* White space only is a leaf's value (libyang keeps it). */
	n->text = start;
	n->textlen = (size_t)(out - start);
	d->names[n - d->nodes].blank = blank;
	return 0;
}

/*
 * Read the attributes of start tag n from *pp: only xmlns declarations.
 * 0, or -1.
 */
static int
read_attributes(struct xdoc *d, char **pp, struct xnode *n)
{
	const char *prefix, *local;
	size_t plen, llen, k;
	struct xns *x;
	char *p = *pp, q, *v;

	n->nsfirst = (unsigned)d->nns;
	for (;;) {
		if (!is_space((unsigned char)*p))
			break;
		p = skip_space(p);
		if (*p == '>' || *p == '/')
			break;
		if (read_qname(d, &p, &prefix, &plen, &local, &llen) != 0)
			return -1;
		if (!(prefix == NULL && llen == 5 && strncmp(local, "xmlns",
		    5) == 0) && !(plen == 5 && strncmp(prefix, "xmlns", 5) ==
		    0))
			return refuse(d, local, "an attribute other than xmlns");
		p = skip_space(p);
		if (*p++ != '=')
			return refuse(d, p - 1, "'=' was expected");
		p = skip_space(p);
		if ((q = *p++) != '"' && q != '\'')
			return refuse(d, p - 1, "a quoted value was expected");
		v = p;
		while (*p != q && *p != '\0' && *p != '<' && *p != '&') {
			if ((k = utf8_char((unsigned char *)p,
			    (const unsigned char *)d->end)) == 0)
				return refuse(d, p, "a byte that is no XML "
				    "character");
			p += k;
		}
		if (*p != q)
			return refuse(d, p, "an attribute value that is not "
			    "read here");
		if (d->nns == XDOC_NS_MAX)
			return refuse(d, local, "more than %d namespace "
			    "declarations", XDOC_NS_MAX);
		/* A prefix declared twice in one tag (libyang refuses it
		 * with two URIs). */
		for (x = &d->ns[n->nsfirst]; x < &d->ns[d->nns]; x++)
			if (x->prefixlen == (prefix ? llen : 0) &&
			    strncmp(x->prefix, local, x->prefixlen) == 0)
				return refuse(d, local, "a namespace prefix "
				    "declared twice");
		x = &d->ns[d->nns++];
		x->prefix = prefix ? local : "";
		x->prefixlen = prefix ? llen : 0;
		x->uri = v;
		x->urilen = (size_t)(p - v);
		if (x->urilen == 0 && prefix != NULL)
			return refuse(d, v, "an empty namespace for a prefix");
		p++;
	}
	n->nscount = (unsigned)(d->nns - n->nsfirst);
	*pp = p;
	return 0;
}

/* Tell whether n has character data other than white space. */
static int
has_data(const struct xdoc *d, const struct xnode *n)
{
	return n->textlen > 0 && !d->names[n - d->nodes].blank;
}

/*
 * The namespace URI (not yet NUL-terminated) bound to prefix (plen bytes;
 * "" for the default) at node n, or NULL.
 */
static const struct xns *
find_ns(const struct xdoc *d, const struct xnode *n, const char *prefix,
    size_t plen)
{
	const struct xns *x;
	unsigned i;

	if (plen == 0) {
		x = d->names[n - d->nodes].defns;
		return x != NULL && x->urilen > 0 ? x : NULL;
	}
	for (; n != NULL; n = n->parent)
		for (i = n->nscount; i-- > 0;) {
			x = &d->ns[n->nsfirst + i];
			if (x->prefixlen == plen &&
			    memcmp(x->prefix, prefix, plen) == 0)
				return x->urilen > 0 ? x : NULL;
		}
	return NULL;
}

/* Read a start tag at *pp (after '<') as a child of parent.  0, or -1. */
static int
read_start_tag(struct xdoc *d, char **pp, struct xnode *parent,
    struct xnode **opened)
{
	struct xnode *n = &d->nodes[d->nnodes];
	struct xname *nm = &d->names[d->nnodes];
	const char *prefix, *local;
	const struct xns *x;
	size_t plen, llen;
	unsigned i;
	char *p = *pp;

	/* Every member, one by one: memset is slower for this size. */
	n->name = n->ns = n->text = NULL;
	n->textlen = n->binlen = 0;
	n->bin = NULL;
	n->schema = NULL;
	n->parent = parent;
	n->child = n->last = n->next = NULL;
	n->offset = (size_t)(p - 1 - d->buf);
	if (read_qname(d, &p, &prefix, &plen, &local, &llen) != 0 ||
	    read_attributes(d, &p, n) != 0)
		return -1;
	n->name = local;
	nm->prefix = prefix;
	nm->prefixlen = plen;
	nm->blank = 0;
	nm->len = llen;
	nm->defns = parent != NULL ? d->names[parent - d->nodes].defns : NULL;
	for (i = n->nscount; i-- > 0;)
		if (d->ns[n->nsfirst + i].prefixlen == 0) {
			nm->defns = &d->ns[n->nsfirst + i];
			break;
		}
	d->nnodes++;
	if ((x = find_ns(d, n, prefix ? prefix : "", plen)) == NULL)
		return refuse(d, local, "element %.*s has no namespace",
		    (int)llen, local);
	n->ns = x->uri;
	if (parent != NULL) {
		if (has_data(d, parent))
			return refuse(d, local, "an element beside character "
			    "data");
		parent->textlen = 0;	/* white space before the first child */
		if (parent->last != NULL)
			parent->last->next = n;
		else
			parent->child = n;
		parent->last = n;
	}
	if (p[0] == '/' && p[1] == '>') {
		*pp = p + 2;
		*opened = NULL;
		return 0;
	}
	if (p[0] != '>')
		return refuse(d, p, "'>' was expected");
	*pp = p + 1;
	*opened = n;
	return 0;
}

/* Read the end tag at *pp (after "</") of element n.  0, or -1. */
static int
read_end_tag(struct xdoc *d, char **pp, const struct xnode *n)
{
	const struct xname *x = &d->names[n - d->nodes];
	const char *prefix, *local;
	size_t plen, llen;
	char *p = *pp;

	if (read_qname(d, &p, &prefix, &plen, &local, &llen) != 0)
		return -1;
	if (llen != x->len || memcmp(local, n->name, llen) != 0 ||
	    plen != x->prefixlen || (plen > 0 && memcmp(prefix, x->prefix,
	    plen) != 0))
		return refuse(d, local, "the end tag does not match <%.*s>",
		    (int)x->len, n->name);
	p = skip_space(p);
	if (*p != '>')
		return refuse(d, p, "'>' was expected");
	*pp = p + 1;
	return 0;
}

/* Skip an XML declaration at the start of the message.  0, or -1. */
static int
skip_declaration(struct xdoc *d, char **pp)
{
	char *p = *pp, *e;

	if (strncmp(p, "<?xml", 5) != 0 || !is_space((unsigned char)p[5]))
		return 0;
	if ((e = strstr(p, "?>")) == NULL)
		return refuse(d, p, "an XML declaration without its end");
	*pp = e + 2;
	return 0;
}

/* Read the message's elements (len bytes in d->buf).  0, or -1. */
static int
read_elements(struct xdoc *d, size_t len)
{
	char *p = d->buf, *end = d->buf + len;
	struct xnode *cur = NULL, *opened = NULL;
	int depth = 0;

	if (skip_declaration(d, &p) != 0)
		return -1;
	for (;;) {
		if (read_text(d, &p, end, cur) != 0)
			return -1;
		if (p >= end) {
			if (d->root == NULL || cur != NULL)
				return refuse(d, p, "the message ends early");
			return 0;
		}
		p++;
		if (*p == '!' || *p == '?')
			return refuse(d, p, "comments, CDATA and processing "
			    "instructions are not read here");
		if (*p == '/') {
			if (cur == NULL)
				return refuse(d, p, "an end tag outside "
				    "every element");
			p++;
			if (read_end_tag(d, &p, cur) != 0)
				return -1;
			cur = cur->parent;
			depth--;
			continue;
		}
		if (cur == NULL && d->root != NULL)
			return refuse(d, p, "a second top-level element");
		if (read_start_tag(d, &p, cur, &opened) != 0)
			return -1;
		if (d->root == NULL)
			d->root = &d->nodes[0];
		if (opened != NULL) {
			if (++depth > XDOC_DEPTH_MAX)
				return refuse(d, p, "elements nested deeper "
				    "than %d", XDOC_DEPTH_MAX);
			cur = opened;
		}
	}
}

/* End every name, text and namespace with a NUL, now that all is read. */
static void
end_strings(struct xdoc *d)
{
	struct xnode *n;
	size_t i;

	for (i = 0; i < d->nns; i++) {
		((char *)d->ns[i].uri)[d->ns[i].urilen] = '\0';
		if (d->ns[i].prefixlen > 0)
			((char *)d->ns[i].prefix)[d->ns[i].prefixlen] = '\0';
	}
	for (i = 0; i < d->nnodes; i++) {
		n = &d->nodes[i];
		((char *)n->name)[d->names[i].len] = '\0';
		if (n->textlen > 0)
			((char *)n->text)[n->textlen] = '\0';
		else
			n->text = "";
	}
}

/*
 * The implemented module of namespace ns, or NULL: the last one's, one
 * seen before, or libyang's answer (which walks every module).
 */
static const struct lys_module *
module_of(struct xdoc *d, const char *ns)
{
	struct xseen_ns *x;
	unsigned i;

	if (d->lastns == ns || (d->lastns != NULL && strcmp(d->lastns, ns) ==
	    0))
		return d->lastmod;
	for (i = 0; i < XDOC_SEEN && d->seen_ns[i].uri != NULL; i++)
		if (strcmp(d->seen_ns[i].uri, ns) == 0)
			break;
	if (i < XDOC_SEEN && d->seen_ns[i].uri != NULL)
		d->lastmod = d->seen_ns[i].mod;
	else if ((d->lastmod = ly_ctx_get_module_implemented_ns(d->ctx,
	    ns)) != NULL) {
		x = &d->seen_ns[d->next_ns];
		d->next_ns = (d->next_ns + 1) % XDOC_SEEN;
		free(x->uri);
		x->uri = strdup(ns);
		x->mod = x->uri != NULL ? d->lastmod : NULL;
	}
	d->lastns = d->lastmod != NULL ? ns : NULL;
	return d->lastmod;
}

/* Tell whether v lies in one of the parts of range r (NULL: any). */
static int
in_range(const struct lysc_range *r, uint64_t v, int is_signed)
{
	LY_ARRAY_COUNT_TYPE i;

	if (r == NULL)
		return 1;
	LY_ARRAY_FOR(r->parts, i) {
		if (is_signed ? ((int64_t)v >= r->parts[i].min_64 &&
		    (int64_t)v <= r->parts[i].max_64) :
		    (v >= r->parts[i].min_u64 && v <= r->parts[i].max_u64))
			return 1;
	}
	return 0;
}

/*
 * Read an integer leaf: decimal digits, a '-' for signed types, no leading
 * zero, within the type's width and range.  0, or -1.
 */
static int
check_integer(struct xdoc *d, const struct xnode *n,
    const struct lysc_type_num *t)
{
	static const uint64_t umax[] = { UINT8_MAX, UINT16_MAX, UINT32_MAX,
	    UINT64_MAX };
	const char *s = n->text;
	uint64_t v = 0, lim;
	int neg = 0, is_signed, w;

	is_signed = t->basetype >= LY_TYPE_INT8 && t->basetype <= LY_TYPE_INT64;
	w = is_signed ? (int)(t->basetype - LY_TYPE_INT8) :
	    (int)(t->basetype - LY_TYPE_UINT8);
	lim = is_signed ? umax[w] / 2 : umax[w];
	if (is_signed && *s == '-') {
		neg = 1;
		s++;
		lim++;
	}
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0') ||
	    (neg && s[0] == '0'))
		return refuse(d, d->buf + n->offset, "%s: not a plain integer",
		    n->name);
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (lim - (uint64_t)(*s - '0')) / 10)
			return refuse(d, d->buf + n->offset, "%s: out of range",
			    n->name);
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0')
		return refuse(d, d->buf + n->offset, "%s: not a plain integer",
		    n->name);
	if (neg)
		v = (uint64_t)(-(int64_t)(v - 1) - 1);
	if (!in_range(t->range, v, is_signed))
		return refuse(d, d->buf + n->offset, "%s: %s is out of the "
		    "type's range", n->name, n->text);
	return 0;
}

/*
 * Decode a binary leaf (canonical base64: padded, no white space, unused
 * bits zero) into the arena; its length within the type's.  0, or -1.
 */
static int
check_binary(struct xdoc *d, struct xnode *n, const struct lysc_type_bin *t)
{
	uint8_t *out = d->arena + d->arenaused;
	size_t o;

	if (b64_decode(n->text, n->textlen, out, d->arenacap - d->arenaused,
	    &o, B64_CANONICAL) != 0)
		return refuse(d, d->buf + n->offset, "%s: not canonical "
		    "base64", n->name);
	if (t->length != NULL && !in_range(t->length, o, 0))
		return refuse(d, d->buf + n->offset, "%s: %zu bytes, out of "
		    "the type's length", n->name, o);
	n->bin = out;
	n->binlen = o;
	d->arenaused += o;
	return 0;
}

/* Check a string leaf: its length in characters, its patterns.  0, -1. */
static int
check_string(struct xdoc *d, const struct xnode *n,
    const struct lysc_type_str *t)
{
	size_t chars = 0, i;

	if (t->patterns != NULL && LY_ARRAY_COUNT(t->patterns) > 0 &&
	    lyd_value_validate(d->ctx, n->schema, n->text, n->textlen, NULL,
	    NULL, NULL) != LY_SUCCESS)
		return refuse(d, d->buf + n->offset, "%s: not of the type's "
		    "pattern", n->name);
	for (i = 0; i < n->textlen; i++)
		if (((unsigned char)n->text[i] & 0xc0) != 0x80)
			chars++;
	if (t->length != NULL && !in_range(t->length, chars, 0))
		return refuse(d, d->buf + n->offset, "%s: %zu characters, out "
		    "of the type's length", n->name, chars);
	return 0;
}

/* Tell whether identity id is derived (at any depth) from base. */
static int
is_derived(const struct lysc_ident *base, const struct lysc_ident *id)
{
	LY_ARRAY_COUNT_TYPE i;

	LY_ARRAY_FOR(base->derived, i)
		if (base->derived[i] == id || is_derived(base->derived[i], id))
			return 1;
	return 0;
}

/*
 * The identity called name of module mod whose if-features are all true,
 * or NULL: one seen before, or found among the module's.
 */
static const struct lysc_ident *
find_identity(struct xdoc *d, const struct lys_module *mod, const char *name)
{
	const struct lysc_ident *id = NULL;
	struct xseen_ident *x;
	LY_ARRAY_COUNT_TYPE i;
	unsigned k;

	for (k = 0; k < XDOC_SEEN && d->seen_ident[k].name != NULL; k++)
		if (d->seen_ident[k].mod == mod &&
		    strcmp(d->seen_ident[k].name, name) == 0)
			return d->seen_ident[k].id;
	LY_ARRAY_FOR(mod->identities, i)
		if (strcmp(mod->identities[i].name, name) == 0)
			id = &mod->identities[i];
	if (id == NULL || lys_identity_iffeature_value(id) != LY_SUCCESS)
		return NULL;
	x = &d->seen_ident[d->next_ident];
	d->next_ident = (d->next_ident + 1) % XDOC_SEEN;
	free(x->name);
	x->name = strdup(name);
	x->mod = mod;
	x->id = id;
	return id;
}

/*
 * Check an identityref leaf: a prefixed name whose prefix is bound in the
 * element's scope, an identity of that module derived from a base of the
 * type.  0, or -1.
 */
static int
check_identity(struct xdoc *d, const struct xnode *n,
    const struct lysc_type_identityref *t)
{
	const struct lys_module *mod;
	const struct lysc_ident *id;
	const struct xns *x;
	const char *colon = strchr(n->text, ':');
	LY_ARRAY_COUNT_TYPE i;

	if (colon == NULL || (x = find_ns(d, n, n->text, (size_t)(colon -
	    n->text))) == NULL || (mod = module_of(d, x->uri)) == NULL)
		return refuse(d, d->buf + n->offset, "%s: an identity without "
		    "a known prefix", n->name);
	if ((id = find_identity(d, mod, colon + 1)) == NULL)
		return refuse(d, d->buf + n->offset, "%s: no identity %s",
		    n->name, n->text);
	LY_ARRAY_FOR(t->bases, i)
		if (is_derived(t->bases[i], id))
			return 0;
	return refuse(d, d->buf + n->offset, "%s: %s is not of the type's "
	    "base", n->name, n->text);
}

/* Check the value of leaf or leaf-list n against type t.  0, or -1. */
static int
check_value(struct xdoc *d, struct xnode *n, const struct lysc_type *t)
{
	const struct lysc_type_enum *e;
	LY_ARRAY_COUNT_TYPE i;

	switch (t->basetype) {
	case LY_TYPE_LEAFREF:
		return check_value(d, n,
		    ((const struct lysc_type_leafref *)t)->realtype);
	case LY_TYPE_UINT8: case LY_TYPE_UINT16: case LY_TYPE_UINT32:
	case LY_TYPE_UINT64: case LY_TYPE_INT8: case LY_TYPE_INT16:
	case LY_TYPE_INT32: case LY_TYPE_INT64:
		return check_integer(d, n, (const struct lysc_type_num *)t);
	case LY_TYPE_BINARY:
		return check_binary(d, n, (const struct lysc_type_bin *)t);
	case LY_TYPE_STRING:
		return check_string(d, n, (const struct lysc_type_str *)t);
	case LY_TYPE_IDENT:
		return check_identity(d, n,
		    (const struct lysc_type_identityref *)t);
	case LY_TYPE_EMPTY:
		if (n->textlen == 0)
			return 0;
		return refuse(d, d->buf + n->offset, "%s: a value in an "
		    "empty leaf", n->name);
	case LY_TYPE_BOOL:
		if (strcmp(n->text, "true") == 0 ||
		    strcmp(n->text, "false") == 0)
			return 0;
		return refuse(d, d->buf + n->offset, "%s: not a boolean",
		    n->name);
	case LY_TYPE_ENUM:
		e = (const struct lysc_type_enum *)t;
		LY_ARRAY_FOR(e->enums, i)
			if (strcmp(e->enums[i].name, n->text) == 0)
				return 0;
		return refuse(d, d->buf + n->offset, "%s: no such enum %s",
		    n->name, n->text);
	default:
		return refuse(d, d->buf + n->offset, "%s: a type not read here",
		    n->name);
	}
}

static int check_children(struct xdoc *, struct xnode *);

/* Check the keys of list instance n: each exactly once.  0, or -1. */
static int
check_keys(struct xdoc *d, const struct xnode *n)
{
	const struct lysc_node *k;
	const struct xnode *c;
	int count;

	for (k = lysc_node_child(n->schema); k != NULL &&
	    (k->flags & LYS_KEY); k = k->next) {
		count = 0;
		for (c = n->child; c != NULL; c = c->next)
			if (c->schema == k)
				count++;
		if (count != 1)
			return refuse(d, d->buf + n->offset, "%s: %s key %s",
			    n->name, count ? "a repeated" : "no", k->name);
	}
	return 0;
}

/*
 * The schema node of a child named name of module mod of n if it is the
 * one after prev's (the first of n's when prev is NULL), publishers
 * writing in schema order; else NULL (then search).  Data node names are
 * unique among siblings, choices and cases included, so a match is the
 * node lys_find_child would find.
 */
static const struct lysc_node *
next_in_schema(const struct xnode *n, const struct xnode *prev,
    const struct lys_module *mod, const char *name)
{
	const struct lysc_node *s;

	s = prev != NULL ? prev->schema->next : lysc_node_child(n->schema);
	if (s == NULL || s->module != mod || !(s->nodetype & (LYS_CONTAINER |
	    LYS_LEAF | LYS_LEAFLIST | LYS_LIST)) || strcmp(s->name, name) != 0)
		return NULL;
	return s;
}

/*
 * Check child c of n (whose schema is known), which follows prev (NULL
 * for the first), and what is under it.
 */
static int
check_child(struct xdoc *d, struct xnode *n, struct xnode *c,
    const struct xnode *prev)
{
	const struct lys_module *mod;
	const struct lysc_node *s;
	const struct xnode *o;

	/* The entries of a list come in a row: the same node as before. */
	if (prev != NULL && strcmp(prev->name, c->name) == 0 &&
	    (prev->ns == c->ns || strcmp(prev->ns, c->ns) == 0))
		s = prev->schema;
	else if ((mod = module_of(d, c->ns)) == NULL)
		return refuse(d, d->buf + c->offset, "%s: unknown namespace "
		    "%s", c->name, c->ns);
	else if ((s = next_in_schema(n, prev, mod, c->name)) == NULL &&
	    (s = lys_find_child(n->schema, mod, c->name, 0, 0, 0)) == NULL)
		return refuse(d, d->buf + c->offset, "%s has no child %s",
		    n->name, c->name);
	c->schema = s;
	if (s->nodetype & (LYS_CONTAINER | LYS_LEAF))
		for (o = n->child; o != c; o = o->next)
			if (o->schema == s)
				return refuse(d, d->buf + c->offset, "%s "
				    "twice", c->name);
	switch (s->nodetype) {
	case LYS_CONTAINER:
		if (has_data(d, c))
			return refuse(d, d->buf + c->offset, "%s: character "
			    "data in a container", c->name);
		return check_children(d, c);
	case LYS_LIST:
		if (has_data(d, c))
			return refuse(d, d->buf + c->offset, "%s: character "
			    "data in a list", c->name);
		if (check_children(d, c) != 0)
			return -1;
		return check_keys(d, c);
	case LYS_LEAF:
	case LYS_LEAFLIST:
		if (c->child != NULL)
			return refuse(d, d->buf + c->offset, "%s: elements "
			    "in a leaf", c->name);
		return check_value(d, c, ((const struct lysc_node_leaf *)
		    s)->type);
	default:
		return refuse(d, d->buf + c->offset, "%s: a kind of node not "
		    "read here", c->name);
	}
}

/* Check every child of n against n's schema node.  0, or -1. */
static int
check_children(struct xdoc *d, struct xnode *n)
{
	struct xnode *c, *prev = NULL;

	for (c = n->child; c != NULL; prev = c, c = c->next)
		if (check_child(d, n, c, prev) != 0)
			return -1;
	return 0;
}

/* Tell whether p starts with n decimal digits. */
static int
digits(const char *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/*
 * Tell whether t is a date-and-time (RFC 6991's pattern) that libyang
 * reads too: the envelope's eventTime.  libyang is asked once for each
 * second and time zone: the fraction between them is digits only.
 */
static int
is_event_time(struct xdoc *d, const char *t)
{
	const char *p = t + 19;
	char *frac = NULL;
	time_t when;
	int ok;

	if (strlen(t) < 20 || !digits(t, 4) || t[4] != '-' ||
	    !digits(t + 5, 2) || t[7] != '-' || !digits(t + 8, 2) ||
	    t[10] != 'T' || !digits(t + 11, 2) || t[13] != ':' ||
	    !digits(t + 14, 2) || t[16] != ':' || !digits(t + 17, 2))
		return 0;
	if (*p == '.') {
		if (!digits(++p, 1))
			return 0;
		while (digits(p, 1))
			p++;
	}
	if (!(strcmp(p, "Z") == 0 || ((p[0] == '+' || p[0] == '-') &&
	    digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) &&
	    p[6] == '\0')))
		return 0;
	if (memcmp(d->seen_second, t, 19) == 0 && strcmp(d->seen_zone, p) ==
	    0)
		return 1;
	ok = ly_time_str2time(t, &when, &frac) == LY_SUCCESS;
	free(frac);
	if (ok) {
		memcpy(d->seen_second, t, 19);
		d->seen_second[19] = '\0';
		snprintf(d->seen_zone, sizeof(d->seen_zone), "%s", p);
	}
	return ok;
}

/* Tell whether ns is the namespace of a module of evidence streams. */
static int
is_evidence_ns(const char *ns)
{
	return strcmp(ns, STREAMS_NS) == 0 || strcmp(ns, TRAS_NS) == 0;
}

/*
 * Check the envelope (notification, eventTime, one content element) and
 * find the content's schema node.  XDOC_EVIDENCE, XDOC_OTHER, or -1.
 */
static int
check_envelope(struct xdoc *d)
{
	const struct lys_module *mod;
	const struct lysc_node_notif *nf;
	struct xnode *r = d->root, *t, *op;

	if (strcmp(r->name, "notification") != 0 || strcmp(r->ns, NOTIF_NS) !=
	    0)
		return XDOC_OTHER;
	if ((t = r->child) == NULL || strcmp(t->name, "eventTime") != 0 ||
	    strcmp(t->ns, NOTIF_NS) != 0 || t->child != NULL ||
	    !is_event_time(d, t->text))
		return refuse(d, d->buf + r->offset, "a notification without "
		    "a plain eventTime first");
	if ((op = t->next) == NULL || op->next != NULL)
		return refuse(d, d->buf + r->offset, "a notification without "
		    "exactly one content element");
	if (has_data(d, op))
		return refuse(d, d->buf + op->offset, "%s: character data in "
		    "a notification", op->name);
	if (!is_evidence_ns(op->ns) || (mod = module_of(d, op->ns)) == NULL ||
	    mod->compiled == NULL)
		return XDOC_OTHER;
	for (nf = mod->compiled->notifs; nf != NULL;
	    nf = (const struct lysc_node_notif *)nf->next)
		if (strcmp(nf->name, op->name) == 0)
			break;
	if (nf == NULL)
		return XDOC_OTHER;
	op->schema = &nf->node;
	d->op = op;
	return XDOC_EVIDENCE;
}

/*
 * Read message msg (len bytes) with ctx's schema: XDOC_EVIDENCE (then
 * xdoc_op is the notification's content), XDOC_OTHER (a message that is
 * not an evidence notification), or XDOC_REFUSED (xdoc_why says why; hand
 * the message to libyang).  The tree lives until the next call.
 */
enum xdoc_result
xdoc_read(struct xdoc *d, const struct ly_ctx *ctx, const char *msg,
    size_t len)
{
	int rc;

	d->nnodes = d->nns = d->arenaused = 0;
	d->root = d->op = NULL;
	if (d->ctx != ctx)
		forget_seen(d);
	d->ctx = ctx;
	d->lastns = NULL;
	d->why[0] = '\0';
	if (make_room(d, msg, len) != 0)
		return XDOC_REFUSED;
	memcpy(d->buf, msg, len);
	d->buf[len] = '\0';
	d->end = d->buf + len;
	if (memchr(d->buf, '\0', len) != NULL) {
		refuse(d, (char *)memchr(d->buf, '\0', len), "a NUL byte");
		return XDOC_REFUSED;
	}
	if (read_elements(d, len) != 0)
		return XDOC_REFUSED;
	end_strings(d);
	if ((rc = check_envelope(d)) != XDOC_EVIDENCE)
		return rc < 0 ? XDOC_REFUSED : XDOC_OTHER;
	if (check_children(d, d->op) != 0)
		return XDOC_REFUSED;
	return XDOC_EVIDENCE;
}

/*
 * Read evidence libyang parsed and took (op, the content of a
 * notification) from libyang's canonical print of it, in an envelope whose
 * eventTime is a placeholder (rivd uses none).  As xdoc_read.
 */
enum xdoc_result
xdoc_read_tree(struct xdoc *d, const struct ly_ctx *ctx,
    const struct lyd_node *op)
{
	enum xdoc_result r;
	char *body = NULL, *msg = NULL;
	int n;

	if (lyd_print_mem(&body, op, LYD_XML, LYD_PRINT_SHRINK) !=
	    LY_SUCCESS || (n = asprintf(&msg, "<notification xmlns=\""
	    NOTIF_NS "\"><eventTime>1970-01-01T00:00:00Z</eventTime>%s"
	    "</notification>", body)) < 0) {
		free(body);
		snprintf(d->why, sizeof(d->why), "out of memory");
		return XDOC_REFUSED;
	}
	r = xdoc_read(d, ctx, msg, (size_t)n);
	free(body);
	free(msg);
	return r;
}

/* The first child of n called name, or NULL. */
const struct xnode *
xnode_child(const struct xnode *n, const char *name)
{
	const struct xnode *c;

	for (c = n != NULL ? n->child : NULL; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* The next sibling of n with n's name, or NULL. */
const struct xnode *
xnode_next_named(const struct xnode *n)
{
	const struct xnode *c;

	for (c = n->next; c != NULL; c = c->next)
		if (strcmp(c->name, n->name) == 0)
			return c;
	return NULL;
}

/* The text of n's leaf child called name, or NULL. */
const char *
xnode_text(const struct xnode *n, const char *name)
{
	const struct xnode *c = xnode_child(n, name);

	return c != NULL ? c->text : NULL;
}

/* The bytes of n's binary leaf child called name, or NULL. */
const uint8_t *
xnode_bin(const struct xnode *n, const char *name, size_t *len)
{
	const struct xnode *c = xnode_child(n, name);

	*len = c != NULL ? c->binlen : 0;
	if (c == NULL)
		return NULL;
	return c->bin;
}
