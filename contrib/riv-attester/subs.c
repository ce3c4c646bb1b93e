/*
 * subs.c — RFC 8639 dynamic subscriptions to the three evidence streams:
 * establish, modify, delete and kill; their nonce chains; and the triggers
 * (periodic, on-change with dampening, device events, heartbeat) that make
 * notify.c send evidence.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <libyang/libyang.h>
#include <nc_server.h>

#include "attester.h"
#include "nonce.h"

#define RAS		"riv-attestation-streams"
#define SN		"ietf-subscribed-notifications"
#define ES_INFO		"establish-subscription-stream-error-info"
#define MS_INFO		"modify-subscription-stream-error-info"
#define DS_INFO		"delete-subscription-error-info"

/* A parse outcome: NULL, or the error reply to send. */
typedef struct nc_server_reply *reply_t;

/* Find the subscription with this id, or NULL. */
static struct att_sub *
sub_find(uint32_t id)
{
	size_t i;

	for (i = 0; i < att.nsubs; i++)
		if (att.subs[i]->id == id && !att.subs[i]->dead)
			return att.subs[i];
	return NULL;
}

/* An establish (est) or modify error with an RFC 8639 reason. */
static reply_t
sub_error(int est, NC_ERR tag, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static reply_t
sub_error(int est, NC_ERR tag, const char *reason, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ncs_sn_error(tag, est ? ES_INFO : MS_INFO, reason, NULL, msg);
}

/* Read the nonce seed and its hash from rpc into s. */
static reply_t
parse_seed(const struct lyd_node *rpc, struct att_sub *s, int est)
{
	const struct lyd_value_binary *bin;
	struct lyd_node *n;
	const char *alg;
	int bank;

	if ((alg = yang_leaf(rpc, RAS ":nonce-hash-algo")) != NULL) {
		if ((bank = tcgalg_bank(alg)) < 0 || !bank_available(bank))
			return sub_error(est, NC_ERR_OP_NOT_SUPPORTED,
			    RAS ":hash-algo-unsupported", "nonce-hash-algo "
			    "%s is not supported", alg);
		s->hash = bank;
	}
	if (lyd_find_path(rpc, RAS ":nonce-seed", 0, &n) != LY_SUCCESS)
		return NULL;
	bin = yang_bin(n);
	if (bin->size < NONCE_SEED_MIN || bin->size > NONCE_SEED_MAX)
		return sub_error(est, NC_ERR_INVALID_VALUE, RAS ":seed-invalid",
		    "nonce-seed has %zu bytes; 16 to 64 are needed",
		    bin->size);
	memcpy(s->seed, bin->data, bin->size);
	s->seed_len = bin->size;
	if (nonce_seed_id(s->hash, s->seed, s->seed_len, s->seed_id) != 0)
		return sub_error(est, NC_ERR_OP_NOT_SUPPORTED,
		    RAS ":hash-algo-unsupported", "cannot hash the seed");
	return NULL;
}

/* Read the TPMs (tpm-name, certificate-name) from rpc into s. */
static reply_t
parse_tpms(const struct lyd_node *rpc, struct att_sub *s, int est)
{
	struct ly_set *set = NULL;
	uint32_t i, tpms = 0;
	const char *name;
	size_t t;
	int k;

	if (lyd_find_xpath(rpc, RAS ":tpm-name", &set) == LY_SUCCESS) {
		for (i = 0; i < set->count; i++) {
			name = lyd_get_value(set->dnodes[i]);
			if ((k = device_tpm_index(name)) < 0) {
				ly_set_free(set, NULL);
				return sub_error(est, NC_ERR_INVALID_VALUE,
				    RAS ":unknown-tpm", "no TPM named %s",
				    name);
			}
			tpms |= 1u << k;
		}
		ly_set_free(set, NULL);
	}
	set = NULL;
	if (lyd_find_xpath(rpc, RAS ":certificate-name", &set) ==
	    LY_SUCCESS) {
		for (i = 0; i < set->count; i++) {
			name = lyd_get_value(set->dnodes[i]);
			for (t = 0; t < att.ntpms; t++)
				if (strcmp(att.tpms[t].cert, name) == 0)
					break;
			if (t == att.ntpms || (tpms != 0 &&
			    !(tpms & (1u << t)))) {
				ly_set_free(set, NULL);
				return sub_error(est, NC_ERR_INVALID_VALUE,
				    RAS ":unknown-tpm", "no attestation key "
				    "certificate named %s%s", name,
				    t < att.ntpms ? " among the subscribed "
				    "TPMs" : "");
			}
		}
		ly_set_free(set, NULL);
	}
	if (tpms != 0)
		s->tpms = tpms;
	return NULL;
}

/* The TPMs a subscription quotes now. */
uint32_t
sub_tpm_set(const struct att_sub *s)
{
	uint32_t set = s->tpms ? s->tpms : device_active_set();
	size_t t;

	for (t = 0; t < att.ntpms; t++)
		if (!att.tpms[t].present || att.tpms[t].failed)
			set &= ~(1u << t);
	return set;
}

/*
 * Parse the tpm20-pcr-selection entries at path under node into sel: a bank
 * missing in one of the TPMs of set is SEL_BANK, a PCR above 23 SEL_PCR
 * (err says which).  Shared with ietf.c's challenge-response.
 */
int
sub_parse_pcrs(const struct lyd_node *node, const char *path, uint32_t set,
    uint32_t sel[BANK_COUNT], struct riv_err *err)
{
	struct ly_set *sels = NULL, *pcrs;
	const char *alg;
	unsigned long p;
	uint32_t i, j;
	size_t t;
	int bank;

	memset(sel, 0, sizeof(uint32_t) * BANK_COUNT);
	if (lyd_find_xpath(node, path, &sels) != LY_SUCCESS)
		return 0;
	for (i = 0; i < sels->count; i++) {
		alg = yang_leaf(sels->dnodes[i], "tpm20-hash-algo");
		bank = alg ? tcgalg_bank(alg) : BANK_SHA256;
		for (t = 0; t < att.ntpms && bank >= 0; t++)
			if ((set & (1u << t)) &&
			    !(att.tpms[t].banks & (1u << bank)))
				bank = -1;
		if (bank < 0) {
			ly_set_free(sels, NULL);
			return err_set(err, SEL_BANK, "PCR bank %s is not "
			    "allocated in every TPM", alg ? alg : "sha256");
		}
		pcrs = NULL;
		if (lyd_find_xpath(sels->dnodes[i], "pcr-index", &pcrs) !=
		    LY_SUCCESS)
			continue;
		for (j = 0; j < pcrs->count; j++) {
			p = strtoul(lyd_get_value(pcrs->dnodes[j]), NULL, 10);
			if (p >= PCR_COUNT) {
				ly_set_free(pcrs, NULL);
				ly_set_free(sels, NULL);
				return err_set(err, SEL_PCR, "PCR %lu: this "
				    "attester's TPMs have PCRs 0 to 23", p);
			}
			sel[bank] |= 1u << p;
		}
		ly_set_free(pcrs, NULL);
	}
	ly_set_free(sels, NULL);
	return 0;
}

/* Read the PCR selection from rpc into s (default when absent). */
static reply_t
parse_selection(const struct lyd_node *rpc, struct att_sub *s, int est)
{
	uint32_t sel[BANK_COUNT];
	struct riv_err err;
	int b;

	switch (sub_parse_pcrs(rpc, RAS ":tpm20-pcr-selection", s->tpms ?
	    s->tpms : (1u << att.ntpms) - 1, sel, &err)) {
	case SEL_BANK:
		return sub_error(est, NC_ERR_OP_NOT_SUPPORTED,
		    RAS ":hash-algo-unsupported", "%s", err.msg);
	case SEL_PCR:
		return sub_error(est, NC_ERR_INVALID_VALUE,
		    RAS ":pcr-unsubscribable", "%s", err.msg);
	}
	for (b = 0; b < BANK_COUNT; b++)
		if (sel[b] != 0) {
			memcpy(s->sel, sel, sizeof(sel));
			break;
		}
	return NULL;
}

/* Set the default PCR selection of a stream. */
static void
default_selection(struct att_sub *s)
{
	int bank = BANK_SHA256;
	size_t t;

	for (t = 0; t < att.ntpms; t++)
		if (!(att.tpms[t].banks & (1u << BANK_SHA256)))
			bank = BANK_SHA1;
	memset(s->sel, 0, sizeof(s->sel));
	s->sel[bank] = s->stream == STREAM_IMA ? 1u << ATT_IMA_PCR :
	    0x3ffu;
}

/* Milliseconds of a fraction of a second given as its digits ("5": .5). */
static int64_t
frac_ms(const char *digits)
{
	int64_t ms = 0;
	int i;

	for (i = 0; i < 3; i++) {
		ms *= 10;
		if (digits != NULL && digits[0] >= '0' && digits[0] <= '9')
			ms += *digits++ - '0';
	}
	return ms;
}

/* Read the trigger, heartbeat and encoding from rpc into s. */
static reply_t
parse_trigger(const struct lyd_node *rpc, struct att_sub *s, int est)
{
	struct ly_set *set = NULL;
	struct lyd_node *trig;
	const char *v;
	uint32_t i;
	int ev;

	if ((v = yang_leaf(rpc, RAS ":heartbeat")) != NULL)
		s->heartbeat = (uint16_t)strtoul(v, NULL, 10);
	if ((v = yang_leaf(rpc, RAS ":log-entry-encoding")) != NULL)
		s->raw = strstr(v, ":raw") != NULL || strcmp(v, "raw") == 0;
	if ((v = yang_leaf(rpc, RAS ":max-entries")) != NULL)
		s->max_entries = (uint32_t)strtoul(v, NULL, 10);
	if (lyd_find_path(rpc, RAS ":trigger", 0, &trig) != LY_SUCCESS)
		return NULL;
	s->period_cs = 0;
	s->on_change = 0;
	s->events = 0;
	s->anchor_ms = 0;
	if ((v = yang_leaf(trig, "anchor-time")) != NULL) {
		time_t t;
		char *frac = NULL;

		if (ly_time_str2time(v, &t, &frac) == LY_SUCCESS)
			s->anchor_ms = (int64_t)t * 1000 + frac_ms(frac);
		free(frac);
	}
	if ((v = yang_leaf(trig, "period")) != NULL) {
		s->period_cs = (uint32_t)strtoul(v, NULL, 10);
		if (s->period_cs < 10)
			return sub_error(est, NC_ERR_OP_NOT_SUPPORTED,
			    RAS ":trigger-unsupported", "period %s cs: the "
			    "shortest period is 10 cs", v);
	}
	if (lyd_find_path(trig, "on-change", 0, NULL) == LY_SUCCESS) {
		s->on_change = 1;
		if ((v = yang_leaf(trig, "on-change/dampening-period")) !=
		    NULL)
			s->dampening_cs = (uint32_t)strtoul(v, NULL, 10);
	}
	if (lyd_find_xpath(trig, "device-event", &set) == LY_SUCCESS) {
		for (i = 0; i < set->count; i++) {
			v = lyd_get_value(set->dnodes[i]);
			if ((ev = device_event_by_name(v)) < 0) {
				ly_set_free(set, NULL);
				return sub_error(est, NC_ERR_OP_NOT_SUPPORTED,
				    RAS ":trigger-unsupported", "device event "
				    "%s is not supported", v);
			}
			s->events |= 1u << ev;
		}
		ly_set_free(set, NULL);
	}
	if (s->period_cs == 0 && !s->on_change && s->events == 0)
		s->on_change = 1;
	return NULL;
}

/*
 * Read the log start positions of rpc into s: entries after
 * last-index-number, or after the entry whose raw bytes are
 * last-entry-value.
 */
static reply_t
parse_log_start(const struct lyd_node *rpc, struct att_sub *s)
{
	const struct lyd_value_binary *bin;
	const struct att_log *log;
	struct ly_set *set = NULL;
	struct lyd_node *n;
	uint64_t idx, e;
	const char *v;
	uint32_t i;
	int t, found;

	if (lyd_find_xpath(rpc, RAS ":log-start", &set) != LY_SUCCESS)
		return NULL;
	for (i = 0; i < set->count; i++) {
		v = yang_leaf(set->dnodes[i], "tpm-name");
		if (v == NULL || (t = device_tpm_index(v)) < 0) {
			ly_set_free(set, NULL);
			return sub_error(1, NC_ERR_INVALID_VALUE,
			    RAS ":unknown-tpm", "log-start: no TPM named %s",
			    v ? v : "?");
		}
		log = s->stream == STREAM_BIOS ? &att.tpms[t].bios :
		    &att.tpms[t].ima;
		found = 0;
		idx = 0;
		if ((v = yang_leaf(set->dnodes[i], "last-index-number")) !=
		    NULL) {
			idx = strtoull(v, NULL, 10);
			found = idx < log->n;
		}
		if (lyd_find_path(set->dnodes[i], "last-entry-value", 0, &n) ==
		    LY_SUCCESS) {
			bin = yang_bin(n);
			for (e = v != NULL ? idx : 0; e < log->n; e++) {
				found = log->off[e + 1] - log->off[e] ==
				    bin->size && memcmp(log->buf + log->off[e],
				    bin->data, bin->size) == 0;
				if (found || v != NULL)
					break;
			}
			idx = e;
		}
		if (!found) {
			ly_set_free(set, NULL);
			return sub_error(1, NC_ERR_INVALID_VALUE,
			    RAS ":log-position-unavailable", "TPM %s: the log "
			    "has %llu entries and no such last entry",
			    att.tpms[t].name, (unsigned long long)log->n);
		}
		s->next_entry[t] = idx + 1;
	}
	ly_set_free(set, NULL);
	return NULL;
}

/*
 * Refuse log-entry-encoding structured on ima-log when the IMA list of a
 * TPM the subscription may report holds an entry that the structured form
 * cannot carry (riv-attestation-streams, identity 'structured'): the
 * Verifier subscribes with raw instead; entries never change encoding
 * behind its back.
 */
static reply_t
check_encoding(const struct att_sub *s, int est)
{
	char why[160];
	uint64_t bad;
	size_t t;

	if (s->stream != STREAM_IMA || s->raw)
		return NULL;
	for (t = 0; t < att.ntpms; t++) {
		if (s->tpms != 0 && !(s->tpms & (1u << t)))
			continue;
		if (notify_ima_check(&att.tpms[t].ima, 0, &bad, why,
		    sizeof(why)) != 0)
			return sub_error(est, NC_ERR_OP_NOT_SUPPORTED,
			    RAS ":trigger-unsupported", "TPM %s: IMA entry "
			    "%llu (%s) has no structured form: subscribe with "
			    "log-entry-encoding raw", att.tpms[t].name,
			    (unsigned long long)bad, why);
	}
	return NULL;
}

/*
 * Tell whether a live ima-log subscription with the structured encoding
 * may report a TPM of set.
 */
int
sub_structured_ima(uint32_t set)
{
	const struct att_sub *s;
	size_t i;

	for (i = 0; i < att.nsubs; i++) {
		s = att.subs[i];
		if (!s->dead && s->stream == STREAM_IMA && !s->raw &&
		    (s->tpms == 0 || (s->tpms & set)))
			return 1;
	}
	return 0;
}

/*
 * Read the parameters of a new subscription from node (the RPC input, or
 * a configured subscription entry) into s, whose stream is set.
 */
static reply_t
sub_parse(const struct lyd_node *node, struct att_sub *s)
{
	reply_t r;

	s->hash = BANK_SHA256;
	s->heartbeat = 300;
	s->max_entries = 1000;
	default_selection(s);
	if ((r = parse_seed(node, s, 1)) != NULL ||
	    (r = parse_tpms(node, s, 1)) != NULL ||
	    (r = parse_selection(node, s, 1)) != NULL ||
	    (r = parse_trigger(node, s, 1)) != NULL ||
	    (s->stream != STREAM_PCR && (r = parse_log_start(node, s)) !=
	    NULL) || (r = check_encoding(s, 1)) != NULL)
		return r;
	if (s->seed_len == 0)
		return sub_error(1, NC_ERR_INVALID_VALUE, RAS ":seed-invalid",
		    "nonce-seed is missing");
	memcpy(s->cfg_start, s->next_entry, sizeof(s->cfg_start));
	return NULL;
}

/* Check the RFC 8639 leaves riv-attester does not support. */
static reply_t
check_unsupported(const struct lyd_node *rpc, int est)
{
	const char *v;

	if ((v = yang_leaf(rpc, "encoding")) != NULL &&
	    strstr(v, "encode-xml") == NULL)
		return sub_error(est, NC_ERR_INVALID_VALUE,
		    SN ":encoding-unsupported", "encoding %s: only XML", v);
	if (lyd_find_path(rpc, "stream-filter-name", 0, NULL) == LY_SUCCESS ||
	    lyd_find_path(rpc, "stream-subtree-filter", 0, NULL) ==
	    LY_SUCCESS ||
	    lyd_find_path(rpc, "stream-xpath-filter", 0, NULL) == LY_SUCCESS)
		return ncs_sn_error(NC_ERR_INVALID_VALUE, est ? ES_INFO :
		    MS_INFO, SN ":filter-unsupported", "riv-attester does not "
		    "filter evidence streams: every notification is part of "
		    "the nonce chain", "filters are not supported");
	return NULL;
}

/* Return the stop-time of rpc in *t (0 if none); -1 if unparseable. */
static int
parse_stop_time(const struct lyd_node *rpc, time_t *t)
{
	const char *v;

	*t = 0;
	if ((v = yang_leaf(rpc, "stop-time")) == NULL)
		return 0;
	return ly_time_str2time(v, t, NULL) == LY_SUCCESS ? 0 : -1;
}

/* Build the establish-subscription reply for s. */
static reply_t
establish_reply(struct lyd_node *rpc, const struct att_sub *s)
{
	struct lyd_node *out = NULL;
	char id[16], b64[16];

	snprintf(id, sizeof(id), "%u", s->id);
	EVP_EncodeBlock((unsigned char *)b64, s->seed_id, NONCE_SEED_ID);
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_path(out, NULL, "id", id, LYD_NEW_PATH_OUTPUT, NULL) !=
	    LY_SUCCESS ||
	    lyd_new_path(out, NULL, RAS ":seed-id", b64, LYD_NEW_PATH_OUTPUT,
	    NULL) != LY_SUCCESS) {
		log_warnx("establish reply: %s", ly_errmsg(att.ctx));
		lyd_free_all(out);
		return NULL;
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/* A new id for a dynamic subscription (configured ones use lower ids). */
static uint32_t
sub_new_id(void)
{
	uint32_t id;

	do {
		id = att.next_id++;
		if (att.next_id == 0)
			att.next_id = SUB_DYNAMIC_ID_MIN;
	} while (sub_find(id) != NULL);
	return id;
}

/*
 * Plan the first periodic notification of s: one period from now, or, with
 * an anchor-time, at the next anchor + k * period.
 */
static void
sub_plan_period(struct att_sub *s)
{
	int64_t now_ms, period_ms = (int64_t)s->period_cs * 10, wait;

	mono_now(&s->next_period);
	if (s->period_cs == 0)
		return;
	if (s->anchor_ms == 0) {
		ts_add_cs(&s->next_period, s->period_cs);
		return;
	}
	now_ms = now_us() / 1000;
	wait = (s->anchor_ms - now_ms) % period_ms;
	if (wait <= 0)
		wait += period_ms;
	ts_add_cs(&s->next_period, (uint32_t)(wait / 10));
}

/* Answer establish-subscription. */
reply_t
sub_establish(struct lyd_node *rpc, struct nc_session *session)
{
	struct att_sub *s;
	reply_t r;
	const char *v;
	int stream;

	if ((r = ncs_validate(rpc, att.oper)) != NULL)
		return r;
	v = yang_leaf(rpc, "stream");
	if (v == NULL || (stream = stream_by_name(v)) < 0)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL,
		    "/" SN ":establish-subscription/stream", "riv-attester "
		    "publishes pcr-trust-evidence, bios-log and ima-log");
	if ((r = check_unsupported(rpc, 1)) != NULL)
		return r;
	if (att.nsubs == ATT_SUB_MAX)
		return sub_error(1, NC_ERR_RES_DENIED,
		    SN ":insufficient-resources", "%d subscriptions are "
		    "held already", ATT_SUB_MAX);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->stream = (enum att_stream)stream;
	if ((r = sub_parse(rpc, s)) != NULL)
		goto fail;
	if (parse_stop_time(rpc, &s->stop_time) != 0) {
		r = ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "bad stop-time");
		goto fail;
	}
	s->id = sub_new_id();
	s->session = session;
	s->start_pending = 1;
	s->replay_pending = s->stream != STREAM_PCR;
	mono_now(&s->last_sent);
	sub_plan_period(s);
	r = establish_reply(rpc, s);
	if (r == NULL)
		goto fail;
	nc_session_inc_notif_status(session);
	att.subs[att.nsubs++] = s;
	log_info("subscription %u: %s for session %u", s->id,
	    stream_name(s->stream), nc_session_get_id(session));
	return r;
fail:
	free(s);
	return r;
}

