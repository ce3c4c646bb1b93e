/*
 * config.c — riv-attester's running datastore: the RFC 8639 configured
 * subscriptions under /sn:subscriptions.  get-config and edit-config
 * (merge, replace, create, delete, remove on subscription entries) change
 * it; every change is validated with libyang and by the subscription code
 * before it takes effect, kept in STATE-DIR/subscriptions.xml, and applied
 * live: new subscriptions call their receiver home, removed ones end,
 * changed ones are modified.
 *
 * Each subscription's nonce-seed (nacm:default-deny-all) is shown only to
 * its owner, the user who wrote that seed, and to the --admin-user users;
 * the owners are kept in STATE-DIR/owners.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libyang/libyang.h>
#include <nc_server.h>
#include <openssl/evp.h>

#include "attester.h"

#define SN	"ietf-subscribed-notifications"
#define CONFIG_FILE	"subscriptions.xml"
#define SEQ_FILE	"sequences"
#define OWNER_FILE	"owners"
#define RAS	"riv-attestation-streams"
#define SEQ_RESERVE	1000	/* sequence numbers reserved per write */

static struct lyd_node *running;

/* Who wrote the seed of a configured subscription. */
struct owner {
	uint32_t	 id;
	uint8_t		 seed_hash[8];	/* SHA-256 of its text */
	char		*user;		/* NULL: admins only */
};
static struct owner owners[ATT_SUB_MAX];
static size_t nowners;

/* The path of the configuration file in the state directory. */
static void
config_path(char *buf, size_t cap, const char *suffix)
{
	snprintf(buf, cap, "%s/%s%s", att.state_dir, CONFIG_FILE, suffix);
}

/* Write tree to the configuration file (through a temporary file). */
static int
config_save(const struct lyd_node *tree, struct riv_err *err)
{
	char path[4096], tmp[4096];

	config_path(path, sizeof(path), "");
	config_path(tmp, sizeof(tmp), ".tmp");
	if (lyd_print_path(tmp, tree, LYD_XML, LYD_PRINT_WITHSIBLINGS) !=
	    LY_SUCCESS || rename(tmp, path) != 0) {
		unlink(tmp);
		return err_set(err, -1, "cannot write %s", path);
	}
	return 0;
}

/*
 * Access to the seeds.  The nonce-seed leaf is nacm:default-deny-all (RFC
 * 8341 3.5.1.2): no user may read it unless a rule allows it.  The one
 * rule riv-attester has: users read the seeds they wrote (they know them)
 * and the --admin-user users read every seed.  The owner of a configured
 * subscription is the user whose edit set its current seed; an edit that
 * keeps the seed keeps the owner.  STATE-DIR/owners keeps them, one line
 * "ID SEED-HASH-HEX USER" each (SEED-HASH: the first 8 bytes of SHA-256 of
 * the seed's base64 text): a line applies only to the seed it names, so
 * a seed changed by hand or a lost file leaves a seed without an owner,
 * for admins only.
 */

/* The child of n called name, of module mod, or NULL. */
static struct lyd_node *
child_named(const struct lyd_node *n, const char *mod, const char *name)
{
	struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c)
		if (c->schema != NULL && strcmp(c->schema->name, name) == 0 &&
		    strcmp(c->schema->module->name, mod) == 0)
			return c;
	return NULL;
}

/*
 * The id and the seed hash of subscription entry e; 0, or -1 if it has
 * no id or no seed.
 */
static int
entry_seed(const struct lyd_node *e, uint32_t *id, uint8_t hash[8])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	const struct lyd_node *n;
	const char *v;
	unsigned int len;

	if ((n = child_named(e, SN, "id")) == NULL ||
	    (v = lyd_get_value(n)) == NULL)
		return -1;
	*id = (uint32_t)strtoul(v, NULL, 10);
	if ((n = child_named(e, RAS, "nonce-seed")) == NULL ||
	    (v = lyd_get_value(n)) == NULL ||
	    EVP_Digest(v, strlen(v), md, &len, EVP_sha256(), NULL) != 1)
		return -1;
	memcpy(hash, md, 8);
	return 0;
}

/* The subscription entries of tree: the children of /sn:subscriptions. */
static struct lyd_node *
entries(const struct lyd_node *tree)
{
	const struct lyd_node *top;

	LY_LIST_FOR(tree, top)
		if (top->schema != NULL &&
		    strcmp(top->schema->module->name, SN) == 0 &&
		    strcmp(top->schema->name, "subscriptions") == 0)
			return lyd_child(top);
	return NULL;
}

