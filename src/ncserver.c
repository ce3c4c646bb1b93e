/*
 * ncserver.c — helpers shared by the project's NETCONF servers (rivd's
 * management server, riv-attester): error replies, data replies through
 * the filters of <get> and <get-config>, cert-to-name fingerprints and
 * authorized_keys files.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <libyang/libyang.h>
#include <nc_server.h>

#include "ncserver.h"

static struct ly_ctx *ncs_ctx;

/*
 * Answer <get-schema> (RFC 6022): the module or submodule named, in YANG
 * or YIN.  (libnetconf2 2.0.24's own answer hands libyang 2.1.30 a string
 * it then frees twice: a garbled reply, then a crash.)
 */
static struct nc_server_reply *
ncs_get_schema(struct lyd_node *rpc, struct nc_session *session)
{
	const struct lys_module *mod;
	const struct lysp_submodule *sub = NULL;
	struct lyd_node *out = NULL, *n;
	const char *id, *rev = NULL;
	LYS_OUTFORMAT fmt = LYS_OUT_YANG;
	struct ly_out *o = NULL;
	char *text = NULL;
	LY_ERR rc;

	(void)session;
	if (lyd_find_path(rpc, "identifier", 0, &n) != LY_SUCCESS)
		return ncs_error(NC_ERR_MISSING_ELEM, NULL, "identifier",
		    "no identifier");
	id = lyd_get_value(n);
	if (lyd_find_path(rpc, "version", 0, &n) == LY_SUCCESS &&
	    *lyd_get_value(n) != '\0')
		rev = lyd_get_value(n);
	if (lyd_find_path(rpc, "format", 0, &n) == LY_SUCCESS &&
	    strstr(lyd_get_value(n), "yin") != NULL)
		fmt = LYS_OUT_YIN;
	mod = rev != NULL ? ly_ctx_get_module(ncs_ctx, id, rev) :
	    ly_ctx_get_module_latest(ncs_ctx, id);
	if (mod == NULL)
		sub = rev != NULL ? ly_ctx_get_submodule(ncs_ctx, id, rev) :
		    ly_ctx_get_submodule_latest(ncs_ctx, id);
	if (mod == NULL && sub == NULL)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL, "no module "
		    "%s%s%s here", id, rev ? "@" : "", rev ? rev : "");
	if (mod != NULL)
		rc = lys_print_mem(&text, mod, fmt, 0);
	else if ((rc = ly_out_new_memory(&text, 0, &o)) == LY_SUCCESS) {
		rc = lys_print_submodule(o, sub, fmt, 0, 0);
		ly_out_free(o, NULL, 0);
	}
	if (rc != LY_SUCCESS || lyd_dup_single(rpc, NULL, 0, &out) !=
	    LY_SUCCESS || lyd_new_any(out, NULL, "data", text, 0,
	    LYD_ANYDATA_STRING, 1, NULL) != LY_SUCCESS) {
		free(text);
		lyd_free_all(out);
		return ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "cannot print "
		    "%s", id);
	}
	free(text);
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/*
 * Record the server's libyang context (after nc_server_init) and answer
 * <get-schema> here instead of in libnetconf2.
 */
void
ncs_init(struct ly_ctx *ctx)
{
	struct lysc_node *n;

	ncs_ctx = ctx;
	n = (struct lysc_node *)lys_find_path(ctx, NULL,
	    "/ietf-netconf-monitoring:get-schema", 0);
	if (n != NULL)
		n->priv = ncs_get_schema;
}

/*
 * Add the YANG library (RFC 8525 and the deprecated RFC 7895 data) of
 * the server's context to *tree.  0 or -1.
 */
int
ncs_yang_library(struct lyd_node **tree)
{
	struct lyd_node *lib = NULL;

	if (ly_ctx_get_yanglib_data(ncs_ctx, &lib, "%u",
	    ly_ctx_get_change_count(ncs_ctx)) != LY_SUCCESS)
		return -1;
	if (lyd_merge_siblings(tree, lib, LYD_MERGE_DESTRUCT) != LY_SUCCESS) {
		lyd_free_all(lib);
		return -1;
	}
	return 0;
}

