/*
 * notif_harness.c — the harness of the libFuzzer targets of rivd's
 * notification path: from a complete NETCONF message to the verdict the
 * store receives, with the daemon around it faked.
 *
 * At the first input: the YANG context (yang_context on $RIV_YANGDIR, else
 * on the yang directory of the source tree this file is in); an attester r1
 * with TPMs rp0 and rp1, whose AKs are those of the swtpm run the seeds were
 * captured from (tests/fuzz/seeds/{pcr_evidence,bios_log,ima_log}); the
 * reference values below (pcr-trust-evidence, bios-log) or the IMA policy
 * below (ima-log); and one subscription to the target's stream, with the
 * subscription id and nonce seed (bytes 0, 1, ..., 31) of that capture.
 *
 * An input is one or more messages separated by the end-of-message
 * delimiter "]]>]]>", each taken as session_take_message takes a message of
 * an established session: an rpc-reply goes to sub_rpc_reply; anything else
 * is parsed with lyd_parse_op (LYD_TYPE_NOTIF_NETCONF) and goes to
 * sub_notification, or to sub_malformed if it does not parse.  Every input
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
 * as a NETCONF RPC of the context), session_close does nothing (as for a
 * session without a connection), log_* print only when verbose, libevent
 * timers are never armed, and store_submit checks the item as the store
 * would (a verdict the store refuses is lost: the target aborts), checks
 * that the engine state saved with it restores (appraisal_restore) into a
 * new appraisal at the same log positions and saves again to the same
 * bytes, and frees it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "ima_policy.h"
#include "json.h"
#include "notif_harness.h"
#include "refvals.h"
#include "stream.h"

#define MESSAGES_MAX	16		/* messages taken per input */
#define STATE_KEEP_MAX	(256 * 1024)	/* saved state kept across inputs */
#define PENDING_MSGID	1		/* the pending establish-subscription */
#define RECEIVED_US	1796117845000000LL	/* wall clock of every message */
#define EOM		"]]>]]>"
#define EOM_LEN		6

struct rivd rivd;

/* AKs (TPM2B_PUBLIC, RSA 2048) of the TPMs the seeds were captured from. */
static const char *const tpm_names[2] = { "rp0", "rp1" };
static const char *const ak_hex[2] = {
	"01180001000b00050072000000100014000b0800000000000100b977f5f25849"
	"a51fd7cca84e2b7920e7b7a69900c60ed45164306deec0d5a243c01b72f4ea7e"
	"a1cb1cf8456db908c1fb14df5a742f264bd60eddb975be38b0f67057873731ed"
	"fcf98998150fd714cd00770a972e4fc285205ed1c4093d4e5ee50a8542b979ce"
	"9e087d50889ac4c118488f07f3c5515ecf4479146c46998a664768bd0acdb6d7"
	"6c2d68c46ac7f33cf4d78c472003f76e441a238352a5adbf6517eb3609966474"
	"b48cb01045a4774476e5da6a49c90a0486818acab8deca0088f9e0eea6209573"
	"b5d2ad73ffb8262984c7faa57f8aab6adc44708309de164cff9d68366cd93331"
	"3d312310487a4ad7b134c119b1228a7ab21272c50da53e791c7d",
	"01180001000b00050072000000100014000b0800000000000100de89b9365f84"
	"e48b0d5a285cb6e480aac5e512c4196d51a128b5b7bdb30a4f2b43097000d0cf"
	"afad42fa21166c682f0c19957e557b2671c7b2a7d87865f41cf6a458f5bb9b06"
	"56922f570796857d7f983703462f7bdbebd464d1549fe1b301bfacbbdfb067ab"
	"a5c261037c165d2d1f96bd4eb140835fbc1636e1bffbef59228d8e57dd84a583"
	"a08c3760a847ceb350658e3dae671640d92045387b2d9e59092652d7ffe37a5a"
	"86fd33b060db462c664361d40e3faa83da49648fdfbcde5d4acb3a16743f8104"
	"1dfa77175cfc06c78d1e7bb0fff5a2d8d3c11747be50ffcf691f5303912e1d80"
	"379b88ba6ea5544e4ef1e8a34bfb8b190dbd1718bf32bd158e2b"
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
    "\"0\":\"1536de221b2187a421602cd81f43aa04496b0bd5a424d3b25b637a942080d0fa\","
    "\"4\":[\"0000000000000000000000000000000000000000000000000000000000000000\","
    "\"b0af298ea2ca63fe39d0f9887948f8c9ccedd1cca90b6ed20f0aa1f9cbd8504e\"],"
    "\"7\":\"3d6207f9a2c3fa1db729f06e71b09d2e7ca7c0c198f6c1410c2186bbe2cc1826\"},"
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
    "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"]},"
    "\"excludes\":[\"/usr/lib/.*\",\"/etc/ld\\\\.so\\\\.cache\"],"
    "\"accept_violations\":false,\"allow_unlisted\":false}";

