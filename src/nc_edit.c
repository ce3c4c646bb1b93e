/*
 * nc_edit.c — NETCONF <edit-config> (RFC 6241 §7.2) over libyang data
 * trees, for any YANG module.
 *
 * The edit is walked once, depth first, against a copy of the datastore.
 * Each edit node finds its datastore counterpart with lyd_find_sibling_first
 * (same schema node, same keys or leaf-list value) and acts by its
 * operation: its own ietf-netconf:operation, else its parent's, else the
 * default-operation.  Nodes libyang created as defaults (LYD_DEFAULT) count
 * as absent.  Creating a node removes the nodes of the other cases of every
 * choice it is in (RFC 7950 §7.9.2).  On success the copy replaces the
 * datastore; on error the copy is freed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "nc_edit.h"

/* The operation on one node. */
enum edit_op {
	OP_NONE,
	OP_MERGE,
	OP_REPLACE,
	OP_CREATE,
	OP_DELETE,
	OP_REMOVE
};

/* The datastore siblings an edit node applies to. */
struct place {
	struct lyd_node	*parent;	/* their parent, or NULL: */
	struct lyd_node	**top;		/* top-level siblings */
};

/* The namespace of the operation attribute. */
#define NC_BASE_NS	"urn:ietf:params:xml:ns:netconf:base:1.0"

/* Values of the ietf-netconf operation attribute, by enum edit_op. */
static const char *const op_names[] = {
	"none", "merge", "replace", "create", "delete", "remove"
};