/* The element name at the end of a data path ("" if none). */
static const char *
path_element(const char *path)
{
	const char *p;

	if (path == NULL)
		return "";
	if ((p = strrchr(path, '/')) != NULL)
		path = p + 1;
	if ((p = strchr(path, ':')) != NULL)
		path = p + 1;
	return path;
}

/*
 * An rpc-error reply: tag, optional error-app-tag, message and path.
 */
struct nc_server_reply *
ncs_error(NC_ERR tag, const char *app_tag, const char *path,
    const char *fmt, ...)
{
	struct lyd_node *e;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tag == NC_ERR_IN_USE || tag == NC_ERR_INVALID_VALUE ||
	    tag == NC_ERR_TOO_BIG || tag == NC_ERR_OP_NOT_SUPPORTED ||
	    tag == NC_ERR_OP_FAILED || tag == NC_ERR_RES_DENIED ||
	    tag == NC_ERR_ROLLBACK_FAILED || tag == NC_ERR_DATA_EXISTS ||
	    tag == NC_ERR_DATA_MISSING || tag == NC_ERR_ACCESS_DENIED)
		e = nc_err(ncs_ctx, tag, NC_ERR_TYPE_APP);
	else if (tag == NC_ERR_MISSING_ELEM || tag == NC_ERR_BAD_ELEM ||
	    tag == NC_ERR_UNKNOWN_ELEM)
		e = nc_err(ncs_ctx, tag, NC_ERR_TYPE_APP, path_element(path));
	else if (tag == NC_ERR_BAD_ATTR || tag == NC_ERR_UNKNOWN_ATTR ||
	    tag == NC_ERR_MISSING_ATTR)
		e = nc_err(ncs_ctx, tag, NC_ERR_TYPE_APP, "operation",
		    path_element(path));
	else
		e = nc_err(ncs_ctx, NC_ERR_OP_FAILED, NC_ERR_TYPE_APP);
	if (e == NULL)
		return NULL;
	if (app_tag != NULL)
		nc_err_set_app_tag(e, app_tag);
	if (path != NULL)
		nc_err_set_path(e, path);
	nc_err_set_msg(e, msg, "en");
	return nc_server_reply_err(e);
}

/*
 * An RFC 8639 error: tag, the reason identity (module-qualified, also the
 * error-app-tag) in the error-info structure info (e.g.
 * "establish-subscription-stream-error-info") and a message.
 */
struct nc_server_reply *
ncs_sn_error(NC_ERR tag, const char *info, const char *reason,
    const char *hint, const char *msg)
{
	const struct lys_module *mod;
	const struct lysc_ext_instance *ext = NULL;
	struct nc_server_reply *r;
	struct lyd_node *node = NULL;
	LY_ARRAY_COUNT_TYPE i;
	char path[160];

	if ((r = ncs_error(tag, reason, NULL, "%s", msg)) == NULL)
		return NULL;
	mod = ly_ctx_get_module_implemented(ncs_ctx,
	    "ietf-subscribed-notifications");
	if (mod == NULL || mod->compiled == NULL)
		return r;
	LY_ARRAY_FOR(mod->compiled->exts, i) {
		if (mod->compiled->exts[i].argument != NULL &&
		    strcmp(mod->compiled->exts[i].argument, info) == 0) {
			ext = &mod->compiled->exts[i];
			break;
		}
	}
	if (ext == NULL)
		return r;
	snprintf(path, sizeof(path), "/ietf-subscribed-notifications:%s/"
	    "reason", info);
	if (lyd_new_ext_path(NULL, ext, path, reason, 0, &node) !=
	    LY_SUCCESS)
		return r;
	if (hint != NULL) {
		snprintf(path, sizeof(path), "/ietf-subscribed-notifications:"
		    "%s/filter-failure-hint", info);
		lyd_new_ext_path(node, ext, path, hint, 0, NULL);
	}
	nc_err_add_info_other((struct lyd_node *)
	    nc_server_reply_get_last_err(r), node);
	return r;
}