/* Forget every owner. */
static void
owners_clear(void)
{
	while (nowners > 0)
		free(owners[--nowners].user);
}

/* Whether user is one of the --admin-user users. */
static int
is_admin(const char *user)
{
	size_t i;

	for (i = 0; user != NULL && i < att.nadmins; i++)
		if (strcmp(att.admins[i], user) == 0)
			return 1;
	return 0;
}

/* The owner of seed hash of configured subscription id, or NULL. */
static const char *
owner_of(uint32_t id, const uint8_t hash[8])
{
	size_t i;

	for (i = 0; i < nowners; i++)
		if (owners[i].id == id &&
		    memcmp(owners[i].seed_hash, hash, 8) == 0)
			return owners[i].user;
	return NULL;
}

/*
 * Make the owners those of the subscriptions in tree, the new running
 * configuration that user (NULL: nobody) wrote: a seed that did not
 * change keeps its owner, a new one belongs to user.
 */
static void
owners_update(const struct lyd_node *tree, const char *user)
{
	struct owner next[ATT_SUB_MAX];
	const struct lyd_node *e;
	const char *who;
	size_t n = 0, i;

	if (user != NULL && (*user == '\0' || strchr(user, '\n') != NULL))
		user = NULL;
	LY_LIST_FOR(entries(tree), e) {
		if (n == ATT_SUB_MAX || entry_seed(e, &next[n].id,
		    next[n].seed_hash) != 0)
			continue;
		who = user;
		for (i = 0; i < nowners; i++)
			if (owners[i].id == next[n].id) {
				if (memcmp(owners[i].seed_hash,
				    next[n].seed_hash, 8) == 0)
					who = owners[i].user;
				break;
			}
		next[n].user = who != NULL ? strdup(who) : NULL;
		n++;
	}
	owners_clear();
	memcpy(owners, next, n * sizeof(next[0]));
	nowners = n;
}

/* Write the owners to STATE-DIR/owners.  0 or -1. */
static int
owners_save(struct riv_err *err)
{
	char path[4096], tmp[4096], hex[2 * 8 + 1];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", att.state_dir, OWNER_FILE);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", att.state_dir, OWNER_FILE);
	if ((f = fopen(tmp, "w")) == NULL)
		return err_set(err, -1, "cannot write %s", tmp);
	for (i = 0; i < nowners; i++) {
		if (owners[i].user == NULL)
			continue;
		hex_encode(owners[i].seed_hash, 8, hex);
		fprintf(f, "%u %s %s\n", owners[i].id, hex, owners[i].user);
	}
	if (fflush(f) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return err_set(err, -1, "cannot write %s", path);
	}
	return 0;
}

/* Read STATE-DIR/owners (before the saved configuration is applied). */
static void
owners_load(void)
{
	char path[4096], line[1024], hex[2 * 8 + 1], h[32];
	struct owner *o;
	unsigned id;
	size_t n;
	int off;
	FILE *f;

	owners_clear();
	snprintf(path, sizeof(path), "%s/%s", att.state_dir, OWNER_FILE);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && nowners < ATT_SUB_MAX) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%u %31s %n", &id, h, &off) != 2 ||
		    strlen(h) != 16 || line[off] == '\0')
			continue;
		o = &owners[nowners];
		for (n = 0; n < 8; n++) {
			unsigned b;

			if (sscanf(h + 2 * n, "%2x", &b) != 1)
				break;
			o->seed_hash[n] = (uint8_t)b;
		}
		hex_encode(o->seed_hash, 8, hex);
		if (n != 8 || strcasecmp(hex, h) != 0 ||
		    (o->user = strdup(line + off)) == NULL)
			continue;
		o->id = id;
		nowners++;
	}
	fclose(f);
}

/*
 * Remove from tree (the data of a reply to user) the seeds of the
 * configured subscriptions that user may not read.
 */
void
config_hide_seeds(struct lyd_node *tree, const char *user)
{
	struct lyd_node *e, *seed;
	const char *owner;
	uint32_t id;
	uint8_t hash[8];

	if (is_admin(user))
		return;
	LY_LIST_FOR(entries(tree), e) {
		if ((seed = child_named(e, RAS, "nonce-seed")) == NULL)
			continue;
		if (entry_seed(e, &id, hash) == 0 && user != NULL &&
		    (owner = owner_of(id, hash)) != NULL &&
		    strcmp(owner, user) == 0)
			continue;
		lyd_free_tree(seed);
	}
}

