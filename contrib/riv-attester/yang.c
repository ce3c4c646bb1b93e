/*
 * yang.c — riv-attester's one libyang context (every module loaded at start
 * from the project's yang/ directory, read-only afterwards) and the
 * operational data it serves and validates RPCs against: /sn:streams and
 * /tpm:rats-support-structures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "attester.h"
#include "nonce.h"

static const char *const stream_names[STREAM_COUNT] = {
	"pcr-trust-evidence",
	"bios-log",
	"ima-log",
};

/* One module to load and the features it needs. */
struct yang_module {
	const char	*name;
	const char	*features[8];
};

static const struct yang_module yang_modules[] = {
	{ "ietf-netconf", { "writable-running", "xpath", NULL } },
	{ "ietf-netconf-monitoring", { NULL } },
	{ "ietf-tcg-algs", { "tpm20", NULL } },
	{ "ietf-tpm-remote-attestation", { "bios", "ima", NULL } },
	{ "ietf-subscribed-notifications", { "configured", "replay",
	    "subtree", "xpath", "encode-xml", "encode-json", NULL } },
	{ "riv-attestation-streams", { NULL } },
	{ "riv-attester-deviations", { NULL } },
};

/* Return the name of a stream. */
const char *
stream_name(enum att_stream s)
{
	return s < STREAM_COUNT ? stream_names[s] : "?";
}

/* Return the stream called name, or -1. */
int
stream_by_name(const char *name)
{
	int i;

	for (i = 0; i < STREAM_COUNT; i++)
		if (strcmp(stream_names[i], name) == 0)
			return i;
	return -1;
}

/* Send libyang's messages to the attester's log. */
static void
yang_log(LY_LOG_LEVEL level, const char *msg, const char *path)
{
	if (level == LY_LLERR)
		log_debug("libyang: %s%s%s", msg, path ? " at " : "",
		    path ? path : "");
}

/*
 * Create the context from the modules in dir (several directories separated
 * by ':').  Return 0, or -1 with err set.
 */
int
yang_init(const char *dir, struct riv_err *err)
{
	const struct yang_module *m;
	size_t i;

	ly_set_log_clb(yang_log, 1);
	if (ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, &att.ctx) !=
	    LY_SUCCESS)
		return err_set(err, -1, "yang: cannot create a context on %s",
		    dir);
	for (i = 0; i < sizeof(yang_modules) / sizeof(yang_modules[0]); i++) {
		m = &yang_modules[i];
		if (ly_ctx_load_module(att.ctx, m->name, NULL,
		    m->features[0] ? (const char **)m->features : NULL) ==
		    NULL) {
			err_set(err, -1, "yang: cannot load module %s from %s:"
			    " %s", m->name, dir, ly_errmsg(att.ctx));
			ly_ctx_destroy(att.ctx);
			att.ctx = NULL;
			return -1;
		}
	}
	return yang_update_oper();
}

/* Free the context and the operational data. */
void
yang_free(void)
{
	lyd_free_all(att.oper);
	att.oper = NULL;
	ly_ctx_destroy(att.ctx);
	att.ctx = NULL;
}

/* Add path = value to tree; 0 or -1. */
static int
oper_set(struct lyd_node **tree, const char *path, const char *value)
{
	return lyd_new_path(*tree, att.ctx, path, value, 0,
	    *tree == NULL ? tree : NULL) == LY_SUCCESS ? 0 : -1;
}

/* Describe the streams in tree. */
static int
oper_streams(struct lyd_node **tree)
{
	char path[256], *boot = NULL;
	int s, rc = 0;

	if (ly_time_ts2str(&att.start_time, &boot) != LY_SUCCESS)
		return -1;
	for (s = 0; s < STREAM_COUNT && rc == 0; s++) {
		snprintf(path, sizeof(path), "/ietf-subscribed-notifications:"
		    "streams/stream[name='%s']/description", stream_names[s]);
		rc = oper_set(tree, path, s == STREAM_PCR ?
		    "TPM quotes of the subscribed PCRs (rivd)" : s ==
		    STREAM_BIOS ? "Measured-boot log entries with quotes (rivd)"
		    : "IMA measurement list entries with quotes (rivd)");
		if (rc != 0 || s == STREAM_PCR)
			continue;
		snprintf(path, sizeof(path), "/ietf-subscribed-notifications:"
		    "streams/stream[name='%s']/replay-support",
		    stream_names[s]);
		rc = oper_set(tree, path, NULL);
		snprintf(path, sizeof(path), "/ietf-subscribed-notifications:"
		    "streams/stream[name='%s']/replay-log-creation-time",
		    stream_names[s]);
		if (rc == 0)
			rc = oper_set(tree, path, boot);
	}
	free(boot);
	return rc;
}

