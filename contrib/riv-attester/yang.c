/*
 * yang.c — riv-attester's one libyang context (every module loaded at start
 * from the project's yang/ directory, read-only afterwards) and the
 * operational data it serves and validates RPCs against: /sn:streams and
 * /tpm:rats-support-structures (with the draft's augments, ietf.c).
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
	{ "ietf-tpm-remote-attestation-stream", { NULL } },
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

/* Return the value of the node at path under node, or NULL. */
const char *
yang_leaf(const struct lyd_node *node, const char *path)
{
	struct lyd_node *n;

	if (lyd_find_path(node, path, 0, &n) != LY_SUCCESS)
		return NULL;
	return lyd_get_value(n);
}

/* Return the binary value of a term node. */
const struct lyd_value_binary *
yang_bin(const struct lyd_node *n)
{
	const struct lyd_value_binary *bin;

	LYD_VALUE_GET(&((const struct lyd_node_term *)n)->value, bin);
	return bin;
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
	char base[128], path[384], num[12];
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
	if (rc == 0)
		rc = ietf_oper(&tree);
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

