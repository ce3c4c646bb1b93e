/*
 * ietf_attestation.c — the stream `attestation` of
 * draft-ietf-rats-network-device-subscription-13 (module
 * ietf-tpm-remote-attestation-stream, loaded as the minimally patched copy
 * in yang/): rivd reads /tpm:rats-support-structures (certificate-name ->
 * TPM), subscribes with one random nonce, the subscribed PCRs and replay
 * from boot, replays every pcr-extend per TPM into the subscription's bank,
 * and judges each tpm20-attestation: the AK's signature, extraData = the
 * nonce, the quoted PCR digest = the replay, the unsigned values, the TPM
 * clock (never back, ±15 % of rivd's elapsed time, safe, no reset or
 * restart on a live subscription), reference values, the 10 s between
 * pcr-extends and their quote, and the heartbeat.  No nonce chain: the
 * nonce plus the TPM clock make the freshness; after a clock anomaly, and
 * on appraise-now, rivd asks for an RFC 9684
 * tpm20-challenge-response-attestation with a new nonce.
 *
 * One verdict per tpm20-attestation (sequence: the subscription's count of
 * quotes), and a fail or error verdict for a pcr-extend that breaks a rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <libyang/libyang.h>

#include "bootlog.h"
#include "ima.h"
#include "refvals.h"
#include "stream.h"

#define SN_NS	"urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
#define TPM_NS	"urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation"
#define TRAS_NS	"urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation-stream"
#define TAA_NS	"urn:ietf:params:xml:ns:yang:ietf-tcg-algs"
#define QUOTE_DUE_MS	10000	/* the draft: a quote within 10 s of the
				   pcr-extends it covers */
#define QUOTE_SLACK_MS	2000
#define EXTENDS_MAX	100000	/* attested events in one pcr-extend */
#define RETRY_S		30
#define EV_SEPARATOR	0x00000004u
#define EV_ACTION	0x00000005u

/*
 * The bytes of the binary leaf at path under node, or NULL: the reply to
 * a challenge (take_challenge) is a libyang tree; notifications are read
 * by xdoc.c.
 */
static const uint8_t *
leaf_bin(const struct lyd_node *node, const char *path, size_t *len)
{
	const struct lyd_value_binary *bin;
	struct lyd_node *n;

	*len = 0;
	if (lyd_find_path(node, path, 0, &n) != LY_SUCCESS)
		return NULL;
	LYD_VALUE_GET(&((struct lyd_node_term *)n)->value, bin);
	*len = bin->size;
	return bin->data;
}

/*
 * Read the unsigned-pcr-values under node (a quote of the reply to a
 * challenge) into set, as read_reported (appraise.c) reads xdoc.c's.  A
 * pcr-values entry without its value is malformed if need_value, else left
 * out.  0, or -1 with v in error.
 */
static int
read_pcr_values(const struct lyd_node *node, int need_value,
    struct pcrset *set, struct verdict *v)
{
	struct ly_set *banks = NULL, *vals;
	const uint8_t *val;
	const char *alg;
	uint32_t i, j;
	size_t len;
	unsigned long p;
	int bank, rc = 0;

	pcrset_init(set);
	if (lyd_find_xpath(node, "unsigned-pcr-values", &banks) != LY_SUCCESS)
		return 0;
	for (i = 0; i < banks->count && rc == 0; i++) {
		alg = leaf_text(banks->dnodes[i], "tpm20-hash-algo");
		bank = alg ? tcgalg_bank(alg) : BANK_SHA256;
		vals = NULL;
		if (bank < 0 || lyd_find_xpath(banks->dnodes[i], "pcr-values",
		    &vals) != LY_SUCCESS)
			continue;
		for (j = 0; j < vals->count; j++) {
			p = strtoul(leaf_text(vals->dnodes[j], "pcr-index"),
			    NULL, 10);
			val = leaf_bin(vals->dnodes[j], "pcr-value", &len);
			if (val == NULL && !need_value)
				continue;
			if (p >= PCR_COUNT || val == NULL ||
			    len != bank_get(bank)->size) {
				verdict_error(v, "malformed");
				verdict_reason(v, "unsigned-pcr-values: %s PCR "
				    "%lu has %zu bytes", bank_get(bank)->name,
				    p, val ? len : 0);
				rc = -1;
				break;
			}
			pcrset_set(set, bank, (unsigned)p, val);
		}
		ly_set_free(vals, NULL);
	}
	ly_set_free(banks, NULL);
	return rc;
}

/* What rivd keeps of one TPM on the subscription. */
struct ietf_tpm {
	struct pcrset	 pcrs;		/* the replay, the subscription's bank */
	uint32_t	 pending;	/* PCRs extended since a quote covered
					   them */
	struct timespec	 pending_since;	/* monotonic: the first of them */
	int		 late_told;	/* a late-quote verdict was recorded */
	int		 quoted;	/* a quote of this subscription verified */
	int		 held;		/* quote holds a digest the replay
					   did not reach */
	struct quote	 quote;		/* that quote */
	uint64_t	 held_seq;
	int		 have_clock;
	uint64_t	 clock;
	uint32_t	 reset_count, restart_count;
	struct clock_pace pace;		/* the clock's pace anchors */
	int		 have_counts;	/* across subscriptions: reboots */
	uint32_t	 boot_reset, boot_restart;
	struct timespec	 covered[PCR_COUNT];	/* last quote of each PCR */
	uint64_t	 extends;	/* attested events replayed */
};

static void ietf_quote_due_cb(evutil_socket_t, short, void *);
static void ietf_challenge(struct subscription *, const char *);

/* The monotonic time now. */
static struct timespec
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* Write v little-endian into p. */
static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The value of a PCR at TPM2_Startup: zero, ones for PCRs 17-22. */
static void
pcr_initial(unsigned p, uint8_t *v, size_t size)
{
	memset(v, p >= 17 && p <= 22 ? 0xff : 0, size);
}

/* A TPM's state at the start of a subscription (replay from boot). */
static void
tpm_fresh(struct ietf_tpm *t, const struct conf_sub *c)
{
	uint8_t v[DIGEST_MAX];
	int have = t->have_counts;
	uint32_t r = t->boot_reset, rs = t->boot_restart;
	unsigned p;

	memset(t, 0, sizeof(*t));
	t->have_counts = have;
	t->boot_reset = r;
	t->boot_restart = rs;
	pcrset_init(&t->pcrs);
	if (c == NULL)
		return;
	for (p = 0; p < PCR_COUNT; p++)
		if (c->pcrs & (1u << p)) {
			pcr_initial(p, v, bank_get(c->bank)->size);
			pcrset_set(&t->pcrs, c->bank, p, v);
		}
}