/*
 * Give every receiver in tree its mandatory state leaf (config false), so
 * that a configuration can be validated as part of the whole data tree.
 */
static int
add_receiver_states(struct lyd_node *tree)
{
	struct ly_set *set = NULL;
	uint32_t i;
	int rc = 0;

	if (tree == NULL || lyd_find_xpath(tree, "/" SN ":subscriptions/"
	    "subscription/receivers/receiver[not(state)]", &set) !=
	    LY_SUCCESS)
		return 0;
	for (i = 0; i < set->count; i++)
		if (lyd_new_term(set->dnodes[i], NULL, "state", "connecting",
		    0, NULL) != LY_SUCCESS)
			rc = -1;
	ly_set_free(set, NULL);
	return rc;
}

/*
 * Validate a candidate configuration with libyang (together with the
 * operational data its references point into).  NULL, or the error.
 */
static struct nc_server_reply *
config_validate(const struct lyd_node *cand)
{
	struct lyd_node *tree = NULL, *oper = NULL;
	struct nc_server_reply *r = NULL;

	if ((cand != NULL && lyd_dup_siblings(cand, NULL, LYD_DUP_RECURSIVE,
	    &tree) != LY_SUCCESS) || (att.oper != NULL &&
	    lyd_dup_siblings(att.oper, NULL, LYD_DUP_RECURSIVE, &oper) !=
	    LY_SUCCESS)) {
		r = ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "out of memory");
		goto done;
	}
	/*
	 * The operational data are validated first, alone: libyang 2.1.30
	 * evaluating a configuration 'must' over operational nodes whose
	 * 'when' is not resolved yet fails with an internal error (RFC
	 * 9684's must on tpm20-hash-algo, in the tpm20-pcr-selection of a
	 * configured subscription).
	 */
	if (oper != NULL && lyd_validate_all(&oper, NULL,
	    LYD_VALIDATE_PRESENT, NULL) != LY_SUCCESS)
		log_warnx("operational data: %s", ly_errmsg(att.ctx));
	if (lyd_merge_siblings(&tree, oper, LYD_MERGE_DESTRUCT |
	    LYD_MERGE_WITH_FLAGS) != LY_SUCCESS ||
	    add_receiver_states(tree) != 0)
		r = ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "out of memory");
	else if (lyd_validate_all(&tree, NULL, LYD_VALIDATE_PRESENT, NULL) !=
	    LY_SUCCESS)
		r = ncs_error(NC_ERR_INVALID_VALUE, NULL,
		    ly_errpath(att.ctx), "%s", ly_errmsg(att.ctx));
	oper = NULL;	/* merged into tree */
done:
	lyd_free_all(oper);
	lyd_free_all(tree);
	return r;
}

/* The NETCONF operation of an edit node, or inherit. */
static const char *
edit_op(const struct lyd_node *n, const char *inherit)
{
	const struct lyd_meta *m;

	for (m = n->meta; m != NULL; m = m->next)
		if (strcmp(m->name, "operation") == 0 &&
		    strcmp(m->annotation->module->name, "ietf-netconf") == 0)
			return lyd_get_meta_value(m);
	return inherit;
}

/* Tell whether an operation appears below n. */
static int
edit_nested_op(const struct lyd_node *n)
{
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(n), c)
		if (edit_op(c, NULL) != NULL || edit_nested_op(c))
			return 1;
	return 0;
}

