/*
 * manage.c — rivd's NETCONF management server (rivd(8), "MANAGEMENT"):
 * the riv-verifier module's running datastore (get-config, edit-config,
 * validate, lock, unlock), its state (get), its RPCs (appraise-now,
 * resync, acknowledge) and the event stream attestation-results
 * (results.c), over SSH and TLS with a user -> role map.
 *
 * libnetconf2 blocks while it reads a message, so the server runs on its
 * own thread with its own libyang context; a slow management client
 * never holds up the loop that appraises evidence.  It reads state and
 * verdicts from the store (its own SQLite connection) and hands what
 * changes attesters to the loop thread (request.c).  The running
 * datastore is the configuration file: an accepted edit is written to a
 * new file beside it, applied by the loop like a SIGHUP, and then takes
 * the file's place.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <libyang/libyang.h>
#include <nc_server.h>

#include "rivd.h"
#include "manage.h"
#include "ncserver.h"
#include "nc_edit.h"
#include "results.h"

#define RV		"riv-verifier"
#define MG_USERS_MAX	256
#define MG_POLL_MS	100
#define MG_DETAIL_MAX	65536	/* bytes of an edit kept in the audit */

/* A management user and what it may do. */
struct mg_user {
	char		 name[RIVD_NAME_MAX];
	int		 write;		/* role read-write */
	struct ncs_keys	 keys;		/* SSH public keys */
};

static struct {
	struct ly_ctx	*ctx;
	struct lyd_node	*running;	/* the configuration, validated */
	char		*conf_path;
	char		*conf_dir;
	int		 json;
	unsigned	 generation;	/* of the running tree */
	struct mg_user	*users;
	size_t		 nusers;
	struct nc_pollsession *ps;
	struct manage_db *db;
	uint32_t	 lock_sid;	/* session holding the running lock */
	int		 prune;		/* users changed: check the sessions */
	pthread_t	 thread;
	int		 started;
	atomic_int	 quit;
} mg;

/* The file name f of the configuration, resolved against its directory. */
static char *
conf_file(const char *f)
{
	size_t n;
	char *p;

	if (f[0] == '/')
		return strdup(f);
	n = strlen(mg.conf_dir) + strlen(f) + 2;
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", mg.conf_dir, f);
	return p;
}

/* The management container of tree, or NULL. */
static struct lyd_node *
find_management(const struct lyd_node *tree)
{
	struct lyd_node *n;

	if (tree == NULL || lyd_find_path(tree, "/" RV ":verifier/management",
	    0, &n) != LY_SUCCESS)
		return NULL;
	return n;
}

/* Free the users. */
static void
users_free(void)
{
	size_t i;

	for (i = 0; i < mg.nusers; i++)
		ncs_keys_free(&mg.users[i].keys);
	free(mg.users);
	mg.users = NULL;
	mg.nusers = 0;
}

/* Read user entry u of the configuration into mu (its keys too). */
static void
user_read(const struct lyd_node *u, struct mg_user *mu)
{
	struct riv_err err;
	const char *v;
	char *path;

	snprintf(mu->name, sizeof(mu->name), "%s", leaf_text(u, "name"));
	v = leaf_text(u, "role");
	mu->write = v != NULL && strcmp(v, "read-write") == 0;
	if ((v = leaf_text(u, "authorized-keys")) == NULL ||
	    (path = conf_file(v)) == NULL)
		return;
	if (ncs_keys_load(path, &mu->keys, &err) != 0)
		log_warnx("management user %s: %s", mu->name, err.msg);
	free(path);
}

/*
 * Read the users of the running configuration and their keys; a key file
 * that cannot be read leaves its user without SSH access (logged).
 */
static void
users_load(void)
{
	struct lyd_node *m, *u;
	size_t n = 0;

	users_free();
	mg.prune = 1;
	if ((m = find_management(mg.running)) == NULL)
		return;
	LY_LIST_FOR(lyd_child(m), u)
		if (strcmp(u->schema->name, "user") == 0)
			n++;
	if (n > MG_USERS_MAX)
		n = MG_USERS_MAX;
	if (n == 0 || (mg.users = calloc(n, sizeof(*mg.users))) == NULL)
		return;
	LY_LIST_FOR(lyd_child(m), u)
		if (strcmp(u->schema->name, "user") == 0 && mg.nusers < n)
			user_read(u, &mg.users[mg.nusers++]);
	mg.prune = 1;
}