/* stream_ops: a TPM's state. */
static void *
ietf_tpm_new(struct appraisal *ap)
{
	struct ietf_tpm *t;

	if ((t = calloc(1, sizeof(*t))) != NULL)
		tpm_fresh(t, ap->sub->conf);
	return t;
}

/* stream_ops: a restart is a new subscription's replay. */
static void
ietf_tpm_restart(void *t)
{
	pcrset_init(&((struct ietf_tpm *)t)->pcrs);
}

/* stream_ops: not called (sub_notification hands the stream over). */
static int
ietf_pcrs_unused(struct appraisal *ap, void *t, struct tpm_part *tp,
    struct verdict *v)
{
	(void)ap; (void)t; (void)tp; (void)v;
	return -1;
}

/*
 * Nothing is saved and there is no log position, as for quotes only
 * (pcr_evidence.c): every subscription replays from boot.
 */
const struct stream_ops ietf_attestation_ops = {
	"attestation",
	ietf_tpm_new, ietf_tpm_restart, free,
	NULL, ietf_pcrs_unused, pcr_save, pcr_load, pcr_position
};

/* The TPM state i of subscription s. */
static struct ietf_tpm *
tpm_state(struct subscription *s, int i)
{
	return s->appraisal->tpm[i];
}

/*
 * Forget the appraisal of every TPM of s: a new subscription replays
 * from boot with a new nonce.
 */
static void
ietf_forget(struct subscription *s)
{
	size_t i;

	for (i = 0; i < s->att->ntpms; i++)
		if (tpm_state(s, (int)i) != NULL)
			tpm_fresh(tpm_state(s, (int)i), s->conf);
	if (s->reseed_ev != NULL)
		evtimer_del(s->reseed_ev);
	s->ietf.quotes = 0;
	s->ietf.replaying = 1;
}

/*
 * Send the <get> of /tpm:rats-support-structures for s (session up); the
 * reply goes on to establish-subscription.
 */
void
ietf_establish(struct subscription *s)
{
	char *rpc = NULL;
	size_t len = 0;
	FILE *f;

	s->state = SUB_IDLE;
	s->stale = 0;
	s->conf_changed = 0;
	if (s->ietf.live_id != 0) {
		/* A subscription of the attester that rivd gives up. */
		sub_drop_id(s->att, s->ietf.live_id);
		s->ietf.live_id = 0;
	}
	if ((f = open_memstream(&rpc, &len)) == NULL)
		goto fail;
	fprintf(f, "<get><filter type=\"subtree\"><rats-support-structures "
	    "xmlns=\"%s\"/></filter></get>", TPM_NS);
	s->ietf.rpc = IETF_RPC_GET;
	if (sub_send_stream(s, f, &rpc) != 0)
		goto fail;
	s->state = SUB_PENDING;
	return;
fail:
	log_warnx("attester %s attestation: cannot send <get>", s->att->name);
	s->ietf.rpc = IETF_RPC_NONE;
	sub_plan_retry(s, RETRY_S);
}

/* Send establish-subscription for s with a new nonce.  0 or -1. */
static int
ietf_subscribe(struct subscription *s)
{
	char b64[4 * IETF_NONCE_LEN / 3 + 8], *rpc = NULL;
	size_t len = 0;
	FILE *f;
	int p;

	if (RAND_bytes(s->ietf.nonce, IETF_NONCE_LEN) != 1 ||
	    (f = open_memstream(&rpc, &len)) == NULL)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, s->ietf.nonce, IETF_NONCE_LEN);
	fprintf(f, "<establish-subscription xmlns=\"%s\"><stream>attestation"
	    "</stream><replay-start-time>1970-01-01T00:00:00Z"
	    "</replay-start-time><nonce-value xmlns=\"%s\">%s</nonce-value>",
	    SN_NS, TRAS_NS, b64);
	for (p = 0; p < PCR_COUNT; p++)
		if (s->conf->pcrs & (1u << p))
			fprintf(f, "<pcr-index xmlns=\"%s\">%d</pcr-index>",
			    TRAS_NS, p);
	fprintf(f, "</establish-subscription>");
	s->ietf.pcrs = s->conf->pcrs;
	s->ietf.bank = s->conf->bank;
	ietf_forget(s);
	s->ietf.rpc = IETF_RPC_ESTABLISH;
	return sub_send_stream(s, f, &rpc);
}

/*
 * The attester's TPM that certificate-name names: through the
 * certificates read from /tpm:rats-support-structures, else a TPM of
 * that name.  -1 if none.
 */
static int
tpm_by_cert(const struct subscription *s, const char *cert)
{
	size_t i;

	for (i = 0; cert != NULL && i < s->ietf.ncerts; i++)
		if (strcmp(s->ietf.certs[i].name, cert) == 0)
			return s->ietf.certs[i].tpm;
	return tpm_index(s->att, cert);
}

/*
 * Read /tpm:rats-support-structures from the <get> reply: the
 * certificate names of each configured TPM, the attester's heartbeat,
 * marshalling period and bank.  The opaque parse of the reply
 * (message_parse) checks no types: the subtree is printed and parsed
 * again against the schema.
 */
