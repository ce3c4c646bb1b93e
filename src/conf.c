/*
 * conf.c — rivd.conf: instance data of the riv-verifier YANG module (JSON
 * or XML), validated by libyang against the module, then read into
 * struct conf.  A bad file is refused as a whole, with the node's path and
 * the reason; nothing starts half-configured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "nonce.h"
#include "rivd.h"

static const char *const stream_names[STREAM_KINDS] = {
	"pcr-trust-evidence", "bios-log", "ima-log", "attestation"
};

/* Return the name of a stream. */
const char *
stream_kind_name(enum stream_kind s)
{
	return s < STREAM_KINDS ? stream_names[s] : "?";
}

/* Return the stream called name, or -1. */
int
stream_kind_by_name(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < STREAM_KINDS; i++)
		if (strcmp(stream_names[i], name) == 0)
			return i;
	return -1;
}

/* The numeric value of the leaf at path (its default applies), or dflt. */
static unsigned long
conf_num(const struct lyd_node *node, const char *path, unsigned long dflt)
{
	const char *v = leaf_text(node, path);

	return v != NULL ? strtoul(v, NULL, 10) : dflt;
}

/*
 * A copy of file name v, made absolute against dir when relative; NULL if
 * v is NULL or out of memory.
 */
static char *
conf_file(const char *dir, const char *v)
{
	char *p;
	size_t n;

	if (v == NULL)
		return NULL;
	if (v[0] == '/' || dir == NULL)
		return strdup(v);
	n = strlen(dir) + strlen(v) + 2;
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", dir, v);
	return p;
}

/* Read one subscription entry.  Return 0, or -1 for a bad one. */
static int
conf_sub(const struct lyd_node *e, struct conf_sub *s, struct riv_err *err)
{
	struct ly_set *set = NULL;
	const char *v;
	char *path;
	uint32_t i;
	int k;

	memset(s, 0, sizeof(*s));
	s->enabled = 1;
	/* YANG allows no other stream name. */
	if ((k = stream_kind_by_name(leaf_text(e, "stream"))) >= 0)
		s->stream = (enum stream_kind)k;
	s->period_cs = (uint32_t)conf_num(e, "period", 0);
	if (lyd_find_path(e, "on-change", 0, NULL) == LY_SUCCESS) {
		s->on_change = 1;
		s->dampening_cs = (uint32_t)conf_num(e,
		    "on-change/dampening-period", 0);
	}
	if (lyd_find_xpath(e, "device-event", &set) == LY_SUCCESS) {
		for (i = 0; i < set->count && s->nevents < CONF_EVENTS_MAX;
		    i++)
			s->events[s->nevents++] =
			    strdup(lyd_get_value(set->dnodes[i]));
		ly_set_free(set, NULL);
	}
	s->heartbeat = (uint16_t)conf_num(e, "heartbeat", 300);
	v = leaf_text(e, "bank");
	s->bank = v != NULL ? tcgalg_bank(v) : BANK_SHA256;
	if (s->bank < 0) {
		path = lyd_path(e, LYD_PATH_STD, NULL, 0);
		err_set(err, -1, "%s/bank: %s is not a PCR bank rivd "
		    "replays (sha1, sha256, sha384, sha512, sm3_256)",
		    path ? path : "subscription", v);
		free(path);
		for (i = 0; i < s->nevents; i++)
			free(s->events[i]);
		s->nevents = 0;
		return -1;
	}
	set = NULL;
	if (lyd_find_xpath(e, "pcr", &set) == LY_SUCCESS) {
		for (i = 0; i < set->count; i++)
			s->pcrs |= 1u << strtoul(lyd_get_value(
			    set->dnodes[i]), NULL, 10);
		ly_set_free(set, NULL);
	}
	if (s->pcrs == 0)
		s->pcrs = s->stream == STREAM_IMA ? 0x7ffu : 0x3ffu;
	s->reseed = (uint32_t)conf_num(e, "reseed-interval", 3600);
	return 0;
}