/* The user called name, or NULL. */
static const struct mg_user *
user_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < mg.nusers; i++)
		if (strcmp(mg.users[i].name, name) == 0)
			return &mg.users[i];
	return NULL;
}

/*
 * Parse the configuration file path into a validated tree.  0 or -1.
 */
static int
running_read(const char *path, struct lyd_node **tree, struct riv_err *err)
{
	*tree = NULL;
	if (lyd_parse_data_path(mg.ctx, path, mg.json ? LYD_JSON : LYD_XML,
	    LYD_PARSE_NO_STATE | LYD_PARSE_STRICT, LYD_VALIDATE_NO_STATE,
	    tree) != LY_SUCCESS)
		return err_set(err, -1, "%s: %s", path, ly_errmsg(mg.ctx));
	return 0;
}

/*
 * The loop applied a configuration this thread did not write (SIGHUP):
 * read the file again.
 */
static void
running_refresh(void)
{
	struct lyd_node *tree;
	struct riv_err err;
	unsigned g = request_conf_generation();

	if (g == mg.generation)
		return;
	mg.generation = g;
	if (running_read(mg.conf_path, &tree, &err) != 0) {
		log_warnx("management: %s", err.msg);
		return;
	}
	lyd_free_all(mg.running);
	mg.running = tree;
	users_load();
}

/* Accept an SSH public key if it is one of the user's. */
static int
ssh_pubkey_clb(const struct nc_session *session, ssh_key key, void *arg)
{
	const struct mg_user *u;

	(void)arg;
	u = user_find(nc_session_get_username(session));
	return u != NULL && ncs_keys_match(&u->keys, key) ? 0 : 1;
}

/* Set up the SSH listener of management container m.  0 or -1. */
static int
listen_ssh(const struct lyd_node *m, struct riv_err *err)
{
	const char *addr = leaf_text(m, "ssh/address");
	const char *port = leaf_text(m, "ssh/port");
	char *key;
	int rc;

	if ((key = conf_file(leaf_text(m, "ssh/host-key"))) == NULL)
		return err_set(err, -1, "out of memory");
	rc = ncs_listen_ssh(addr, (uint16_t)atoi(port), key, ssh_pubkey_clb,
	    err);
	free(key);
	if (rc != 0)
		return err_set(err, -1, "management ssh: %s", err->msg);
	log_info("management: NETCONF over SSH on %s port %s", addr, port);
	return 0;
}

/* Set up the TLS listener of management container m.  0 or -1. */
static int
listen_tls(const struct lyd_node *m, struct riv_err *err)
{
	const char *addr = leaf_text(m, "tls/address");
	const char *port = leaf_text(m, "tls/port");
	char *cert, *key, *ca;
	int rc = -1;

	cert = conf_file(leaf_text(m, "tls/certificate"));
	key = conf_file(leaf_text(m, "tls/key"));
	ca = conf_file(leaf_text(m, "tls/ca"));
	if (cert == NULL || key == NULL || ca == NULL)
		err_set(err, -1, "out of memory");
	else if ((rc = ncs_listen_tls(addr, (uint16_t)atoi(port), cert, key,
	    ca, err)) != 0)
		err_set(err, -1, "management tls: %s", err->msg);
	free(cert);
	free(key);
	free(ca);
	if (rc != 0)
		return -1;
	log_info("management: NETCONF over TLS on %s port %s", addr, port);
	return 0;
}

/* "ssh ADDRESS" or "tls ADDRESS": where session s comes from. */
static void
session_source(struct nc_session *s, char *buf, size_t cap)
{
	const char *host = nc_session_get_host(s);

	snprintf(buf, cap, "%s %s", nc_session_get_ti(s) == NC_TI_LIBSSH ?
	    "ssh" : "tls", host != NULL ? host : "?");
}

/*
 * Record a write of session s in the store's audit table: its outcome is
 * "ok", or the message of r if failed is set.
 */
