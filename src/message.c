/*
 * message.c — one complete NETCONF message from an attester's established
 * session, told apart and handed on: an rpc-reply, or a notification.
 * Which one is told by the name of the root element alone.  An rpc-reply
 * is parsed once, by libyang without a schema (opaque nodes), checked to
 * be one <rpc-reply> of the NETCONF base namespace with a message-id that
 * answers an RPC rivd sent (a probe, or a subscription's), and its tree
 * goes to the subscription; the readers below find its elements by
 * namespace and local name, whatever the prefixes, with entities decoded.
 * A notification is evidence read by xdoc.c (no libyang tree on the hot
 * path), of rivd's streams or of the IETF stream `attestation`, the rest
 * parsed by libyang against rivd's YANG context; each given to its
 * subscription.  Anything else is a malformed message.  The
 * fuzz targets (tests/fuzz/notif_harness.c) feed messages here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "rivd.h"
#include "xdoc.h"

#define XML_SPACE	" \t\r\n"

/* Tell whether node n is the element name of namespace ns. */
int
message_is(const struct lyd_node *n, const char *ns, const char *name)
{
	const struct lyd_node_opaq *o;

	if (n->schema != NULL)
		return strcmp(n->schema->name, name) == 0 &&
		    strcmp(n->schema->module->ns, ns) == 0;
	o = (const struct lyd_node_opaq *)n;
	return o->format == LY_VALUE_XML && o->name.module_ns != NULL &&
	    strcmp(o->name.name, name) == 0 &&
	    strcmp(o->name.module_ns, ns) == 0;
}

/*
 * Parse msg without a schema (what rivd's modules know is parsed as data,
 * the rest kept as opaque nodes) and check that it is one element name of
 * the NETCONF base namespace.  The tree (lyd_free_all), or NULL with why
 * (cap bytes) filled.
 */
struct lyd_node *
message_parse(const char *msg, const char *name, char *why, size_t cap)
{
	struct lyd_node *t = NULL;
	const char *e;

	if (lyd_parse_data_mem(rivd.ctx, msg, LYD_XML, LYD_PARSE_OPAQ |
	    LYD_PARSE_ONLY, 0, &t) != LY_SUCCESS) {
		e = ly_errmsg(rivd.ctx);
		snprintf(why, cap, "%s", e != NULL ? e : "not XML");
		goto fail;
	}
	if (t == NULL || t->next != NULL || !message_is(t, NETCONF_NS,
	    name)) {
		snprintf(why, cap, "not one <%s> of the NETCONF base "
		    "namespace", name);
		goto fail;
	}
	return t;
fail:
	lyd_free_all(t);
	return NULL;
}

/* The first child element of node n called name in namespace ns, or NULL. */
const struct lyd_node *
message_child(const struct lyd_node *n, const char *ns, const char *name)
{
	const struct lyd_node *c;

	if (n == NULL)
		return NULL;
	LY_LIST_FOR(lyd_child(n), c)
		if (message_is(c, ns, name))
			return c;
	return NULL;
}

/*
 * The text of element n, trimmed of surrounding white space, copied into
 * buf (cap bytes, truncated); NULL (buf empty) if n is NULL or holds
 * elements.
 */
const char *
message_value(const struct lyd_node *n, char *buf, size_t cap)
{
	const char *v;
	size_t len;

	if (cap > 0)
		buf[0] = '\0';
	if (n == NULL || cap == 0 || lyd_child(n) != NULL)
		return NULL;
	if (n->schema == NULL)
		v = ((const struct lyd_node_opaq *)n)->value;
	else if ((v = lyd_get_value(n)) == NULL)
		return NULL;
	v += strspn(v, XML_SPACE);
	for (len = strlen(v); len > 0 && strchr(XML_SPACE, v[len - 1]) !=
	    NULL; len--)
		;
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return buf;
}

/*
 * The text of the first child element of n called name in namespace ns,
 * as message_value has it.
 */
const char *
message_text(const struct lyd_node *n, const char *ns, const char *name,
    char *buf, size_t cap)
{
	return message_value(message_child(n, ns, name), buf, cap);
}

/*
 * Tell whether tag (an error-app-tag or an identity, with or without a
 * prefix or module name) names identity.
 */
int
message_tag_is(const char *tag, const char *identity)
{
	const char *p = strrchr(tag, ':');

	return strcmp(p != NULL ? p + 1 : tag, identity) == 0;
}

/* Read s, a decimal uint32 (digits only), into *v.  0 or -1. */
int
message_uint32(const char *s, uint32_t *v)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		if ((n = n * 10 + (uint64_t)(s[i] - '0')) > UINT32_MAX)
			return -1;
	if (i == 0 || s[i] != '\0')
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/*
 * The message-id of rpc-reply r (its unqualified attribute, as RFC 6241
 * has it) into *id.  0 or -1 (none, or not a number).
 */