/* Answer modify-subscription: a new seed, selection, TPMs or trigger. */
reply_t
sub_modify(struct lyd_node *rpc, struct nc_session *session)
{
	struct att_sub *s, tmp;
	reply_t r;
	const char *v;

	if ((r = ncs_validate(rpc, att.oper)) != NULL)
		return r;
	v = yang_leaf(rpc, "id");
	s = v ? sub_find((uint32_t)strtoul(v, NULL, 10)) : NULL;
	if (s == NULL || s->session != session)
		return ncs_sn_error(NC_ERR_INVALID_VALUE, MS_INFO,
		    SN ":no-such-subscription", NULL, "no such subscription "
		    "on this session");
	if ((r = check_unsupported(rpc, 0)) != NULL)
		return r;
	if (s->stream == STREAM_PCR) {
		if (lyd_find_path(rpc, RAS ":log-entry-encoding", 0, NULL) ==
		    LY_SUCCESS)
			return ncs_error(NC_ERR_UNKNOWN_ELEM, NULL,
			    RAS ":log-entry-encoding", "not a parameter of "
			    "pcr-trust-evidence");
		if (lyd_find_path(rpc, RAS ":max-entries", 0, NULL) ==
		    LY_SUCCESS)
			return ncs_error(NC_ERR_UNKNOWN_ELEM, NULL,
			    RAS ":max-entries", "not a parameter of "
			    "pcr-trust-evidence");
	}
	tmp = *s;
	if ((r = parse_seed(rpc, &tmp, 0)) != NULL ||
	    (r = parse_tpms(rpc, &tmp, 0)) != NULL ||
	    (r = parse_selection(rpc, &tmp, 0)) != NULL ||
	    (r = parse_trigger(rpc, &tmp, 0)) != NULL ||
	    (r = check_encoding(&tmp, 0)) != NULL)
		return r;
	if (lyd_find_path(rpc, "stop-time", 0, NULL) == LY_SUCCESS &&
	    parse_stop_time(rpc, &tmp.stop_time) != 0)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "bad stop-time");
	if (tmp.period_cs != s->period_cs || tmp.anchor_ms != s->anchor_ms)
		sub_plan_period(&tmp);
	tmp.modified_pending = 1;
	*s = tmp;
	log_info("subscription %u modified", s->id);
	return nc_server_reply_ok();
}