static void
audit(struct nc_session *s, const char *op, const char *detail,
    const struct nc_server_reply *r, int failed)
{
	const struct lyd_node *e;
	const char *outcome = "ok";
	char source[300];
	struct riv_err err;

	if (failed) {
		outcome = "failed";
		if (r != NULL && (e = nc_server_reply_get_last_err(r)) !=
		    NULL && nc_err_get_msg(e) != NULL)
			outcome = nc_err_get_msg(e);
	}
	session_source(s, source, sizeof(source));
	if (manage_audit(mg.db, nc_session_get_username(s), source, op,
	    detail != NULL ? detail : "", outcome, &err) != 0)
		log_warnx("management: audit: %s", err.msg);
}

/* The NETCONF error tag named by an edit error. */
static NC_ERR
edit_tag(const char *tag)
{
	static const struct {
		const char	*name;
		NC_ERR		 tag;
	} tags[] = {
		{ "data-exists", NC_ERR_DATA_EXISTS },
		{ "data-missing", NC_ERR_DATA_MISSING },
		{ "operation-not-supported", NC_ERR_OP_NOT_SUPPORTED },
		{ "bad-attribute", NC_ERR_BAD_ATTR },
		{ "unknown-attribute", NC_ERR_UNKNOWN_ATTR },
		{ "unknown-element", NC_ERR_UNKNOWN_ELEM },
		{ "missing-element", NC_ERR_MISSING_ELEM },
		{ "invalid-value", NC_ERR_INVALID_VALUE },
	};
	size_t i;

	for (i = 0; tag != NULL && i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(tags[i].name, tag) == 0)
			return tags[i].tag;
	return NC_ERR_OP_FAILED;
}

/* The reply for edit error e. */
static struct nc_server_reply *
edit_reply(const struct edit_error *e)
{
	return ncs_error(edit_tag(e->tag), NULL, e->path[0] ? e->path : NULL,
	    "%s", e->msg);
}

/*
 * Write cand to a new file beside the configuration file, have the loop
 * apply it and put it in the file's place.  NULL, or the error reply
 * (nothing changed).
 */
static struct nc_server_reply *
running_commit(struct lyd_node *cand, const char *user)
{
	struct request req;
	struct stat st;
	char *base;
	int fd;

	memset(&req, 0, sizeof(req));
	req.kind = REQ_APPLY;
	snprintf(req.user, sizeof(req.user), "%s", user);
	if ((base = strdup(mg.conf_path)) == NULL)
		return ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "out of memory");
	snprintf(req.path, sizeof(req.path), "%s/.%s.XXXXXX", mg.conf_dir,
	    basename(base));
	free(base);
	if ((fd = mkstemp(req.path)) == -1)
		return ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "cannot write "
		    "beside %s: %s", mg.conf_path, strerror(errno));
	if (stat(mg.conf_path, &st) == 0)
		fchmod(fd, st.st_mode & 07777);	/* the file keeps its mode */
	if (lyd_print_fd(fd, cand, mg.json ? LYD_JSON : LYD_XML,
	    LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS || fsync(fd) != 0) {
		close(fd);
		unlink(req.path);
		return ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "cannot write "
		    "%s", req.path);
	}
	close(fd);
	if (request_run(&req) != 0)
		return ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "%s",
		    req.err.msg);
	return NULL;
}

