/*
 * main.c — riv-attester: command line, logging, clocks and the main loop.
 *
 *   riv-attester --tpm NAME=TCTI [--tpm ...] [options]   run the publisher
 *   riv-attester ctl SOCKET COMMAND [ARG]               drive a running one
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attester.h"

#ifndef RIV_YANGDIR
#define RIV_YANGDIR "/usr/local/share/rivd/yang"
#endif

struct attester att;

/* Listening and security options of the NETCONF server. */
struct options {
	struct server_conf srv;
	const char	*control;
	const char	*yang_dir;
	const char	*standby[ATT_TPM_MAX];
	size_t		 nstandby;
};

static void	log_vprint(const char *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

/* Print a log line with a level tag on stderr. */
static void
log_vprint(const char *tag, const char *fmt, va_list ap)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "riv-attester[%ld.%03ld] %s", (long)ts.tv_sec,
	    ts.tv_nsec / 1000000, tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("", fmt, ap);
	va_end(ap);
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("warning: ", fmt, ap);
	va_end(ap);
}

/* Log a debugging line, only with -v. */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!att.verbose)
		return;
	va_start(ap, fmt);
	log_vprint("debug: ", fmt, ap);
	va_end(ap);
}

/* Read the monotonic clock. */
void
mono_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* Milliseconds from now until secs seconds after from. */
int64_t
ts_ms_left(const struct timespec *now, const struct timespec *from,
    uint32_t secs)
{
	return ms_between(*now, *from) + (int64_t)secs * 1000;
}

/* Add cs centiseconds to ts. */
void
ts_add_cs(struct timespec *ts, uint32_t cs)
{
	ts_add_ms(ts, (int64_t)cs * 10);
}

/* Ask the loop to stop (SIGINT, SIGTERM). */
static void
handle_quit(int sig)
{
	(void)sig;
	att.quit = 1;
}

/* Print the usage and exit with status. */
static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: riv-attester --tpm NAME=TCTI [--tpm NAME=TCTI ...] [options]\n"
"       riv-attester ctl SOCKET COMMAND [ARGUMENT]\n"
"\n"
"Publish TPM evidence on the NETCONF event streams pcr-trust-evidence,\n"
"bios-log and ima-log (yang/riv-attestation-streams) and attestation\n"
"(draft-ietf-rats-network-device-subscription-13).\n"
"\n"
"  --tpm NAME=TCTI          a TPM and its TCTI (swtpm:host=H,port=P or\n"
"                           device:/dev/tpmrm0); the first is the active\n"
"                           route processor\n"
"  --standby NAME           TPM NAME is a standby route processor\n"
"  --ak rsa|ecc             attestation key type (default rsa)\n"
"  --bios-log FILE          measured-boot log replayed into every TPM\n"
"  --ima-log FILE           IMA list (binary or ASCII) extended into PCR 10\n"
"  --state-dir DIR          AK files and configured subscriptions (.)\n"
"  --control SOCKET         control socket for device events\n"
"  --tls-listen ADDR:PORT   NETCONF over TLS (with --tls-cert, --tls-key,\n"
"                           --tls-ca: client certificates must chain to\n"
"                           the CA; the user name is their common name)\n"
"  --ssh-listen ADDR:PORT   NETCONF over SSH (with --ssh-host-key and\n"
"                           --ssh-authorized-keys; user --ssh-user, rivd)\n"
"  --send-timeout MS        close a session that takes longer than MS\n"
"                           to accept one notification (default 5000)\n"
"  --admin-user USER        USER reads every configured subscription's\n"
"                           nonce-seed (others only the seeds they wrote)\n"
"  --yang-dir DIR           YANG modules (default " RIV_YANGDIR ")\n"
"  --ietf-heartbeat S       tpm20-subscription-heartbeat of the stream\n"
"                           attestation (default 300)\n"
"  --ietf-marshalling S     its marshalling-period (default 5)\n"
"  --ietf-hostile MODES     TEST ONLY: break the draft's rules (late-quote,\n"
"                           no-heartbeat, extend-after-quote, wrong-extend,\n"
"                           wrong-nonce; comma-separated)\n"
"  -v                       debug logging\n"
"  -h, --help               this help\n"
"\n"
"Control commands: switchover, upgrade BIOSLOG, reboot, measure PATH,\n"
"tamper PCR, card-insert NAME, card-remove NAME, cert-change [NAME],\n"
"ietf-hostile MODES (test only), status.\n");
	exit(status);
}