/* Read one attester entry (TLS defaults from dflt). */
static int
conf_attester(const struct lyd_node *e, const struct lyd_node *dflt,
    const char *dir, struct conf_attester *a, struct riv_err *err)
{
	struct ly_set *set = NULL;
	const char *v;
	uint32_t i;

	snprintf(a->name, sizeof(a->name), "%s", leaf_text(e, "name"));
	a->address = strdup(leaf_text(e, "address"));
	v = leaf_text(e, "delivery");
	a->callhome = v != NULL && strcmp(v, "call-home") == 0;
	if (lyd_find_path(e, "ssh", 0, NULL) == LY_SUCCESS) {
		a->ssh = 1;
		a->port = (uint16_t)conf_num(e, "port", 830);
		a->ssh_user = strdup(leaf_text(e, "ssh/user"));
		a->ssh_key = conf_file(dir, leaf_text(e, "ssh/key"));
		a->ssh_host_key = conf_file(dir, leaf_text(e, "ssh/host-key"));
		a->server_name = strdup(a->address);
		goto rest;
	}
	a->port = (uint16_t)conf_num(e, "port", 6513);
	v = leaf_text(e, "tls/certificate");
	a->tls_cert = conf_file(dir, v ? v : dflt ? leaf_text(dflt,
	    "certificate") : NULL);
	v = leaf_text(e, "tls/key");
	a->tls_key = conf_file(dir, v ? v : dflt ? leaf_text(dflt, "key") :
	    NULL);
	v = leaf_text(e, "tls/ca");
	a->tls_ca = conf_file(dir, v ? v : dflt ? leaf_text(dflt, "ca") : NULL);
	v = leaf_text(e, "tls/server-name");
	a->server_name = strdup(v ? v : a->address);
	if (a->tls_cert == NULL || a->tls_key == NULL || a->tls_ca == NULL)
		return err_set(err, -1, "attester %s: no TLS certificate, key "
		    "or CA (set verifier/tls or attester/tls)", a->name);
rest:
	a->refvals_path = conf_file(dir, leaf_text(e, "reference-values"));
	a->policy_path = conf_file(dir, leaf_text(e, "ima-policy"));
	if (lyd_find_xpath(e, "tpm", &set) == LY_SUCCESS) {
		for (i = 0; i < set->count; i++) {
			if (a->ntpms == RIVD_TPM_MAX) {
				ly_set_free(set, NULL);
				return err_set(err, -1, "attester %s: at most "
				    "%d TPMs", a->name, RIVD_TPM_MAX);
			}
			snprintf(a->tpms[a->ntpms].name,
			    sizeof(a->tpms[0].name), "%s",
			    leaf_text(set->dnodes[i], "name"));
			a->tpms[a->ntpms].ak_path = conf_file(dir,
			    leaf_text(set->dnodes[i], "ak"));
			a->ntpms++;
		}
		ly_set_free(set, NULL);
	}
	set = NULL;
	if (lyd_find_xpath(e, "subscription", &set) == LY_SUCCESS) {
		for (i = 0; i < set->count; i++) {
			struct conf_sub cs;

			if (conf_sub(set->dnodes[i], &cs, err) != 0) {
				ly_set_free(set, NULL);
				return -1;
			}
			a->subs[cs.stream] = cs;
		}
		ly_set_free(set, NULL);
	}
	return 0;
}

/*
 * Read the call-home listeners of verifier node v (absent: none): TLS
 * with credentials defaulting to verifier/tls, SSH if call-home/ssh is
 * there.  0, or -1 when neither can run.
 */
static int
conf_callhome(const struct lyd_node *v, const char *dir, struct conf *c,
    struct riv_err *err)
{
	struct lyd_node *ch;
	const char *s;

	if (lyd_find_path(v, "call-home", 0, &ch) != LY_SUCCESS)
		return 0;
	c->ch_address = strdup(leaf_text(ch, "address"));
	c->ch_port = (uint16_t)conf_num(ch, "port", 4335);
	if (lyd_find_path(ch, "ssh", 0, NULL) == LY_SUCCESS)
		c->ch_ssh_port = (uint16_t)conf_num(ch, "ssh/port", 4334);
	s = leaf_text(ch, "receiver-address");
	c->ch_receiver = strdup(s != NULL ? s : c->ch_address);
	s = leaf_text(ch, "certificate");
	c->ch_cert = conf_file(dir, s ? s : leaf_text(v, "tls/certificate"));
	s = leaf_text(ch, "key");
	c->ch_key = conf_file(dir, s ? s : leaf_text(v, "tls/key"));
	s = leaf_text(ch, "ca");
	c->ch_ca = conf_file(dir, s ? s : leaf_text(v, "tls/ca"));
	if (c->ch_cert != NULL && c->ch_key != NULL && c->ch_ca != NULL)
		return 0;
	/* No TLS listener: only SSH call home. */
	free(c->ch_cert);
	free(c->ch_key);
	free(c->ch_ca);
	c->ch_cert = c->ch_key = c->ch_ca = NULL;
	if (c->ch_ssh_port == 0)
		return err_set(err, -1, "call-home: no TLS certificate, key or "
		    "CA (set verifier/call-home or verifier/tls) and no "
		    "call-home/ssh");
	return 0;
}