/* Answer <edit-config> of session s. */
static struct nc_server_reply *
rpc_edit_config(struct lyd_node *rpc, struct nc_session *s)
{
	struct lyd_node *cand = NULL, *edit = NULL, *cfg;
	struct nc_server_reply *r = NULL;
	enum edit_default dflt = EDIT_DEFAULT_MERGE;
	struct edit_error e;
	const char *v;
	const char *op = "edit-config";
	char *xml = NULL;
	int failed = 1;

	if (lyd_find_path(rpc, "target/running", 0, NULL) != LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "rivd has the running datastore only");
	if (mg.lock_sid != 0 && mg.lock_sid != nc_session_get_id(s)) {
		r = ncs_error(NC_ERR_IN_USE, NULL, NULL, "the running "
		    "datastore is locked by session %u", mg.lock_sid);
		audit(s, op, "", r, 1);
		return r;
	}
	if ((v = leaf_text(rpc, "default-operation")) != NULL)
		dflt = strcmp(v, "replace") == 0 ? EDIT_DEFAULT_REPLACE :
		    strcmp(v, "none") == 0 ? EDIT_DEFAULT_NONE :
		    EDIT_DEFAULT_MERGE;
	if (lyd_find_path(rpc, "config", 0, &cfg) != LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "only <config> edits are supported (no <url>)");
	if (lyd_any_value_str(cfg, &xml) != LY_SUCCESS)
		return NULL;
	log_debug("edit-config: %s", xml ? xml : "(null)");
	if (edit_parse(mg.ctx, xml != NULL ? xml : "", &edit, &e) != 0) {
		r = edit_reply(&e);
		goto done;
	}
	if (mg.running != NULL && lyd_dup_siblings(mg.running, NULL,
	    LYD_DUP_RECURSIVE, &cand) != LY_SUCCESS)
		goto done;
	if (edit_apply(&cand, edit, dflt, &e) != 0) {
		r = edit_reply(&e);
		goto done;
	}
	if (lyd_validate_all(&cand, mg.ctx, LYD_VALIDATE_NO_STATE, NULL) !=
	    LY_SUCCESS) {
		r = ncs_libyang_error();
		goto done;
	}
	if ((v = leaf_text(rpc, "test-option")) != NULL &&
	    strcmp(v, "test-only") == 0) {
		r = nc_server_reply_ok();
		failed = 0;
		op = "edit-config test-only";
		goto done;
	}
	if ((r = running_commit(cand, nc_session_get_username(s))) != NULL)
		goto done;
	lyd_free_all(mg.running);
	mg.running = cand;
	cand = NULL;
	mg.generation = request_conf_generation();
	users_load();
	r = nc_server_reply_ok();
	failed = 0;
done:
	if (r == NULL)
		r = ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "out of memory");
	audit(s, op, xml, r, failed);
	free(xml);
	lyd_free_all(edit);
	lyd_free_all(cand);
	return r;
}

/* Answer <validate>: the running datastore, or a whole configuration. */
static struct nc_server_reply *
rpc_validate(struct lyd_node *rpc)
{
	struct lyd_node *cfg, *tree = NULL;
	struct nc_server_reply *r;
	struct edit_error e;
	char *xml = NULL;

	if (lyd_find_path(rpc, "source/running", 0, NULL) == LY_SUCCESS)
		return nc_server_reply_ok();
	if (lyd_find_path(rpc, "source/config", 0, &cfg) != LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "rivd validates running or a <config>");
	if (lyd_any_value_str(cfg, &xml) != LY_SUCCESS)
		return NULL;
	if (edit_parse(mg.ctx, xml != NULL ? xml : "", &tree, &e) != 0)
		r = edit_reply(&e);
	else if (lyd_validate_all(&tree, mg.ctx, LYD_VALIDATE_NO_STATE,
	    NULL) != LY_SUCCESS)
		r = ncs_libyang_error();
	else
		r = nc_server_reply_ok();
	free(xml);
	lyd_free_all(tree);
	return r;
}

/* Answer <get-config> of the running datastore. */
static struct nc_server_reply *
rpc_get_config(struct lyd_node *rpc)
{
	struct lyd_node *data = NULL;

	if (lyd_find_path(rpc, "source/running", 0, NULL) != LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "rivd has the running datastore only");
	if (mg.running != NULL && lyd_dup_siblings(mg.running, NULL,
	    LYD_DUP_RECURSIVE, &data) != LY_SUCCESS)
		return NULL;
	return ncs_reply_data(rpc, data);
}

/* Set the leaf name of parent to value (skipped if value is NULL). */
static int
add_leaf(struct lyd_node *parent, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	return lyd_new_term(parent, NULL, name, value, 0, NULL) ==
	    LY_SUCCESS ? 0 : -1;
}

/* Set the counter leaf name of parent to v. */
static int
add_u64(struct lyd_node *parent, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return add_leaf(parent, name, buf);
}

