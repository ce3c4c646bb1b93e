/*
 * yangctx.c — rivd's one libyang context: every module it parses
 * (riv-verifier for its configuration, the RFC 8639 and RFC 9684 closure
 * and riv-attestation-streams for notifications) loaded at start from the
 * YANG directory, read-only afterwards.
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
	{ "riv-verifier", { NULL } },
};

/* Keep libyang's messages for the error that follows (no printing). */
static void
yang_quiet(LY_LOG_LEVEL level, const char *msg, const char *path)
{
	(void)level; (void)msg; (void)path;
}

/* Create the context from the modules in dir.  Return 0 or -1. */
int
yang_context(const char *dir, struct ly_ctx **ctx, struct riv_err *err)
{
	const struct yang_module *m;
	size_t i;

	ly_set_log_clb(yang_quiet, 1);
	if (ly_ctx_new(dir, LY_CTX_DISABLE_SEARCHDIR_CWD, ctx) != LY_SUCCESS)
		return err_set(err, -1, "YANG directory %s: cannot create a "
		    "context", dir);
	for (i = 0; i < sizeof(yang_modules) / sizeof(yang_modules[0]); i++) {
		m = &yang_modules[i];
		if (ly_ctx_load_module(*ctx, m->name, NULL, m->features[0] ?
		    (const char **)m->features : NULL) == NULL) {
			err_set(err, -1, "YANG directory %s: cannot load %s: "
			    "%s", dir, m->name, ly_errmsg(*ctx));
			ly_ctx_destroy(*ctx);
			*ctx = NULL;
			return -1;
		}
	}
	return 0;
}