static void
read_support(struct subscription *s, const struct lyd_node *reply)
{
	struct lyd_node *tree = NULL;
	const struct lyd_node *rss;
	struct ly_set *tpms = NULL, *certs;
	const char *name, *v;
	char *sub = NULL;
	uint32_t i, j;
	int t;

	s->ietf.ncerts = 0;
	s->ietf.attester_heartbeat = 0;
	if ((rss = message_child(message_child(reply, NETCONF_NS, "data"),
	    TPM_NS, "rats-support-structures")) == NULL) {
		log_info("attester %s attestation: no rats-support-structures: "
		    "certificate names are taken as TPM names", s->att->name);
		return;
	}
	if (lyd_print_mem(&sub, rss, LYD_XML, LYD_PRINT_SHRINK) !=
	    LY_SUCCESS || lyd_parse_data_mem(rivd.ctx, sub, LYD_XML,
	    LYD_PARSE_ONLY, 0, &tree) != LY_SUCCESS) {
		log_warnx("attester %s attestation: rats-support-structures: "
		    "%s", s->att->name, ly_errmsg(rivd.ctx));
		goto done;
	}
	if (lyd_find_xpath(tree, "/ietf-tpm-remote-attestation:"
	    "rats-support-structures/tpms/tpm", &tpms) != LY_SUCCESS)
		goto done;
	for (i = 0; i < tpms->count; i++) {
		name = leaf_text(tpms->dnodes[i], "name");
		if ((t = tpm_index(s->att, name)) < 0)
			continue;	/* a TPM rivd has no AK of */
		certs = NULL;
		if (lyd_find_xpath(tpms->dnodes[i], "certificates/certificate",
		    &certs) != LY_SUCCESS)
			continue;
		for (j = 0; j < certs->count && s->ietf.ncerts <
		    IETF_CERTS_MAX; j++) {
			snprintf(s->ietf.certs[s->ietf.ncerts].name,
			    RIVD_NAME_MAX, "%s",
			    leaf_text(certs->dnodes[j], "name"));
			s->ietf.certs[s->ietf.ncerts++].tpm = t;
		}
		ly_set_free(certs, NULL);
	}
	if ((v = leaf_text(tree, "/ietf-tpm-remote-attestation:"
	    "rats-support-structures/" IETF_STREAM_MODULE
	    ":tpm20-subscription-heartbeat")) != NULL)
		s->ietf.attester_heartbeat = (uint16_t)strtoul(v, NULL, 10);
	if ((v = leaf_text(tree, "/ietf-tpm-remote-attestation:"
	    "rats-support-structures/tpms/" IETF_STREAM_MODULE
	    ":tpm20-hash-algo")) != NULL && tcgalg_bank(v) !=
	    s->conf->bank)
		sub_error_verdict(s, "bank", "the attester's attestation "
		    "stream extends another bank than the subscription's");
	if (s->ietf.attester_heartbeat > s->conf->heartbeat)
		log_warnx("attester %s attestation: its heartbeat (%u s) is "
		    "longer than rivd's (%u s): expect stale verdicts",
		    s->att->name, s->ietf.attester_heartbeat,
		    s->conf->heartbeat);
done:
	ly_set_free(tpms, NULL);
	lyd_free_all(tree);
	free(sub);
}

/* The reply to establish-subscription for s. */
static void
take_established(struct subscription *s, const struct lyd_node *reply)
{
	char buf[64];

	if (sub_take_id(s, reply) != 0)
		return;
	s->ietf.live_id = s->id;
	s->state = SUB_ACTIVE;
	s->ietf.replaying = 1;
	sub_arm_heartbeat(s);
	sub_note(s, "active", message_text(reply, SN_NS,
	    "replay-start-time-revision", buf, sizeof(buf)) ?
	    "replay since boot" : "");
	log_info("attester %s: subscribed to attestation (id %u)",
	    s->att->name, s->id);
}

/*
 * Tell whether rpc-error err says a PCR cannot be subscribed: its
 * error-app-tag, or the reason in its
 * establish-subscription-stream-error-info, is pcr-unsubscribable.
 */
static int
pcr_unsubscribable(const struct lyd_node *err)
{
	char tag[128];

	if (message_text(err, NETCONF_NS, "error-app-tag", tag, sizeof(tag)) !=
	    NULL && message_tag_is(tag, "pcr-unsubscribable"))
		return 1;
	return message_text(message_child(message_child(err, NETCONF_NS,
	    "error-info"), SN_NS, "establish-subscription-stream-error-info"),
	    SN_NS, "reason", tag, sizeof(tag)) != NULL &&
	    message_tag_is(tag, "pcr-unsubscribable");
}

/*
 * An rpc-error (err) answers the RPC of s (what it was: op): an error
 * verdict, and a new subscription later.
 */
static void
take_refusal(struct subscription *s, const char *op,
    const struct lyd_node *err)
{
	char why[512], m[256], tag[128];
	int pcr = pcr_unsubscribable(err);

	snprintf(why, sizeof(why), "%s refused: %s (%s)", op,
	    message_text(err, NETCONF_NS, "error-message", m, sizeof(m)) ?
	    m : "no message",
	    message_text(err, NETCONF_NS, "error-app-tag", tag, sizeof(tag)) ?
	    tag : pcr ? "pcr-unsubscribable" : "no app tag");
	log_warnx("attester %s attestation: %s", s->att->name, why);
	sub_error_verdict(s, pcr ? "pcr-unsubscribable" : "subscription",
	    why);
	if (s->state == SUB_ACTIVE)
		return;		/* a refused challenge: the stream goes on */
	s->state = SUB_IDLE;
	sub_note(s, "refused", why);
	sub_plan_retry(s, RETRY_S);
}

static void take_challenge(struct subscription *,
    const struct lyd_node *);

/*
 * The reply to an RPC of subscription s (its rpc_id) arrived: reply, the
 * parsed <rpc-reply> (message_parse).
 */
void
ietf_rpc_reply(struct subscription *s, const struct lyd_node *reply)
{
	const struct lyd_node *err = message_child(reply, NETCONF_NS,
	    "rpc-error");
	int rpc = s->ietf.rpc;

	s->ietf.rpc = IETF_RPC_NONE;
	switch (rpc) {
	case IETF_RPC_GET:
		if (err == NULL)
			read_support(s, reply);
		else
			log_warnx("attester %s attestation: <get> of "
			    "rats-support-structures refused", s->att->name);
		if (ietf_subscribe(s) != 0) {
			log_warnx("attester %s attestation: cannot send "
			    "establish-subscription", s->att->name);
			s->state = SUB_IDLE;
			sub_plan_retry(s, RETRY_S);
		}
		break;
	case IETF_RPC_ESTABLISH:
		if (err != NULL)
			take_refusal(s, "establish-subscription", err);
		else
			take_established(s, reply);
		break;
	case IETF_RPC_CHALLENGE:
		if (err != NULL)
			take_refusal(s, "tpm20-challenge-response-attestation",
			    err);
		else
			take_challenge(s, reply);
		break;
	}
}

/*
 * The draft has no modify-subscription: other PCRs or another bank make a
 * new subscription; otherwise (appraise-now, a new heartbeat) a challenge
 * for a fresh quote.
 */
void
ietf_modify(struct subscription *s)
{
	if (s->state == SUB_PENDING) {
		s->conf_changed = 1;
		return;
	}
	if (s->state != SUB_ACTIVE)
		return;
	if (s->conf_changed || s->ietf.rpc != IETF_RPC_NONE ||
	    s->ietf.pcrs != s->conf->pcrs || s->ietf.bank != s->conf->bank) {
		ietf_establish(s);
		return;
	}
	ietf_challenge(s, "fresh evidence asked for");
}