static int
msg_id(const struct lyd_node *r, uint32_t *id)
{
	const struct lyd_attr *at;

	if (r->schema != NULL)
		return -1;
	for (at = ((const struct lyd_node_opaq *)r)->attr; at != NULL;
	    at = at->next)
		if (strcmp(at->name.name, "message-id") == 0 &&
		    (at->name.module_ns == NULL ||
		    at->name.module_ns[0] == '\0'))
			return message_uint32(at->value, id);
	return -1;
}

/*
 * Tell whether msg is an rpc-reply rather than a notification: whether
 * its root element (after white space, the XML declaration, processing
 * instructions and comments) is called rpc-reply, with any prefix.  Its
 * namespace is checked when it is parsed (take_reply).
 */
int
message_is_reply(const char *msg)
{
	const char *p = msg, *q, *local;
	size_t n;

	for (;;) {
		p += strspn(p, XML_SPACE);
		if (strncmp(p, "<?", 2) == 0)
			q = (q = strstr(p + 2, "?>")) != NULL ? q + 2 : NULL;
		else if (strncmp(p, "<!--", 4) == 0)
			q = (q = strstr(p + 4, "-->")) != NULL ? q + 3 : NULL;
		else
			break;
		if (q == NULL)
			return 0;
		p = q;
	}
	if (*p++ != '<')
		return 0;
	n = strcspn(p, XML_SPACE "/>");
	if (p[n] == '\0')
		return 0;
	local = memchr(p, ':', n);
	local = local != NULL ? local + 1 : p;
	n -= (size_t)(local - p);
	return n == 9 && memcmp(local, "rpc-reply", 9) == 0;
}

/* Take an rpc-reply of len bytes from a. */
static void
take_reply(struct attester *a, const char *msg, size_t len, int64_t received)
{
	struct lyd_node *t;
	char why[256];
	uint32_t id;

	if ((t = message_parse(msg, "rpc-reply", why, sizeof(why))) == NULL)
		sub_malformed(a, why, len, received);
	else if (msg_id(t, &id) != 0)
		sub_malformed(a, "an rpc-reply without a valid message-id",
		    len, received);
	else if (id == 0 || id > a->next_msgid)
		sub_malformed(a, "an rpc-reply to a message-id rivd never "
		    "sent", len, received);
	else if (id == a->probe_id) {
		a->probe_id = 0;
		sub_probe_answered(a);
	} else
		sub_rpc_reply(a, id, t);
	lyd_free_all(t);
}

/*
 * Hand evidence op (read by xdoc.c) on: the IETF stream's to
 * ietf_attestation.c, the rest to its subscription's nonce chain.
 */
static void
take_evidence(struct attester *a, const struct xnode *op, int64_t received)
{
	if (strcmp(op->schema->module->name, IETF_STREAM_MODULE) == 0)
		ietf_evidence(a, op, received);
	else
		sub_evidence(a, op, received);
}

/*
 * libyang's verdict on a message xdoc.c refused: if libyang parses it and
 * it is evidence, print it in libyang's canonical form and read that
 * again; otherwise hand libyang's notification on, or call it malformed.
 */
static void
take_refused(struct attester *a, struct xdoc *d, const char *msg, size_t len,
    int64_t received)
{
	struct lyd_node *envp = NULL, *op = NULL;
	struct ly_in *in = NULL;
	char why[256];

	snprintf(why, sizeof(why), "%s", xdoc_why(d));
	if (ly_in_new_memory(msg, &in) != LY_SUCCESS)
		return;
	if (lyd_parse_op(rivd.ctx, NULL, in, LYD_XML, LYD_TYPE_NOTIF_NETCONF,
	    &envp, &op) != LY_SUCCESS || op == NULL)
		sub_malformed(a, ly_errmsg(rivd.ctx), len, received);
	else if (strcmp(op->schema->module->name, STREAMS_MODULE) != 0 &&
	    strcmp(op->schema->module->name, IETF_STREAM_MODULE) != 0)
		sub_notification(a, op, received);
	else if (xdoc_read_tree(d, rivd.ctx, op) != XDOC_EVIDENCE)
		sub_malformed(a, why, len, received);
	else
		take_evidence(a, xdoc_op(d), received);
	lyd_free_all(envp);
	lyd_free_all(op);
	ly_in_free(in, 0);
}

/*
 * Take message msg (len bytes, NUL-terminated, received at wall-clock
 * microseconds) from a's established session.  Evidence is read by
 * xdoc.c; anything else, and what xdoc.c refuses, by libyang.
 */
void
message_take(struct attester *a, const char *msg, size_t len,
    int64_t received)
{
	static struct xdoc *d;

	if (message_is_reply(msg)) {
		take_reply(a, msg, len, received);
		return;
	}
	if (d == NULL && (d = xdoc_new()) == NULL) {
		sub_malformed(a, "out of memory", len, received);
		return;
	}
	if (xdoc_read(d, rivd.ctx, msg, len) == XDOC_EVIDENCE)
		take_evidence(a, xdoc_op(d), received);
	else
		take_refused(a, d, msg, len, received);
}
