/*
 * notify.c — build and send the notifications of riv-attestation-streams:
 * for each TPM of a subscription a quote made by the TPM with the chain's
 * nonce n as qualifying data, and for the log streams the entries since the
 * previous notification, split in chunks of max-entries; plus the RFC 8639
 * state-change notifications.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/evp.h>
#include <libyang/libyang.h>
#include <nc_server.h>

#include "attester.h"
#include "ima.h"
#include "nonce.h"

/*
 * The socket of the session a notification is being written to, while
 * the send is under way (-1 otherwise).  libnetconf2 2.0.24 writes a
 * message until it is all out, retrying every 100 us without a deadline
 * (io.c nc_write), so a client that stops reading would hold the one
 * thread for good; a timer (SIGALRM) shuts that socket down after
 * --send-timeout instead, the write fails and the session ends.
 */
static volatile sig_atomic_t stall_fd = -1;

/* SIGALRM: the send took too long; cut its session off (shutdown(2) is
 * async-signal-safe, and the socket stays open until the session is
 * freed, so it cannot be another one's). */
static void
stall_alarm(int sig)
{
	int fd = stall_fd;

	(void)sig;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* Install the send watchdog's signal handler. */
void
notify_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stall_alarm;
	sigaction(SIGALRM, &sa, NULL);
}