/* Describe one TPM under /tpm:rats-support-structures in tree. */
static int
oper_tpm(struct lyd_node **tree, const struct att_tpm *t)
{
	char base[128], path[384], num[4];
	int b, p, rc = 0;

	snprintf(base, sizeof(base), "/ietf-tpm-remote-attestation:"
	    "rats-support-structures/tpms/tpm[name='%s']", t->name);
	snprintf(path, sizeof(path), "%s/hardware-based", base);
	rc |= oper_set(tree, path, strncmp(t->tcti, "device", 6) == 0 ?
	    "true" : "false");
	snprintf(path, sizeof(path), "%s/firmware-version", base);
	rc |= oper_set(tree, path, "ietf-tcg-algs:tpm20");
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(t->banks & (1u << b)))
			continue;
		snprintf(path, sizeof(path), "%s/tpm20-pcr-bank"
		    "[tpm20-hash-algo='ietf-tcg-algs:%s']/pcr-index", base,
		    tcgalg_name(b));
		for (p = 0; p < PCR_COUNT; p++) {
			snprintf(num, sizeof(num), "%d", p);
			rc |= oper_set(tree, path, num);
		}
	}
	snprintf(path, sizeof(path), "%s/status", base);
	rc |= oper_set(tree, path, t->present && !t->failed ? "operational" :
	    "non-operational");
	snprintf(path, sizeof(path), "%s/certificates/certificate[name='%s']"
	    "/type", base, t->cert);
	rc |= oper_set(tree, path, "initial-attestation-certificate");
	return rc == 0 ? 0 : -1;
}

/*
 * Rebuild the operational data (after a start, switchover, card change).
 * Return 0 or -1.
 */
int
yang_update_oper(void)
{
	struct lyd_node *tree = NULL;
	size_t i;
	int b, rc;

	rc = oper_streams(&tree);
	for (i = 0; i < att.ntpms && rc == 0; i++)
		rc = oper_tpm(&tree, &att.tpms[i]);
	for (b = 0; b < BANK_COUNT && rc == 0; b++) {
		char val[64];

		if (b == BANK_SM3_256)
			continue;
		snprintf(val, sizeof(val), "ietf-tcg-algs:%s", tcgalg_name(b));
		rc = oper_set(&tree, "/ietf-tpm-remote-attestation:"
		    "rats-support-structures/attester-supported-algos/"
		    "tpm20-hash", val);
	}
	if (rc == 0)
		rc = oper_set(&tree, "/ietf-tpm-remote-attestation:"
		    "rats-support-structures/attester-supported-algos/"
		    "tpm20-asymmetric-signing", att.ak_alg == TPM_AK_RSA ?
		    "ietf-tcg-algs:TPM_ALG_RSA" : "ietf-tcg-algs:TPM_ALG_ECC");
	if (rc != 0) {
		log_warnx("yang: cannot build operational data: %s",
		    ly_errmsg(att.ctx));
		lyd_free_all(tree);
		return -1;
	}
	lyd_free_all(att.oper);
	att.oper = tree;
	return 0;
}

/*
 * The YANG library (RFC 8525, and the deprecated RFC 7895 modules-state)
 * of the context, added to tree, the data of a <get>: the hello's
 * yang-library capability promises it, and it is where the YANG 1.1
 * modules are announced (RFC 7950 5.6.4).  Its content-id is the
 * context's change count, as in libnetconf2's hello.  Return 0 or -1.
 */
int
yang_library(struct lyd_node **tree)
{
	struct lyd_node *lib = NULL;

	if (ly_ctx_get_yanglib_data(att.ctx, &lib, "%u",
	    ly_ctx_get_change_count(att.ctx)) != LY_SUCCESS)
		return -1;
	if (lyd_merge_siblings(tree, lib, LYD_MERGE_DESTRUCT) != LY_SUCCESS) {
		lyd_free_all(lib);
		return -1;
	}
	return 0;
}