/* Apply one subscription entry e of an edit with operation op to cand. */
static struct nc_server_reply *
edit_entry(struct lyd_node **cand, const struct lyd_node *e, const char *op)
{
	struct lyd_node *cur = NULL, *dup = NULL, *parent;

	if (edit_nested_op(e))
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "operations below a subscription entry are not supported: "
		    "replace the entry");
	if (*cand != NULL)
		lyd_find_sibling_first(lyd_child(*cand), e, &cur);
	if (strcmp(op, "delete") == 0 && cur == NULL)
		return ncs_error(NC_ERR_DATA_MISSING, NULL, NULL,
		    "no configured subscription %s", lyd_get_value(
		    lyd_child(e)));
	if (strcmp(op, "create") == 0 && cur != NULL)
		return ncs_error(NC_ERR_DATA_EXISTS, NULL, NULL,
		    "configured subscription %s exists", lyd_get_value(
		    lyd_child(e)));
	if (strcmp(op, "delete") == 0 || strcmp(op, "remove") == 0) {
		lyd_free_tree(cur);
		return NULL;
	}
	if (strcmp(op, "none") == 0)
		return cur != NULL ? NULL : ncs_error(NC_ERR_DATA_MISSING,
		    NULL, NULL, "no such configured subscription");
	if (lyd_dup_single(e, NULL, LYD_DUP_RECURSIVE | LYD_DUP_NO_META,
	    &dup) != LY_SUCCESS)
		return NULL;
	if (*cand == NULL && lyd_new_inner(NULL, e->parent ?
	    e->parent->schema->module : e->schema->module, "subscriptions", 0,
	    cand) != LY_SUCCESS) {
		lyd_free_tree(dup);
		return NULL;
	}
	parent = *cand;
	if (cur != NULL && (strcmp(op, "replace") == 0 ||
	    strcmp(op, "create") == 0))
		lyd_free_tree(cur);
	else if (cur != NULL) {
		/* libyang merges top-level trees only: the entry with a
		 * copy of its parent /sn:subscriptions. */
		lyd_free_tree(dup);
		if (lyd_dup_single(e, NULL, LYD_DUP_RECURSIVE |
		    LYD_DUP_NO_META | LYD_DUP_WITH_PARENTS, &dup) !=
		    LY_SUCCESS)
			return NULL;
		while (lyd_parent(dup) != NULL)
			dup = lyd_parent(dup);
		if (lyd_merge_siblings(cand, dup, 0) != LY_SUCCESS) {
			lyd_free_all(dup);
			return ncs_error(NC_ERR_OP_FAILED, NULL, NULL,
			    "merge failed: %s", ly_errmsg(att.ctx));
		}
		lyd_free_all(dup);
		return NULL;
	}
	if (lyd_insert_child(parent, dup) != LY_SUCCESS) {
		lyd_free_tree(dup);
		return ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "insert "
		    "failed: %s", ly_errmsg(att.ctx));
	}
	return NULL;
}

/*
 * Apply the edit (the content of <config>) to cand under default
 * operation dflt.  NULL, or the error reply.
 */
static struct nc_server_reply *
edit_apply(struct lyd_node **cand, const struct lyd_node *edit,
    const char *dflt)
{
	const struct lyd_node *top, *e;
	struct nc_server_reply *r;
	const char *op;

	LY_LIST_FOR(edit, top) {
		if (strcmp(top->schema->module->name, SN) != 0 ||
		    strcmp(top->schema->name, "subscriptions") != 0)
			return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
			    "riv-attester's configuration is "
			    "/ietf-subscribed-notifications:subscriptions/"
			    "subscription only, not %s:%s",
			    top->schema->module->name, top->schema->name);
		op = edit_op(top, dflt);
		if (strcmp(op, "delete") == 0 && *cand == NULL)
			return ncs_error(NC_ERR_DATA_MISSING, NULL, NULL,
			    "no configured subscriptions");
		if (strcmp(op, "delete") == 0 || strcmp(op, "remove") == 0 ||
		    strcmp(op, "replace") == 0) {
			lyd_free_all(*cand);
			*cand = NULL;
			if (strcmp(op, "replace") != 0)
				continue;
			op = "merge";
		}
		LY_LIST_FOR(lyd_child(top), e) {
			if (strcmp(e->schema->name, "subscription") != 0)
				return ncs_error(NC_ERR_OP_NOT_SUPPORTED,
				    NULL, NULL, "only subscription entries can "
				    "be configured, not %s", e->schema->name);
			if ((r = edit_entry(cand, e, edit_op(e, op))) != NULL)
				return r;
		}
	}
	return NULL;
}

/*
 * Apply to c the edit top of /tpm:rats-support-structures (the leaves of
 * the draft's augments: marshalling-period, tpm20-subscription-heartbeat,
 * tpms/tpm20-pcr-index) under default operation dflt.  NULL, or the
 * error reply.  Not saved: the command line sets the start values.
 */
