/*
 * rivctl — command-line access to the rivd evidence engine.
 *
 * Each subcommand lives in its own cmd_*.c file; this file only dispatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rivctl.h"
#include "util.h"

struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
};

static const struct command commands[] = {
	{ "bios-log", cmd_bios_log,
	    "bios-log FILE [--json]" },
	{ "quote", cmd_quote,
	    "quote --attest F --sig F --ak F [--nonce HEX] [--pcrs F] [--json]" },
	{ "appraise", cmd_appraise,
	    "appraise --attest F --sig F --ak F [--nonce HEX]\n"
	    "                 [--bios-log F] [--pcrs F] [--reference F] [--json]" },
	{ "ima-log", cmd_ima_log,
	    "ima-log FILE [--json] [--policy F] [--from N --state F]\n"
	    "                [--pcrs F] [--banks LIST]" },
	{ "status", cmd_status,
	    "status [--db F] [--attester A] [--json]" },
	{ "verdicts", cmd_verdicts,
	    "verdicts [--db F] [--attester A] [--stream S] [--since T]\n"
	    "                 [--result R] [--limit N] [--json]" },
	{ "tail", cmd_tail,
	    "tail [--db F] [--attester A] [--stream S] [--result R]\n"
	    "             [--lines N] [--count N] [--json]" },
	{ "timeline", cmd_timeline,
	    "timeline [--db F] [--attester A] [--since T]\n"
	    "                 [--svg F | --html F]" },
};

/*
 * Decode the expected nonce (NULL: none) and read the attest, signature and
 * AK files into in; RIV_OK, or RIV_MALFORMED with the reason in err.  Free
 * in with quote_input_free whatever the outcome.
 */
int
quote_input_load(struct quote_input *in, const char *attest_path,
    const char *sig_path, const char *ak_path, const char *nonce_hex,
    struct riv_err *err)
{
	struct riv_err sub;
	uint8_t *akbuf;
	size_t len;
	int rc;

	memset(in, 0, sizeof(*in));
	if (nonce_hex != NULL && hex_decode(nonce_hex, strlen(nonce_hex),
	    in->nonce, sizeof(in->nonce), &in->nlen) == -1)
		return err_set(err, RIV_MALFORMED, "--nonce: expected an even "
		    "number of hex digits, at most %zu bytes",
		    sizeof(in->nonce));
	if (file_read(attest_path, QUOTE_FILE_MAX, &in->attest, &in->alen,
	    err) != RIV_OK ||
	    file_read(sig_path, QUOTE_FILE_MAX, &in->sig, &in->slen, err) !=
	    RIV_OK ||
	    file_read(ak_path, QUOTE_FILE_MAX, &akbuf, &len, err) != RIV_OK)
		return RIV_MALFORMED;
	rc = akey_load(akbuf, len, &in->ak, &sub);
	free(akbuf);
	if (rc != RIV_OK)
		return err_set(err, RIV_MALFORMED, "%s: %s", ak_path, sub.msg);
	return RIV_OK;
}

/* Free what quote_input_load read. */
void
quote_input_free(struct quote_input *in)
{
	akey_free(&in->ak);
	free(in->attest);
	free(in->sig);
	in->attest = in->sig = NULL;
}

/* Print the usage of every subcommand to f. */
static void
print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: rivctl COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  rivctl %s\n", commands[i].usage);
	fprintf(f, "\nExit status: 0 valid, 1 verification failed, "
	    "2 malformed or unreadable input.\nSee rivctl(1).\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		print_usage(stderr);
		return RIV_MALFORMED;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_usage(stdout);
		return RIV_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("rivctl %s\n", PACKAGE_VERSION);
		return RIV_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "rivctl: unknown command \"%s\"\n", argv[1]);
	print_usage(stderr);
	return RIV_MALFORMED;
}