static int	edit_fail(struct edit_error *, const char *,
		    const struct lyd_node *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	edit_node(struct place *, const struct lyd_node *,
		    enum edit_op, struct edit_error *);
static int	edit_siblings(struct place *, const struct lyd_node *,
		    enum edit_op, int, struct edit_error *);

/* Fill err (if any) about node (may be NULL) and return -1. */
static int
edit_fail(struct edit_error *err, const char *tag, const struct lyd_node *node,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->tag = tag;
	err->path[0] = '\0';
	if (node != NULL && lyd_path(node, LYD_PATH_STD, err->path,
	    sizeof(err->path)) == NULL)
		err->path[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Return the first datastore sibling of a place (NULL if none). */
static struct lyd_node *
place_first(const struct place *pl)
{
	return pl->parent != NULL ? lyd_child(pl->parent) : *pl->top;
}

/* Unlink node from a place. */
static void
place_unlink(struct place *pl, struct lyd_node *node)
{
	if (pl->parent == NULL && *pl->top == node)
		*pl->top = node->next;
	lyd_unlink_tree(node);
}

/* Remove node and its subtree from a place. */
static void
place_free(struct place *pl, struct lyd_node *node)
{
	place_unlink(pl, node);
	lyd_free_tree(node);
}

/* Whether schema node s lies inside choice or case anc (same data level). */
static int
schema_within(const struct lysc_node *s, const struct lysc_node *anc)
{
	const struct lysc_node *p;

	for (p = s->parent; p != NULL &&
	    (p->nodetype & (LYS_CHOICE | LYS_CASE)); p = p->parent)
		if (p == anc)
			return 1;
	return 0;
}

/*
 * Make room in a place for a new node of schema s: remove the nodes of the
 * other cases of each choice s is in, and the default instances of s.
 */
static void
place_clear(struct place *pl, const struct lysc_node *s)
{
	const struct lysc_node *cs;
	struct lyd_node *n, *next;

	for (cs = s->parent; cs != NULL &&
	    (cs->nodetype & (LYS_CHOICE | LYS_CASE)); cs = cs->parent) {
		if (cs->nodetype != LYS_CASE || cs->parent == NULL)
			continue;
		LY_LIST_FOR_SAFE(place_first(pl), next, n) {
			if (n->schema != NULL &&
			    schema_within(n->schema, cs->parent) &&
			    !schema_within(n->schema, cs))
				place_free(pl, n);
		}
	}
	LY_LIST_FOR_SAFE(place_first(pl), next, n) {
		if (n->schema == s && (n->flags & LYD_DEFAULT))
			place_free(pl, n);
	}
}

/* Insert a new node into a place.  Return 0 or -1. */
static int
place_insert(struct place *pl, struct lyd_node *node, const struct lyd_node *e,
    struct edit_error *err)
{
	LY_ERR rc;

	place_clear(pl, node->schema);
	if (pl->parent != NULL)
		rc = lyd_insert_child(pl->parent, node);
	else
		rc = lyd_insert_sibling(*pl->top, node, pl->top);
	if (rc != LY_SUCCESS) {
		lyd_free_tree(node);
		return edit_fail(err, "operation-failed", e, "cannot insert "
		    "\"%s\": %s", LYD_NAME(e), ly_errmsg(LYD_CTX(e)));
	}
	return 0;
}

/*
 * The sibling of first that node e designates: the same list entry
 * (keys) or leaf-list value, or the same single-instance node whatever
 * its value (lyd_find_sibling_first compares leaf values too).
 */
static LY_ERR
sibling_match(const struct lyd_node *first, const struct lyd_node *e,
    struct lyd_node **match)
{
	if (e->schema != NULL &&
	    !(e->schema->nodetype & (LYS_LIST | LYS_LEAFLIST)))
		return lyd_find_sibling_val(first, e->schema, NULL, 0, match);
	return lyd_find_sibling_first(first, e, match);
}

/*
 * Find the datastore node that edit node e designates in a place: NULL
 * when there is none.  Return 0 or -1.
 */
static int
place_find(const struct place *pl, const struct lyd_node *e,
    struct lyd_node **match, struct edit_error *err)
{
	struct lyd_node *first = place_first(pl);
	LY_ERR rc;

	*match = NULL;
	if (first == NULL)
		return 0;
	rc = sibling_match(first, e, match);
	if (rc == LY_ENOTFOUND) {
		*match = NULL;
		return 0;
	}
	if (rc != LY_SUCCESS)
		return edit_fail(err, "operation-failed", e, "cannot look up "
		    "\"%s\": %s", LYD_NAME(e), ly_errmsg(LYD_CTX(e)));
	return 0;
}

/*
 * For an opaque edit node (libyang keeps a node whose value its type
 * refuses as opaque when parsing with LYD_PARSE_OPAQ): the schema leaf it
 * names when it is a leaf, not a key, whose operation attribute is delete
 * or remove, as in <port nc:operation="delete"/>; else NULL.  Its
 * operation in *op.
 */
static const struct lysc_node *
opaq_leaf(const struct lyd_node *e, enum edit_op *op)
{
	const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)e;
	const struct lyd_node *parent = lyd_parent(e);
	const struct lyd_attr *a;
	const struct lys_module *mod;
	const struct lysc_node *s;
	int found = 0;

	if (e->schema != NULL || parent == NULL || parent->schema == NULL ||
	    o->child != NULL || o->format != LY_VALUE_XML ||
	    o->name.name == NULL || o->name.module_ns == NULL)
		return NULL;
	for (a = o->attr; a != NULL; a = a->next) {
		if (a->format != LY_VALUE_XML || a->name.name == NULL ||
		    a->name.module_ns == NULL || a->value == NULL ||
		    strcmp(a->name.module_ns, NC_BASE_NS) != 0 ||
		    strcmp(a->name.name, "operation") != 0)
			continue;
		if (strcmp(a->value, "delete") == 0)
			*op = OP_DELETE;
		else if (strcmp(a->value, "remove") == 0)
			*op = OP_REMOVE;
		else
			return NULL;
		found = 1;
	}
	if (!found)
		return NULL;
	if ((mod = ly_ctx_get_module_implemented_ns(LYD_CTX(e),
	    o->name.module_ns)) == NULL)
		return NULL;
	s = lys_find_child(parent->schema, mod, o->name.name, 0, LYS_LEAF, 0);
	if (s == NULL || lysc_is_key(s) || (s->flags & LYS_CONFIG_R))
		return NULL;
	return s;
}

/*
 * Find the datastore leaf that opaque edit node e (see opaq_leaf) names in
 * a place, whatever its value: NULL when there is none.  Return 0 or -1.
 */
static int
opaq_find(const struct place *pl, const struct lyd_node *e,
    struct lyd_node **match, struct edit_error *err)
{
	const struct lysc_node *s;
	struct lyd_node *first = place_first(pl);
	enum edit_op op;
	LY_ERR rc;

	*match = NULL;
	if ((s = opaq_leaf(e, &op)) == NULL)
		return edit_fail(err, "unknown-element", e, "unknown element "
		    "\"%s\"", LYD_NAME(e));
	if (first == NULL)
		return 0;
	rc = lyd_find_sibling_val(first, s, NULL, 0, match);
	if (rc == LY_ENOTFOUND) {
		*match = NULL;
		return 0;
	}
	if (rc != LY_SUCCESS)
		return edit_fail(err, "operation-failed", e, "cannot look up "
		    "\"%s\": %s", LYD_NAME(e), ly_errmsg(LYD_CTX(e)));
	return 0;
}

/*
 * Work out the operation of edit node e given the inherited one, from its
 * ietf-netconf:operation metadata.  yang:insert other than "last" is not
 * supported.  Return 0 or -1.
 */
static int
node_op(const struct lyd_node *e, enum edit_op inherited, enum edit_op *op,
    struct edit_error *err)
{
	const struct lyd_meta *m;
	const char *mod, *val;
	size_t i;

	*op = inherited;
	if (e->schema == NULL) {
		if (opaq_leaf(e, op) == NULL)
			return edit_fail(err, "unknown-element", e, "unknown "
			    "element \"%s\"", LYD_NAME(e));
		return 0;
	}
	for (m = e->meta; m != NULL; m = m->next) {
		if (m->annotation == NULL || m->annotation->module == NULL ||
		    m->name == NULL)
			continue;
		mod = m->annotation->module->name;
		val = lyd_get_meta_value(m);
		if (val == NULL)
			val = "";
		if (strcmp(mod, "yang") == 0 &&
		    strcmp(m->name, "insert") == 0) {
			if (strcmp(val, "last") != 0)
				return edit_fail(err, "operation-not-supported",
				    e, "insert=\"%s\" is not supported on "
				    "\"%s\"", val, LYD_NAME(e));
			continue;
		}
		if (strcmp(mod, "ietf-netconf") != 0 ||
		    strcmp(m->name, "operation") != 0)
			continue;
		for (i = OP_MERGE; i <= OP_REMOVE; i++)
			if (strcmp(val, op_names[i]) == 0)
				break;
		if (i > OP_REMOVE)
			return edit_fail(err, "bad-attribute", e, "invalid "
			    "operation \"%s\" on \"%s\"", val, LYD_NAME(e));
		*op = (enum edit_op)i;
	}
	return 0;
}

/* Check that edit node e may be edited at all.  Return 0 or -1. */
static int
node_check(const struct lyd_node *e, struct edit_error *err)
{
	const struct lysc_node *s = e->schema, *k;
	const struct lyd_node *c;

	enum edit_op op;

	if (s == NULL) {
		if (opaq_leaf(e, &op) == NULL)
			return edit_fail(err, "unknown-element", e, "unknown "
			    "element \"%s\"", LYD_NAME(e));
		return 0;
	}
	if (!(s->nodetype & (LYD_NODE_INNER | LYD_NODE_TERM | LYD_NODE_ANY)) ||
	    s->nodetype == LYS_RPC || s->nodetype == LYS_ACTION ||
	    s->nodetype == LYS_NOTIF)
		return edit_fail(err, "invalid-value", e, "\"%s\" is not "
		    "configuration data", s->name);
	if (s->flags & LYS_CONFIG_R)
		return edit_fail(err, "invalid-value", e, "\"%s\" is state "
		    "data (config false)", s->name);
	if (s->nodetype != LYS_LIST || (s->flags & LYS_KEYLESS))
		return 0;
	/* Keys come first, in schema order. */
	c = lyd_child(e);
	for (k = lysc_node_child(s); k != NULL && lysc_is_key(k); k = k->next) {
		if (c == NULL || c->schema != k)
			return edit_fail(err, "missing-element", e, "list "
			    "\"%s\" lacks its key \"%s\"", s->name, k->name);
		c = c->next;
	}
	return 0;
}

/* Whether new node n got content besides its keys. */
static int
has_content(const struct lyd_node *n)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c) {
		if (!lysc_is_key(c->schema))
			return 1;
	}
	return 0;
}