/* Answer delete-subscription (kill 0) or kill-subscription (kill 1). */
reply_t
sub_delete(struct lyd_node *rpc, struct nc_session *session, int kill)
{
	struct att_sub *s;
	const char *v;

	v = yang_leaf(rpc, "id");
	s = v ? sub_find((uint32_t)strtoul(v, NULL, 10)) : NULL;
	if (s == NULL || s->configured || (!kill && s->session != session))
		return ncs_sn_error(NC_ERR_INVALID_VALUE, DS_INFO,
		    SN ":no-such-subscription", NULL, kill ? "no such dynamic"
		    " subscription" : "no such subscription on this session");
	if (kill && s->session != session)
		notify_state(s, "subscription-terminated",
		    SN ":no-such-subscription");
	s->dead = 1;
	log_info("subscription %u %s", s->id, kill ? "killed" : "deleted");
	return nc_server_reply_ok();
}

/*
 * Forget the subscriptions of a session that ended: dynamic ones end,
 * configured ones wait for the next call home.
 */
void
sub_session_gone(struct nc_session *session)
{
	size_t i;

	for (i = 0; i < att.nsubs; i++) {
		if (att.subs[i]->session != session)
			continue;
		att.subs[i]->session = NULL;
		if (!att.subs[i]->configured)
			att.subs[i]->dead = 1;
	}
}