/* Set the date-and-time leaf name of parent to us (skipped if 0). */
static int
add_time(struct lyd_node *parent, const char *name, int64_t us)
{
	struct timespec ts;
	char *s = NULL;
	int rc;

	if (us == 0)
		return 0;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	if (ly_time_ts2str(&ts, &s) != LY_SUCCESS)
		return -1;
	rc = add_leaf(parent, name, s);
	free(s);
	return rc;
}

/* Add the state of one stream of an attester under state node st. */
static int
add_stream_state(struct lyd_node *st, const struct manage_stream *ms)
{
	struct lyd_node *n, *c;
	int rc = 0;

	if (lyd_new_list(st, NULL, "stream", 0, &n, ms->name) != LY_SUCCESS)
		return -1;
	if (ms->has_subscription) {
		rc |= add_u64(n, "subscription-id", ms->subscription_id);
		rc |= add_leaf(n, "subscription-state", ms->subscription_state);
	}
	if (ms->result[0] != '\0') {
		rc |= add_leaf(n, "result", ms->result);
		rc |= add_time(n, "result-since", ms->result_since_us);
		rc |= add_u64(n, "last-verdict-id", ms->last_verdict_id);
		rc |= add_u64(n, "last-sequence", ms->last_sequence);
	}
	if (lyd_new_inner(n, NULL, "counters", 0, &c) != LY_SUCCESS)
		return -1;
	rc |= add_u64(c, "notifications", ms->notifications);
	rc |= add_u64(c, "pass", ms->npass);
	rc |= add_u64(c, "fail", ms->nfail);
	rc |= add_u64(c, "error", ms->nerror);
	rc |= add_u64(c, "stale", ms->nstale);
	rc |= add_u64(c, "gaps", ms->gaps);
	return rc;
}

/* Add the state container to attester entry a, from the store. */
static int
add_attester_state(struct lyd_node *a)
{
	struct manage_attester ma;
	struct lyd_node *st;
	struct riv_err err;
	size_t i;
	int rc = 0;

	if (manage_attester_state(mg.db, leaf_text(a, "name"), &ma,
	    &err) != 0) {
		log_warnx("management: state: %s", err.msg);
		return 0;
	}
	if (lyd_new_inner(a, NULL, "state", 0, &st) != LY_SUCCESS)
		return -1;
	if (ma.connection[0] != '\0') {
		rc |= add_leaf(st, "connection", ma.connection);
		if (ma.connection_detail[0] != '\0')
			rc |= add_leaf(st, "connection-detail",
			    ma.connection_detail);
		rc |= add_time(st, "connection-since", ma.connection_since_us);
	}
	if (ma.posture[0] != '\0') {
		rc |= add_leaf(st, "posture", ma.posture);
		rc |= add_time(st, "posture-since", ma.posture_since_us);
	}
	rc |= add_u64(st, "reconnects", ma.reconnects);
	rc |= add_u64(st, "unacknowledged-failures", ma.unacknowledged);
	for (i = 0; i < ma.nstreams && rc == 0; i++)
		rc |= add_stream_state(st, &ma.streams[i]);
	return rc;
}

/* Answer <get>: the running configuration with the state of attesters. */
static struct nc_server_reply *
rpc_get(struct lyd_node *rpc)
{
	struct lyd_node *data = NULL, *v, *a;

	if (mg.running != NULL && lyd_dup_siblings(mg.running, NULL,
	    LYD_DUP_RECURSIVE, &data) != LY_SUCCESS)
		return NULL;
	if (lyd_find_path(data, "/" RV ":verifier", 0, &v) == LY_SUCCESS)
		LY_LIST_FOR(lyd_child(v), a)
			if (strcmp(a->schema->name, "attester") == 0 &&
			    add_attester_state(a) != 0)
				goto fail;
	if (results_streams(&data) != 0 || ncs_yang_library(&data) != 0)
		goto fail;
	return ncs_reply_data(rpc, data);
fail:
	log_warnx("management: get: %s", ly_errmsg(mg.ctx));
	lyd_free_all(data);
	return NULL;
}