/*
 * Create edit node e, absent from a place (dflt: its default instance
 * there, or NULL), by operation op: a copy without metadata whose children
 * are edited in turn (so nested delete fails and nested remove is
 * skipped).  With op none, an inner node is created only when its
 * children created something.  Return 0 or -1.
 */
static int
node_create(struct place *pl, const struct lyd_node *e, enum edit_op op,
    struct lyd_node *dflt, struct edit_error *err)
{
	struct lyd_node *n = NULL;
	struct place sub;
	uint32_t opts = LYD_DUP_NO_META;

	if (op == OP_REMOVE)
		return 0;
	if (op == OP_DELETE)
		return edit_fail(err, "data-missing", e, "\"%s\" does not "
		    "exist", LYD_NAME(e));
	if (op == OP_NONE && !(e->schema->nodetype & LYD_NODE_INNER))
		return 0;
	if (e->schema->nodetype & LYD_NODE_ANY)
		opts |= LYD_DUP_RECURSIVE;
	if (lyd_dup_single(e, NULL, opts, &n) != LY_SUCCESS)
		return edit_fail(err, "operation-failed", e, "cannot copy "
		    "\"%s\": %s", LYD_NAME(e), ly_errmsg(LYD_CTX(e)));
	if (e->schema->nodetype & LYD_NODE_INNER) {
		sub.parent = n;
		sub.top = NULL;
		if (edit_siblings(&sub, lyd_child(e), op, 0, err) == -1)
			goto fail;
		if (op == OP_NONE && !has_content(n)) {
			lyd_free_tree(n);
			return 0;
		}
	}
	if (dflt != NULL)
		place_free(pl, dflt);
	return place_insert(pl, n, e, err);

fail:
	lyd_free_tree(n);
	return -1;
}