/* Start configured subscription s over ch's session, as a new one. */
static void
sub_start_on(struct att_sub *s, struct att_ch *ch)
{
	s->session = ch->session;
	nc_session_inc_notif_status(s->session);
	memcpy(s->next_entry, s->cfg_start, sizeof(s->next_entry));
	memset(s->boot_seen, 0, sizeof(s->boot_seen));
	memset(s->quoted, 0, sizeof(s->quoted));
	s->started_pending = 1;
	s->start_pending = 1;
	s->suspended = 0;
	s->replay_pending = s->stream != STREAM_PCR;
}

/*
 * A call-home session to ch is up: its configured subscriptions start
 * over on it, as new subscriptions do (subscription-started, the log
 * backlog from log-start, replay-completed); sequence numbers go on.
 */
void
sub_callhome_up(struct att_ch *ch)
{
	size_t i;

	for (i = 0; i < att.nsubs; i++)
		if (!att.subs[i]->dead && att.subs[i]->configured &&
		    att.subs[i]->ch == ch)
			sub_start_on(att.subs[i], ch);
}

/* Return the configured subscription with this id, or NULL. */
static struct att_sub *
sub_find_configured(uint32_t id)
{
	struct att_sub *s = sub_find(id);

	return s != NULL && s->configured ? s : NULL;
}

