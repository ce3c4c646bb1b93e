/*
 * control.c — the control socket (a Unix stream socket) through which tests,
 * the demo and operators act out device events, and `riv-attester ctl`, its
 * client.  One request per connection: a line "COMMAND [ARGUMENT]", answered
 * by lines ending with "ok" or "error: REASON".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attester.h"

#define CONTROL_LINE_MAX	4096

static int control_fd = -1;
static char *control_path;

/* Fill a Unix socket address for path.  Return 0 or -1 if too long. */
static int
control_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

/* Listen on the control socket at path.  Return 0 or -1. */
int
control_open(const char *path, struct riv_err *err)
{
	struct sockaddr_un sun;

	if (control_addr(path, &sun) != 0)
		return err_set(err, -1, "control socket %s: path too long",
		    path);
	unlink(path);
	if ((control_fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(control_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(control_fd, 8) == -1 ||
	    fcntl(control_fd, F_SETFL, O_NONBLOCK) == -1) {
		err_set(err, -1, "control socket %s: %s", path,
		    strerror(errno));
		if (control_fd != -1)
			close(control_fd);
		control_fd = -1;
		return -1;
	}
	control_path = strdup(path);
	return 0;
}

/* Write the status of the TPMs and subscriptions to f. */
static void
control_status(FILE *f)
{
	const struct att_tpm *t;
	const struct att_sub *s;
	size_t i;

	for (i = 0; i < att.ntpms; i++) {
		t = &att.tpms[i];
		fprintf(f, "tpm %s %s%s boot %u bios-events %llu ima-entries "
		    "%llu\n", t->name, !t->present ? "removed" : t->standby ?
		    "standby" : "active", t->failed ? " failed" : "", t->boot,
		    (unsigned long long)t->bios.n,
		    (unsigned long long)t->ima.n);
	}
	for (i = 0; i < att.nsubs; i++) {
		s = att.subs[i];
		if (s->dead)
			continue;
		fprintf(f, "subscription %u %s session %u next-sequence %llu "
		    "sent %llu\n", s->id, stream_name(s->stream),
		    s->session ? nc_session_get_id(s->session) : 0,
		    (unsigned long long)s->seq, (unsigned long long)s->sent);
	}
}

/* Carry out one command line, writing the answer to f. */
static void
control_run(char *line, FILE *f)
{
	struct riv_err err;
	char *cmd, *arg, *save, *end;
	unsigned long pcr;
	int rc = 0;

	err.msg[0] = '\0';
	if ((cmd = strtok_r(line, " \t\r\n", &save)) == NULL) {
		fprintf(f, "error: empty command\n");
		return;
	}
	arg = strtok_r(NULL, "\r\n", &save);
	log_info("control: %s%s%s", cmd, arg ? " " : "", arg ? arg : "");
	if (strcmp(cmd, "status") == 0) {
		control_status(f);
		ietf_status(f);
	} else if (strcmp(cmd, "ietf-hostile") == 0 && arg != NULL)
		rc = ietf_hostile(arg, &err);
	else if (strcmp(cmd, "switchover") == 0)
		rc = device_switchover(&err);
	else if (strcmp(cmd, "reboot") == 0)
		rc = device_reboot(0, NULL, &err);
	else if (strcmp(cmd, "upgrade") == 0 && arg != NULL)
		rc = device_reboot(1, arg, &err);
	else if (strcmp(cmd, "measure") == 0 && arg != NULL)
		rc = device_measure(arg, &err);
	else if (strcmp(cmd, "tamper") == 0 && arg != NULL) {
		pcr = strtoul(arg, &end, 10);
		rc = *end != '\0' || end == arg ? err_set(&err, -1, "tamper: "
		    "PCR number expected") : device_tamper((unsigned)pcr, &err);
	} else if (strcmp(cmd, "card-insert") == 0 && arg != NULL)
		rc = device_card(arg, 1, &err);
	else if (strcmp(cmd, "card-remove") == 0 && arg != NULL)
		rc = device_card(arg, 0, &err);
	else if (strcmp(cmd, "cert-change") == 0)
		rc = device_cert_change(arg, &err);
	else
		rc = err_set(&err, -1, "unknown command or missing argument: "
		    "%s (switchover, upgrade BIOSLOG, reboot, measure PATH, "
		    "tamper PCR, card-insert NAME, card-remove NAME, "
		    "cert-change [NAME], ietf-hostile MODES, status)",
		    cmd);
	if (rc != 0)
		fprintf(f, "error: %s\n", err.msg);
	else
		fprintf(f, "ok\n");
}

/* Serve the control requests waiting on the socket. */
void
control_poll(void)
{
	char line[CONTROL_LINE_MAX];
	struct timeval tv = { 2, 0 };
	FILE *f;
	int fd;

	if (control_fd == -1)
		return;
	while ((fd = accept(control_fd, NULL, NULL)) != -1) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if ((f = fdopen(fd, "r+")) == NULL) {
			close(fd);
			continue;
		}
		if (fgets(line, sizeof(line), f) != NULL)
			control_run(line, f);
		fclose(f);
	}
}

/* Close the control socket. */
void
control_close(void)
{
	if (control_fd != -1) {
		close(control_fd);
		unlink(control_path);
	}
	control_fd = -1;
	free(control_path);
	control_path = NULL;
}

/*
 * riv-attester ctl SOCKET COMMAND [ARGUMENT]: send the command, print the
 * answer.  Exit status 0 if it ended with ok, 1 on error, 2 if the
 * attester could not be reached.
 */
int
control_client(const char *path, int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[4096];
	int fd, i, ok = 0;
	ssize_t n;
	size_t len = 0;

	if (control_addr(path, &sun) != 0 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return 2;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "riv-attester ctl: %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return 2;
	}
	for (i = 0; i < argc; i++) {
		n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " :
		    "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(buf) - len - 1) {
			close(fd);
			fprintf(stderr, "riv-attester ctl: command too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	buf[len++] = '\n';
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return 2;
	}
	len = 0;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		fputs(buf, stdout);
		ok = strcmp(buf + (n >= 3 ? n - 3 : 0), "ok\n") == 0;
	}
	close(fd);
	return ok ? 0 : 1;
}