/*
 * Edit the existing leaf, leaf-list entry or anydata node m with edit node
 * e by operation op (merge, replace or none).  Return 0 or -1.
 */
static int
node_set(struct place *pl, struct lyd_node *m, const struct lyd_node *e,
    enum edit_op op, struct edit_error *err)
{
	struct lyd_node *n;
	uint32_t opts = LYD_DUP_NO_META | LYD_DUP_RECURSIVE;

	if (op == OP_NONE || e->schema->nodetype == LYS_LEAFLIST)
		return 0;
	if (lyd_compare_single(m, e, 0) == LY_SUCCESS)
		return 0;
	if (lyd_dup_single(e, NULL, opts, &n) != LY_SUCCESS)
		return edit_fail(err, "operation-failed", e, "cannot copy "
		    "\"%s\": %s", LYD_NAME(e), ly_errmsg(LYD_CTX(e)));
	place_free(pl, m);
	return place_insert(pl, n, e, err);
}

/* Apply edit node e, of inherited operation, to a place.  Return 0 or -1. */
static int
edit_node(struct place *pl, const struct lyd_node *e, enum edit_op inherited,
    struct edit_error *err)
{
	struct lyd_node *m, *dflt = NULL;
	struct place sub;
	enum edit_op op;

	if (node_check(e, err) == -1 || node_op(e, inherited, &op, err) == -1)
		return -1;
	if (e->schema == NULL) {
		if (opaq_find(pl, e, &m, err) == -1)
			return -1;
	} else if (place_find(pl, e, &m, err) == -1)
		return -1;
	if (m != NULL && (m->flags & LYD_DEFAULT)) {
		dflt = m;
		m = NULL;
	}
	switch (op) {
	case OP_DELETE:
		if (m == NULL)
			return edit_fail(err, "data-missing", e, "\"%s\" does "
			    "not exist", LYD_NAME(e));
		place_free(pl, m);
		return 0;
	case OP_REMOVE:
		if (m != NULL)
			place_free(pl, m);
		return 0;
	case OP_CREATE:
		if (m != NULL)
			return edit_fail(err, "data-exists", e, "\"%s\" "
			    "already exists", LYD_NAME(e));
		return node_create(pl, e, op, dflt, err);
	default:
		break;
	}
	if (m == NULL)
		return node_create(pl, e, op, dflt, err);
	if (!(e->schema->nodetype & LYD_NODE_INNER))
		return node_set(pl, m, e, op, err);
	sub.parent = m;
	sub.top = NULL;
	return edit_siblings(&sub, lyd_child(e), op, op == OP_REPLACE, err);
}