/*
 * Read a configured subscription entry e into s.  NULL, or the error.
 */
static reply_t
sub_from_entry(const struct lyd_node *e, struct att_sub *s)
{
	struct ly_set *set = NULL;
	const char *v, *host;
	unsigned long id;
	reply_t r;
	int stream;

	memset(s, 0, sizeof(*s));
	v = yang_leaf(e, "id");
	id = v ? strtoul(v, NULL, 10) : 0;
	if (id == 0 || id >= SUB_DYNAMIC_ID_MIN)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "configured subscription ids are 1 to %u (dynamic "
		    "subscriptions use the higher ones)",
		    SUB_DYNAMIC_ID_MIN - 1);
	s->id = (uint32_t)id;
	v = yang_leaf(e, "stream");
	if (v == NULL || (stream = stream_by_name(v)) < 0)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "configured subscription %u: stream %s is not published "
		    "here", s->id, v ? v : "(none)");
	s->stream = (enum att_stream)stream;
	v = yang_leaf(e, "transport");
	if (v == NULL || strstr(v, "netconf-call-home") == NULL)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "configured subscription %u: transport must be "
		    RAS ":netconf-call-home", s->id);
	if (lyd_find_xpath(e, "receivers/receiver", &set) != LY_SUCCESS ||
	    set->count != 1) {
		ly_set_free(set, NULL);
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "configured subscription %u: exactly one receiver is "
		    "supported", s->id);
	}
	host = yang_leaf(set->dnodes[0], RAS ":call-home/address");
	v = yang_leaf(set->dnodes[0], RAS ":call-home/port");
	if (host == NULL) {
		ly_set_free(set, NULL);
		return ncs_error(NC_ERR_MISSING_ELEM, NULL, "address",
		    "configured subscription %u: the receiver has no "
		    "call-home address", s->id);
	}
	snprintf(s->ch_host, sizeof(s->ch_host), "%s", host);
	s->ch_ssh = lyd_find_path(set->dnodes[0], RAS ":call-home/ssh", 0,
	    NULL) == LY_SUCCESS;
	s->ch_port = v ? (uint16_t)strtoul(v, NULL, 10) : s->ch_ssh ? 4334 :
	    4335;
	ly_set_free(set, NULL);
	if ((r = sub_parse(e, s)) != NULL)
		return r;
	if (parse_stop_time(e, &s->stop_time) != 0)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "bad stop-time");
	return NULL;
}

