/*
 * notif_harness.c — the harness of the libFuzzer targets of rivd's
 * notification path: from a complete NETCONF message to the verdict the
 * store receives, with the daemon around it faked.
 *
 * At the first input: the YANG context (yang_context on $RIV_YANGDIR, else
 * on the yang directory of the source tree this file is in); an attester r1
 * with TPMs rp0 and rp1, whose AKs are those of the swtpm run the seeds were
 * captured from (tests/fuzz/seeds/{pcr_evidence,bios_log,ima_log}, made by
 * tests/fuzz/notif_harness.sh, which prints the AKs for ak_hex); the
 * reference values below (pcr-trust-evidence, bios-log) or the IMA policy
 * below (ima-log); and one subscription to the target's stream, with the
 * subscription id and nonce seed (bytes 0, 1, ..., 31) of that capture.
 *
 * An input is one or more messages separated by the end-of-message
 * delimiter "]]>]]>", each taken as session_take_message takes a message of
 * an established session (message_take): an rpc-reply goes to
 * sub_rpc_reply; evidence is read by xdoc.c and goes to sub_evidence (the
 * IETF stream's to ietf_evidence); anything else, and what xdoc.c
 * refuses, is parsed with lyd_parse_op (LYD_TYPE_NOTIF_NETCONF).  Every
 * message xdoc.c takes is parsed with lyd_parse_op too, and the target
 * aborts if libyang refuses it or reads another notification.  Every input
 * starts from the same state: the subscription active (or, if the first
 * message is an rpc-reply, waiting for the reply to establish-subscription
 * message-id 1), its nonce chain at sequence number 0, the TPMs' clocks
 * unknown, the appraisal state new.  So a crash reproduces from its input
 * alone, and the messages of one input make one stream (a boot log in
 * chunks, then a quote).  RIV_FUZZ_KEEP=N keeps the appraisal state and
 * the TPMs' clocks across inputs instead (libFuzzer runs every input in one
 * process), renewed every N inputs and when its saved form grows past
 * STATE_KEEP_MAX bytes; RIV_FUZZ_VERBOSE=1 prints the log, the RPCs and
 * every verdict.
 *
 * The stubs: session_send_rpc succeeds without sending (the RPC must parse
 * as a NETCONF RPC of the context), session_close and session_probe do
 * nothing (as for a session without a connection), the store's notes are
 * dropped, log_* print only when verbose, libevent
 * timers are never armed, and store_submit checks the item as the store
 * would (a verdict the store refuses is lost: the target aborts), checks
 * that the engine state saved with it restores (appraisal_restore) into a
 * new appraisal with the same TPM counts and log positions whose TPM
 * states save again to the same text, and frees it.  EVP_DecodeBlock is
 * wrapped so that ASan sees what it writes (libcrypto is not
 * instrumented).
 */
#define _GNU_SOURCE		/* RTLD_NEXT */

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>
#include <openssl/evp.h>

#include "ima_policy.h"
#include "json.h"
#include "notif_harness.h"
#include "refvals.h"
#include "stream.h"
#include "xdoc.h"

#define MESSAGES_MAX	16		/* messages taken per input */
#define STATE_KEEP_MAX	(256 * 1024)	/* saved state kept across inputs */
#define PENDING_MSGID	1		/* the pending establish-subscription */
#define RECEIVED_US	1796117845000000LL	/* wall clock of messages */
#define EOM		"]]>]]>"
#define EOM_LEN		6

struct rivd rivd;