/* Whether one of the opaque edit siblings efirst names leaf n. */
static int
names_opaq(const struct lyd_node *efirst, const struct lyd_node *n)
{
	const struct lyd_node *e;
	enum edit_op op;

	LY_LIST_FOR(efirst, e) {
		if (e->schema == NULL && n->schema != NULL &&
		    opaq_leaf(e, &op) == n->schema)
			return 1;
	}
	return 0;
}

/*
 * For a replace: remove from a place every configuration node that the
 * edit siblings efirst do not name (list keys stay).  Return 0 or -1.
 */
static int
place_prune(struct place *pl, const struct lyd_node *efirst,
    struct edit_error *err)
{
	const struct lyd_node *e;
	struct lyd_node *n, *next, *match;
	int opaq = 0;
	LY_ERR rc;

	LY_LIST_FOR(efirst, e) {
		if (e->schema == NULL)
			opaq = 1;
	}
	LY_LIST_FOR_SAFE(place_first(pl), next, n) {
		if (n->schema != NULL && (lysc_is_key(n->schema) ||
		    (n->schema->flags & LYS_CONFIG_R)))
			continue;
		rc = LY_ENOTFOUND;
		if (n->schema != NULL && efirst != NULL)
			rc = sibling_match(efirst, n, &match);
		if (rc == LY_SUCCESS && (match->flags & LYD_DEFAULT))
			rc = LY_ENOTFOUND;
		if (rc == LY_ENOTFOUND && opaq && names_opaq(efirst, n))
			rc = LY_SUCCESS;
		if (rc == LY_ENOTFOUND)
			place_free(pl, n);
		else if (rc != LY_SUCCESS)
			return edit_fail(err, "operation-failed", n, "cannot "
			    "look up \"%s\": %s", LYD_NAME(n),
			    ly_errmsg(LYD_CTX(n)));
	}
	return 0;
}

/*
 * For a replace: put the user-ordered entries the edit siblings efirst
 * name in the edit's order.  Return 0 or -1.
 */
static int
place_order(struct place *pl, const struct lyd_node *efirst,
    struct edit_error *err)
{
	const struct lyd_node *e;
	struct lyd_node *m;