/*
 * Write the cert-to-name fingerprint of the PEM certificate in path
 * ("04:" then its SHA-256, colon-separated hex) into fp.
 */
int
ncs_fingerprint(const char *path, char *fp, size_t cap, struct riv_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len, i;
	X509 *x = NULL;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return err_set(err, -1, "%s: cannot open", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return err_set(err, -1, "%s: not a PEM certificate", path);
	if (X509_digest(x, EVP_sha256(), md, &len) != 1 || cap < 3 + 3 * len) {
		X509_free(x);
		return err_set(err, -1, "%s: cannot hash", path);
	}
	X509_free(x);
	snprintf(fp, cap, "04");
	for (i = 0; i < len; i++)
		snprintf(fp + 2 + 3 * i, cap - 2 - 3 * i, ":%02x", md[i]);
	return 0;
}

/*
 * The error reply for libyang's last error in the server's context:
 * missing-element for a missing mandatory node, else invalid-value, with
 * the data path libyang named.
 */
struct nc_server_reply *
ncs_libyang_error(void)
{
	const char *path, *msg, *q;
	char node[512];
	size_t n;

	msg = ly_errmsg(ncs_ctx);
	path = ly_errpath(ncs_ctx);
	/* libyang says: Data location "/path". */
	if (path != NULL && (q = strchr(path, '"')) != NULL &&
	    (n = strcspn(q + 1, "\"")) < sizeof(node)) {
		memcpy(node, q + 1, n);
		node[n] = '\0';
		path = node;
	}
	if (msg != NULL && strncmp(msg, "Mandatory node", 14) == 0)
		return ncs_error(NC_ERR_MISSING_ELEM, NULL, path, "%s", msg);
	return ncs_error(NC_ERR_INVALID_VALUE, NULL, path, "%s",
	    msg ? msg : "invalid");
}

/*
 * Validate rpc against the schema and the operational data oper (may be
 * NULL).  NULL if valid, else the error reply naming the node.
 */
struct nc_server_reply *
ncs_validate(struct lyd_node *rpc, const struct lyd_node *oper)
{
	if (lyd_validate_op(rpc, oper, LYD_TYPE_RPC_YANG, NULL) == LY_SUCCESS)
		return NULL;
	return ncs_libyang_error();
}

/*
 * The reply to rpc, a <get> or <get-config>, with data (freed) through
 * the rpc's filter.
 */
struct nc_server_reply *
ncs_reply_data(struct lyd_node *rpc, struct lyd_node *data)
{
	struct nc_server_reply *r;
	struct lyd_node *out = NULL;

	if ((r = ncs_filter(rpc, &data)) != NULL) {
		lyd_free_all(data);
		return r;
	}
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_any(out, NULL, "data", data, 1, LYD_ANYDATA_DATATREE, 1,
	    NULL) != LY_SUCCESS) {
		lyd_free_all(out);
		lyd_free_all(data);
		return NULL;
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
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
ncs_filter(const struct lyd_node *rpc, struct lyd_node **data)
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
			e = nc_err(ncs_ctx, NC_ERR_MISSING_ATTR,
			    NC_ERR_TYPE_PROT, "select", "filter");
			return e == NULL ? NULL : nc_server_reply_err(e);
		}
		if (*data != NULL && lyd_find_xpath3(NULL, *data,
		    lyd_get_meta_value(sel), NULL, &set) != LY_SUCCESS)
			return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
			    "filter select \"%s\": %s",
			    lyd_get_meta_value(sel), ly_errmsg(ncs_ctx));
		for (i = 0; set != NULL && i < set->count; i++) {
			filter_mark(set->dnodes[i], FILTER_ALL);
			filter_keep(set->dnodes[i]);
		}
		ly_set_free(set, NULL);
	} else {
		any = (const struct lyd_node_any *)f;
		if (any->value_type != LYD_ANYDATA_DATATREE &&
		    any->value.str != NULL)
			return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
			    "subtree filter not understood");
		if (any->value_type == LYD_ANYDATA_DATATREE)
			filter_subtree(any->value.tree, *data, 1);
	}
	*data = filter_prune(*data);
	return NULL;
}