/* Arm the quote-due timer of s in ms. */
static void
arm_quote_due(struct subscription *s, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	if (s->reseed_ev == NULL && (s->reseed_ev = evtimer_new(rivd.base,
	    ietf_quote_due_cb, s)) == NULL)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->reseed_ev, &tv);
}

/*
 * Arm the quote-due timer for the earliest pending extends of s (none:
 * stop it).
 */
static void
plan_quote_due(struct subscription *s)
{
	struct timespec now = mono_now();
	struct ietf_tpm *t;
	int64_t left, best = -1;
	size_t i;

	for (i = 0; i < s->att->ntpms; i++) {
		t = tpm_state(s, (int)i);
		if (t == NULL || t->pending == 0 || t->late_told)
			continue;
		left = QUOTE_DUE_MS + QUOTE_SLACK_MS -
		    ms_between(t->pending_since, now);
		if (best < 0 || left < best)
			best = left;
	}
	if (best >= 0)
		arm_quote_due(s, best);
	else if (s->reseed_ev != NULL)
		evtimer_del(s->reseed_ev);
}

/* The replay is over: the extends it brought are due in a quote now. */
void
ietf_replay_completed(struct subscription *s)
{
	struct timespec now = mono_now();
	struct ietf_tpm *t;
	size_t i;

	s->ietf.replaying = 0;
	for (i = 0; i < s->att->ntpms; i++)
		if ((t = tpm_state(s, (int)i)) != NULL && t->pending != 0)
			t->pending_since = now;
	plan_quote_due(s);
	log_debug("attester %s attestation: replay completed", s->att->name);
}

/* A list of the PCRs of mask ("0,7,10") in buf. */
static const char *
pcr_names(uint32_t mask, char *buf, size_t cap)
{
	size_t n = 0;
	int p;

	buf[0] = '\0';
	for (p = 0; p < PCR_COUNT && n < cap; p++)
		if (mask & (1u << p))
			n += (size_t)snprintf(buf + n, cap - n, "%s%d",
			    n ? "," : "", p);
	return buf;
}

/* Start a verdict of s now about TPM i. */
static void
start_verdict(struct verdict *v, struct subscription *s, int i,
    int64_t received)
{
	verdict_start(v, s, received);
	v->sequence = s->ietf.quotes;
	memcpy(v->nonce, s->ietf.nonce, IETF_NONCE_LEN);
	v->nonce_len = IETF_NONCE_LEN;
	if (i >= 0)
		snprintf(v->tpm, sizeof(v->tpm), "%s", s->att->tpms[i].name);
}

/*
 * No quote came within 10 s (and a slack) of pcr-extends: a failed
 * verdict naming the rule and the PCRs, once per lot of extends.
 */
static void
ietf_quote_due_cb(evutil_socket_t fd, short what, void *arg)
{
	struct subscription *s = arg;
	struct timespec now = mono_now();
	struct ietf_tpm *t;
	struct verdict v;
	char pcrs[96];
	size_t i;

	(void)fd; (void)what;
	for (i = 0; i < s->att->ntpms; i++) {
		t = tpm_state(s, (int)i);
		if (t == NULL || t->pending == 0 || t->late_told ||
		    ms_between(t->pending_since, now) < QUOTE_DUE_MS +
		    QUOTE_SLACK_MS)
			continue;
		start_verdict(&v, s, (int)i, now_us());
		v.no_evidence = 1;
		verdict_fail(&v, "late-quote");
		verdict_reason(&v, "TPM %s: no tpm20-attestation within %d s "
		    "of the pcr-extend of PCRs %s (draft: a quote SHOULD "
		    "follow within 10 s)", s->att->tpms[i].name,
		    QUOTE_DUE_MS / 1000, pcr_names(t->pending, pcrs,
		    sizeof(pcrs)));
		sub_record(s, "late-quote", &v, NULL);
		t->late_told = 1;
	}
	plan_quote_due(s);
}

/*
 * Check IMA entry e of attested event k against extended-with (dig): an
 * ima-ng entry (d-ng then n-ng) must hash as the kernel hashes it to dig.
 * 0, or -1 with v failed.
 */
static int
check_ima_entry(int bank, const struct xnode *e, uint64_t k,
    const uint8_t *dig, struct verdict *v)
{
	const char *tmpl = xnode_text(e, "ima-template");
	const char *alg = xnode_text(e, "filedata-hash-algorithm");
	const char *name = xnode_text(e, "filename-hint");
	size_t size = bank_get(bank)->size, dlen, al, nl, n;
	const uint8_t *d = xnode_bin(e, "filedata-hash", &dlen);
	struct ima_entry ie;
	uint8_t h[DIGEST_MAX], *buf;
	int rc = 0;

	if (tmpl == NULL || strcmp(tmpl, "ima-ng") != 0 || d == NULL ||
	    name == NULL || alg == NULL)
		return 0;
	al = strlen(alg) + 2;
	nl = strlen(name) + 1;
	if (dlen > DIGEST_MAX || al > 64 || nl > 4096 ||
	    (buf = malloc(8 + al + dlen + nl)) == NULL)
		return 0;
	put_le32(buf, (uint32_t)(al + dlen));
	memcpy(buf + 4, alg, al - 2);
	memcpy(buf + 4 + al - 2, ":", 2);	/* ":\0" */
	memcpy(buf + 4 + al, d, dlen);
	n = 4 + al + dlen;
	put_le32(buf + n, (uint32_t)nl);
	memcpy(buf + n + 4, name, nl);
	n += 4 + nl;
	memset(&ie, 0, sizeof(ie));
	ie.template_data = buf;
	ie.template_data_len = n;
	if (ima_template_hash(NULL, bank, &ie, h) == 0 &&
	    memcmp(h, dig, size) != 0) {
		verdict_fail(v, "event");
		verdict_reason(v, "attested event %llu: the IMA entry of %s "
		    "hashes to another digest than extended-with",
		    (unsigned long long)k, name);
		rc = -1;
	}
	free(buf);
	return rc;
}

/*
 * Check boot-log entry e of attested event k against extended-with (dig):
 * its digest in the bank, and the data of events whose digest is its
 * hash.  0, or -1 with v failed.
 */