/*
 * Filtering (RFC 6241 6 and 8.9).  The selected nodes of a data tree are
 * marked in their priv pointer, then everything unmarked is freed:
 * FILTER_ALL keeps a node with all its descendants, FILTER_KEEP keeps a
 * node (and a list entry's keys) for the sake of selected descendants.
 */
#define FILTER_KEEP	((uintptr_t)1)
#define FILTER_ALL	((uintptr_t)2)

/* Subtree matching of one sibling set. */
#define MATCH_NONE	0	/* the parent is not selected */
#define MATCH_SOME	1	/* the parent is selected for descendants */
#define MATCH_ALL	2	/* the parent is selected with all below */

/* Mark n with flag. */
static void
filter_mark(struct lyd_node *n, uintptr_t flag)
{
	n->priv = (void *)((uintptr_t)n->priv | flag);
}

/*
 * Keep n for a selected descendant: n and its ancestors, with the keys of
 * every list entry among them.
 */
static void
filter_keep(struct lyd_node *n)
{
	struct lyd_node *k;

	for (; n != NULL; n = lyd_parent(n)) {
		filter_mark(n, FILTER_KEEP);
		if (n->schema == NULL || n->schema->nodetype != LYS_LIST)
			continue;
		LY_LIST_FOR(lyd_child(n), k)
			if (k->schema != NULL && lysc_is_key(k->schema))
				filter_mark(k, FILTER_ALL);
	}
}

/* Free every node of the siblings from first that is not marked; return
 * the new first sibling. */
static struct lyd_node *
filter_prune(struct lyd_node *first)
{
	struct lyd_node *n, *next;
	uintptr_t m;

	for (n = first; n != NULL; n = next) {
		next = n->next;
		m = (uintptr_t)n->priv;
		if (m & FILTER_ALL)
			continue;
		if (m & FILTER_KEEP) {
			filter_prune(lyd_child(n));
			continue;
		}
		if (n == first)
			first = next;
		lyd_free_tree(n);
	}
	return first;
}

/* The name and namespace of a filter or data node. */
static void
filter_name(const struct lyd_node *n, const char **name, const char **ns)
{
	const struct lyd_node_opaq *o;

	if (n->schema != NULL) {
		*name = n->schema->name;
		*ns = n->schema->module->ns;
	} else {
		o = (const struct lyd_node_opaq *)n;
		*name = o->name.name;
		*ns = o->format == LY_VALUE_XML ? o->name.module_ns : NULL;
	}
}

/*
 * Whether filter node f names data node d: the same name, and the same
 * namespace unless f has none (RFC 6241 6.2.2).
 */
static int
filter_names(const struct lyd_node *f, const struct lyd_node *d)
{
	const char *fname, *fns, *dname, *dns;

	filter_name(f, &fname, &fns);
	filter_name(d, &dname, &dns);
	return strcmp(fname, dname) == 0 && (fns == NULL || *fns == '\0' ||
	    (dns != NULL && strcmp(fns, dns) == 0));
}

/*
 * The text of a content match node f (a leaf with text, RFC 6241 6.2.5)
 * without surrounding white space: its start, length in *len; NULL if f
 * is no content match node.
 */
static const char *
filter_content(const struct lyd_node *f, size_t *len)
{
	const char *v;
	size_t n;

	if (lyd_child(f) != NULL)
		return NULL;
	if (f->schema == NULL)
		v = ((const struct lyd_node_opaq *)f)->value;
	else if (f->schema->nodetype & LYD_NODE_TERM)
		v = lyd_get_value(f);
	else
		return NULL;
	if (v == NULL)
		return NULL;
	v += strspn(v, " \t\r\n");
	for (n = strlen(v); n > 0 && strchr(" \t\r\n", v[n - 1]) != NULL; n--)
		;
	*len = n;
	return n == 0 ? NULL : v;
}

/* Whether data node d is a leaf or leaf-list instance of value v. */
static int
filter_equal(const struct lyd_node *d, const char *v, size_t len)
{
	const char *dv;

	if (d->schema == NULL || !(d->schema->nodetype & LYD_NODE_TERM) ||
	    (dv = lyd_get_value(d)) == NULL)
		return 0;
	return strlen(dv) == len && memcmp(dv, v, len) == 0;
}

/*
 * Match the filter siblings from fs against the data siblings from ds
 * (the children of one node, or the top level when top is set) and mark
 * what they select (RFC 6241 6.2.5): every content match node must match
 * a sibling, else nothing is selected; with content match nodes only,
 * the whole parent is; selection nodes select their nodes whole;
 * containment nodes select what their children select below.
 */