/*
 * Refuse attester a if it is delivered by TLS call home while the
 * configuration c has no TLS call-home listener.  0 or -1.
 */
static int
conf_check_callhome(const struct conf *c, const struct conf_attester *a,
    struct riv_err *err)
{
	if (!a->callhome || a->ssh || c->ch_cert != NULL)
		return 0;
	return err_set(err, -1, "attester %s: delivery call-home over TLS "
	    "needs TLS credentials for the call-home listener (set "
	    "verifier/call-home or verifier/tls)", a->name);
}

/* The directory part of path (a copy), "." if none. */
static char *
conf_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL)
		return strdup(".");
	if ((d = strndup(path, (size_t)(slash - path))) != NULL && *d == '\0') {
		free(d);
		d = strdup("/");
	}
	return d;
}

/*
 * Load the configuration file path (JSON if it ends in .json, else XML)
 * with the modules of ctx.  Return 0 with *cp set, or -1 with err saying
 * which node is wrong and why.
 */
int
conf_load(const char *path, struct ly_ctx *ctx, struct conf **cp,
    struct riv_err *err)
{
	struct lyd_node *tree = NULL, *v;
	struct ly_set *set = NULL;
	struct conf *c = NULL;
	const char *s;
	char *dir = NULL;
	size_t len = strlen(path);
	LYD_FORMAT fmt = len > 5 && strcmp(path + len - 5, ".json") == 0 ?
	    LYD_JSON : LYD_XML;
	uint32_t i;

	*cp = NULL;
	if (access(path, R_OK) != 0)
		return err_set(err, -1, "%s: %s", path, strerror(errno));
	if (lyd_parse_data_path(ctx, path, fmt, LYD_PARSE_STRICT |
	    LYD_PARSE_NO_STATE, LYD_VALIDATE_NO_STATE | LYD_VALIDATE_PRESENT,
	    &tree) != LY_SUCCESS) {
		s = ly_errpath(ctx);
		return err_set(err, -1, "%s: %s%s%s", path, ly_errmsg(ctx) ?
		    ly_errmsg(ctx) : "not a riv-verifier configuration",
		    s ? ": " : "", s ? s : "");
	}
	if (lyd_find_path(tree, "/riv-verifier:verifier", 0, &v) !=
	    LY_SUCCESS) {
		lyd_free_all(tree);
		return err_set(err, -1, "%s: no /riv-verifier:verifier", path);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (dir = conf_dir(path)) ==
	    NULL) {
		err_set(err, -1, "out of memory");
		goto fail;
	}
	c->store_path = conf_file(dir, leaf_text(v, "store/path"));
	c->synchronous = strdup(leaf_text(v, "store/synchronous"));
	c->batch = (uint32_t)conf_num(v, "store/batch", 256);
	c->linger_ms = (uint32_t)conf_num(v, "store/linger", 5);
	c->max_message = (uint32_t)conf_num(v, "limits/max-message-size",
	    16777216);
	c->max_entries = (uint32_t)conf_num(v, "limits/max-entries", 1000);
	c->max_attesters = (uint32_t)conf_num(v, "limits/max-attesters",
	    10000);
	c->connect_timeout = (uint16_t)conf_num(v, "limits/connect-timeout",
	    10);
	c->message_timeout = (uint16_t)conf_num(v, "limits/message-timeout",
	    30);
	if (conf_callhome(v, dir, c, err) != 0) {
		err_set(err, -1, "%s: %s", path, err->msg);
		goto fail;
	}
	if (lyd_find_xpath(v, "attester", &set) != LY_SUCCESS)
		goto done;
	if (set->count > c->max_attesters) {
		err_set(err, -1, "%s: %u attesters; limits/max-attesters is "
		    "%u", path, set->count, c->max_attesters);
		goto fail;
	}
	if ((c->attesters = calloc(set->count ? set->count : 1,
	    sizeof(*c->attesters))) == NULL) {
		err_set(err, -1, "out of memory");
		goto fail;
	}
	if (lyd_find_path(v, "tls", 0, &v) != LY_SUCCESS)
		v = NULL;
	for (i = 0; i < set->count; i++) {
		c->nattesters++;
		if (conf_attester(set->dnodes[i], v, dir,
		    &c->attesters[i], err) != 0 ||
		    conf_check_callhome(c, &c->attesters[i], err) != 0) {
			err_set(err, -1, "%s: %s", path, err->msg);
			goto fail;
		}
	}
done:
	ly_set_free(set, NULL);
	lyd_free_all(tree);
	free(dir);
	*cp = c;
	return 0;
fail:
	ly_set_free(set, NULL);
	lyd_free_all(tree);
	free(dir);
	conf_free(c);
	return -1;
}