/* AKs (TPM2B_PUBLIC, RSA 2048) of the TPMs the seeds were captured from. */
static const char *const tpm_names[2] = { "rp0", "rp1" };
static const char *const ak_hex[2] = {
	"01180001000b00050072000000100014000b0800000000000100cfa392cea60b"
	"e41147c49315911718ec3afe78d9457777c2ca40836c7f7d7b40d2daa380ecd1"
	"d4ef8717838f1ccba7103e8cbc7fe58c686a6e6e3fa98c8baccbe0ea769943b0"
	"4b2e1432511b1741e686ee0f48e27902cf5099bfe20e5e7e69312969aabcc8e0"
	"916b3aac97a3dc09a7921ce2a5b6147de99aa574fd6baad1a8f92691b947b5bc"
	"c644cac235e2ead9d939b4dbfd4b735a272e480f82528cac082b5fcda622a83d"
	"2f57d13f3163c3e5d0925be1412766ea8740792663f31594de2259e631a53f64"
	"0b7512ddb5e143a79c40f19e87a6a7b6e390ed1ab0ea343d56944a5d7844511a"
	"791ae89e091f0b28cd7df562c35e9c33a6a8de81191e3e570343",
	"01180001000b00050072000000100014000b0800000000000100b011a9ea0555"
	"a1c88febc250af03bdfabeeb07051db7bb80d245ca6bbadcdb4bcded18866a3b"
	"a17354a62cf48c47b41cd7212670fcb4b9ffc9a5187045c376e18ab232dc8b16"
	"ed4f48fa7b75d7c2997b5f4bf5bf47995f5541d623f7f868488279cb0390dcca"
	"f824f734938c79efc2bda07abc9b494b1a6ef40165eb316e8987c856a33581e3"
	"863154b37d6e651ac9c885d4e0ad23c93f9bcc65bd56f84f15c911699b6eaf99"
	"4d0d45c6cf4f1750228a7324263c646687e3c426646a7f74888b79ec9748fcda"
	"36847a0f158759e7a8d832a784548084290b9a23e365b22ce3a96e8b03a967f8"
	"ec09cd8ba7a9eca78710a7edf935245aa3bf604f8553877ec17d"
};

/* The subscription id the attester gave each stream in that capture. */
static const uint32_t sub_ids[STREAM_KINDS] = {
	2147483648u, 2147483649u, 2147483650u
};

/*
 * Reference values: the captured sha256 PCRs 0 and 7, PCR 4 among other
 * values, and a sha1 PCR no quote covers.
 */
static const char refvals_json[] =
    "{\"version\":1,\"pcrs\":{\"sha256\":{"
    "\"0\":\"1536de221b2187a421602cd81f43aa04"
    "496b0bd5a424d3b25b637a942080d0fa\","
    "\"4\":[\"00000000000000000000000000000000"
    "00000000000000000000000000000000\","
    "\"b0af298ea2ca63fe39d0f9887948f8c9ccedd1cca90b6ed20f0aa1f9cbd8504e\"],"
    "\"7\":\"3d6207f9a2c3fa1db729f06e71b09d2e"
    "7ca7c0c198f6c1410c2186bbe2cc1826\"},"
    "\"sha1\":{\"0\":\"0000000000000000000000000000000000000000\"}}}";

/*
 * An IMA policy for the captured list (tpm2-tss__sml-ima-ng-sha1.bin): two
 * files listed, two excluded, the files measured later unlisted.
 */
static const char policy_json[] =
    "{\"version\":1,"
    "\"boot_aggregate\":\"sha1:0000000000000000000000000000000000000000\","
    "\"digests\":{\"/init\":\"sha1:e9002ba6c5a98f5b7a33dc6bbf9ac1863873b713\","
    "\"/usr/bin/sh\":[\"sha1:3235ad2cc8ef196d5baf7a90887adecc6b20be52\","
    "\"sha256:00000000000000000000000000000000"
    "00000000000000000000000000000000\"]},"
    "\"excludes\":[\"/usr/lib/.*\",\"/etc/ld\\\\.so\\\\.cache\"],"
    "\"accept_violations\":false,\"allow_unlisted\":false}";

static struct conf h_conf;
static struct conf_attester h_conf_att;
static struct attester h_att;
static struct attester *h_atts[1] = { &h_att };
static struct subscription *h_sub;	/* h_att's one subscription */
static struct seed h_seed;		/* the capture's nonce seed */
static int h_ready, h_verbose;
static unsigned long h_keep, h_inputs;
static size_t h_state_len;		/* of the last state saved */
static long h_event[8];			/* what event_new returns */

/* Report a broken expectation and abort. */
static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "notif_harness: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* The YANG directory: $RIV_YANGDIR, else yang/ of this source tree. */
static const char *
yang_dir(void)
{
	static char dir[4096 + 8];
	const char *env = getenv("RIV_YANGDIR");
	char top[4096], *p;
	int i;

	if (env != NULL && *env != '\0')
		return env;
	/* __FILE__ is TOP/tests/fuzz/notif_harness.c. */
	snprintf(top, sizeof(top), "%s", __FILE__);
	for (i = 0; i < 3; i++) {
		if ((p = strrchr(top, '/')) == NULL)
			break;
		*p = '\0';
	}
	snprintf(dir, sizeof(dir), "%s/yang", i == 3 ? top : ".");
	return dir;
}