/* Tell whether the parameters of a and b differ. */
static int
sub_params_differ(const struct att_sub *a, const struct att_sub *b)
{
	return a->stream != b->stream || a->hash != b->hash ||
	    a->seed_len != b->seed_len ||
	    memcmp(a->seed, b->seed, a->seed_len) != 0 ||
	    memcmp(a->sel, b->sel, sizeof(a->sel)) != 0 ||
	    a->tpms != b->tpms || a->period_cs != b->period_cs ||
	    a->on_change != b->on_change ||
	    a->dampening_cs != b->dampening_cs || a->events != b->events ||
	    a->heartbeat != b->heartbeat || a->raw != b->raw ||
	    a->max_entries != b->max_entries ||
	    a->stop_time != b->stop_time ||
	    memcmp(a->cfg_start, b->cfg_start, sizeof(a->cfg_start)) != 0;
}

/* End configured subscription s (removed from the configuration). */
static void
sub_unconfigure(struct att_sub *s)
{
	if (s->session != NULL)
		notify_state(s, "subscription-terminated",
		    SN ":no-such-subscription");
	if (s->ch != NULL && --s->ch->refs == 0 && s->ch->session != NULL)
		s->ch->close_pending = 1;
	s->ch = NULL;
	s->dead = 1;
	log_info("configured subscription %u removed", s->id);
}

/* Take the parameters of n into configured subscription s. */
static void
sub_reconfigure(struct att_sub *s, const struct att_sub *n)
{
	struct att_ch *ch = callhome_get(n->ch_host, n->ch_port, n->ch_ssh);

	if (ch != s->ch) {
		if (s->ch != NULL && --s->ch->refs == 0 &&
		    s->ch->session != NULL)
			s->ch->close_pending = 1;
		if (s->session != NULL)
			nc_session_dec_notif_status(s->session);
		s->session = NULL;
		s->ch = ch;
		ch->refs++;
		if (ch->session != NULL)
			sub_start_on(s, ch);
	} else if (sub_params_differ(s, n)) {
		s->modified_pending = s->session != NULL;
		if (s->session != NULL)
			notify_state(s, "subscription-modified", NULL);
	}
	if (n->seed_len != s->seed_len ||
	    memcmp(n->seed, s->seed, s->seed_len) != 0)
		s->seq_reserved = s->seq;	/* reserve under the new seed */
	s->hash = n->hash;
	memcpy(s->seed, n->seed, sizeof(s->seed));
	s->seed_len = n->seed_len;
	memcpy(s->seed_id, n->seed_id, sizeof(s->seed_id));
	memcpy(s->sel, n->sel, sizeof(s->sel));
	s->tpms = n->tpms;
	s->period_cs = n->period_cs;
	s->on_change = n->on_change;
	s->dampening_cs = n->dampening_cs;
	s->events = n->events;
	s->heartbeat = n->heartbeat;
	s->raw = n->raw;
	s->max_entries = n->max_entries;
	s->stop_time = n->stop_time;
	memcpy(s->cfg_start, n->cfg_start, sizeof(s->cfg_start));
}

