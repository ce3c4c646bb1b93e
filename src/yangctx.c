/*
 * yangctx.c — rivd's libyang contexts: every module it parses
 * (riv-verifier for its configuration, the RFC 8639 and RFC 9684 closure
 * and riv-attestation-streams for notifications) loaded at start from the
 * YANG directory, read-only afterwards.  The loop thread has one; the
 * management server (manage.c) has its own, with the ietf-netconf
 * features it serves and ietf-netconf-monitoring.
 */
#include <stddef.h>

#include <libyang/libyang.h>

#include "rivd.h"

/* A module to load and its features. */
struct yang_module {
	const char	*name;
	const char	*features[6];
};

/* In this order: libyang needs ietf-tcg-algs implemented first. */
static const struct yang_module yang_modules[] = {
	{ "ietf-netconf", { NULL } },
	{ "ietf-tcg-algs", { "tpm20", NULL } },
	{ "ietf-tpm-remote-attestation", { "bios", "ima", NULL } },
	{ "ietf-subscribed-notifications", { "configured", "replay",
	    "subtree", "xpath", "encode-xml", NULL } },
	{ "riv-attestation-streams", { NULL } },
	{ "ietf-tpm-remote-attestation-stream", { NULL } },	/* the draft's */
	{ "riv-verifier", { NULL } },
};

/* Keep libyang's messages for the error that follows (no printing). */
static void
yang_quiet(LY_LOG_LEVEL level, const char *msg, const char *path)
{
	(void)level; (void)msg; (void)path;
}

/* What the management server adds. */
static const struct yang_module yang_server_modules[] = {
	{ "ietf-netconf", { "writable-running", "validate", "xpath", NULL } },
	{ "ietf-netconf-monitoring", { NULL } },
};

/*
 * Load the n modules of list into ctx, but not one already loaded.
 * Return 0 or -1.
 */
static int
yang_load(struct ly_ctx *ctx, const struct yang_module *list, size_t n,
    const char *dir, struct riv_err *err)
{
	const struct yang_module *m;
	size_t i;

	for (i = 0; i < n; i++) {
		m = &list[i];
		if (ly_ctx_get_module_implemented(ctx, m->name) != NULL)
			continue;
		if (ly_ctx_load_module(ctx, m->name, NULL, m->features[0] ?
		    (const char **)m->features : NULL) == NULL)
			return err_set(err, -1, "YANG directory %s: cannot "
			    "load %s: %s", dir, m->name, ly_errmsg(ctx));
	}
	return 0;
}

/*
 * Create the context from the modules in dir, for the management server
 * if server is set.  Return 0 or -1.
 */
int
yang_context(const char *dir, int server, struct ly_ctx **ctx,
    struct riv_err *err)
{
	ly_set_log_clb(yang_quiet, 1);
	if (ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, ctx) != LY_SUCCESS)
		return err_set(err, -1, "YANG directory %s: cannot create a "
		    "context", dir);
	if ((server && yang_load(*ctx, yang_server_modules,
	    sizeof(yang_server_modules) / sizeof(yang_server_modules[0]), dir,
	    err) != 0) || yang_load(*ctx, yang_modules, sizeof(yang_modules) /
	    sizeof(yang_modules[0]), dir, err) != 0) {
		ly_ctx_destroy(*ctx);
		*ctx = NULL;
		return -1;
	}
	return 0;
}

/* The value of the leaf at path under node, or NULL. */
const char *
leaf_text(const struct lyd_node *node, const char *path)
{
	struct lyd_node *n;

	if (node == NULL || lyd_find_path(node, path, 0, &n) != LY_SUCCESS)
		return NULL;
	return lyd_get_value(n);
}