/* Arm (fd >= 0, for ms) or disarm (fd -1) the send watchdog. */
static void
stall_arm(int fd, uint32_t ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	if (fd < 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		stall_fd = -1;
		return;
	}
	stall_fd = fd;
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Add leaf name = binary data (base64) under parent.  Return 0 or -1. */
int
notify_bin(struct lyd_node *parent, const char *name, const uint8_t *p,
    size_t len)
{
	char *b64;
	int rc;

	if ((b64 = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, p, (int)len);
	rc = lyd_new_term(parent, NULL, name, b64, 0, NULL) == LY_SUCCESS ?
	    0 : -1;
	free(b64);
	return rc;
}

/* Add leaf name = the decimal value v under parent.  Return 0 or -1. */
int
notify_uint(struct lyd_node *parent, const char *name, unsigned long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", v);
	return lyd_new_term(parent, NULL, name, num, 0, NULL) == LY_SUCCESS ?
	    0 : -1;
}

/* Add the common header of an evidence notification. */
static int
add_header(struct lyd_node *n, const struct att_sub *s, const char *trigger,
    const char *detail)
{
	if (notify_uint(n, "subscription-id", s->id) != 0 ||
	    notify_uint(n, "sequence-number", s->seq) != 0 ||
	    notify_bin(n, "seed-id", s->seed_id, NONCE_SEED_ID) != 0 ||
	    lyd_new_term(n, NULL, "trigger", trigger, 0, NULL) != LY_SUCCESS)
		return -1;
	if (detail != NULL && *detail != '\0' &&
	    lyd_new_term(n, NULL, "trigger-detail", detail, 0, NULL) !=
	    LY_SUCCESS)
		return -1;
	return 0;
}

/* Add the PCR values of the selection in every bank under quote node q. */
int
notify_pcr_values(struct lyd_node *q, struct att_tpm *t, const uint32_t *sel,
    struct riv_err *err)
{
	struct lyd_node *u, *pv;
	struct pcrset v;
	char idx[12], alg[64];
	int b, p;

	for (b = 0; b < BANK_COUNT; b++) {
		if (sel[b] == 0)
			continue;
		if (tpm_pcr_read(t->tpm, b, sel[b], &v, err) != 0)
			return -1;
		snprintf(alg, sizeof(alg), "ietf-tcg-algs:%s", tcgalg_name(b));
		if (lyd_new_list(q, NULL, "unsigned-pcr-values", 0, &u) !=
		    LY_SUCCESS || lyd_new_term(u, NULL, "tpm20-hash-algo", alg,
		    0, NULL) != LY_SUCCESS)
			return err_set(err, -1, "yang: %s", ly_errmsg(att.ctx));
		for (p = 0; p < PCR_COUNT; p++) {
			if (!(sel[b] & (1u << p)))
				continue;
			snprintf(idx, sizeof(idx), "%d", p);
			if (lyd_new_list(u, NULL, "pcr-values", 0, &pv, idx) !=
			    LY_SUCCESS || notify_bin(pv, "pcr-value",
			    pcrset_get(&v, b, (unsigned)p),
			    bank_get(b)->size) != 0)
				return err_set(err, -1, "yang: %s",
				    ly_errmsg(att.ctx));
		}
	}
	return 0;
}

/*
 * Quote TPM index i for s with nonce and add the quote container under
 * the tpm node tn.
 */
static int
add_quote(struct lyd_node *tn, struct att_sub *s, size_t i,
    const uint8_t *nonce, size_t nlen, struct riv_err *err)
{
	struct att_tpm *t = &att.tpms[i];
	struct tpm_quote q;
	struct lyd_node *qn;
	struct timespec now;
	uint32_t pcrs = 0;
	int b, p;

	if (tpm_quote(t->tpm, nonce, nlen, s->sel, &q, err) != 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	if (lyd_new_inner(tn, NULL, "quote", 0, &qn) != LY_SUCCESS ||
	    lyd_new_term(qn, NULL, "certificate-name", t->cert, 0, NULL) !=
	    LY_SUCCESS || notify_bin(qn, "quote-data", q.attest,
	    q.attest_len) != 0 || notify_bin(qn, "quote-signature", q.sig,
	    q.sig_len) != 0 || notify_uint(qn, "up-time",
	    (unsigned long long)(now.tv_sec - t->boot_time.tv_sec)) != 0)
		return err_set(err, -1, "yang: %s", ly_errmsg(att.ctx));
	if (notify_pcr_values(qn, t, s->sel, err) != 0)
		return -1;
	for (b = 0; b < BANK_COUNT; b++)
		pcrs |= s->sel[b];
	for (p = 0; p < PCR_COUNT; p++) {
		if (!(pcrs & (1u << p)))
			continue;
		if (s->quoted[i] && t->pcr_changes[p] !=
		    s->changes_seen[i][p] && notify_uint(qn, "pcr-index-changed",
		    (unsigned long long)p) != 0)
			return err_set(err, -1, "yang: %s", ly_errmsg(att.ctx));
		s->changes_seen[i][p] = t->pcr_changes[p];
	}
	s->quoted[i] = 1;
	return 0;
}

/* Add one boot-log event as an RFC 9684 bios-event-entry. */
int
notify_bios_entry(struct lyd_node *tn, const struct bootlog_event *ev)
{
	struct lyd_node *e, *dl;
	char num[16], alg[64];
	int b;

	snprintf(num, sizeof(num), "%u", ev->number);
	if (lyd_new_list(tn, NULL, "bios-event-entry", 0, &e, num) !=
	    LY_SUCCESS || notify_uint(e, "event-type", ev->type) != 0)
		return -1;
	if (ev->pcr < 32 && notify_uint(e, "pcr-index", ev->pcr) != 0)
		return -1;
	for (b = 0; b < BANK_COUNT; b++) {
		if (!(ev->bank_mask & (1u << b)))
			continue;
		snprintf(alg, sizeof(alg), "ietf-tcg-algs:%s", tcgalg_name(b));
		if (lyd_new_list(e, NULL, "digest-list", 0, &dl) !=
		    LY_SUCCESS || lyd_new_term(dl, NULL, "hash-algo", alg, 0,
		    NULL) != LY_SUCCESS || notify_bin(dl, "digest",
		    ev->digests[b], bank_get(b)->size) != 0)
			return -1;
	}
	if (notify_uint(e, "event-size", ev->data_len) != 0 ||
	    notify_bin(e, "event-data", ev->data, ev->data_len) != 0)
		return -1;
	return 0;
}

/* Tell whether s is valid UTF-8 without control characters. */
static int
printable_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		n = p[i] < 0x80 ? 1 : (p[i] & 0xe0) == 0xc0 ? 2 :
		    (p[i] & 0xf0) == 0xe0 ? 3 : (p[i] & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || i + n > len)
			return 0;
		while (--n > 0)
			if ((p[++i] & 0xc0) != 0x80)
				return 0;
		i++;
	}
	return 1;
}

/*
 * Open a reader on IMA record rec (entry index) and read it into e.
 * Return 0 (the caller closes r) or -1.
 */
static int
ima_open_entry(struct ima_reader *r, struct ima_entry *e, const uint8_t *rec,
    size_t len, uint64_t index)
{
	struct riv_err err;

	if (ima_reader_open(r, rec, len, IMA_FORMAT_BINARY, -1, index,
	    &err) != RIV_OK)
		return -1;
	if (ima_reader_next(r, e, &err) != 1) {
		ima_reader_close(r);
		return -1;
	}
	return 0;
}

/*
 * Why the structured form (RFC 9684 ima-event-entry) cannot carry IMA
 * entry e, or NULL if it can: the templates ima, ima-ng and ima-sig with
 * a path of printable UTF-8 (filename-hint is a string from which the
 * Verifier rebuilds the template data).
 */
static const char *
ima_unstructurable(const struct ima_entry *e)
{
	if (strcmp(e->template_name, "ima") != 0 &&
	    strcmp(e->template_name, "ima-ng") != 0 &&
	    strcmp(e->template_name, "ima-sig") != 0)
		return "its template has no structured form";
	if (e->path == NULL || e->path_len >= 4096 || e->file_algo[0] == '\0')
		return "it has no file name or file hash";
	if (!printable_utf8(e->path, e->path_len))
		return "its file name is not printable UTF-8";
	return NULL;
}

/*
 * Tell whether the structured encoding can carry the entries of IMA list
 * log from event number from on: 0 if so; 1 if not, with the first such
 * entry's number in *bad and the reason in why; -1 if an entry cannot be
 * read.
 */
int
notify_ima_check(const struct att_log *log, uint64_t from, uint64_t *bad,
    char *why, size_t whylen)
{
	struct ima_reader r;
	struct ima_entry e;
	const char *no;
	uint64_t i;

	for (i = from; i < log->n; i++) {
		if (ima_open_entry(&r, &e, log->buf + log->off[i],
		    log->off[i + 1] - log->off[i], i) != 0) {
			*bad = i;
			snprintf(why, whylen, "it cannot be read");
			return -1;
		}
		no = ima_unstructurable(&e);
		if (no != NULL)
			snprintf(why, whylen, "template %s: %s",
			    e.template_name, no);
		ima_reader_close(&r);
		if (no != NULL) {
			*bad = i;
			return 1;
		}
	}
	return 0;
}

/*
 * Tell whether an ima-ng entry for a file named path would have a
 * structured form.
 */
int
notify_ima_path_ok(const char *path)
{
	size_t len = strlen(path);

	return len < 4096 && printable_utf8(path, len);
}

/*
 * Add one IMA record as an RFC 9684 ima-event-entry.  Return 0, or -1 on
 * error or if the structured form cannot carry it (establish-subscription
 * refused 'structured' for such a list, and the control socket does not
 * add such entries while a structured subscription could see them).
 */
int
notify_ima_entry(struct lyd_node *tn, const uint8_t *rec, size_t len,
    uint64_t index)
{
	struct ima_reader r;
	struct ima_entry e;
	struct lyd_node *n;
	char num[24], path[4097];
	const char *no;
	int rc = -1;

	if (ima_open_entry(&r, &e, rec, len, index) != 0)
		return -1;
	if ((no = ima_unstructurable(&e)) != NULL) {
		log_warnx("IMA entry %llu: %s", (unsigned long long)index, no);
		goto done;
	}
	memcpy(path, e.path, e.path_len);
	path[e.path_len] = '\0';
	snprintf(num, sizeof(num), "%llu", (unsigned long long)index);
	if (lyd_new_list(tn, NULL, "ima-event-entry", 0, &n, num) !=
	    LY_SUCCESS ||
	    lyd_new_term(n, NULL, "ima-template", e.template_name, 0, NULL) !=
	    LY_SUCCESS ||
	    lyd_new_term(n, NULL, "filename-hint", path, 0, NULL) !=
	    LY_SUCCESS ||
	    notify_bin(n, "filedata-hash", e.file_digest, e.file_digest_len) !=
	    0 ||
	    lyd_new_term(n, NULL, "filedata-hash-algorithm", e.file_algo, 0,
	    NULL) != LY_SUCCESS ||
	    lyd_new_term(n, NULL, "template-hash-algorithm",
	    bank_get(r.list_bank)->name, 0, NULL) != LY_SUCCESS ||
	    notify_bin(n, "template-hash", e.template_digest,
	    e.template_digest_len) != 0 ||
	    notify_uint(n, "pcr-index", e.pcr) != 0 ||
	    (e.sig_len > 0 && notify_bin(n, "signature", e.sig, e.sig_len) != 0))
		goto done;
	rc = 0;
done:
	ima_reader_close(&r);
	return rc;
}

/*
 * Add to tn the entries [from, to) of log (stream s), in the encoding the
 * subscription chose: never another one.
 */
static int
add_entries(struct lyd_node *tn, const struct att_sub *s,
    const struct att_log *log, uint64_t from, uint64_t to)
{
	uint64_t e;

	if (!s->raw) {
		for (e = from; e < to; e++)
			if ((s->stream == STREAM_BIOS ?
			    notify_bios_entry(tn, &log->ev[e]) :
			    notify_ima_entry(tn, log->buf + log->off[e],
			    log->off[e + 1] - log->off[e], e)) != 0)
				return -1;
		return 0;
	}
	if (to == from)
		return 0;
	return notify_bin(tn, "raw-entries", log->buf + log->off[from],
	    log->off[to] - log->off[from]);
}

/*
 * Add TPM index i's part of the notification n for s: the next chunk of
 * its log and, for the last chunk (or the quote stream), a quote.  Sets
 * *more when entries remain.
 */
static int
add_tpm(struct lyd_node *n, struct att_sub *s, size_t i, const uint8_t *nonce,
    size_t nlen, int *more, struct riv_err *err)
{
	struct att_tpm *t = &att.tpms[i];
	const struct att_log *log;
	struct lyd_node *tn;
	uint64_t from, to;

	if (lyd_new_list(n, NULL, "tpm", 0, &tn, t->name) != LY_SUCCESS)
		return err_set(err, -1, "yang: %s", ly_errmsg(att.ctx));
	if (s->stream != STREAM_PCR) {
		log = s->stream == STREAM_BIOS ? &t->bios : &t->ima;
		if (s->boot_seen[i] != 0 && s->boot_seen[i] != t->boot) {
			s->next_entry[i] = 0;
			if (lyd_new_term(tn, NULL, "log-restarted", NULL, 0,
			    NULL) != LY_SUCCESS)
				return err_set(err, -1, "yang: %s",
				    ly_errmsg(att.ctx));
		}
		s->boot_seen[i] = t->boot;
		from = s->next_entry[i];
		if (from > log->n)
			from = log->n;
		to = log->n - from > s->max_entries ? from + s->max_entries :
		    log->n;
		/* The quote comes first: the entries then hold every extend
		 * it covers (riv-attestation-streams, "Quotes and log
		 * entries"). */
		if (to == log->n && add_quote(tn, s, i, nonce, nlen, err) != 0)
			return -1;
		if (to > from && (notify_uint(tn, "first-event-number", from) !=
		    0 || add_entries(tn, s, log, from, to) != 0))
			return err_set(err, -1, "yang: entries %llu-%llu: %s",
			    (unsigned long long)from, (unsigned long long)to,
			    ly_errmsg(att.ctx));
		s->next_entry[i] = to;
		if (to < log->n) {
			*more = 1;
			return lyd_new_term(tn, NULL, "more-entries", NULL, 0,
			    NULL) == LY_SUCCESS ? 0 : -1;
		}
		return 0;
	}
	s->boot_seen[i] = t->boot;
	return add_quote(tn, s, i, nonce, nlen, err);
}

/* Send the notification tree n to the subscriber of s (n is consumed). */
static int
send_tree(struct att_sub *s, struct lyd_node *n)
{
	return notify_send(s->session, n);
}

/* Send the notification tree n on session (n is consumed). */
int
notify_send(struct nc_session *session, struct lyd_node *n)
{
	struct nc_server_notif *ntf;
	struct timespec now;
	char *when = NULL;
	NC_MSG_TYPE m;
	int fd;

	if (session == NULL) {
		lyd_free_all(n);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (ly_time_ts2str(&now, &when) != LY_SUCCESS ||
	    (ntf = nc_server_notif_new(n, when, NC_PARAMTYPE_FREE)) == NULL) {
		free(when);
		lyd_free_all(n);
		return -1;
	}
	fd = server_session_fd(session);
	stall_arm(fd, att.send_timeout_ms);
	m = nc_server_notif_send(session, ntf, (int)att.send_timeout_ms);
	stall_arm(-1, 0);
	nc_server_notif_free(ntf);
	if (m != NC_MSG_NOTIF)
		log_warnx("session %u: notification not sent (the session "
		    "failed, or did not take it within %u ms)",
		    nc_session_get_id(session), att.send_timeout_ms);
	return m == NC_MSG_NOTIF ? 0 : -1;
}

/*
 * Send the evidence of s for trigger (an identity, module-qualified):
 * one notification, or as many as the log deltas need.  Return 0 or -1.
 */
int
notify_evidence(struct att_sub *s, const char *trigger, const char *detail)
{
	const struct lys_module *mod;
	uint8_t nonce[DIGEST_MAX];
	struct lyd_node *n;
	struct riv_err err;
	uint32_t set = sub_tpm_set(s);
	size_t nlen, i;
	int more;

	mod = ly_ctx_get_module_implemented(att.ctx, "riv-attestation-streams");
	do {
		more = 0;
		n = NULL;
		if (config_seq_reserve(s) != 0)
			return -1;
		if (nonce_derive(s->hash, s->seed, s->seed_len, s->seq, nonce,
		    &nlen) != 0 || nlen > 64) {
			log_warnx("subscription %u: no nonce", s->id);
			return -1;
		}
		if (lyd_new_inner(NULL, mod, stream_name(s->stream), 0, &n) !=
		    LY_SUCCESS || add_header(n, s, trigger, detail) != 0) {
			log_warnx("subscription %u: %s", s->id,
			    ly_errmsg(att.ctx));
			lyd_free_all(n);
			return -1;
		}
		for (i = 0; i < att.ntpms; i++) {
			if (!(set & (1u << i)))
				continue;
			if (add_tpm(n, s, i, nonce, nlen, &more, &err) != 0) {
				log_warnx("subscription %u: TPM %s: %s", s->id,
				    att.tpms[i].name, err.msg);
				lyd_free_all(n);
				notify_state(s, "subscription-terminated",
				    "riv-attestation-streams:tpm-failure");
				return -1;
			}
		}
		if (send_tree(s, n) != 0)
			return -1;
		log_debug("subscription %u: notification %llu (%s)", s->id,
		    (unsigned long long)s->seq, trigger);
		s->seq++;
		s->sent++;
	} while (more);
	s->active_seen = set;
	return 0;
}

/*
 * Send the RFC 8639 state-change notification name (with reason, an
 * identity, if not NULL) for s.  Return 0 or -1.
 */
int
notify_state(struct att_sub *s, const char *name, const char *reason)
{
	const struct lys_module *mod;
	struct lyd_node *n = NULL;

	mod = ly_ctx_get_module_implemented(att.ctx,
	    "ietf-subscribed-notifications");
	if (lyd_new_inner(NULL, mod, name, 0, &n) != LY_SUCCESS ||
	    notify_uint(n, "id", s->id) != 0 || (reason != NULL &&
	    lyd_new_term(n, NULL, "reason", reason, 0, NULL) != LY_SUCCESS)) {
		lyd_free_all(n);
		return -1;
	}
	return send_tree(s, n);
}

/*
 * Send the RFC 8639 subscription-started notification of configured
 * subscription s (on each new call-home session).  Return 0 or -1.
 */
int
notify_started(struct att_sub *s)
{
	const struct lys_module *mod;
	struct lyd_node *n = NULL;

	mod = ly_ctx_get_module_implemented(att.ctx,
	    "ietf-subscribed-notifications");
	if (lyd_new_inner(NULL, mod, "subscription-started", 0, &n) !=
	    LY_SUCCESS || notify_uint(n, "id", s->id) != 0 ||
	    lyd_new_term(n, NULL, "stream", stream_name(s->stream), 0, NULL) !=
	    LY_SUCCESS || lyd_new_term(n, NULL, "transport",
	    "riv-attestation-streams:netconf-call-home", 0, NULL) !=
	    LY_SUCCESS) {
		log_warnx("subscription-started: %s", ly_errmsg(att.ctx));
		lyd_free_all(n);
		return -1;
	}
	return send_tree(s, n);
}
