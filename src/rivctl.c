/*
 * rivctl — command-line access to the rivd evidence engine.
 *
 * Each subcommand lives in its own cmd_*.c file; this file only dispatches.
 */
#include <stdio.h>
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
};

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