/* Answer <lock> or <unlock> (unlock set) of the running datastore. */
static struct nc_server_reply *
rpc_lock(struct lyd_node *rpc, struct nc_session *s, int unlock)
{
	uint32_t sid = nc_session_get_id(s);
	struct lyd_node *e;

	if (lyd_find_path(rpc, "target/running", 0, NULL) != LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "rivd has the running datastore only");
	if (unlock) {
		if (mg.lock_sid != sid)
			return ncs_error(NC_ERR_OP_FAILED, NULL, NULL,
			    "this session holds no lock on running");
		mg.lock_sid = 0;
		return nc_server_reply_ok();
	}
	if (mg.lock_sid != 0) {
		if ((e = nc_err(mg.ctx, NC_ERR_LOCK_DENIED, mg.lock_sid)) ==
		    NULL)
			return NULL;
		nc_err_set_msg(e, "the running datastore is locked", "en");
		return nc_server_reply_err(e);
	}
	mg.lock_sid = sid;
	return nc_server_reply_ok();
}

/* The RPC reply rpc (consumed) with the output leaf name = v. */
static struct nc_server_reply *
reply_output(struct lyd_node *rpc, const char *name, uint64_t v)
{
	struct lyd_node *out = NULL;
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_path(out, NULL, name, buf, LYD_NEW_PATH_OUTPUT, NULL) !=
	    LY_SUCCESS) {
		lyd_free_all(out);
		return NULL;
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/* Answer appraise-now or resync (resync set) of session s. */
static struct nc_server_reply *
rpc_attester_request(struct lyd_node *rpc, struct nc_session *s,
    int resync)
{
	struct nc_server_reply *r;
	struct request req;
	int failed;

	memset(&req, 0, sizeof(req));
	req.kind = resync ? REQ_RESYNC : REQ_APPRAISE;
	snprintf(req.attester, sizeof(req.attester), "%s",
	    leaf_text(rpc, "attester"));
	snprintf(req.user, sizeof(req.user), "%s",
	    nc_session_get_username(s));
	req.stream = stream_kind_by_name(leaf_text(rpc, "stream"));
	if ((failed = request_run(&req) != 0))
		r = ncs_error(NC_ERR_OP_FAILED, NULL, NULL, "%s", req.err.msg);
	else if (resync)
		r = nc_server_reply_ok();
	else
		r = reply_output(rpc, "requested", req.count);
	audit(s, resync ? "resync" : "appraise-now", req.attester, r, failed);
	return r;
}

/* Answer acknowledge of session s. */
static struct nc_server_reply *
rpc_acknowledge(struct lyd_node *rpc, struct nc_session *s)
{
	struct nc_server_reply *r;
	struct riv_err err;
	const char *v, *attester = leaf_text(rpc, "attester");
	uint64_t id = 0, count = 0;
	char detail[300];
	int failed;

	if ((v = leaf_text(rpc, "verdict-id")) != NULL)
		id = strtoull(v, NULL, 10);
	if ((failed = manage_acknowledge(mg.db, nc_session_get_username(s),
	    attester, id, (v = leaf_text(rpc, "comment")) ? v : "", &count,
	    &err) != 0))
		r = ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL, "%s", err.msg);
	else
		r = reply_output(rpc, "acknowledged", count);
	snprintf(detail, sizeof(detail), "%s verdict %llu", attester,
	    (unsigned long long)id);
	audit(s, "acknowledge", detail, r, failed);
	return r;
}

/* Whether the RPC mod:name changes something (needs read-write). */
static int
rpc_writes(const char *mod, const char *name)
{
	if (strcmp(mod, RV) == 0)
		return 1;
	if (strcmp(mod, "ietf-netconf") == 0)
		return strcmp(name, "edit-config") == 0 ||
		    strcmp(name, "lock") == 0 || strcmp(name, "unlock") == 0 ||
		    strcmp(name, "copy-config") == 0 ||
		    strcmp(name, "delete-config") == 0 ||
		    strcmp(name, "kill-session") == 0;
	return strcmp(name, "kill-subscription") == 0;
}