	LY_LIST_FOR(efirst, e) {
		if (!lysc_is_userordered(e->schema))
			continue;
		if (place_find(pl, e, &m, err) == -1)
			return -1;
		if (m == NULL)
			continue;
		place_unlink(pl, m);
		if (place_insert(pl, m, e, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * Apply the edit siblings efirst, of inherited operation op, to a place;
 * replace: the place holds exactly what they name afterwards.  Deletes and
 * removes go first, so that an edit may delete one case of a choice and
 * create another in any order.  Return 0 or -1.
 */
static int
edit_siblings(struct place *pl, const struct lyd_node *efirst, enum edit_op op,
    int replace, struct edit_error *err)
{
	const struct lyd_node *e;
	enum edit_op eop;
	int pass;

	if (replace && place_prune(pl, efirst, err) == -1)
		return -1;
	for (pass = 0; pass < 2; pass++) {
		LY_LIST_FOR(efirst, e) {
			if (node_check(e, err) == -1 ||
			    node_op(e, op, &eop, err) == -1)
				return -1;
			if ((e->schema != NULL && lysc_is_key(e->schema)) ||
			    (e->flags & LYD_DEFAULT))
				continue;
			if ((eop == OP_DELETE || eop == OP_REMOVE) !=
			    (pass == 0))
				continue;
			if (edit_node(pl, e, op, err) == -1)
				return -1;
		}
	}
	if (replace && place_order(pl, efirst, err) == -1)
		return -1;
	return 0;
}

/* Apply an edit to a copy of *tree, then swap.  Return 0 or -1. */
int
edit_apply(struct lyd_node **tree, const struct lyd_node *edit,
    enum edit_default dflt, struct edit_error *err)
{
	const struct lyd_node *e;
	struct lyd_node *work = NULL;
	struct place pl;
	enum edit_op op;

	if (err != NULL) {
		err->tag = NULL;
		err->path[0] = err->msg[0] = '\0';
	}
	if (tree == NULL)
		return edit_fail(err, "operation-failed", NULL, "no datastore");
	switch (dflt) {
	case EDIT_DEFAULT_MERGE:
		op = OP_MERGE;
		break;
	case EDIT_DEFAULT_REPLACE:
		op = OP_REPLACE;
		break;
	case EDIT_DEFAULT_NONE:
		op = OP_NONE;
		break;
	default:
		return edit_fail(err, "invalid-value", NULL, "invalid "
		    "default-operation %d", (int)dflt);
	}
	if (*tree != NULL && (*tree)->parent != NULL)
		return edit_fail(err, "operation-failed", *tree, "the "
		    "datastore is not a top-level node");
	if (edit != NULL) {
		if (*tree != NULL && LYD_CTX(edit) != LYD_CTX(*tree))
			return edit_fail(err, "operation-failed", edit, "the "
			    "edit and the datastore have different contexts");
		edit = lyd_first_sibling(edit);
	}
	LY_LIST_FOR(edit, e) {
		if (e->parent != NULL || (e->schema != NULL &&
		    lysc_data_parent(e->schema) != NULL))
			return edit_fail(err, "invalid-value", e, "\"%s\" is "
			    "not a top-level node", LYD_NAME(e));
	}
	if (*tree != NULL && lyd_dup_siblings(lyd_first_sibling(*tree), NULL,
	    LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &work) != LY_SUCCESS)
		return edit_fail(err, "operation-failed", NULL, "cannot copy "
		    "the datastore: %s", ly_errmsg(LYD_CTX(*tree)));
	pl.parent = NULL;
	pl.top = &work;
	if (edit_siblings(&pl, edit, op, dflt == EDIT_DEFAULT_REPLACE,
	    err) == -1)
		goto fail;
	lyd_free_siblings(*tree);
	*tree = work;
	return 0;

fail:
	lyd_free_siblings(work);
	return -1;
}

/*
 * Copy the data path out of a libyang error location such as
 * 'Data location "/m:a/b", line number 1.' into path ("" if none).
 */
static void
parse_errpath(const char *loc, char *path, size_t size)
{
	static const char prefix[] = "Data location \"";
	const char *p, *q;
	size_t len;

	path[0] = '\0';
	if (loc == NULL || (p = strstr(loc, prefix)) == NULL)
		return;
	p += sizeof(prefix) - 1;
	if ((q = strrchr(p, '"')) == NULL)
		return;
	len = (size_t)(q - p);
	if (len >= size)
		return;
	memcpy(path, p, len);
	path[len] = '\0';
}

/*
 * Whether xml carries an operation attribute (any prefix) of value val:
 * libyang reports an invalid one as an invalid enumeration value, without
 * saying that it was an attribute.
 */
static int
xml_has_operation(const char *xml, const char *val, size_t len)
{
	const char *p = xml;
	char quote;

	while ((p = strstr(p, ":operation")) != NULL) {
		p += sizeof(":operation") - 1;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '"' && *p != '\'')
			continue;
		quote = *p++;
		if (strncmp(p, val, len) == 0 && p[len] == quote)
			return 1;
	}
	return 0;
}

/* Work out the NETCONF error tag of libyang's parse error. */
static const char *
parse_tag(const char *xml, const struct ly_err_item *e)
{
	static const char bad_enum[] = "Invalid enumeration value \"";
	const char *msg, *v, *q;

	if (e == NULL || e->msg == NULL)
		return "invalid-value";
	msg = e->msg;
	if (strstr(msg, "metadata") != NULL ||
	    strstr(msg, "Annotation definition") != NULL)
		return "unknown-attribute";
	if (e->vecode == LYVE_REFERENCE)
		return "unknown-element";
	if (strstr(msg, "missing its key") != NULL)
		return "missing-element";
	if (strncmp(msg, bad_enum, sizeof(bad_enum) - 1) == 0) {
		v = msg + sizeof(bad_enum) - 1;
		if ((q = strchr(v, '"')) != NULL &&
		    xml_has_operation(xml, v, (size_t)(q - v)))
			return "bad-attribute";
	}
	return "invalid-value";
}

/*
 * Whether every opaque node of a tree parsed with LYD_PARSE_OPAQ is a leaf
 * being deleted or removed (see opaq_leaf).
 */
static int
opaq_deletes_only(const struct lyd_node *tree)
{
	const struct lyd_node *top, *n;
	enum edit_op op;

	LY_LIST_FOR(tree, top) {
		LYD_TREE_DFS_BEGIN(top, n) {
			if (n->schema == NULL && opaq_leaf(n, &op) == NULL)
				return 0;
			LYD_TREE_DFS_END(top, n);
		}
	}
	return 1;
}

/* Parse the content of <config> into an edit.  Return 0 or -1. */
int
edit_parse(struct ly_ctx *ctx, const char *xml, struct lyd_node **edit,
    struct edit_error *err)
{
	const struct ly_err_item *e;
	LY_VECODE vecode;
	LY_ERR rc;

	if (err != NULL) {
		err->tag = NULL;
		err->path[0] = err->msg[0] = '\0';
	}
	if (edit == NULL)
		return edit_fail(err, "operation-failed", NULL, "no edit");
	*edit = NULL;
	if (ctx == NULL || xml == NULL)
		return edit_fail(err, "operation-failed", NULL, "no context "
		    "or no XML");
	ly_err_clean(ctx, NULL);
	rc = lyd_parse_data_mem(ctx, xml, LYD_XML, LYD_PARSE_ONLY |
	    LYD_PARSE_NO_STATE | LYD_PARSE_STRICT, 0, edit);
	if (rc == LY_SUCCESS)
		return 0;
	lyd_free_siblings(*edit);
	*edit = NULL;
	e = ly_err_last(ctx);
	edit_fail(err, parse_tag(xml, e), NULL, "%s",
	    e != NULL && e->msg != NULL ? e->msg : "cannot parse <config>");
	if (err != NULL && e != NULL)
		parse_errpath(e->path, err->path, sizeof(err->path));
	vecode = e != NULL ? e->vecode : LYVE_OTHER;
	ly_err_clean(ctx, NULL);
	/* A deleted leaf may come without a valid value: parse again. */
	if (vecode != LYVE_DATA)
		goto fail;
	if (lyd_parse_data_mem(ctx, xml, LYD_XML, LYD_PARSE_ONLY |
	    LYD_PARSE_NO_STATE | LYD_PARSE_OPAQ, 0, edit) != LY_SUCCESS ||
	    !opaq_deletes_only(*edit))
		goto fail;
	if (err != NULL) {
		err->tag = NULL;
		err->path[0] = err->msg[0] = '\0';
	}
	return 0;

fail:
	ly_err_clean(ctx, NULL);
	lyd_free_siblings(*edit);
	*edit = NULL;
	return -1;
}