static int
check_bios_entry(int bank, const struct xnode *e, uint64_t k,
    const uint8_t *dig, struct verdict *v)
{
	size_t size = bank_get(bank)->size, dlen;
	const struct xnode *dl;
	const uint8_t *d;
	const char *x;
	uint8_t h[DIGEST_MAX];
	unsigned long type;
	int rc = 0;

	for (dl = xnode_child(e, "digest-list"); dl != NULL;
	    dl = xnode_next_named(dl)) {
		x = xnode_text(dl, "hash-algo");
		d = xnode_bin(dl, "digest", &dlen);
		if (x == NULL || tcgalg_bank(x) != bank || d == NULL)
			continue;
		if (dlen != size || memcmp(d, dig, size) != 0) {
			verdict_fail(v, "event");
			verdict_reason(v, "attested event %llu: its boot-log "
			    "digest is not extended-with",
			    (unsigned long long)k);
			rc = -1;
		}
	}
	x = xnode_text(e, "event-type");
	d = xnode_bin(e, "event-data", &dlen);
	if (rc != 0 || x == NULL || d == NULL)
		return rc;
	type = strtoul(x, NULL, 10);
	if ((type == EV_SEPARATOR || type == EV_ACTION ||
	    type == EV_EFI_ACTION) && bank_hash(bank, d, dlen, h) == 0 &&
	    memcmp(h, dig, size) != 0) {
		verdict_fail(v, "event");
		verdict_reason(v, "attested event %llu: event type %s, its "
		    "data does not hash to extended-with",
		    (unsigned long long)k, x);
		return -1;
	}
	return 0;
}

/* Tell whether e is an RFC 9684 bios-event-entry or ima-event-entry. */
static int
is_event_entry(const struct xnode *e)
{
	return strcmp(e->name, "bios-event-entry") == 0 ||
	    strcmp(e->name, "ima-event-entry") == 0;
}

/*
 * Check the event details of attested event k (node ev) against
 * extended-with (dig) for PCR pcr: RFC 9684 bios-event-entry and
 * ima-event-entry.  Adds to v; 0 or -1.
 */
static int
check_details(struct subscription *s, const struct xnode *ev, uint64_t k,
    unsigned pcr, const uint8_t *dig, struct verdict *v)
{
	int bank = s->conf->bank, rc;
	const struct xnode *e;
	const char *x;

	for (e = ev->child; e != NULL; e = e->next) {
		if (!is_event_entry(e))
			continue;
		if ((x = xnode_text(e, "pcr-index")) != NULL &&
		    strtoul(x, NULL, 10) != pcr) {
			verdict_fail(v, "event");
			verdict_reason(v, "attested event %llu: its details "
			    "name PCR %s, not %u", (unsigned long long)k, x,
			    pcr);
			return -1;
		}
		if (strcmp(e->name, "ima-event-entry") == 0)
			rc = check_ima_entry(bank, e, k, dig, v);
		else
			rc = check_bios_entry(bank, e, k, dig, v);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The PCR an attested event extended, or -1 (reason in v). */
static int
event_pcr(const struct xnode *ev, uint32_t changed, uint64_t k,
    struct verdict *v)
{
	const struct xnode *c;
	const char *x = NULL;
	unsigned long p;

	for (c = ev->child; c != NULL && x == NULL; c = c->next)
		if (is_event_entry(c))
			x = xnode_text(c, "pcr-index");
	if (x != NULL)
		p = strtoul(x, NULL, 10);
	else if (changed != 0 && (changed & (changed - 1)) == 0)
		for (p = 0; !(changed & (1u << p)); p++)
			;
	else {
		verdict_error(v, "malformed");
		verdict_reason(v, "attested event %llu: no event details to "
		    "tell which of the changed PCRs it extended",
		    (unsigned long long)k);
		return -1;
	}
	if (p >= PCR_COUNT || !(changed & (1u << p))) {
		verdict_error(v, "malformed");
		verdict_reason(v, "attested event %llu extended PCR %lu, "
		    "which pcr-index-changed does not list",
		    (unsigned long long)k, p);
		return -1;
	}
	return (int)p;
}

/*
 * A quote the replay did not reach (held) now matches: the pcr-extend
 * that got it there came after the quote that included it.
 */
static void
check_held(struct subscription *s, struct ietf_tpm *t, int i,
    struct verdict *v)
{
	struct riv_err err;

	if (!t->held || quote_check_pcrs(&t->quote, &t->pcrs, &err) !=
	    RIV_OK)
		return;
	verdict_fail(v, "extend-after-quote");
	verdict_reason(v, "TPM %s: this pcr-extend brings the replay to the "
	    "PCRs of tpm20-attestation %llu, which came before it (draft: "
	    "pcr-extend MUST precede the quote that includes it)",
	    s->att->tpms[i].name, (unsigned long long)t->held_seq);
	t->held = 0;
}

/*
 * The attested event (container) of list entry e, or of the first entry
 * after it that holds one; NULL if none.
 */
static const struct xnode *
next_event(const struct xnode *e)
{
	const struct xnode *ev;

	for (; e != NULL; e = xnode_next_named(e))
		if ((ev = xnode_child(e, "attested-event")) != NULL)
			return ev;
	return NULL;
}

/* Replay a pcr-extend notification op of s into v. */
static void
take_extend(struct subscription *s, const struct xnode *op, int i,
    struct verdict *v)
{
	struct ietf_tpm *t = tpm_state(s, i);
	int bank = s->conf->bank, p;
	size_t size = bank_get(bank)->size, len, n = 0;
	const struct xnode *c, *ev, *first;
	uint8_t val[DIGEST_MAX];
	const uint8_t *dig, *cur;
	uint32_t changed = 0, touched = 0;
	unsigned long x;

	for (c = xnode_child(op, "pcr-index-changed"); c != NULL;
	    c = xnode_next_named(c))
		if ((x = strtoul(c->text, NULL, 10)) < PCR_COUNT)
			changed |= 1u << x;
	first = next_event(xnode_child(op, "attested-event"));
	for (ev = first; ev != NULL; ev = next_event(xnode_next_named(
	    ev->parent)))
		n++;
	if (n == 0) {
		verdict_error(v, "malformed");
		verdict_reason(v, "pcr-extend without attested events");
		return;
	}
	if (n > EXTENDS_MAX) {
		verdict_error(v, "malformed");
		verdict_reason(v, "pcr-extend with %zu attested events (at "
		    "most %d)", n, EXTENDS_MAX);
		return;
	}
	for (ev = first; ev != NULL; ev = next_event(xnode_next_named(
	    ev->parent)), t->extends++) {
		dig = xnode_bin(ev, "extended-with", &len);
		if (dig == NULL || len != size) {
			verdict_error(v, "malformed");
			verdict_reason(v, "attested event %llu: extended-with "
			    "is %zu bytes, the %s bank needs %zu",
			    (unsigned long long)t->extends, len,
			    bank_get(bank)->name, size);
			goto done;
		}
		if ((p = event_pcr(ev, changed, t->extends, v)) < 0)
			goto done;
		if (!(s->conf->pcrs & (1u << p)))
			continue;	/* not subscribed: not ours to replay */
		check_details(s, ev, t->extends, (unsigned)p, dig, v);
		if ((cur = pcrset_get(&t->pcrs, bank, (unsigned)p)) == NULL)
			continue;
		memcpy(val, cur, size);
		bank_extend(bank, val, dig);
		pcrset_set(&t->pcrs, bank, (unsigned)p, val);
		touched |= 1u << p;
	}
done:
	if (touched == 0)
		return;
	if (t->pending == 0 && !s->ietf.replaying)
		t->pending_since = mono_now();
	t->pending |= touched;
	check_held(s, t, i, v);
	if (!s->ietf.replaying)
		plan_quote_due(s);
}

/*
 * Parse and verify a quote (att, sig) of TPM i against nonce: structure,
 * signature with the TPM's AK, extraData, a selection rivd can check.
 * 0, or -1 with v failed or in error.
 */
static int
verify_quote(struct subscription *s, int i, const uint8_t *att, size_t alen,
    const uint8_t *sig, size_t slen, const uint8_t *nonce, struct quote *q,
    struct verdict *v)
{
	struct tpm_view *tv = &s->att->tpms[i];
	struct riv_err err;

	if (att == NULL || sig == NULL) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: a quote without quote-data or "
		    "quote-signature", tv->name);
		return -1;
	}
	if (quote_parse(att, alen, q, &err) != RIV_OK) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: quote-data: %s", tv->name, err.msg);
		return -1;
	}
	if (quote_verify(att, alen, sig, slen, &tv->ak, q, &err) != RIV_OK) {
		verdict_fail(v, "signature");
		verdict_reason(v, "TPM %s: %s", tv->name, err.msg);
		return -1;
	}
	if (quote_check_nonce(q, nonce, IETF_NONCE_LEN, &err) != RIV_OK) {
		verdict_fail(v, "nonce");
		verdict_reason(v, "TPM %s: %s (extraData is not the nonce rivd "
		    "sent)", tv->name, err.msg);
		return -1;
	}
	if (quote_check_selection(q, &err) != RIV_OK) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: %s", tv->name, err.msg);
		return -1;
	}
	if (v->pcr_digest_len == 0 && q->pcr_digest_len <= sizeof(
	    v->pcr_digest)) {
		memcpy(v->pcr_digest, q->pcr_digest, q->pcr_digest_len);
		v->pcr_digest_len = q->pcr_digest_len;
	}
	return 0;
}

