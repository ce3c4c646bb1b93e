/*
 * nc_edit.h — NETCONF <edit-config> semantics (RFC 6241 §7.2) over
 * libyang data trees, generic over any YANG module: the operations merge,
 * replace, create, delete and remove, inherited down the edit and overridden
 * by ietf-netconf:operation metadata, and the default-operations merge,
 * replace and none.  Pure: no I/O, no validation (the caller runs
 * lyd_validate_all on the result).
 *
 * Typical use by an <edit-config> handler:
 *
 *	if (edit_parse(ctx, config_xml, &edit, &err) == -1)
 *		(reply rpc-error err.tag, err.path, err.msg)
 *	if (edit_apply(&candidate, edit, EDIT_DEFAULT_MERGE, &err) == -1)
 *		(reply rpc-error; candidate is unchanged)
 *	lyd_free_siblings(edit);
 *	lyd_validate_all(&candidate, ...)
 */
#ifndef RIV_NC_EDIT_H
#define RIV_NC_EDIT_H

#include <libyang/libyang.h>

/*
 * Error of an edit, in NETCONF terms (RFC 6241 Appendix A).  tag is one of
 * "invalid-value", "missing-element", "data-exists", "data-missing",
 * "operation-not-supported", "bad-attribute", "unknown-attribute",
 * "unknown-element", "operation-failed" (a static string).
 */
struct edit_error {
	const char	*tag;
	/* Data path of the offending node (lyd_path style), "" if none. */
	char		 path[1024];
	char		 msg[512];	/* human readable */
};

/* default-operation of edit-config. */
enum edit_default {
	EDIT_DEFAULT_MERGE,
	EDIT_DEFAULT_REPLACE,
	EDIT_DEFAULT_NONE
};

/*
 * Apply edit (the top-level siblings parsed from <config>, carrying
 * ietf-netconf:operation metadata; NULL is an empty edit) to *tree (the
 * top-level siblings of a datastore of the same context; may be NULL and
 * may become NULL).  The edit is only read.  On success *tree holds the new
 * content (not validated: run lyd_validate_all) and 0 is returned.  On
 * error -1 is returned, err (may be NULL) says why, and *tree is exactly as
 * it was: the edit works on a copy.
 *
 * The operation of an edit node is its operation attribute, else its
 * parent's, else dflt.  A node is found by schema node and keys (lists) or
 * value (leaf-lists); nodes libyang added as defaults (LYD_DEFAULT) count
 * as absent.
 *   merge    absent: created.  Leaf or anydata: value set.  Leaf-list
 *            entry: nothing.  Container or list entry: children edited.
 *   replace  absent: created.  Present: its configuration children that
 *            the edit does not name go; the named ones are edited, with
 *            replace inherited, so the node ends up as the edit says;
 *            nested operations act on the old content (a nested merge
 *            keeps the old child, a nested delete needs it).
 *            ordered-by user entries take the edit's order.
 *   create   present: data-exists; else created.
 *   delete   absent: data-missing; else removed.
 *   remove   removed if present.
 *   none     (inherited only) present: children edited; absent: a
 *            container or list entry (keys only) is created when its
 *            children create something, as libnetconf2 and sysrepo do.
 * Creating copies the edit node without metadata and edits its children
 * in turn: below it a delete fails with data-missing and a remove creates
 * nothing.  Creating a node removes the nodes of the other cases of every
 * choice it is in (RFC 7950 §7.9.2).  Within each sibling list deletes
 * and removes run first.  EDIT_DEFAULT_REPLACE replaces the whole
 * datastore: top-level configuration nodes the edit does not name go.
 * Config false nodes of *tree are never pruned.  New ordered-by user
 * entries go last; yang:insert other than "last" is operation-not-supported.
 * Edit nodes flagged LYD_DEFAULT and operations on list keys are ignored.
 * Other errors: bad-attribute (invalid operation), unknown-element (an
 * opaque node), missing-element (a list key), invalid-value (state data,
 * not a top-level edit), operation-failed (libyang or memory failure).
 */
int	edit_apply(struct lyd_node **tree, const struct lyd_node *edit,
	    enum edit_default dflt, struct edit_error *err);

/*
 * Parse the content of <config> (XML, any number of top-level elements,
 * possibly none) into an edit tree of ctx, for edit_apply: parsed only,
 * not validated, state data refused, unknown elements refused (strict).
 * ietf-netconf must be loaded in ctx for the operation attributes.  Return
 * 0 and *edit (NULL for an empty <config>; free it with
 * lyd_free_siblings), or -1 with err (may be NULL): tag "unknown-element",
 * "bad-attribute" (an invalid operation value), "unknown-attribute",
 * "missing-element" (a list key) or "invalid-value" (anything else), path
 * from libyang's error location.
 */
int	edit_parse(struct ly_ctx *ctx, const char *xml,
	    struct lyd_node **edit, struct edit_error *err);

#endif