/*
 * Check (check set) or apply the configured subscriptions of cand (the
 * /sn:subscriptions container, or NULL for none).  Checking returns the
 * first error; applying cannot fail (cand was checked).
 */
reply_t
sub_configure(const struct lyd_node *cand, int check)
{
	const struct lyd_node *e;
	struct att_sub n, *s;
	size_t i;
	reply_t r;
	int found;

	if (cand != NULL) {
		LY_LIST_FOR(lyd_child(cand), e) {
			if (strcmp(e->schema->name, "subscription") != 0)
				continue;
			if ((r = sub_from_entry(e, &n)) != NULL)
				return check ? r : (nc_server_reply_free(r),
				    NULL);
			if (check) {
				if ((s = sub_find(n.id)) != NULL &&
				    !s->configured)
					return ncs_error(NC_ERR_IN_USE, NULL,
					    NULL, "id %u is a dynamic "
					    "subscription's", n.id);
				continue;
			}
			if ((s = sub_find_configured(n.id)) != NULL) {
				sub_reconfigure(s, &n);
				continue;
			}
			if (att.nsubs == ATT_SUB_MAX ||
			    (s = calloc(1, sizeof(*s))) == NULL)
				continue;
			*s = n;
			s->configured = 1;
			s->ch = callhome_get(n.ch_host, n.ch_port, n.ch_ssh);
			if (s->ch == NULL) {
				free(s);
				continue;
			}
			s->ch->refs++;
			config_seq_restore(s);
			mono_now(&s->last_sent);
			s->next_period = s->last_sent;
			ts_add_cs(&s->next_period, s->period_cs);
			att.subs[att.nsubs++] = s;
			log_info("configured subscription %u: %s to %s port "
			    "%u%s", s->id, stream_name(s->stream), n.ch_host,
			    n.ch_port, n.ch_ssh ? " (SSH)" : "");
			if (s->ch->session != NULL)
				sub_start_on(s, s->ch);
		}
	}
	if (check)
		return NULL;
	for (i = 0; i < att.nsubs; i++) {
		s = att.subs[i];
		if (!s->configured || s->dead)
			continue;
		found = 0;
		if (cand != NULL)
			LY_LIST_FOR(lyd_child(cand), e) {
				const char *v = yang_leaf(e, "id");

				if (v != NULL && strtoul(v, NULL, 10) == s->id)
					found = 1;
			}
		if (!found)
			sub_unconfigure(s);
	}
	return NULL;
}

/* Queue a device event for the subscriptions that asked for it. */
void
sub_device_event(enum att_event ev, const char *detail)
{
	struct att_sub *s;
	size_t i;

	for (i = 0; i < att.nsubs; i++) {
		s = att.subs[i];
		if (s->dead || !(s->events & (1u << ev)) ||
		    s->npending == ATT_EVENT_MAX)
			continue;
		s->pending[s->npending].event = ev;
		snprintf(s->pending[s->npending].detail,
		    sizeof(s->pending[0].detail), "%s", detail ? detail : "");
		s->npending++;
	}
}

/* Tell whether the evidence of s changed since its last notification. */
static int
sub_changed(const struct att_sub *s)
{
	const struct att_tpm *t;
	uint32_t set = sub_tpm_set(s), pcrs = 0;
	size_t i;
	int b, p;

	if (set != s->active_seen)
		return 1;
	for (b = 0; b < BANK_COUNT; b++)
		pcrs |= s->sel[b];
	for (i = 0; i < att.ntpms; i++) {
		if (!(set & (1u << i)))
			continue;
		t = &att.tpms[i];
		if (t->boot != s->boot_seen[i])
			return 1;
		if ((s->stream == STREAM_BIOS && s->next_entry[i] < t->bios.n) ||
		    (s->stream == STREAM_IMA && s->next_entry[i] < t->ima.n))
			return 1;
		for (p = 0; p < PCR_COUNT; p++)
			if ((pcrs & (1u << p)) &&
			    t->pcr_changes[p] != s->changes_seen[i][p])
				return 1;
	}
	return 0;
}

/*
 * A notification of s could not be sent: a dynamic subscription ends, a
 * configured one waits for its next call-home session.
 */
static void
sub_send_failed(struct att_sub *s)
{
	log_warnx("subscription %u: cannot notify%s", s->id,
	    s->configured ? "" : "; ended");
	if (s->configured)
		s->session = NULL;
	else
		s->dead = 1;
}

/* Send evidence for s with trigger; mark it dead if the session failed. */
static void
sub_send(struct att_sub *s, const char *trigger, const char *detail)
{
	if (notify_evidence(s, trigger, detail) != 0) {
		sub_send_failed(s);
		return;
	}
	mono_now(&s->last_sent);
	s->change_pending = 0;
}

