/*
 * ssh.c — NETCONF over SSH for rivd's sessions (see rivd.h).  Not yet
 * written: every SSH attester fails to connect with a clear reason.
 */
#include <stdlib.h>

#include "rivd.h"

/* Start connecting a over SSH: not supported yet. */
int
ssh_open(struct attester *a, struct bufferevent **bev, struct riv_err *err)
{
	*bev = NULL;
	return err_set(err, -1, "attester %s: NETCONF over SSH is not "
	    "supported yet", a->name);
}

/* Why the SSH side failed, or NULL. */
const char *
ssh_error(const struct attester *a)
{
	(void)a;
	return NULL;
}

/* Free the SSH side of a. */
void
ssh_close(struct attester *a)
{
	a->ssh = NULL;
}