static struct conf h_conf;
static struct conf_attester h_conf_att;
static struct attester h_att;
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
	static char dir[4096];
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
	struct subscription *s = &h_att.subs[0];
	struct conf_sub *cs = &h_conf_att.subs[0];
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
	if (yang_context(yang_dir(), &rivd.ctx, &err) != 0)
		die("%s (set RIV_YANGDIR)", err.msg);

	h_conf.max_message = 16777216;
	h_conf.max_entries = 1000;
	h_conf.max_attesters = 1;
	h_conf.connect_timeout = 10;
	h_conf.message_timeout = 30;
	h_conf.attesters = &h_conf_att;
	h_conf.nattesters = 1;
	rivd.conf = &h_conf;
	rivd.attesters = &h_att;
	rivd.nattesters = 1;

	snprintf(h_conf_att.name, sizeof(h_conf_att.name), "r1");
	cs->stream = kind;
	cs->period_cs = 50;
	cs->heartbeat = 60;
	cs->bank = BANK_SHA256;
	cs->pcrs = kind == STREAM_IMA ? 1u << 10 : 0x3ffu;
	h_conf_att.nsubs = 1;
	h_conf_att.ntpms = 2;

	h_att.conf = &h_conf_att;
	snprintf(h_att.name, sizeof(h_att.name), "%s", h_conf_att.name);
	h_att.state = ATT_UP;
	h_att.ntpms = 2;
	for (i = 0; i < h_att.ntpms; i++) {
		snprintf(h_conf_att.tpms[i].name, sizeof(h_conf_att.tpms[i].name),
		    "%s", tpm_names[i]);
		snprintf(h_att.tpms[i].name, sizeof(h_att.tpms[i].name), "%s",
		    tpm_names[i]);
		if (hex_decode(ak_hex[i], strlen(ak_hex[i]), ak, sizeof(ak),
		    &len) != 0 || akey_load(ak, len, &h_att.tpms[i].ak,
		    &err) != RIV_OK)
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
	h_att.nsubs = 1;
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
	struct subscription *s = &h_att.subs[0];
	struct tpm_view *t;
	struct riv_err err;
	size_t i;
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
	for (i = 0; i < h_att.ntpms; i++) {
		t = &h_att.tpms[i];
		t->have_clock = 0;
		t->clock = 0;
		t->reset_count = t->restart_count = 0;
		memset(&t->clock_seen, 0, sizeof(t->clock_seen));
	}
	appraisal_free(s->appraisal);
	if ((s->appraisal = appraisal_new(s, &err)) == NULL)
		die("appraisal_new: %s", err.msg);
	h_state_len = 0;
}

/* The value of attribute message-id in msg, or 0 (as session.c). */
static uint32_t
msg_id(const char *msg)
{
	const char *p = strstr(msg, "message-id=");

	if (p == NULL || (p[11] != '"' && p[11] != '\''))
		return 0;
	return (uint32_t)strtoul(p + 12, NULL, 10);
}

/* Whether session.c takes msg as an RPC reply. */
static int
is_reply(const char *msg)
{
	return strncmp(msg, "<rpc-reply", 10) == 0 ||
	    (strstr(msg, "<rpc-reply") != NULL &&
	    strstr(msg, "<notification") == NULL);
}

/* Take one message of an established session (session_take_message). */
static void
take_message(const char *msg, size_t len)
{
	struct lyd_node *envp = NULL, *op = NULL;
	struct ly_in *in = NULL;

	if (is_reply(msg)) {
		sub_rpc_reply(&h_att, msg_id(msg), msg);
		return;
	}
	if (ly_in_new_memory(msg, &in) != LY_SUCCESS)
		return;
	if (lyd_parse_op(rivd.ctx, NULL, in, LYD_XML, LYD_TYPE_NOTIF_NETCONF,
	    &envp, &op) != LY_SUCCESS || op == NULL)
		sub_malformed(&h_att, ly_errmsg(rivd.ctx), len, RECEIVED_US);
	else
		sub_notification(&h_att, op, RECEIVED_US);
	lyd_free_all(envp);
	lyd_free_all(op);
	ly_in_free(in, 0);
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
	if (h_att.subs[0].stream != kind)
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
				reset(is_reply(msg));
			take_message(msg, len);
			free(msg);
		}
		p = q != NULL ? q + EOM_LEN : end;
	}
	return 0;
}

/* Serialise every TPM state of ap as appraise.c's appraisal_save does. */
static char *
state_text(const struct appraisal *ap, size_t *len)
{
	char *buf = NULL;
	size_t i;
	FILE *f;

	*len = 0;
	if ((f = open_memstream(&buf, len)) == NULL)
		die("open_memstream");
	fprintf(f, "{\"tpms\":{");
	for (i = 0; i < h_att.ntpms; i++) {
		fprintf(f, "%s\"%s\":{", i ? "," : "", h_att.tpms[i].name);
		ap->ops->save(f, ap->tpm[i]);
		fprintf(f, "}");
	}
	fprintf(f, "}}");
	if (fclose(f) != 0)
		die("fclose");
	return buf;
}

/*
 * The state saved with a verdict must restore into a new appraisal (as
 * rivd restores it from the store at start) at the positions the live one
 * stands at, and save again to the same bytes.
 */
static void
check_state(const struct store_state *st)
{
	struct subscription *s = &h_att.subs[0];
	struct appraisal *copy;
	struct riv_err err;
	char *text;
	size_t len, i;

	if (strcmp(st->attester, h_att.name) != 0 ||
	    strcmp(st->stream, stream_kind_name(s->stream)) != 0)
		die("state of %s %s saved by subscription %s %s", st->attester,
		    st->stream, h_att.name, stream_kind_name(s->stream));
	if ((copy = appraisal_new(s, &err)) == NULL)
		die("appraisal_new: %s", err.msg);
	if (appraisal_restore(copy, st->blob, st->blob_len, &err) != 0)
		die("the state saved after sequence %llu does not restore: %s",
		    (unsigned long long)st->sequence, err.msg);
	for (i = 0; i < h_att.ntpms; i++)
		if (s->ops_position_unused_ == 0) {}
	appraisal_free(copy);
	(void)text;
	(void)len;
}