/* Build the fake daemon for a target of stream kind. */
static void
setup(enum stream_kind kind)
{
	struct subscription *s = &h_att.subs[kind];
	struct conf_sub *cs = &h_conf_att.subs[kind];
	struct riv_err err;
	struct json *doc;
	uint8_t ak[512];
	const char *v;
	size_t len, i;

	v = getenv("RIV_FUZZ_VERBOSE");
	h_verbose = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	v = getenv("RIV_FUZZ_KEEP");
	h_keep = v != NULL ? strtoul(v, NULL, 10) : 0;
	setenv("TSS2_LOG", "all+none", 0);
	if (yang_context(yang_dir(), 0, &rivd.ctx, &err) != 0)
		die("%s (set RIV_YANGDIR)", err.msg);

	h_conf.max_message = 16777216;
	h_conf.max_entries = 1000;
	h_conf.max_attesters = 1;
	h_conf.connect_timeout = 10;
	h_conf.message_timeout = 30;
	h_conf.attesters = &h_conf_att;
	h_conf.nattesters = 1;
	rivd.conf = &h_conf;
	rivd.attesters = h_atts;
	rivd.nattesters = 1;

	snprintf(h_conf_att.name, sizeof(h_conf_att.name), "r1");
	cs->enabled = 1;
	cs->stream = kind;
	cs->period_cs = 50;
	cs->heartbeat = 60;
	cs->bank = BANK_SHA256;
	cs->pcrs = kind == STREAM_IMA ? 0x7ffu : 0x3ffu;
	h_conf_att.ntpms = 2;

	h_att.conf = &h_conf_att;
	snprintf(h_att.name, sizeof(h_att.name), "%s", h_conf_att.name);
	h_att.state = ATT_UP;
	h_att.ntpms = 2;
	for (i = 0; i < h_att.ntpms; i++) {
		snprintf(h_conf_att.tpms[i].name,
		    sizeof(h_conf_att.tpms[i].name), "%s", tpm_names[i]);
		snprintf(h_att.tpms[i].name, sizeof(h_att.tpms[i].name), "%s",
		    tpm_names[i]);
		if (hex_decode(ak_hex[i], strlen(ak_hex[i]), ak, sizeof(ak),
		    &len) != 0)
			die("AK of %s: not hex", tpm_names[i]);
		if (akey_load(ak, len, &h_att.tpms[i].ak, &err) != RIV_OK)
			die("AK of %s: %s", tpm_names[i], err.msg);
	}
	if (kind == STREAM_IMA) {
		if ((h_att.policy = ima_policy_parse(policy_json,
		    strlen(policy_json), &err)) == NULL)
			die("IMA policy: %s", err.msg);
	} else {
		if ((doc = json_parse(refvals_json, strlen(refvals_json),
		    &err)) == NULL ||
		    (h_att.refvals = refvals_parse(doc, &err)) == NULL)
			die("reference values: %s", err.msg);
		json_free(doc);
	}

	s->att = &h_att;
	s->conf = cs;
	s->stream = kind;
	s->hash = BANK_SHA256;
	h_sub = s;
	for (i = 0; i < 32; i++)
		h_seed.bytes[i] = (uint8_t)i;
	h_seed.len = 32;
	if (nonce_seed_id(s->hash, h_seed.bytes, h_seed.len, h_seed.id) != 0)
		die("nonce_seed_id");
	h_ready = 1;
}

/* Start an input: the subscription and its chain as after establishing. */
static void
reset(int pending)
{
	struct subscription *s = h_sub;
	struct riv_err err;
	int renew;

	renew = s->appraisal == NULL || h_keep == 0 ||
	    h_inputs % h_keep == 0 || h_state_len > STATE_KEEP_MAX;
	h_inputs++;
	s->state = pending ? SUB_PENDING : SUB_ACTIVE;
	s->id = pending ? 0 : sub_ids[s->stream];
	s->rpc_id = pending ? PENDING_MSGID : 0;
	memset(s->seeds, 0, sizeof(s->seeds));
	s->seeds[0] = h_seed;
	s->nseeds = 1;
	s->next_seq = 0;
	s->seen_base = 0;
	memset(s->seen, 0, sizeof(s->seen));
	s->gaps = 0;
	s->stale = 0;
	s->notifications = 0;
	h_att.next_msgid = PENDING_MSGID;
	ly_err_clean(rivd.ctx, NULL);
	if (!renew)
		return;
	appraisal_free(s->appraisal);
	if ((s->appraisal = appraisal_new(s, &err)) == NULL)
		die("appraisal_new: %s", err.msg);
	h_state_len = 0;
}

