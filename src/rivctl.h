/*
 * rivctl.h — the rivctl subcommands.  Each returns the process exit status:
 * 0 valid/passed, 1 verification failed, 2 malformed or unreadable input.
 */
#ifndef RIV_RIVCTL_H
#define RIV_RIVCTL_H

int	cmd_bios_log(int, char **);
int	cmd_quote(int, char **);
int	cmd_appraise(int, char **);
int	cmd_ima_log(int, char **);

#endif
