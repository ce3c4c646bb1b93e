/* cmd_appraise.c — placeholder, being written. */
#include <stdio.h>

#include "rivctl.h"
#include "util.h"

/* Placeholder until the command is written. */
int
cmd_appraise(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "rivctl: not implemented yet\n");
	return RIV_MALFORMED;
}