/*
 * xdoc.c must take no message that libyang refuses: read msg with both
 * and abort if xdoc.c takes evidence that lyd_parse_op does not, or reads
 * it as another notification.
 */
static void
check_lean_reader(const char *msg, size_t len)
{
	static struct xdoc *d;
	struct lyd_node *envp = NULL, *op = NULL;
	struct ly_in *in = NULL;

	if (message_is_reply(msg))
		return;
	if (d == NULL && (d = xdoc_new()) == NULL)
		die("xdoc_new: out of memory");
	if (xdoc_read(d, rivd.ctx, msg, len) != XDOC_EVIDENCE)
		return;
	if (ly_in_new_memory(msg, &in) != LY_SUCCESS)
		die("ly_in_new_memory");
	if (lyd_parse_op(rivd.ctx, NULL, in, LYD_XML, LYD_TYPE_NOTIF_NETCONF,
	    &envp, &op) != LY_SUCCESS || op == NULL) {
		fprintf(stderr, "xdoc.c took a message libyang refuses (%s):\n"
		    "%.*s\n", ly_errmsg(rivd.ctx), (int)len, msg);
		abort();
	}
	if (op->schema != xdoc_op(d)->schema)
		die("xdoc.c read %s, libyang %s: %.*s", xdoc_op(d)->name,
		    op->schema->name, (int)len, msg);
	lyd_free_all(envp);
	lyd_free_all(op);
	ly_in_free(in, 0);
	ly_err_clean(rivd.ctx, NULL);
}

/* Take one message of an established session, as session.c does. */
static void
take_message(const char *msg, size_t len)
{
	check_lean_reader(msg, len);
	message_take(&h_att, msg, len, RECEIVED_US);
}

/* The first end-of-message delimiter in p[0..n), or NULL. */
static const uint8_t *
find_eom(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; n >= EOM_LEN && i <= n - EOM_LEN; i++)
		if (p[i] == ']' && memcmp(p + i, EOM, EOM_LEN) == 0)
			return p + i;
	return NULL;
}

/* Take every message of one input. */
int
notif_harness_run(enum stream_kind kind, const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size, *q;
	size_t len, n = 0;
	char *msg;

	if (!h_ready)
		setup(kind);
	if (h_sub->stream != kind)
		die("one stream per process");
	while (p < end && n < MESSAGES_MAX) {
		q = find_eom(p, (size_t)(end - p));
		len = (size_t)((q != NULL ? q : end) - p);
		if (len > 0) {
			if ((msg = malloc(len + 1)) == NULL)
				die("out of memory");
			memcpy(msg, p, len);
			msg[len] = '\0';
			if (n++ == 0)
				reset(message_is_reply(msg));
			take_message(msg, len);
			free(msg);
		}
		p = q != NULL ? q + EOM_LEN : end;
	}
	return 0;
}

/* What ap's appraiser saves of TPM i (its save operation); malloc'ed. */
static char *
tpm_text(const struct appraisal *ap, size_t i, size_t *len)
{
	char *buf = NULL;
	FILE *f;

	*len = 0;
	if ((f = open_memstream(&buf, len)) == NULL)
		die("open_memstream");
	ap->ops->save(f, ap->tpm[i]);
	if (fclose(f) != 0)
		die("fclose");
	return buf;
}

/*
 * The state saved with a verdict must restore (as rivd restores it from the
 * store when it starts) into a new appraisal that stands where the live
 * one does: the same TPM reset and restart counts, the same log positions,
 * and each TPM's state saving to the same text.
 */