/* Dispatch one RPC (libnetconf2's global callback, this thread). */
static struct nc_server_reply *
manage_rpc(struct lyd_node *rpc, struct nc_session *s)
{
	const char *mod = rpc->schema->module->name;
	const char *name = rpc->schema->name;
	const struct mg_user *u;
	struct nc_server_reply *r;

	running_refresh();
	u = user_find(nc_session_get_username(s));
	log_debug("management session %u (%s): %s:%s", nc_session_get_id(s),
	    nc_session_get_username(s), mod, name);
	if (u == NULL || (!u->write && rpc_writes(mod, name))) {
		r = ncs_error(NC_ERR_ACCESS_DENIED, NULL, NULL, "user %s may "
		    "not %s", nc_session_get_username(s), name);
		if (u != NULL)
			audit(s, name, "", r, 1);
		return r;
	}
	if ((r = ncs_validate(rpc, mg.running)) != NULL) {
		if (rpc_writes(mod, name))
			audit(s, name, "", r, 1);
		return r;
	}
	if (strcmp(mod, RV) == 0) {
		if (strcmp(name, "acknowledge") == 0)
			return rpc_acknowledge(rpc, s);
		return rpc_attester_request(rpc, s,
		    strcmp(name, "resync") == 0);
	}
	if (strcmp(mod, "ietf-subscribed-notifications") == 0)
		return results_rpc(rpc, s, u->write);
	if (strcmp(mod, "ietf-netconf") == 0) {
		if (strcmp(name, "get") == 0)
			return rpc_get(rpc);
		if (strcmp(name, "get-config") == 0)
			return rpc_get_config(rpc);
		if (strcmp(name, "edit-config") == 0)
			return rpc_edit_config(rpc, s);
		if (strcmp(name, "validate") == 0)
			return rpc_validate(rpc);
		if (strcmp(name, "lock") == 0 || strcmp(name, "unlock") == 0)
			return rpc_lock(rpc, s, name[0] == 'u');
	}
	return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
	    "%s:%s is not supported by rivd", mod, name);
}

/* End session s: its lock and subscriptions go, then the session. */
static void
session_end(struct nc_session *s)
{
	log_info("management session %u (%s) closed", nc_session_get_id(s),
	    nc_session_get_username(s) ? nc_session_get_username(s) : "?");
	if (mg.lock_sid == nc_session_get_id(s))
		mg.lock_sid = 0;
	results_session_gone(s);
	nc_ps_del_session(mg.ps, s);
	nc_session_free(s, NULL);
}

/* Accept a waiting session if there is one; unknown users are closed. */
static void
session_accept(void)
{
	struct nc_session *s = NULL;
	char source[300];

	if (nc_accept(0, &s) != NC_MSG_HELLO)
		return;
	session_source(s, source, sizeof(source));
	running_refresh();
	if (user_find(nc_session_get_username(s)) == NULL) {
		log_warnx("management session from %s: user %s is not "
		    "configured: closed", source,
		    nc_session_get_username(s) ? nc_session_get_username(s) :
		    "?");
		nc_session_free(s, NULL);
		return;
	}
	log_info("management session %u from %s (%s)", nc_session_get_id(s),
	    source, nc_session_get_username(s));
	/* Its socket, for the write guard (results.c). */
	nc_session_set_data(s, (void *)(intptr_t)(ncs_session_socket(s) + 1));
	if (nc_ps_add_session(mg.ps, s) != 0)
		nc_session_free(s, NULL);
}

/* Answer what the sessions sent, waiting at most timeout ms. */
static void
sessions_poll(int timeout)
{
	struct nc_session *s;
	int r, i;

	if (nc_ps_session_count(mg.ps) == 0) {
		poll(NULL, 0, timeout);
		return;
	}
	for (i = 0; i < 64; i++) {
		s = NULL;
		r = nc_ps_poll(mg.ps, i == 0 ? timeout : 0, &s);
		if ((r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR)) &&
		    s != NULL)
			session_end(s);
		if (r & (NC_PSPOLL_TIMEOUT | NC_PSPOLL_NOSESSIONS |
		    NC_PSPOLL_ERROR))
			break;
	}
}

/*
 * The users changed: sessions of users no longer configured end (with
 * their subscriptions), and a lock held by a user who may no longer
 * write is released.  Outside nc_ps_poll (sessions cannot end inside it).
 */