/*
 * Suspend s while none of its TPMs can be quoted (the only subscribed
 * line card removed, every subscribed TPM failed): RFC 8639
 * subscription-suspended with reason sn:insufficient-resources, since an
 * evidence notification needs the quote of at least one TPM; the device
 * events queued so far are dropped with it.  Resume it (RFC 8639
 * subscription-resumed) as soon as a TPM can be quoted again; its next
 * notification follows with the triggers as usual.  Return 1 while s is
 * suspended or if its session failed, else 0.
 */
static int
sub_suspend_check(struct att_sub *s)
{
	int none = sub_tpm_set(s) == 0;

	if (none == s->suspended)
		return none;
	if (none) {
		log_info("subscription %u suspended: no TPM to quote", s->id);
		s->npending = 0;
		s->change_pending = 0;
		if (notify_state(s, "subscription-suspended",
		    SN ":insufficient-resources") != 0)
			sub_send_failed(s);
		s->suspended = 1;
		return 1;
	}
	log_info("subscription %u resumed", s->id);
	s->suspended = 0;
	if (notify_state(s, "subscription-resumed", NULL) != 0) {
		sub_send_failed(s);
		return 1;
	}
	return 0;
}

/*
 * Tell whether subscription id reached its stop-time (0: none) and then
 * mark it dead.  Shared with ietf.c.
 */
int
sub_stopped(uint32_t id, time_t stop_time, int *dead)
{
	if (stop_time == 0 || time(NULL) < stop_time)
		return 0;
	log_info("subscription %u reached its stop-time", id);
	*dead = 1;
	return 1;
}

/* Decide whether s has something to send now, and send it. */
static void
sub_run_one(struct att_sub *s, const struct timespec *now)
{
	struct att_pending ev;
	int64_t since;

	if (sub_stopped(s->id, s->stop_time, &s->dead) || s->session == NULL)
		return;
	if (s->started_pending) {
		s->started_pending = 0;
		if (notify_started(s) != 0) {
			s->session = NULL;
			return;
		}
	}
	if (sub_suspend_check(s) != 0)
		return;
	if (s->start_pending) {
		s->start_pending = 0;
		sub_send(s, RAS ":subscription-start", NULL);
		if (!s->dead && s->replay_pending &&
		    notify_state(s, "replay-completed", NULL) != 0)
			s->dead = 1;
		s->replay_pending = 0;
		return;
	}
	if (s->modified_pending) {
		s->modified_pending = 0;
		sub_send(s, RAS ":modified", NULL);
		return;
	}
	if (s->npending > 0) {
		ev = s->pending[0];
		memmove(&s->pending[0], &s->pending[1],
		    --s->npending * sizeof(s->pending[0]));
		sub_send(s, device_event_name(ev.event), ev.detail);
		return;
	}
	since = ms_between(s->last_sent, *now);
	if (s->on_change && sub_changed(s)) {
		if (since >= (int64_t)s->dampening_cs * 10) {
			sub_send(s, RAS ":on-change", NULL);
			return;
		}
		s->change_pending = 1;
	}
	if (s->period_cs != 0 && ms_between(s->next_period, *now) >= 0) {
		while (ms_between(s->next_period, *now) >= 0)
			ts_add_cs(&s->next_period, s->period_cs);
		sub_send(s, RAS ":periodic", NULL);
		return;
	}
	if (since >= (int64_t)s->heartbeat * 1000)
		sub_send(s, RAS ":heartbeat", NULL);
}

/* Free the subscriptions that ended. */
static void
sub_reap(void)
{
	size_t i = 0;

	while (i < att.nsubs) {
		if (!att.subs[i]->dead) {
			i++;
			continue;
		}
		if (att.subs[i]->session != NULL)
			nc_session_dec_notif_status(att.subs[i]->session);
		if (att.subs[i]->ch != NULL && --att.subs[i]->ch->refs == 0 &&
		    att.subs[i]->ch->session != NULL)
			att.subs[i]->ch->close_pending = 1;
		free(att.subs[i]);
		att.subs[i] = att.subs[--att.nsubs];
	}
}

/* Run every subscription's triggers. */
void
sub_run(void)
{
	struct timespec now;
	size_t i;

	mono_now(&now);
	for (i = 0; i < att.nsubs; i++)
		if (!att.subs[i]->dead)
			sub_run_one(att.subs[i], &now);
	sub_reap();
}

/* Milliseconds until some subscription may have to send, at most 1 s. */
int64_t
sub_next_due_ms(void)
{
	struct timespec now;
	int64_t due = 1000, d;
	size_t i;
	struct att_sub *s;

	mono_now(&now);
	for (i = 0; i < att.nsubs; i++) {
		s = att.subs[i];
		if (s->session == NULL)
			continue;
		if (s->suspended || sub_tpm_set(s) == 0) {
			if (s->suspended != (sub_tpm_set(s) == 0))
				return 0;
			continue;
		}
		if (s->start_pending || s->modified_pending || s->npending ||
		    s->change_pending)
			return 0;
		if (s->period_cs != 0 &&
		    (d = ms_between(now, s->next_period)) < due)
			due = d;
		if ((d = ts_ms_left(&now, &s->last_sent, s->heartbeat)) < due)
			due = d;
	}
	return due < 0 ? 0 : due;
}

/* End every subscription (shutdown). */
void
sub_free_all(void)
{
	size_t i;

	for (i = 0; i < att.nsubs; i++)
		att.subs[i]->dead = 1;
	sub_reap();
}