static int
filter_subtree(const struct lyd_node *fs, struct lyd_node *ds, int top)
{
	const struct lyd_node *f;
	struct lyd_node *d;
	const char *v;
	size_t len;
	int content = 0, other = 0, any = 0, r;

	LY_LIST_FOR(fs, f) {
		if ((v = filter_content(f, &len)) == NULL) {
			other = 1;
			continue;
		}
		content = 1;
		LY_LIST_FOR(ds, d)
			if (filter_names(f, d) && filter_equal(d, v, len))
				break;
		if (d == NULL)
			return MATCH_NONE;
	}
	if (content && !other && !top)
		return MATCH_ALL;
	LY_LIST_FOR(fs, f) {
		v = filter_content(f, &len);
		LY_LIST_FOR(ds, d) {
			if (!filter_names(f, d))
				continue;
			if (v != NULL)
				r = filter_equal(d, v, len) ? MATCH_ALL :
				    MATCH_NONE;
			else if (lyd_child(f) == NULL)
				r = MATCH_ALL;	/* selection node */
			else if (d->schema != NULL && (d->schema->nodetype &
			    (LYS_CONTAINER | LYS_LIST)))
				r = filter_subtree(lyd_child(f), lyd_child(d),
				    0);
			else
				r = MATCH_NONE;
			if (r == MATCH_ALL)
				filter_mark(d, FILTER_ALL);
			else if (r == MATCH_SOME)
				filter_keep(d);
			any |= r != MATCH_NONE;
		}
	}
	return any ? MATCH_SOME : MATCH_NONE;
}

/* Clear the marks of the data siblings from first and below. */
static void
filter_clear(struct lyd_node *first)
{
	struct lyd_node *top, *n;

	LY_LIST_FOR(first, top) {
		LYD_TREE_DFS_BEGIN(top, n) {
			n->priv = NULL;
			LYD_TREE_DFS_END(top, n);
		}
	}
}

/*
 * Apply the <filter> of rpc, a <get> or <get-config>, to *data (RFC 6241
 * 7.1, 7.7): subtree filters (6) and XPath filters (8.9, the :xpath
 * capability; libyang has already turned the prefixes of 'select' into
 * module names).  Without a filter *data stays whole; an empty subtree
 * filter selects nothing.  NULL, or the error reply.
 */
struct nc_server_reply *
yang_filter(const struct lyd_node *rpc, struct lyd_node **data)
{
	const struct lyd_node_any *any;
	struct lyd_node *f, *e;
	struct lyd_meta *type, *sel;
	struct ly_set *set = NULL;
	uint32_t i;

	if (lyd_find_path(rpc, "filter", 0, &f) != LY_SUCCESS)
		return NULL;
	type = lyd_find_meta(f->meta, NULL, "ietf-netconf:type");
	filter_clear(*data);
	if (type != NULL && strcmp(lyd_get_meta_value(type), "xpath") == 0) {
		if ((sel = lyd_find_meta(f->meta, NULL,
		    "ietf-netconf:select")) == NULL) {
			e = nc_err(att.ctx, NC_ERR_MISSING_ATTR,
			    NC_ERR_TYPE_PROT, "select", "filter");
			return e == NULL ? NULL : nc_server_reply_err(e);
		}
		if (*data != NULL && lyd_find_xpath3(NULL, *data,
		    lyd_get_meta_value(sel), NULL, &set) != LY_SUCCESS)
			return reply_error(NC_ERR_INVALID_VALUE, NULL, NULL,
			    "filter select \"%s\": %s",
			    lyd_get_meta_value(sel), ly_errmsg(att.ctx));
		for (i = 0; set != NULL && i < set->count; i++) {
			filter_mark(set->dnodes[i], FILTER_ALL);
			filter_keep(set->dnodes[i]);
		}
		ly_set_free(set, NULL);
	} else {
		any = (const struct lyd_node_any *)f;
		if (any->value_type != LYD_ANYDATA_DATATREE &&
		    any->value.str != NULL)
			return reply_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
			    "subtree filter not understood");
		if (any->value_type == LYD_ANYDATA_DATATREE)
			filter_subtree(any->value.tree, *data, 1);
	}
	*data = filter_prune(*data);
	return NULL;
}
