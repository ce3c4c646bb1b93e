/*
 * rivctl.h — the rivctl subcommands.  Each returns the process exit status:
 * 0 valid/passed, 1 verification failed, 2 malformed or unreadable input.
 */
#ifndef RIV_RIVCTL_H
#define RIV_RIVCTL_H

#include "quote.h"

/* The evidence of one quote, as `quote` and `appraise` read it. */
struct quote_input {
	uint8_t		*attest, *sig;
	size_t		 alen, slen;
	struct akey	 ak;
	uint8_t		 nonce[QUOTE_DATA_MAX];	/* --nonce, decoded */
	size_t		 nlen;
};

int	quote_input_load(struct quote_input *, const char *, const char *,
	    const char *, const char *, struct riv_err *);
void	quote_input_free(struct quote_input *);

int	cmd_bios_log(int, char **);
int	cmd_quote(int, char **);
int	cmd_appraise(int, char **);
int	cmd_ima_log(int, char **);
int	cmd_status(int, char **);
int	cmd_verdicts(int, char **);
int	cmd_tail(int, char **);
int	cmd_timeline(int, char **);

#endif