/* Free the keys. */
void
ncs_keys_free(struct ncs_keys *k)
{
	while (k->n > 0)
		ssh_key_free(k->keys[--k->n]);
}

/*
 * Load the keys of an OpenSSH authorized_keys file (TYPE BASE64 [COMMENT]
 * lines, no options) into k.  0, or -1 naming the file and line.
 */
int
ncs_keys_load(const char *path, struct ncs_keys *k, struct riv_err *err)
{
	char line[16384], *type, *b64, *save;
	enum ssh_keytypes_e kt;
	ssh_key key;
	int lineno = 0;
	FILE *f;

	k->n = 0;
	if ((f = fopen(path, "r")) == NULL)
		return err_set(err, -1, "%s: cannot open", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((type = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    *type == '#')
			continue;
		b64 = strtok_r(NULL, " \t\r\n", &save);
		kt = ssh_key_type_from_name(type);
		key = NULL;
		if (b64 == NULL || kt == SSH_KEYTYPE_UNKNOWN ||
		    ssh_pki_import_pubkey_base64(b64, kt, &key) != SSH_OK ||
		    k->n == NCS_AUTHKEYS_MAX) {
			ssh_key_free(key);
			fclose(f);
			ncs_keys_free(k);
			return err_set(err, -1, "%s:%d: not a public key line "
			    "(TYPE BASE64 [COMMENT]; options are not "
			    "supported) or too many keys", path, lineno);
		}
		k->keys[k->n++] = key;
	}
	fclose(f);
	if (k->n == 0)
		return err_set(err, -1, "%s: no keys", path);
	return 0;
}

/* Tell whether key is one of k. */
int
ncs_keys_match(const struct ncs_keys *k, ssh_key key)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (ssh_key_cmp(key, k->keys[i], SSH_KEY_CMP_PUBLIC) == 0)
			return 1;
	return 0;
}

/* The files of the listeners (libnetconf2 asks for them by callback). */
static char *ncs_tls_cert, *ncs_tls_key, *ncs_tls_ca, *ncs_ssh_key;

/* libnetconf2 asks for the TLS certificate and key. */
static int
ncs_tls_cert_clb(const char *name, void *arg, char **cert_path,
    char **cert_data, char **key_path, char **key_data,
    NC_SSH_KEY_TYPE *key_type)
{
	(void)name; (void)arg;
	*cert_path = strdup(ncs_tls_cert);
	*key_path = strdup(ncs_tls_key);
	*cert_data = *key_data = NULL;
	*key_type = NC_SSH_KEY_UNKNOWN;
	return *cert_path == NULL || *key_path == NULL ? 1 : 0;
}

/* libnetconf2 asks for the CA client certificates must chain to. */
static int
ncs_tls_ca_clb(const char *name, void *arg, char ***paths, int *npaths,
    char ***data, int *ndata)
{
	(void)name; (void)arg;
	*data = NULL;
	*ndata = 0;
	*npaths = 0;
	if ((*paths = calloc(1, sizeof(**paths))) == NULL)
		return 1;
	if (((*paths)[0] = strdup(ncs_tls_ca)) == NULL) {
		free(*paths);
		*paths = NULL;
		return 1;
	}
	*npaths = 1;
	return 0;
}

/* libnetconf2 asks for the SSH host key. */
static int
ncs_ssh_hostkey_clb(const char *name, void *arg, char **key_path,
    char **key_data, NC_SSH_KEY_TYPE *key_type)
{
	(void)name; (void)arg;
	*key_path = strdup(ncs_ssh_key);
	*key_data = NULL;
	*key_type = NC_SSH_KEY_UNKNOWN;
	return *key_path == NULL ? 1 : 0;
}