/* Parse the command line into att and o; exit on errors. */
static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "tpm", required_argument, NULL, 't' },
		{ "standby", required_argument, NULL, 'S' },
		{ "ak", required_argument, NULL, 'a' },
		{ "bios-log", required_argument, NULL, 'b' },
		{ "ima-log", required_argument, NULL, 'i' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "control", required_argument, NULL, 'c' },
		{ "tls-listen", required_argument, NULL, 'L' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-ca", required_argument, NULL, 'A' },
		{ "ssh-listen", required_argument, NULL, 'l' },
		{ "ssh-host-key", required_argument, NULL, 'H' },
		{ "ssh-authorized-keys", required_argument, NULL, 'k' },
		{ "ssh-user", required_argument, NULL, 'u' },
		{ "admin-user", required_argument, NULL, 'U' },
		{ "send-timeout", required_argument, NULL, 'T' },
		{ "yang-dir", required_argument, NULL, 'y' },
		{ "ietf-heartbeat", required_argument, NULL, 'E' },
		{ "ietf-marshalling", required_argument, NULL, 'M' },
		{ "ietf-hostile", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct riv_err err;
	unsigned long v;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (device_add_tpm(optarg, &err) != 0) {
				fprintf(stderr, "riv-attester: %s\n", err.msg);
				exit(2);
			}
			break;
		case 'S':
			if (o->nstandby == ATT_TPM_MAX)
				usage(2);
			o->standby[o->nstandby++] = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "rsa") == 0)
				att.ak_alg = TPM_AK_RSA;
			else if (strcmp(optarg, "ecc") == 0)
				att.ak_alg = TPM_AK_ECC;
			else
				usage(2);
			break;
		case 'b': att.bios_file = optarg; break;
		case 'i': att.ima_file = optarg; break;
		case 'd': att.state_dir = optarg; break;
		case 'c': o->control = optarg; break;
		case 'L': o->srv.tls_listen = optarg; break;
		case 'C': o->srv.tls_cert = optarg; break;
		case 'K': o->srv.tls_key = optarg; break;
		case 'A': o->srv.tls_ca = optarg; break;
		case 'l': o->srv.ssh_listen = optarg; break;
		case 'H': o->srv.ssh_host_key = optarg; break;
		case 'k': o->srv.ssh_authorized_keys = optarg; break;
		case 'u': o->srv.ssh_user = optarg; break;
		case 'U':
			if (att.nadmins == ATT_ADMIN_MAX || *optarg == '\0') {
				fprintf(stderr, "riv-attester: --admin-user: "
				    "empty, or more than %d\n", ATT_ADMIN_MAX);
				exit(2);
			}
			att.admins[att.nadmins++] = optarg;
			break;
		case 'y': o->yang_dir = optarg; break;
		case 'T':
			v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v < 10 || v > 600000) {
				fprintf(stderr, "riv-attester: --send-timeout "
				    "%s: 10 to 600000 ms\n", optarg);
				usage(2);
			}
			att.send_timeout_ms = (uint32_t)v;
			break;
		case 'E':
			v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 65535) {
				fprintf(stderr, "riv-attester: --ietf-heartbeat "
				    "%s: 1 to 65535 s\n", optarg);
				usage(2);
			}
			att.ietf.heartbeat = (uint16_t)v;
			break;
		case 'M':
			v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v > 255) {
				fprintf(stderr, "riv-attester: "
				    "--ietf-marshalling %s: 0 to 255 s\n",
				    optarg);
				usage(2);
			}
			att.ietf.marshalling = (uint8_t)v;
			break;
		case 'X':
			if (ietf_hostile(optarg, &err) != 0) {
				fprintf(stderr, "riv-attester: %s\n", err.msg);
				exit(2);
			}
			break;
		case 'v': att.verbose = 1; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc || att.ntpms == 0) {
		fprintf(stderr, "riv-attester: %s\n", optind != argc ?
		    "unexpected arguments" : "at least one --tpm is needed");
		usage(2);
	}
	if (o->srv.tls_listen == NULL && o->srv.ssh_listen == NULL) {
		fprintf(stderr, "riv-attester: no --tls-listen or "
		    "--ssh-listen: nobody could subscribe\n");
		exit(2);
	}
	if (o->srv.tls_listen != NULL && (o->srv.tls_cert == NULL ||
	    o->srv.tls_key == NULL || o->srv.tls_ca == NULL)) {
		fprintf(stderr, "riv-attester: --tls-listen needs --tls-cert, "
		    "--tls-key and --tls-ca\n");
		exit(2);
	}
	if (o->srv.ssh_listen != NULL && (o->srv.ssh_host_key == NULL ||
	    o->srv.ssh_authorized_keys == NULL)) {
		fprintf(stderr, "riv-attester: --ssh-listen needs "
		    "--ssh-host-key and --ssh-authorized-keys\n");
		exit(2);
	}
}