static void
sessions_prune(void)
{
	const struct mg_user *u;
	struct nc_session *s;
	int i;

	mg.prune = 0;
	for (i = nc_ps_session_count(mg.ps) - 1; i >= 0; i--) {
		if ((s = nc_ps_get_session(mg.ps, (uint16_t)i)) == NULL)
			continue;
		u = user_find(nc_session_get_username(s));
		if (u == NULL) {
			log_info("management session %u: user %s is no longer "
			    "configured", nc_session_get_id(s),
			    nc_session_get_username(s));
			session_end(s);
		} else if (!u->write && mg.lock_sid == nc_session_get_id(s))
			mg.lock_sid = 0;
	}
}

/* The management thread: accept, answer, publish verdict changes. */
static void *
manage_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&mg.quit)) {
		session_accept();
		sessions_poll(MG_POLL_MS);
		running_refresh();
		if (mg.prune)
			sessions_prune();
		results_poll(mg.db);
	}
	return NULL;
}

/*
 * Read the management settings of the configuration file conf_path with
 * the modules of yang_dir, open the store at store_path and set up the
 * listeners.  0 (also when the file configures no management), or -1.
 */
int
manage_init(const char *conf_path, const char *yang_dir,
    const char *store_path, struct riv_err *err)
{
	struct lyd_node *m;
	size_t len = strlen(conf_path);
	char *d;

	if (yang_context(yang_dir, 1, &mg.ctx, err) != 0)
		return -1;
	mg.json = len > 5 && strcmp(conf_path + len - 5, ".json") == 0;
	if ((mg.conf_path = strdup(conf_path)) == NULL ||
	    (d = strdup(conf_path)) == NULL)
		return err_set(err, -1, "out of memory");
	mg.conf_dir = strdup(dirname(d));
	free(d);
	if (mg.conf_dir == NULL)
		return err_set(err, -1, "out of memory");
	mg.generation = request_conf_generation();
	if (running_read(conf_path, &mg.running, err) != 0)
		return -1;
	if ((m = find_management(mg.running)) == NULL)
		return 0;
	users_load();
	if (nc_server_init(mg.ctx) != 0)
		return err_set(err, -1, "management: cannot start "
		    "libnetconf2");
	ncs_init(mg.ctx);
	nc_set_global_rpc_clb(manage_rpc);
	nc_server_set_capability("urn:ietf:params:netconf:capability:"
	    "interleave:1.0");
	nc_server_set_hello_timeout(10);
	if ((lyd_child(m) != NULL && lyd_find_path(m, "ssh", 0, NULL) ==
	    LY_SUCCESS && listen_ssh(m, err) != 0) ||
	    (lyd_find_path(m, "tls", 0, NULL) == LY_SUCCESS &&
	    listen_tls(m, err) != 0))
		return -1;
	if ((mg.ps = nc_ps_new()) == NULL)
		return err_set(err, -1, "out of memory");
	if (manage_open(store_path, &mg.db, err) != 0)
		return -1;
	return 0;
}

/* Start the management thread (if management is configured). */
int
manage_start(struct riv_err *err)
{
	if (mg.ps == NULL)
		return 0;
	if (pthread_create(&mg.thread, NULL, manage_main, NULL) != 0)
		return err_set(err, -1, "cannot start the management thread");
	mg.started = 1;
	return 0;
}

/* Stop the management thread, close its sessions, free everything. */
void
manage_stop(void)
{
	struct nc_session *s;

	atomic_store(&mg.quit, 1);
	if (mg.started)
		pthread_join(mg.thread, NULL);
	mg.started = 0;
	if (mg.ps != NULL) {
		while ((s = nc_ps_get_session(mg.ps, 0)) != NULL)
			session_end(s);
		nc_ps_free(mg.ps);
		nc_server_destroy();
		ncs_free();
	}
	mg.ps = NULL;
	results_free();
	ncs_watchdog_stop();
	if (mg.db != NULL)
		manage_close(mg.db);
	mg.db = NULL;
	users_free();
	lyd_free_all(mg.running);
	mg.running = NULL;
	if (mg.ctx != NULL)
		ly_ctx_destroy(mg.ctx);
	mg.ctx = NULL;
	free(mg.conf_path);
	free(mg.conf_dir);
	memset(&mg, 0, sizeof(mg));
}