/*
 * The draft's clock rules for a quote q of TPM i on a live subscription:
 * the clock never goes back, advances within ±15 % of rivd's elapsed time
 * since the previous quote, is safe; resetCount and restartCount do not
 * change (a reboot ends the subscription).  Return 1 if the counts
 * changed, -1 for another clock anomaly, 0 if all is well.
 */
static int
check_clock(struct subscription *s, int i, const struct quote *q,
    struct timespec now, struct verdict *v)
{
	struct ietf_tpm *t = tpm_state(s, i);
	const char *name = s->att->tpms[i].name;
	int rc = 0, anew = !t->have_clock;

	if (t->have_clock && (q->reset_count != t->reset_count ||
	    q->restart_count != t->restart_count)) {
		verdict_fail(v, "reset");
		verdict_reason(v, "TPM %s: resetCount/restartCount %u/%u after "
		    "%u/%u on a live subscription (draft: the attester MUST "
		    "terminate it); subscribing again", name, q->reset_count,
		    q->restart_count, t->reset_count, t->restart_count);
		return 1;
	}
	if (!t->have_clock && t->have_counts && (q->reset_count !=
	    t->boot_reset || q->restart_count != t->boot_restart))
		verdict_reason(v, "TPM %s restarted since the last "
		    "subscription (resetCount %u, restartCount %u)", name,
		    q->reset_count, q->restart_count);
	if (t->have_clock && q->clock < t->clock) {
		verdict_fail(v, "clock");
		verdict_reason(v, "TPM %s: the clock went back from %llu to "
		    "%llu ms", name, (unsigned long long)t->clock,
		    (unsigned long long)q->clock);
		rc = -1;
		anew = 1;
	} else if (t->have_clock &&
	    clock_pace_check(&t->pace, name, q->clock, now, v) != 0)
		rc = -1;
	if (!q->safe) {
		verdict_fail(v, "clock");
		verdict_reason(v, "TPM %s: the clock is not marked safe", name);
		rc = -1;
	}
	t->have_clock = t->have_counts = 1;
	t->clock = q->clock;
	t->reset_count = t->boot_reset = q->reset_count;
	t->restart_count = t->boot_restart = q->restart_count;
	clock_pace_note(&t->pace, anew, q->clock, now);
	return rc;
}

/* The selected PCRs of q in bank. */
static uint32_t
quote_mask(const struct quote *q, int bank)
{
	uint32_t m = 0;
	size_t k;

	for (k = 0; k < q->nsel; k++)
		if (q->sel[k].bank == bank)
			m |= q->sel[k].mask;
	return m;
}

/*
 * The quoted PCRs of q (TPM i) against the replay and the unsigned values
 * (reported): the digest must be the replay's; a mismatch names the PCRs
 * whose reported value the replay does not reach and holds the quote for
 * an extend that may follow.  Then the reference values.
 */