static struct nc_server_reply *
edit_rats(const struct lyd_node *top, const char *dflt, struct ietf_conf *c)
{
	const struct lyd_node *n, *p;
	const char *op = edit_op(top, dflt), *nop, *pop, *v;
	unsigned long x;
	int del;

	if (strcmp(op, "delete") == 0 || strcmp(op, "remove") == 0 ||
	    strcmp(op, "replace") == 0) {
		c->marshalling = 5;
		c->heartbeat = 300;
		c->pcrs_set = 0;
		c->pcrs = 0;
		if (strcmp(op, "replace") != 0)
			return NULL;
		op = "merge";
	}
	LY_LIST_FOR(lyd_child(top), n) {
		nop = edit_op(n, op);
		del = strcmp(nop, "delete") == 0 || strcmp(nop, "remove") == 0;
		v = lyd_get_value(n);
		x = v != NULL ? strtoul(v, NULL, 10) : 0;
		if (strcmp(n->schema->name, "marshalling-period") == 0)
			c->marshalling = del ? 5 : (uint8_t)x;
		else if (strcmp(n->schema->name,
		    "tpm20-subscription-heartbeat") == 0)
			c->heartbeat = del ? 300 : (uint16_t)x;
		else if (strcmp(n->schema->name, "tpms") == 0) {
			if (del || strcmp(nop, "replace") == 0) {
				c->pcrs_set = 0;
				c->pcrs = 0;
				if (del)
					continue;
			}
			LY_LIST_FOR(lyd_child(n), p) {
				if (strcmp(p->schema->name, "tpm20-pcr-index") !=
				    0)
					return ncs_error(NC_ERR_OP_NOT_SUPPORTED,
					    NULL, NULL, "tpms/%s is not "
					    "configurable here: only "
					    "tpm20-pcr-index", p->schema->name);
				pop = edit_op(p, nop);
				x = strtoul(lyd_get_value(p), NULL, 10);
				if (x >= PCR_COUNT)
					return ncs_error(NC_ERR_INVALID_VALUE,
					    NULL, NULL, "tpm20-pcr-index %lu: "
					    "the TPMs have PCRs 0 to 23", x);
				if (!c->pcrs_set)
					c->pcrs = 0;
				c->pcrs_set = 1;
				if (strcmp(pop, "delete") == 0 ||
				    strcmp(pop, "remove") == 0)
					c->pcrs &= ~(1u << x);
				else
					c->pcrs |= 1u << x;
			}
		} else
			return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
			    "rats-support-structures/%s is not configurable",
			    n->schema->name);
	}
	if (c->heartbeat == 0)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "tpm20-subscription-heartbeat: 1 to 65535");
	return NULL;
}

/*
 * Take the /tpm:rats-support-structures trees out of the edit *edit and
 * apply them to c.  NULL, or the error reply.
 */
static struct nc_server_reply *
edit_take_rats(struct lyd_node **edit, const char *dflt, struct ietf_conf *c)
{
	struct lyd_node *top, *next;
	struct nc_server_reply *r;

	for (top = *edit; top != NULL; top = next) {
		next = top->next;
		if (strcmp(top->schema->module->name,
		    "ietf-tpm-remote-attestation") != 0 ||
		    strcmp(top->schema->name, "rats-support-structures") != 0)
			continue;
		if ((r = edit_rats(top, dflt, c)) != NULL)
			return r;
		if (top == *edit)
			*edit = next;
		lyd_free_tree(top);
	}
	return NULL;
}

/*
 * Answer <get-config> of user: the configured subscriptions, without the
 * seeds user may not read, through the filter.
 */
struct nc_server_reply *
config_get(struct lyd_node *rpc, const char *user)
{
	struct lyd_node *data = NULL;

	if (running != NULL && lyd_dup_siblings(running, NULL,
	    LYD_DUP_RECURSIVE, &data) != LY_SUCCESS)
		return NULL;
	config_hide_seeds(data, user);
	if (ietf_config_tree(&data) != 0) {
		lyd_free_all(data);
		return ncs_libyang_error();
	}
	return ncs_reply_data(rpc, data);
}

/*
 * Validate cand, configure its subscriptions and make it the running
 * configuration (saved when save is set; written by user, NULL when
 * loaded).  NULL, or the error reply (and nothing changed).
 */
static struct nc_server_reply *
config_commit(struct lyd_node *cand, int save, const char *user)
{
	struct nc_server_reply *r;
	struct riv_err err;

	if ((r = config_validate(cand)) != NULL ||
	    (r = sub_configure(cand, 1)) != NULL)
		return r;
	if (save && config_save(cand, &err) != 0)
		return ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "%s",
		    err.msg);
	owners_update(cand, user);
	if (save && owners_save(&err) != 0)
		log_warnx("%s", err.msg);
	sub_configure(cand, 0);
	lyd_free_all(running);
	running = cand;
	return NULL;
}