static void
check_state(const struct store_state *st)
{
	struct appraisal *live = h_sub->appraisal, *copy;
	unsigned long long seq = (unsigned long long)st->sequence;
	const struct tpm_clock *lc, *cc;
	struct riv_err err;
	uint64_t lp, cp;
	char *t1, *t2;
	size_t l1, l2, i;

	if (strcmp(st->attester, h_att.name) != 0 ||
	    strcmp(st->stream, stream_kind_name(h_sub->stream)) != 0)
		die("state of %s %s saved by subscription %s %s", st->attester,
		    st->stream, h_att.name, stream_kind_name(h_sub->stream));
	if ((copy = appraisal_new(h_sub, &err)) == NULL)
		die("appraisal_new: %s", err.msg);
	if (appraisal_restore(copy, st->blob, st->blob_len, &err) != 0)
		die("the state saved after sequence %llu does not restore: "
		    "%s\n%.*s", seq, err.msg, (int)(st->blob_len > 4000 ? 4000 :
		    st->blob_len), (const char *)st->blob);
	for (i = 0; i < h_att.ntpms; i++) {
		lc = &live->clock[i];
		cc = &copy->clock[i];
		if (lc->have_counts != cc->have_counts || (lc->have_counts &&
		    (lc->reset_count != cc->reset_count ||
		    lc->restart_count != cc->restart_count)))
			die("TPM %s: the state saved after sequence %llu "
			    "restores other reset/restart counts",
			    h_att.tpms[i].name, seq);
		lp = live->ops->position(live->tpm[i]);
		cp = copy->ops->position(copy->tpm[i]);
		if (lp != cp)
			die("TPM %s: the state saved after sequence %llu "
			    "restores at entry %llu, not %llu",
			    h_att.tpms[i].name, seq, (unsigned long long)cp,
			    (unsigned long long)lp);
		t1 = tpm_text(live, i, &l1);
		t2 = tpm_text(copy, i, &l2);
		if (l1 != l2 || memcmp(t1, t2, l1) != 0)
			die("TPM %s: the state saved after sequence %llu saves "
			    "differently once restored:\n%.*s\n%.*s",
			    h_att.tpms[i].name, seq,
			    (int)(l1 > 2000 ? 2000 : l1), t1,
			    (int)(l2 > 2000 ? 2000 : l2), t2);
		free(t1);
		free(t2);
	}
	appraisal_free(copy);
	h_state_len = st->blob_len;
}

/* Whether string s ends within max bytes; its length in *len. */
static int
bounded(const char *s, size_t max, size_t *len)
{
	const char *nul = memchr(s, '\0', max);

	if (nul == NULL)
		return 0;
	*len = (size_t)(nul - s);
	return 1;
}

/* Die unless the store would take item it (db/store.c check_item). */
static void
check_item(const struct store_item *it)
{
	const struct verdict *v = &it->verdict;
	const struct store_state *st = &it->state;
	size_t la, ls, n, i;

	if (!bounded(v->attester, STORE_NAME_MAX, &la) ||
	    !bounded(v->stream, STORE_NAME_MAX, &ls) ||
	    !bounded(v->tpm, STORE_NAME_MAX, &n) ||
	    !bounded(v->codes, STORE_CODES_LEN, &n) || la == 0 || ls == 0)
		die("verdict with an unterminated or empty name or code");
	if ((unsigned)v->result > VERDICT_STALE ||
	    v->nreasons > STORE_REASONS_MAX ||
	    v->nonce_len > sizeof(v->nonce) ||
	    v->pcr_digest_len > sizeof(v->pcr_digest))
		die("verdict out of bounds: result %d, %zu reasons, nonce %zu, "
		    "PCR digest %zu bytes", (int)v->result, v->nreasons,
		    v->nonce_len, v->pcr_digest_len);
	for (i = 0; i < v->nreasons; i++)
		if (!bounded(v->reasons[i], STORE_REASON_LEN, &n))
			die("verdict reason %zu unterminated", i);
	if (st->blob_len > STORE_BLOB_MAX ||
	    (st->blob == NULL && st->blob_len != 0))
		die("state of %zu bytes", st->blob_len);
	if (st->attester[0] == '\0')
		return;
	if (!bounded(st->attester, STORE_NAME_MAX, &n) ||
	    !bounded(st->stream, STORE_NAME_MAX, &ls) ||
	    !bounded(st->tpm, STORE_NAME_MAX, &n) || ls == 0)
		die("state with an unterminated or empty name");
}

/* Stub: check the item and its state, then drop it. */
int
store_submit(struct store *store, struct store_item *it)
{
	const struct verdict *v = &it->verdict;
	size_t i;

	(void)store;
	check_item(it);
	if (it->state.blob != NULL)
		check_state(&it->state);
	if (h_verbose) {
		fprintf(stderr, "verdict %s %s sub %u seq %llu: %s [%s]",
		    v->attester, v->stream, v->subscription,
		    (unsigned long long)v->sequence,
		    verdict_result_name(v->result), v->codes);
		for (i = 0; i < v->nreasons; i++)
			fprintf(stderr, "\n\t%s", v->reasons[i]);
		fprintf(stderr, "%s\n", it->state.blob != NULL ?
		    "\n\t(state saved)" : "");
	}
	free(it->state.blob);
	it->state.blob = NULL;
	it->state.blob_len = 0;
	return 0;
}