/*
 * Listen for NETCONF over TLS (RFC 7589) on addr, port with certificate
 * cert and key; client certificates must chain to the first certificate
 * of ca, and their common name is the user name.  0 or -1.
 */
int
ncs_listen_tls(const char *addr, uint16_t port, const char *cert,
    const char *key, const char *ca, struct riv_err *err)
{
	char fp[128];

	if (access(cert, R_OK) != 0 || access(key, R_OK) != 0)
		return err_set(err, -1, "cannot read %s or %s", cert, key);
	if (ncs_fingerprint(ca, fp, sizeof(fp), err) != 0)
		return -1;
	free(ncs_tls_cert);
	free(ncs_tls_key);
	free(ncs_tls_ca);
	if ((ncs_tls_cert = strdup(cert)) == NULL ||
	    (ncs_tls_key = strdup(key)) == NULL ||
	    (ncs_tls_ca = strdup(ca)) == NULL)
		return err_set(err, -1, "out of memory");
	nc_server_tls_set_server_cert_clb(ncs_tls_cert_clb, NULL, NULL);
	nc_server_tls_set_trusted_cert_list_clb(ncs_tls_ca_clb, NULL, NULL);
	if (nc_server_add_endpt("tls", NC_TI_OPENSSL) != 0 ||
	    nc_server_endpt_set_address("tls", addr) != 0 ||
	    nc_server_endpt_set_port("tls", port) != 0 ||
	    nc_server_tls_endpt_set_server_cert("tls", "server") != 0 ||
	    nc_server_tls_endpt_add_trusted_cert_list("tls", "ca") != 0 ||
	    nc_server_tls_endpt_add_ctn("tls", 1, fp, NC_TLS_CTN_COMMON_NAME,
	    NULL) != 0)
		return err_set(err, -1, "cannot listen for TLS on %s port %u",
		    addr, port);
	return 0;
}

/*
 * Listen for NETCONF over SSH (RFC 6242) on addr, port with host key
 * hostkey; pubkey decides which public keys log which user in.  0 or -1.
 */
int
ncs_listen_ssh(const char *addr, uint16_t port, const char *hostkey,
    int (*pubkey)(const struct nc_session *, ssh_key, void *),
    struct riv_err *err)
{
	if (access(hostkey, R_OK) != 0)
		return err_set(err, -1, "cannot read %s", hostkey);
	free(ncs_ssh_key);
	if ((ncs_ssh_key = strdup(hostkey)) == NULL)
		return err_set(err, -1, "out of memory");
	nc_server_ssh_set_hostkey_clb(ncs_ssh_hostkey_clb, NULL, NULL);
	nc_server_ssh_set_pubkey_auth_clb(pubkey, NULL, NULL);
	if (nc_server_add_endpt("ssh", NC_TI_LIBSSH) != 0 ||
	    nc_server_endpt_set_address("ssh", addr) != 0 ||
	    nc_server_endpt_set_port("ssh", port) != 0 ||
	    nc_server_ssh_endpt_add_hostkey("ssh", "hostkey", -1) != 0 ||
	    nc_server_ssh_endpt_set_auth_methods("ssh",
	    NC_SSH_AUTH_PUBLICKEY) != 0)
		return err_set(err, -1, "cannot listen for SSH on %s port %u",
		    addr, port);
	return 0;
}

/* Forget the listeners' files (after nc_server_destroy). */
void
ncs_free(void)
{
	free(ncs_tls_cert);
	free(ncs_tls_key);
	free(ncs_tls_ca);
	free(ncs_ssh_key);
	ncs_tls_cert = ncs_tls_key = ncs_tls_ca = ncs_ssh_key = NULL;
}