/* Answer <edit-config> on running, from user. */
struct nc_server_reply *
config_edit(struct lyd_node *rpc, const char *user)
{
	struct lyd_node *cand = NULL, *edit = NULL, *cfg;
	struct nc_server_reply *r;
	struct ietf_conf ic = att.ietf;
	const char *dflt = "merge", *v;
	char *xml = NULL;
	int rats;

	if (lyd_find_path(rpc, "target/running", 0, NULL) != LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "only the running datastore can be edited");
	if (lyd_find_path(rpc, "default-operation", 0, &cfg) == LY_SUCCESS &&
	    (v = lyd_get_value(cfg)) != NULL)
		dflt = v;
	if (lyd_find_path(rpc, "config", 0, &cfg) != LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "only <config> edits (no <url>) are supported");
	if (lyd_any_value_str(cfg, &xml) != LY_SUCCESS) {
		free(xml);
		return NULL;
	}
	if (xml != NULL && lyd_parse_data_mem(att.ctx, xml, LYD_XML,
	    LYD_PARSE_ONLY | LYD_PARSE_NO_STATE, 0, &edit) != LY_SUCCESS) {
		free(xml);
		return ncs_error(NC_ERR_INVALID_VALUE, NULL,
		    ly_errpath(att.ctx), "%s", ly_errmsg(att.ctx));
	}
	free(xml);
	rats = edit != NULL;
	if ((r = edit_take_rats(&edit, dflt, &ic)) != NULL) {
		lyd_free_all(edit);
		return r;
	}
	if (rats && edit == NULL) {
		/* Only the attestation stream's parameters. */
		att.ietf = ic;
		yang_update_oper();
		log_info("rats-support-structures: marshalling-period %u, "
		    "heartbeat %u", ic.marshalling, ic.heartbeat);
		return nc_server_reply_ok();
	}
	if (running != NULL && lyd_dup_siblings(running, NULL,
	    LYD_DUP_RECURSIVE, &cand) != LY_SUCCESS) {
		lyd_free_all(edit);
		return NULL;
	}
	r = edit_apply(&cand, edit, dflt);
	lyd_free_all(edit);
	if (r == NULL && cand != NULL && lyd_child(cand) == NULL) {
		lyd_free_all(cand);
		cand = NULL;
	}
	if (r == NULL && (r = config_commit(cand, 1, user)) == NULL) {
		att.ietf = ic;
		yang_update_oper();
		return nc_server_reply_ok();
	}
	lyd_free_all(cand);
	return r;
}

/* Load and apply the saved configuration, if any.  Return 0 or -1. */
int
config_load(struct riv_err *err)
{
	struct nc_server_reply *r;
	struct lyd_node *tree = NULL;
	const struct lyd_node *e;
	char path[4096];

	config_path(path, sizeof(path), "");
	if (access(path, F_OK) != 0)
		return 0;
	if (lyd_parse_data_path(att.ctx, path, LYD_XML, LYD_PARSE_ONLY |
	    LYD_PARSE_NO_STATE, 0, &tree) != LY_SUCCESS)
		return err_set(err, -1, "%s: %s", path, ly_errmsg(att.ctx));
	owners_load();
	if ((r = config_commit(tree, 0, NULL)) != NULL) {
		e = nc_server_reply_get_last_err(r);
		err_set(err, -1, "%s: %s", path, e ? nc_err_get_msg(e) :
		    "refused");
		nc_server_reply_free(r);
		lyd_free_all(tree);
		return -1;
	}
	log_info("%s: configured subscriptions loaded", path);
	return 0;
}

/* Free the running configuration. */
void
config_free(void)
{
	lyd_free_all(running);
	running = NULL;
	owners_clear();
}

/*
 * Sequence numbers of configured subscriptions survive restarts, so that
 * no (seed, n) pair, and so no nonce, is ever used twice: before a
 * subscription uses n beyond its reservation, the next SEQ_RESERVE numbers
 * are reserved in STATE-DIR/sequences ("ID SEED-ID-HEX NEXT" lines), and
 * after a restart it starts at the reserved end (the verifier sees a gap,
 * after subscription-started).
 */