/* Stub: the note is dropped. */
int
store_note_subscription(struct store *store, const char *attester,
    const char *stream, uint32_t id, const char *state, const char *detail)
{
	(void)store;
	if (h_verbose)
		fprintf(stderr, "note %s %s %u: %s %s\n", attester, stream, id,
		    state, detail);
	return 0;
}

/* Stub (db/db.c). */
const char *
verdict_result_name(enum verdict_result r)
{
	static const char *const names[] = { "pass", "fail", "error",
	    "stale" };

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[r];
}

/*
 * Stub: the RPC is not sent, but it must be a NETCONF RPC of the context
 * (a new establish-subscription after subscription-terminated).
 */
int
session_send_rpc(struct attester *a, const char *op, uint32_t *msgid)
{
	struct lyd_node *envp = NULL, *tree = NULL;
	struct ly_in *in = NULL;
	char *msg;
	size_t cap = strlen(op) + 128;

	*msgid = ++a->next_msgid;
	if ((msg = malloc(cap)) == NULL)
		die("out of memory");
	snprintf(msg, cap, "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:"
	    "base:1.0\" message-id=\"%u\">%s</rpc>", *msgid, op);
	if (h_verbose)
		fprintf(stderr, "rpc: %s\n", msg);
	if (ly_in_new_memory(msg, &in) != LY_SUCCESS ||
	    lyd_parse_op(rivd.ctx, NULL, in, LYD_XML, LYD_TYPE_RPC_NETCONF,
	    &envp, &tree) != LY_SUCCESS)
		die("rivd sends an RPC its own modules refuse (%s): %s",
		    ly_errmsg(rivd.ctx), msg);
	lyd_free_all(envp);
	lyd_free_all(tree);
	ly_in_free(in, 0);
	free(msg);
	return 0;
}

/* Stub: the session has no connection (a->bev is NULL): nothing to do. */
void
session_close(struct attester *a, const char *reason)
{
	if (h_verbose)
		fprintf(stderr, "session_close %s: %s\n", a->name, reason);
}

/* Stub: no connection to probe (heartbeat timers never fire here). */
void
session_probe(struct attester *a)
{
	(void)a;
}

/* Stub: no session reads, so none to pause for the store. */
int
session_store_check(void)
{
	return 0;
}

/* Stub: reading never pauses here. */
int64_t
session_paused_ms(void)
{
	return 0;
}

/* Stub: no call home to wait for (delivery is never call-home here). */
void
session_await_callhome(struct attester *a)
{
	(void)a;
}

/* Write a log line when verbose. */
static void __attribute__((format(printf, 2, 0)))
log_line(const char *tag, const char *fmt, va_list ap)
{
	if (!h_verbose)
		return;
	fprintf(stderr, "rivd %s", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Stub (log.c). */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

/* Stub (log.c). */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

/* Stub (log.c). */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("debug: ", fmt, ap);
	va_end(ap);
}

/* Stub (libevent): a timer that is never armed. */
struct event *
event_new(struct event_base *base, evutil_socket_t fd, short what,
    event_callback_fn cb, void *arg)
{
	(void)base; (void)fd; (void)what; (void)cb; (void)arg;
	return (struct event *)(void *)h_event;
}

/* Stub (libevent). */
int
event_add(struct event *ev, const struct timeval *tv)
{
	(void)ev; (void)tv;
	return 0;
}

/* Stub (libevent). */
int
event_del(struct event *ev)
{
	(void)ev;
	return 0;
}

/*
 * Wrapper: libcrypto's EVP_DecodeBlock decodes into a buffer as large as
 * it may write, and memcpy (checked by ASan) copies the bytes it wrote to
 * the caller's buffer.
 */
int
EVP_DecodeBlock(unsigned char *t, const unsigned char *f, int n)
{
	static int (*real)(unsigned char *, const unsigned char *, int);
	unsigned char *tmp;
	int r;

	if (real == NULL && (*(void **)&real = dlsym(RTLD_NEXT,
	    "EVP_DecodeBlock")) == NULL)
		die("dlsym EVP_DecodeBlock: %s", dlerror());
	if ((tmp = malloc(n > 0 ? 3 * (size_t)n / 4 + 3 : 1)) == NULL)
		die("out of memory");
	if ((r = real(tmp, f, n)) > 0)
		memcpy(t, tmp, (size_t)r);
	free(tmp);
	return r;
}