static void
check_pcrs(struct subscription *s, int i, const struct quote *q,
    const struct pcrset *reported, struct verdict *v)
{
	struct ietf_tpm *t = tpm_state(s, i);
	const char *name = s->att->tpms[i].name;
	int bank = s->conf->bank;
	size_t size = bank_get(bank)->size;
	struct refvals_arg ra = { v, s->conf };
	struct pcrset merged = *reported;
	const uint8_t *r, *u;
	struct riv_err err;
	uint32_t sel = quote_mask(q, bank), bad = 0;
	char h1[2 * DIGEST_MAX + 1], h2[2 * DIGEST_MAX + 1], pcrs[96];
	unsigned p;

	for (p = 0; p < PCR_COUNT; p++) {
		if (!(s->conf->pcrs & (1u << p)) ||
		    (r = pcrset_get(&t->pcrs, bank, p)) == NULL)
			continue;
		u = pcrset_get(reported, bank, p);
		if ((sel & (1u << p)) && u != NULL && memcmp(u, r, size) != 0)
			bad |= 1u << p;
		pcrset_set(&merged, bank, p, r);
	}
	if (quote_check_pcrs(q, &merged, &err) == RIV_OK) {
		if (bad) {
			verdict_fail(v, "unsigned-pcr-values");
			verdict_reason(v, "TPM %s: unsigned-pcr-values of PCRs "
			    "%s differ from the quoted ones", name,
			    pcr_names(bad, pcrs, sizeof(pcrs)));
		}
		t->held = 0;
		merged.mask[bank] &= sel;
		for (p = 0; p < BANK_COUNT; p++)
			if ((int)p != bank)
				merged.mask[p] &= quote_mask(q, (int)p);
		if (s->att->refvals != NULL)
			refvals_check(s->att->refvals, &merged, refvals_failed,
			    &ra);
		return;
	}
	t->held = 1;
	t->quote = *q;
	t->held_seq = s->ietf.quotes;
	if (bad == 0 || quote_check_pcrs(q, reported, &err) != RIV_OK) {
		verdict_fail(v, "replay");
		verdict_reason(v, "TPM %s: the pcr-extends do not replay to the "
		    "quoted PCR digest (%s)", name, err.msg);
		return;
	}
	for (p = 0; p < PCR_COUNT; p++)
		if (bad & (1u << p)) {
			hex_encode(pcrset_get(&t->pcrs, bank, p), size, h1);
			hex_encode(pcrset_get(reported, bank, p), size, h2);
			verdict_fail(v, "replay");
			verdict_reason(v, "TPM %s %s PCR %u: the pcr-extends "
			    "replay to %.16s..., the quote has %.16s...", name,
			    bank_get(bank)->name, p, h1, h2);
		}
}

/*
 * Heartbeat: once every subscribed PCR of every TPM was in a quote since
 * the timer was last armed, arm it again.
 */
static void
note_covered(struct subscription *s, int i, uint32_t sel,
    struct timespec now)
{
	struct ietf_tpm *t;
	size_t k;
	unsigned p;

	t = tpm_state(s, i);
	for (p = 0; p < PCR_COUNT; p++)
		if (sel & (1u << p))
			t->covered[p] = now;
	for (k = 0; k < s->att->ntpms; k++) {
		t = tpm_state(s, (int)k);
		for (p = 0; p < PCR_COUNT; p++)
			if ((s->conf->pcrs & (1u << p)) &&
			    ms_between(s->ietf.hb_mark, t->covered[p]) < 0)
				return;
	}
	s->ietf.hb_mark = now;
	s->stale = 0;
	sub_arm_heartbeat(s);
}

/* Drop the subscription of s and subscribe again (new nonce, replay). */
static void
resubscribe(struct subscription *s, const char *why)
{
	log_info("attester %s attestation: %s: subscribing again",
	    s->att->name, why);
	sub_stop(s);
	ietf_establish(s);
}

/* Judge tpm20-attestation op of s (TPM i) into v. */
static void
take_quote(struct subscription *s, const struct xnode *op, int i,
    struct verdict *v)
{
	struct ietf_tpm *t = tpm_state(s, i);
	struct attester *a = s->att;
	const uint8_t *att, *sig;
	struct pcrset reported;
	struct quote q;
	size_t alen, slen;
	uint32_t sel;
	int64_t age;
	char pcrs[96];
	int rc;

	att = xnode_bin(op, "quote-data", &alen);
	sig = xnode_bin(op, "quote-signature", &slen);
	if (verify_quote(s, i, att, alen, sig, slen, s->ietf.nonce, &q, v) !=
	    0 || read_reported(op, 0, &reported, v) != 0)
		return;
	if ((rc = check_clock(s, i, &q, a->read_at, v)) > 0) {
		resubscribe(s, "TPM reset or restart");
		return;
	}
	sel = quote_mask(&q, s->conf->bank);
	if (!t->quoted && (sel & s->conf->pcrs) != s->conf->pcrs) {
		verdict_fail(v, "selection");
		verdict_reason(v, "TPM %s: the first quote leaves out requested "
		    "PCRs %s (draft: at least all requested pcr-index)",
		    a->tpms[i].name, pcr_names(s->conf->pcrs & ~sel, pcrs,
		    sizeof(pcrs)));
	}
	if (s->ietf.replaying)
		verdict_reason(v, "quote before replay-completed");
	if (t->pending & sel) {
		age = ms_between(t->pending_since, a->read_at);
		if (age > QUOTE_DUE_MS + QUOTE_SLACK_MS) {
			verdict_fail(v, "late-quote");
			verdict_reason(v, "TPM %s: this quote came %lld ms after "
			    "the pcr-extend of PCRs %s (draft: within 10 s)",
			    a->tpms[i].name, (long long)age, pcr_names(
			    t->pending & sel, pcrs, sizeof(pcrs)));
		}
		t->pending &= ~sel;
		if (t->pending == 0)
			t->late_told = 0;
		else
			t->pending_since = a->read_at;
		plan_quote_due(s);
	}
	check_pcrs(s, i, &q, &reported, v);
	t->quoted = 1;
	note_covered(s, i, sel, a->read_at);
	if (rc < 0)
		ietf_challenge(s, "clock anomaly");
}

/*
 * A notification op of the stream `attestation` arrived from a (read by
 * xdoc.c): replay a pcr-extend, judge a tpm20-attestation; record the
 * verdict.
 */
void
ietf_evidence(struct attester *a, const struct xnode *op, int64_t received)
{
	struct subscription *s = &a->subs[STREAM_ATTESTATION];
	const char *cert = xnode_text(op, "certificate-name");
	const char *what = op->name;
	struct verdict v;
	int i, quote = strcmp(what, "tpm20-attestation") == 0;

	if (s->conf == NULL || s->state != SUB_ACTIVE) {
		struct subscription fake;

		memset(&fake, 0, sizeof(fake));
		fake.att = a;
		fake.stream = STREAM_ATTESTATION;
		verdict_start(&v, &fake, received);
		v.no_evidence = 1;
		verdict_fail(&v, "foreign");
		verdict_reason(&v, "%s notification without an active "
		    "attestation subscription", what);
		sub_record(&fake, "foreign", &v, NULL);
		return;
	}
	s->notifications++;
	if (quote)
		s->ietf.quotes++;
	i = tpm_by_cert(s, cert);
	start_verdict(&v, s, i, received);
	if (!quote && strcmp(what, "pcr-extend") != 0) {
		v.no_evidence = 1;
		verdict_error(&v, "malformed");
		verdict_reason(&v, "%s: rivd subscribes to TPM 2.0 evidence "
		    "only", what);
	} else if (i < 0) {
		verdict_fail(&v, "tpm");
		verdict_reason(&v, "certificate-name %s names no TPM configured "
		    "for this attester", cert ? cert : "?");
	} else if (quote)
		take_quote(s, op, i, &v);
	else
		take_extend(s, op, i, &v);
	if (!quote && v.result == VERDICT_PASS)
		return;		/* a good pcr-extend: the quote judges it */
	if (!quote)
		v.no_evidence = 1;
	sub_record(s, what, &v, NULL);
}