/* Write the reservations of every configured subscription. */
static int
seq_save(struct riv_err *err)
{
	char path[4096], tmp[4096], hex[2 * 8 + 1];
	const struct att_sub *s;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", att.state_dir, SEQ_FILE);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", att.state_dir, SEQ_FILE);
	if ((f = fopen(tmp, "w")) == NULL)
		return err_set(err, -1, "cannot write %s", tmp);
	for (i = 0; i < att.nsubs; i++) {
		s = att.subs[i];
		if (!s->configured || s->dead)
			continue;
		hex_encode(s->seed_id, sizeof(s->seed_id), hex);
		fprintf(f, "%u %s %llu\n", s->id, hex,
		    (unsigned long long)s->seq_reserved);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		unlink(tmp);
		return err_set(err, -1, "cannot write %s", path);
	}
	return 0;
}

/*
 * Make sure configured subscription s may use its next sequence number,
 * reserving more on disk if needed.  Return 0, or -1 (nothing may be sent).
 */
int
config_seq_reserve(struct att_sub *s)
{
	struct riv_err err;
	uint64_t old = s->seq_reserved;

	if (!s->configured || s->seq < s->seq_reserved)
		return 0;
	s->seq_reserved = s->seq + SEQ_RESERVE;
	if (seq_save(&err) != 0) {
		s->seq_reserved = old;
		log_warnx("subscription %u: %s", s->id, err.msg);
		return -1;
	}
	return 0;
}

/*
 * Set the first sequence number of configured subscription s from the
 * reservations a previous run left (same id and seed).
 */
void
config_seq_restore(struct att_sub *s)
{
	char path[4096], line[256], hex[2 * 8 + 1];
	unsigned long long next;
	unsigned id;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", att.state_dir, SEQ_FILE);
	if ((f = fopen(path, "r")) == NULL)
		return;
	hex_encode(s->seed_id, sizeof(s->seed_id), hex);
	while (fgets(line, sizeof(line), f) != NULL) {
		char h[32];

		if (sscanf(line, "%u %31s %llu", &id, h, &next) == 3 &&
		    id == s->id && strcmp(h, hex) == 0) {
			s->seq = s->seq_reserved = next;
			log_info("subscription %u continues at sequence %llu",
			    s->id, next);
		}
	}
	fclose(f);
}

/*
 * Add the configured subscriptions and their state (RFC 8639
 * configured-subscription-state, receiver state and counters) to tree,
 * the data of a <get>.  Return 0 or -1.
 */
int
config_oper(struct lyd_node **tree)
{
	const struct att_sub *s;
	struct lyd_node *dup = NULL, *e, *r;
	struct ly_set *set = NULL;
	char path[256], num[24];
	size_t i;
	int rc = 0;

	if (running == NULL)
		return 0;
	if (lyd_dup_siblings(running, NULL, LYD_DUP_RECURSIVE, &dup) !=
	    LY_SUCCESS || lyd_merge_siblings(tree, dup, LYD_MERGE_DESTRUCT) !=
	    LY_SUCCESS)
		return -1;
	for (i = 0; i < att.nsubs && rc == 0; i++) {
		s = att.subs[i];
		if (!s->configured || s->dead)
			continue;
		snprintf(path, sizeof(path), "/" SN ":subscriptions/subscription"
		    "[id='%u']", s->id);
		if (lyd_find_path(*tree, path, 0, &e) != LY_SUCCESS)
			continue;
		rc |= lyd_new_term(e, NULL, "configured-subscription-state",
		    "valid", 0, NULL) == LY_SUCCESS ? 0 : -1;
		if (lyd_find_xpath(e, "receivers/receiver", &set) !=
		    LY_SUCCESS)
			continue;
		if (set->count > 0) {
			r = set->dnodes[0];
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)s->sent);
			rc |= lyd_new_term(r, NULL, "sent-event-records", num, 0,
			    NULL) == LY_SUCCESS ? 0 : -1;
			rc |= lyd_new_term(r, NULL, "excluded-event-records",
			    "0", 0, NULL) == LY_SUCCESS ? 0 : -1;
			rc |= lyd_new_term(r, NULL, "state", s->session ?
			    "active" : "connecting", 0, NULL) == LY_SUCCESS ?
			    0 : -1;
		}
		ly_set_free(set, NULL);
		set = NULL;
	}
	return rc;
}