/* Tell whether the peer of socket fd is host (text form) port port. */
static int
peer_is(int fd, const char *host, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		if (ntohs(sin->sin_port) != port || inet_ntop(AF_INET,
		    &sin->sin_addr, addr, sizeof(addr)) == NULL)
			return 0;
	} else if (ss.ss_family == AF_INET6) {
		if (ntohs(sin6->sin6_port) != port || inet_ntop(AF_INET6,
		    &sin6->sin6_addr, addr, sizeof(addr)) == NULL)
			return 0;
	} else
		return 0;
	if (strncmp(host, "::ffff:", 7) == 0 && strchr(addr, ':') == NULL)
		host += 7;
	return strcmp(addr, host) == 0;
}

/*
 * Find the socket of a session accepted by libnetconf2, which does not
 * tell it (2.0.24): the TCP socket whose peer is the session's host and
 * port, looked up among the open descriptors.  Return it or -1.
 */
int
ncs_session_socket(const struct nc_session *s)
{
	const char *host = nc_session_get_host(s);
	uint16_t port = nc_session_get_port(s);
	struct dirent *de;
	DIR *d;
	int fd, found = -1;

	if (host == NULL || (d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while (found == -1 && (de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		if (fd > 2 && fd != dirfd(d) && peer_is(fd, host, port))
			found = fd;
	}
	closedir(d);
	return found;
}

/*
 * A guard on a blocking write: libnetconf2 2.0.24 writes a message until
 * it is all out, without a deadline, so a peer that does not read would
 * hold the writing thread for ever.  While a guard is set, a watchdog
 * thread shuts the socket down when the deadline passes: the write then
 * fails and the session ends.
 */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	pthread_t	 thread;
	int		 running;
	int		 quit;
	int		 fd;		/* -1: no guard */
	struct timespec	 deadline;	/* CLOCK_REALTIME */
} wd = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, -1,
    { 0, 0 } };

/* The watchdog thread. */
static void *
watchdog_run(void *arg)
{
	struct timespec now;

	(void)arg;
	pthread_mutex_lock(&wd.lock);
	while (!wd.quit) {
		if (wd.fd == -1) {
			pthread_cond_wait(&wd.cond, &wd.lock);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > wd.deadline.tv_sec ||
		    (now.tv_sec == wd.deadline.tv_sec &&
		    now.tv_nsec >= wd.deadline.tv_nsec)) {
			shutdown(wd.fd, SHUT_RDWR);
			wd.fd = -1;
			continue;
		}
		pthread_cond_timedwait(&wd.cond, &wd.lock, &wd.deadline);
	}
	pthread_mutex_unlock(&wd.lock);
	return NULL;
}

/*
 * Guard the socket fd (from ncs_session_socket; -1: nothing to guard) for
 * ms milliseconds, until ncs_unguard.  0, or -1 if the watchdog cannot run.
 */
int
ncs_guard(int fd, int ms)
{
	struct timespec t;

	if (fd < 0)
		return 0;
	pthread_mutex_lock(&wd.lock);
	if (!wd.running) {
		wd.quit = 0;
		if (pthread_create(&wd.thread, NULL, watchdog_run, NULL) != 0) {
			pthread_mutex_unlock(&wd.lock);
			return -1;
		}
		wd.running = 1;
	}
	clock_gettime(CLOCK_REALTIME, &t);
	ts_add_ms(&t, ms);
	wd.fd = fd;
	wd.deadline = t;
	pthread_cond_signal(&wd.cond);
	pthread_mutex_unlock(&wd.lock);
	return 0;
}

/* The guarded write is over. */
void
ncs_unguard(void)
{
	pthread_mutex_lock(&wd.lock);
	wd.fd = -1;
	pthread_mutex_unlock(&wd.lock);
}

/* Stop the watchdog thread (if it runs). */
void
ncs_watchdog_stop(void)
{
	int running;

	pthread_mutex_lock(&wd.lock);
	running = wd.running;
	wd.quit = 1;
	wd.running = 0;
	pthread_cond_signal(&wd.cond);
	pthread_mutex_unlock(&wd.lock);
	if (running)
		pthread_join(wd.thread, NULL);
}