/* Mark the standby route processors named on the command line. */
static void
set_standby(const struct options *o)
{
	size_t i;
	int t;

	for (i = 0; i < o->nstandby; i++) {
		if ((t = device_tpm_index(o->standby[i])) < 0) {
			fprintf(stderr, "riv-attester: --standby %s: no such "
			    "--tpm\n", o->standby[i]);
			exit(2);
		}
		att.tpms[t].standby = 1;
		att.tpms[t].rp = 1;
	}
}

/* Run the publisher until SIGINT or SIGTERM. */
static int
run(const struct options *o)
{
	struct riv_err err;
	struct sigaction sa;
	int64_t due, d;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handle_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	notify_init();

	clock_gettime(CLOCK_REALTIME, &att.start_time);
	if (device_start(&err) != 0 ||
	    yang_init(o->yang_dir ? o->yang_dir : RIV_YANGDIR, &err) != 0 ||
	    server_init(&o->srv, &err) != 0 || config_load(&err) != 0 ||
	    (o->control != NULL && control_open(o->control, &err) != 0)) {
		fprintf(stderr, "riv-attester: %s\n", err.msg);
		device_stop();
		return 1;
	}
	log_info("ready: %zu TPM(s)%s%s%s%s", att.ntpms,
	    o->srv.tls_listen ? ", TLS on " : "", o->srv.tls_listen ? o->srv.tls_listen :
	    "", o->srv.ssh_listen ? ", SSH on " : "", o->srv.ssh_listen ?
	    o->srv.ssh_listen : "");
	while (!att.quit) {
		due = sub_next_due_ms();
		if ((d = ietf_next_due_ms()) < due)
			due = d;
		if (due < 0 || due > 20)
			due = 20;
		server_poll((int)due);
		control_poll();
		callhome_run();
		sub_run();
		ietf_run(0);
	}
	log_info("stopping");
	sub_free_all();
	ietf_run(1);
	control_close();
	server_free();
	config_free();
	yang_free();
	device_stop();
	return 0;
}

int
main(int argc, char **argv)
{
	struct options o;

	if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
		if (argc < 4) {
			fprintf(stderr, "usage: riv-attester ctl SOCKET "
			    "COMMAND [ARGUMENT]\n");
			return 2;
		}
		return control_client(argv[2], argc - 3, argv + 3);
	}
	memset(&o, 0, sizeof(o));
	att.state_dir = ".";
	att.ak_alg = TPM_AK_RSA;
	att.next_id = SUB_DYNAMIC_ID_MIN;
	att.send_timeout_ms = 5000;
	att.ietf.marshalling = 5;
	att.ietf.heartbeat = 300;
	parse_options(argc, argv, &o);
	set_standby(&o);
	return run(&o);
}