/*
 * Ask the attester for a fresh quote of the subscribed PCRs with a new
 * nonce (RFC 9684 tpm20-challenge-response-attestation), unless an RPC of
 * s is under way.
 */
static void
ietf_challenge(struct subscription *s, const char *why)
{
	char b64[4 * IETF_NONCE_LEN / 3 + 8], *rpc = NULL;
	size_t len = 0;
	FILE *f;
	int p;

	if (s->ietf.rpc != IETF_RPC_NONE || s->state != SUB_ACTIVE)
		return;
	if (RAND_bytes(s->ietf.challenge, IETF_NONCE_LEN) != 1 ||
	    (f = open_memstream(&rpc, &len)) == NULL)
		return;
	EVP_EncodeBlock((unsigned char *)b64, s->ietf.challenge,
	    IETF_NONCE_LEN);
	fprintf(f, "<tpm20-challenge-response-attestation xmlns=\"%s\">"
	    "<tpm20-attestation-challenge><nonce-value>%s</nonce-value>"
	    "<tpm20-pcr-selection><tpm20-hash-algo xmlns:taa=\"%s\">taa:%s"
	    "</tpm20-hash-algo>", TPM_NS, b64, TAA_NS,
	    tcgalg_name(s->conf->bank));
	for (p = 0; p < PCR_COUNT; p++)
		if (s->conf->pcrs & (1u << p))
			fprintf(f, "<pcr-index>%d</pcr-index>", p);
	fprintf(f, "</tpm20-pcr-selection></tpm20-attestation-challenge>"
	    "</tpm20-challenge-response-attestation>");
	s->ietf.rpc = IETF_RPC_CHALLENGE;
	if (sub_send_stream(s, f, &rpc) != 0) {
		s->ietf.rpc = IETF_RPC_NONE;
		return;
	}
	log_info("attester %s attestation: %s: challenge-response "
	    "attestation", s->att->name, why);
}

/*
 * The reply to the challenge of s: each tpm20-attestation-response is
 * judged like a quote of the stream, against the challenge's nonce; one
 * that verifies makes its clock the new reference.  The opaque parse of
 * the reply (message_parse) checks no types: it is printed and parsed
 * again as the output of the RPC.
 */
static void
take_challenge(struct subscription *s, const struct lyd_node *reply)
{
	struct lyd_node *rpc = NULL, *envp = NULL, *out = NULL;
	struct ly_set *set = NULL;
	struct ly_in *in = NULL;
	char *msg = NULL;
	struct pcrset reported;
	struct verdict v;
	struct quote q;
	struct riv_err err;
	const uint8_t *att, *sig;
	size_t alen, slen;
	uint32_t k;
	int i;

	if (lyd_new_path(NULL, rivd.ctx, "/ietf-tpm-remote-attestation:"
	    "tpm20-challenge-response-attestation", NULL, 0, &rpc) !=
	    LY_SUCCESS || lyd_print_mem(&msg, reply, LYD_XML,
	    LYD_PRINT_SHRINK) != LY_SUCCESS ||
	    ly_in_new_memory(msg, &in) != LY_SUCCESS ||
	    lyd_parse_op(rivd.ctx, rpc, in, LYD_XML, LYD_TYPE_REPLY_NETCONF,
	    &envp, NULL) != LY_SUCCESS || ly_set_new(&set) != LY_SUCCESS) {
		sub_error_verdict(s, "malformed", "the reply to "
		    "tpm20-challenge-response-attestation does not parse");
		goto done;
	}
	LY_LIST_FOR(lyd_child(rpc), out)
		if (strcmp(out->schema->name, "tpm20-attestation-response") ==
		    0 && ly_set_add(set, out, 1, NULL) != LY_SUCCESS)
			break;
	if (set->count == 0) {
		sub_error_verdict(s, "malformed", "the reply to "
		    "tpm20-challenge-response-attestation holds no quote");
		goto done;
	}
	for (k = 0; k < set->count; k++) {
		s->ietf.quotes++;
		i = tpm_by_cert(s, leaf_text(set->dnodes[k],
		    "certificate-name"));
		start_verdict(&v, s, i, now_us());
		memcpy(v.nonce, s->ietf.challenge, IETF_NONCE_LEN);
		verdict_reason(&v, "challenge-response attestation");
		if (i < 0) {
			verdict_fail(&v, "tpm");
			verdict_reason(&v, "certificate-name names no TPM "
			    "configured for this attester");
			sub_record(s, "challenge", &v, NULL);
			continue;
		}
		att = leaf_bin(set->dnodes[k], "quote-data", &alen);
		sig = leaf_bin(set->dnodes[k], "quote-signature", &slen);
		if (verify_quote(s, i, att, alen, sig, slen,
		    s->ietf.challenge, &q, &v) == 0 &&
		    read_pcr_values(set->dnodes[k], 0, &reported, &v) == 0) {
			struct ietf_tpm *t = tpm_state(s, i);

			if (t->have_clock && (q.reset_count != t->reset_count ||
			    q.restart_count != t->restart_count)) {
				verdict_fail(&v, "reset");
				verdict_reason(&v, "the TPM was reset");
			} else if (quote_check_pcrs(&q, &reported, &err) !=
			    RIV_OK) {
				verdict_fail(&v, "pcr-digest");
				verdict_reason(&v, "%s", err.msg);
			} else {
				/* A fresh anchor for the clock rules. */
				t->have_clock = 1;
				t->clock = q.clock;
				clock_pace_note(&t->pace, 1, q.clock,
				    mono_now());
			}
		}
		sub_record(s, "challenge", &v, NULL);
	}
done:
	ly_set_free(set, NULL);
	lyd_free_all(envp);
	lyd_free_all(rpc);
	ly_in_free(in, 0);
	free(msg);
}