/* Free a configuration. */
void
conf_free(struct conf *c)
{
	struct conf_attester *a;
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nattesters; i++) {
		a = &c->attesters[i];
		free(a->address);
		free(a->tls_cert);
		free(a->tls_key);
		free(a->tls_ca);
		free(a->server_name);
		free(a->ssh_user);
		free(a->ssh_key);
		free(a->ssh_host_key);
		free(a->refvals_path);
		free(a->policy_path);
		for (j = 0; j < a->ntpms; j++)
			free(a->tpms[j].ak_path);
		for (j = 0; j < STREAM_KINDS; j++) {
			size_t k;

			for (k = 0; k < a->subs[j].nevents; k++)
				free(a->subs[j].events[k]);
		}
	}
	free(c->attesters);
	free(c->ch_address);
	free(c->ch_receiver);
	free(c->ch_cert);
	free(c->ch_key);
	free(c->ch_ca);
	free(c->store_path);
	free(c->synchronous);
	free(c);
}

/* Compare two optional strings. */
static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Tell whether two attester entries reach the same device the same way:
 * address, port, TLS credentials and the TPMs' names.  (Keys, reference
 * values, policies and subscriptions can change on a live session.)
 */
int
conf_same_connection(const struct conf_attester *a,
    const struct conf_attester *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || !same_str(a->address,
	    b->address) || a->port != b->port || a->ssh != b->ssh ||
	    !same_str(a->ssh_user, b->ssh_user) || !same_str(a->ssh_key,
	    b->ssh_key) || !same_str(a->ssh_host_key, b->ssh_host_key) ||
	    !same_str(a->tls_cert,
	    b->tls_cert) || !same_str(a->tls_key, b->tls_key) ||
	    !same_str(a->tls_ca, b->tls_ca) || !same_str(a->server_name,
	    b->server_name) || a->ntpms != b->ntpms ||
	    a->callhome != b->callhome)
		return 0;
	for (i = 0; i < a->ntpms; i++)
		if (strcmp(a->tpms[i].name, b->tpms[i].name) != 0)
			return 0;
	return 1;
}

/* Tell whether two configurations have the same call-home listener. */
int
conf_same_callhome(const struct conf *a, const struct conf *b)
{
	return same_str(a->ch_address, b->ch_address) &&
	    a->ch_port == b->ch_port && a->ch_ssh_port == b->ch_ssh_port &&
	    same_str(a->ch_receiver,
	    b->ch_receiver) && same_str(a->ch_cert, b->ch_cert) &&
	    same_str(a->ch_key, b->ch_key) && same_str(a->ch_ca, b->ch_ca);
}

/* Tell whether two subscription entries ask for the same thing. */
int
conf_same_sub(const struct conf_sub *a, const struct conf_sub *b)
{
	size_t i;

	if (a->enabled != b->enabled || a->stream != b->stream ||
	    a->period_cs != b->period_cs || a->on_change != b->on_change ||
	    a->dampening_cs != b->dampening_cs || a->nevents != b->nevents ||
	    a->heartbeat != b->heartbeat || a->bank != b->bank ||
	    a->pcrs != b->pcrs || a->reseed != b->reseed)
		return 0;
	for (i = 0; i < a->nevents; i++)
		if (strcmp(a->events[i], b->events[i]) != 0)
			return 0;
	return 1;
}
