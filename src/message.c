/*
 * message.c — one complete NETCONF message from an attester's established
 * session, told apart and handed on: an rpc-reply (checked to be XML and
 * to answer an RPC rivd sent: a probe, or a subscription's), or a
 * notification: evidence read by xdoc.c (no libyang tree on the hot
 * path), the rest parsed by libyang against rivd's YANG context; each
 * given to its subscription.  Anything else is a malformed message.  The fuzz targets
 * (tests/fuzz/notif_harness.c) feed messages here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "rivd.h"
#include "xdoc.h"

/* The value of attribute message-id in msg, or 0. */
static uint32_t
msg_id(const char *msg)
{
	const char *p = strstr(msg, "message-id=");

	if (p == NULL || (p[11] != '"' && p[11] != '\''))
		return 0;
	return (uint32_t)strtoul(p + 12, NULL, 10);
}

/* Tell whether msg is an rpc-reply rather than a notification. */
int
message_is_reply(const char *msg)
{
	return strncmp(msg, "<rpc-reply", 10) == 0 ||
	    (strstr(msg, "<rpc-reply") != NULL &&
	    strstr(msg, "<notification") == NULL);
}

/* Take an rpc-reply of len bytes from a. */
static void
take_reply(struct attester *a, const char *msg, size_t len, int64_t received)
{
	struct lyd_node *t = NULL;
	uint32_t id = msg_id(msg);

	if (lyd_parse_data_mem(rivd.ctx, msg, LYD_XML, LYD_PARSE_OPAQ |
	    LYD_PARSE_ONLY, 0, &t) != LY_SUCCESS)
		sub_malformed(a, ly_errmsg(rivd.ctx), len, received);
	else if (id == 0 || id > a->next_msgid)
		sub_malformed(a, "an rpc-reply to a message-id rivd never "
		    "sent", len, received);
	else if (id == a->probe_id) {
		a->probe_id = 0;
		sub_probe_answered(a);
	} else
		sub_rpc_reply(a, id, msg);
	lyd_free_all(t);
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
	else if (strcmp(op->schema->module->name, STREAMS_MODULE) != 0)
		sub_notification(a, op, received);
	else if (xdoc_read_tree(d, rivd.ctx, op) != XDOC_EVIDENCE)
		sub_malformed(a, why, len, received);
	else
		sub_evidence(a, xdoc_op(d), received);
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
		sub_evidence(a, xdoc_op(d), received);
	else
		take_refused(a, d, msg, len, received);
}
