/*
 * check_message.c — how rivd reads the NETCONF messages it gets in answer
 * (src/message.c, and the rpc-reply handling of src/subscription.c and
 * streams/ietf_attestation.c): by their XML structure, elements found by
 * namespace and local name, not by scanning the text.  Prefixed replies,
 * entities in text, an element name inside another's text, replies
 * without a message-id, an id in a foreign namespace, capabilities split
 * by white space.  The daemon around message.c is the fuzz targets' fake
 * (tests/fuzz/notif_harness.c, RIV_FUZZ_VERBOSE=1): what it logs, notes
 * and records is read back from stderr.  Each test runs in its own
 * process (Check's fork mode): the harness takes one stream per process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "notif_harness.h"
#include "rivd.h"
#include "testutil.h"

#define NC	"urn:ietf:params:xml:ns:netconf:base:1.0"
#define SN	"urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
#define RAS	"urn:rivd:params:xml:ns:yang:riv-attestation-streams"
#define TRAS	"urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation-stream"
#define SEED_ID	"Yw3NKWbEM2Y="	/* of the harness's seed (bytes 0 to 31) */
#define OUT_MAX	65536

/* Point the harness at the YANG modules of the source tree, verbose. */
static void
setup_env(void)
{
	const char *src = getenv("RIV_SRCDIR");
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/yang", src != NULL && *src != '\0' ?
	    src : "..");
	setenv("RIV_YANGDIR", dir, 1);
	setenv("RIV_FUZZ_VERBOSE", "1", 1);
}

/*
 * Take msg as the messages of an attester's session on the harness's
 * subscription to kind; return what the fake daemon printed (static).
 */
static const char *
run(enum stream_kind kind, const char *msg)
{
	static char out[OUT_MAX];
	FILE *f;
	size_t n;
	int saved;

	setup_env();
	fflush(stderr);
	ck_assert_ptr_nonnull(f = tmpfile());
	ck_assert_int_ge(saved = dup(2), 0);
	ck_assert_int_ge(dup2(fileno(f), 2), 0);
	notif_harness_run(kind, (const uint8_t *)msg, strlen(msg));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

/* Fail unless out holds want. */
static void
expect(const char *out, const char *want)
{
	ck_assert_msg(strstr(out, want) != NULL, "wanted \"%s\" in:\n%s",
	    want, out);
}

/* Fail if out holds what. */
static void
expect_not(const char *out, const char *what)
{
	ck_assert_msg(strstr(out, what) == NULL, "did not want \"%s\" in:\n%s",
	    what, out);
}

/* The harness's YANG context, built by an empty first input. */
static void
context(enum stream_kind kind)
{
	run(kind, "");
	ck_assert_ptr_nonnull(rivd.ctx);
}

/* Replies and notifications are told apart by the root element's name. */
START_TEST(test_is_reply)
{
	ck_assert(message_is_reply("<rpc-reply xmlns=\"" NC "\"/>"));
	ck_assert(message_is_reply("<?xml version=\"1.0\"?>\n<!-- a -->\n"
	    "<nc:rpc-reply xmlns:nc=\"" NC "\" message-id=\"1\"><ok/>"));
	ck_assert(message_is_reply("<rpc-reply\tmessage-id=\"1\">"));
	ck_assert(!message_is_reply("<notification><eventTime/><x>"
	    "&lt;rpc-reply</x></notification>"));
	ck_assert(!message_is_reply("<notification><!-- <rpc-reply -->"
	    "</notification>"));
	ck_assert(!message_is_reply("<rpc-replyx xmlns=\"" NC "\"/>"));
	ck_assert(!message_is_reply("<rpc-reply"));
	ck_assert(!message_is_reply("<?xml <rpc-reply/>"));
	ck_assert(!message_is_reply("<!-- <rpc-reply/>"));
	ck_assert(!message_is_reply(""));
}
END_TEST

/* Elements by namespace and local name, text decoded and trimmed. */
START_TEST(test_readers)
{
	const struct lyd_node *err;
	struct lyd_node *t;
	char why[256], buf[64];
	uint32_t v;

	context(STREAM_PCR);
	t = message_parse("<nc:rpc-reply xmlns:nc=\"" NC "\" "
	    "message-id=\"3\"><x:id xmlns:x=\"urn:example:other\">9</x:id>"
	    "<s:id xmlns:s=\"" SN "\">\n 42\t</s:id><nc:rpc-error>"
	    "<nc:error-message>see &lt;id&gt;1&lt;/id&gt; &amp; more"
	    "</nc:error-message><error-app-tag xmlns=\"" NC "\">"
	    "ras:pcr-unsubscribable</error-app-tag></nc:rpc-error>"
	    "</nc:rpc-reply>", "rpc-reply", why, sizeof(why));
	ck_assert_msg(t != NULL, "%s", why);
	ck_assert_str_eq(message_text(t, SN, "id", buf, sizeof(buf)), "42");
	ck_assert_int_eq(message_uint32(buf, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_str_eq(message_text(t, "urn:example:other", "id", buf,
	    sizeof(buf)), "9");
	ck_assert_ptr_null(message_text(t, NC, "id", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "");
	ck_assert_ptr_nonnull(err = message_child(t, NC, "rpc-error"));
	ck_assert_str_eq(message_text(err, NC, "error-message", buf,
	    sizeof(buf)), "see <id>1</id> & more");
	ck_assert_str_eq(message_text(err, NC, "error-app-tag", buf,
	    sizeof(buf)), "ras:pcr-unsubscribable");
	ck_assert(message_tag_is(buf, "pcr-unsubscribable"));
	ck_assert(!message_tag_is(buf, "unsubscribable"));
	ck_assert(message_tag_is("log-position-unavailable",
	    "log-position-unavailable"));
	ck_assert_ptr_null(message_text(t, NC, "rpc-error", buf,
	    sizeof(buf)));	/* holds elements */
	lyd_free_all(t);

	ck_assert_int_eq(message_uint32("4294967295", &v), 0);
	ck_assert_int_ne(message_uint32("4294967296", &v), 0);
	ck_assert_int_ne(message_uint32("", &v), 0);
	ck_assert_int_ne(message_uint32("1 ", &v), 0);
	ck_assert_int_ne(message_uint32("-1", &v), 0);

	/* Not an rpc-reply of the base namespace, not one element. */
	ck_assert_ptr_null(message_parse("<rpc-reply xmlns=\"urn:example\" "
	    "message-id=\"1\"/>", "rpc-reply", why, sizeof(why)));
	ck_assert_ptr_null(message_parse("<rpc-reply xmlns=\"" NC "\" "
	    "message-id=\"1\"/><rpc-reply xmlns=\"" NC "\" message-id=\"2\"/>",
	    "rpc-reply", why, sizeof(why)));
	ck_assert_ptr_null(message_parse("<rpc-reply xmlns=\"" NC "\">",
	    "rpc-reply", why, sizeof(why)));
}
END_TEST

/*
 * A hello's capabilities, read as session.c reads them: prefixes, white
 * space around the URIs, a URI only in another element's text.
 */
START_TEST(test_hello)
{
	const struct lyd_node *c;
	struct lyd_node *t;
	char why[256], uri[256];
	int n10 = 0, n11 = 0, other = 0;

	context(STREAM_PCR);
	t = message_parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<h:hello xmlns:h=\"" NC "\"><h:capabilities>\n"
	    "  <h:capability>\n  urn:ietf:params:netconf:base:1.1\n"
	    "  </h:capability>\n  <capability xmlns=\"urn:example\">"
	    "urn:ietf:params:netconf:base:1.0</capability>\n"
	    "  <h:capability>urn:ietf:params:netconf:base:1.0?x=1"
	    "</h:capability>\n</h:capabilities><h:session-id>4"
	    "</h:session-id></h:hello>", "hello", why, sizeof(why));
	ck_assert_msg(t != NULL, "%s", why);
	LY_LIST_FOR(lyd_child(message_child(t, NC, "capabilities")), c) {
		if (!message_is(c, NC, "capability") ||
		    message_value(c, uri, sizeof(uri)) == NULL)
			continue;
		if (strcmp(uri, "urn:ietf:params:netconf:base:1.0") == 0)
			n10++;
		else if (strcmp(uri, "urn:ietf:params:netconf:base:1.1") == 0)
			n11++;
		else
			other++;
	}
	ck_assert_int_eq(n10, 0);
	ck_assert_int_eq(n11, 1);
	ck_assert_int_eq(other, 1);
	lyd_free_all(t);
	ck_assert_ptr_null(message_parse("<hello xmlns=\"urn:example\"/>",
	    "hello", why, sizeof(why)));
	ck_assert_ptr_null(message_parse("<rpc-reply xmlns=\"" NC "\" "
	    "message-id=\"1\"><hello/></rpc-reply>", "hello", why,
	    sizeof(why)));
}
END_TEST

/* A prefixed establish-subscription reply subscribes. */
START_TEST(test_prefixed_reply)
{
	const char *out = run(STREAM_PCR, "<?xml version=\"1.0\"?>"
	    "<nc:rpc-reply xmlns:nc=\"" NC "\" message-id='1'>"
	    "<sn:id xmlns:sn=\"" SN "\">\n 2147483648\n</sn:id>"
	    "<r:seed-id xmlns:r=\"" RAS "\">" SEED_ID "</r:seed-id>"
	    "</nc:rpc-reply>");

	expect(out, "subscribed to pcr-trust-evidence (id 2147483648)");
	expect(out, "note r1 pcr-trust-evidence 2147483648: active");
	expect_not(out, "malformed");
}
END_TEST

/*
 * An rpc-error whose error-message holds an escaped <rpc-reply> and an
 * <id>: refused, with the decoded message and the app tag.
 */
START_TEST(test_refusal_text)
{
	const char *out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\" "
	    "message-id=\"1\"><rpc-error><error-type>application"
	    "</error-type><error-tag>invalid-value</error-tag>"
	    "<error-severity>error</error-severity><error-app-tag>"
	    "riv-attestation-streams:seed-invalid</error-app-tag>"
	    "<error-message>not &lt;rpc-reply&gt;&lt;id&gt;5&lt;/id&gt;"
	    "</error-message></rpc-error></rpc-reply>");

	expect(out, "establish-subscription refused: not <rpc-reply><id>5"
	    "</id> (riv-attestation-streams:seed-invalid)");
	expect(out, "error [subscription]");
	expect(out, ": refused establish-subscription refused");
	expect_not(out, "subscribed to");
}
END_TEST

/* log-position-unavailable is told by the identity, prefix or not. */
START_TEST(test_refusal_prefixed)
{
	const char *out = run(STREAM_PCR, "<x:rpc-reply xmlns:x=\"" NC "\" "
	    "message-id=\"1\"><x:rpc-error><x:error-app-tag>"
	    "ras:log-position-unavailable</x:error-app-tag></x:rpc-error>"
	    "</x:rpc-reply>");

	expect(out, "establish-subscription refused: no message "
	    "(ras:log-position-unavailable)");
}
END_TEST

/* Replies without a usable message-id, or of another namespace. */
START_TEST(test_bad_replies)
{
	const char *out;

	out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\"><id xmlns=\"" SN
	    "\">1</id></rpc-reply>");
	expect(out, "malformed message");
	expect(out, "an rpc-reply without a valid message-id");
	out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\" message-id=\"1x\">"
	    "<ok/></rpc-reply>");
	expect(out, "an rpc-reply without a valid message-id");
	out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\" nc:message-id=\"1\" "
	    "xmlns:nc=\"" NC "\"><ok/></rpc-reply>");
	expect(out, "an rpc-reply without a valid message-id");
	out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\" message-id=\"9\">"
	    "<ok/></rpc-reply>");
	expect(out, "an rpc-reply to a message-id rivd never sent");
	out = run(STREAM_PCR, "<rpc-reply xmlns=\"urn:example\" "
	    "message-id=\"1\"><ok/></rpc-reply>");
	expect(out, "not one <rpc-reply> of the NETCONF base namespace");
	expect_not(out, "subscribed to");
}
END_TEST

/* An id or a seed-id of the wrong namespace is no id. */
START_TEST(test_foreign_id)
{
	const char *out;

	out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\" message-id=\"1\">"
	    "<id>2147483648</id><seed-id xmlns=\"" RAS "\">" SEED_ID
	    "</seed-id></rpc-reply>");
	expect(out, "establish-subscription reply without an id");
	expect_not(out, "subscribed to");
	out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\" message-id=\"1\">"
	    "<id xmlns=\"" SN "\">2147483648</id><seed-id xmlns=\"" SN "\">"
	    SEED_ID "</seed-id></rpc-reply>");
	expect(out, "error [seed]");
	expect_not(out, "subscribed to");
	out = run(STREAM_PCR, "<rpc-reply xmlns=\"" NC "\" message-id=\"1\">"
	    "<id xmlns=\"" SN "\">21474836480</id><seed-id xmlns=\"" RAS
	    "\">" SEED_ID "</seed-id></rpc-reply>");
	expect(out, "establish-subscription reply with an id that is not a "
	    "uint32");
}
END_TEST

/*
 * A notification judged without a quote (here: no TPM evidence) is taken
 * into the nonce chain when its number is not ahead of it: the same one
 * again is a replay (no evidence), not a second verdict on its evidence.
 */
START_TEST(test_malformed_taken_in)
{
	static const char note[] = "<notification xmlns=\"urn:ietf:params:"
	    "xml:ns:netconf:notification:1.0\"><eventTime>2026-12-01T09:41:"
	    "31Z</eventTime><pcr-trust-evidence xmlns=\"" RAS "\">"
	    "<subscription-id>2147483648</subscription-id><sequence-number>0"
	    "</sequence-number><seed-id>" SEED_ID "</seed-id>"
	    "</pcr-trust-evidence></notification>";
	char in[2048];
	const char *out, *first, *second;

	snprintf(in, sizeof(in), "%s]]>]]>%s", note, note);
	out = run(STREAM_PCR, in);
	first = strstr(out, "seq 0: error [malformed]");
	ck_assert_msg(first != NULL, "no malformed verdict in:\n%s", out);
	expect(first, "a notification without TPM evidence");
	second = strstr(first + 1, "seq 0: ");
	ck_assert_msg(second != NULL, "one verdict only in:\n%s", out);
	ck_assert_msg(strncmp(second, "seq 0: fail [replayed]", 22) == 0,
	    "the second is not a replay:\n%s", out);
}
END_TEST

/* The attestation stream: an established reply with prefixes. */
START_TEST(test_ietf_established)
{
	const char *out;

	context(STREAM_ATTESTATION);
	rivd.attesters[0]->subs[STREAM_ATTESTATION].ietf.rpc =
	    IETF_RPC_ESTABLISH;
	out = run(STREAM_ATTESTATION, "<n:rpc-reply xmlns:n=\"" NC "\" "
	    "message-id=\"1\"><s:id xmlns:s=\"" SN "\">77</s:id>"
	    "<s:replay-start-time-revision xmlns:s=\"" SN "\">"
	    "2026-12-01T09:00:00Z</s:replay-start-time-revision>"
	    "</n:rpc-reply>");
	expect(out, "subscribed to attestation (id 77)");
	expect(out, "note r1 attestation 77: active replay since boot");
}
END_TEST

/*
 * The attestation stream: pcr-unsubscribable as the reason of the
 * establish-subscription-stream-error-info, not as the app tag; and the
 * word only in the error-message does not count.
 */
START_TEST(test_ietf_unsubscribable)
{
	struct subscription *s;
	const char *out;

	context(STREAM_ATTESTATION);
	s = &rivd.attesters[0]->subs[STREAM_ATTESTATION];
	s->ietf.rpc = IETF_RPC_ESTABLISH;
	out = run(STREAM_ATTESTATION, "<rpc-reply xmlns=\"" NC "\" "
	    "message-id=\"1\"><rpc-error><error-tag>invalid-value"
	    "</error-tag><error-message>PCR 24</error-message><error-info>"
	    "<establish-subscription-stream-error-info xmlns=\"" SN "\">"
	    "<reason xmlns:t=\"" TRAS "\">t:pcr-unsubscribable</reason>"
	    "</establish-subscription-stream-error-info></error-info>"
	    "</rpc-error></rpc-reply>");
	expect(out, "establish-subscription refused: PCR 24 "
	    "(pcr-unsubscribable)");
	expect(out, "error [pcr-unsubscribable]");
	s->ietf.rpc = IETF_RPC_ESTABLISH;
	out = run(STREAM_ATTESTATION, "<rpc-reply xmlns=\"" NC "\" "
	    "message-id=\"1\"><rpc-error><error-tag>invalid-value"
	    "</error-tag><error-message>not pcr-unsubscribable</error-message>"
	    "</rpc-error></rpc-reply>");
	expect(out, "establish-subscription refused: not pcr-unsubscribable "
	    "(no app tag)");
	expect(out, "error [subscription]");
}
END_TEST

static Suite *
message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("replies");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_is_reply);
	tcase_add_test(tc, test_readers);
	tcase_add_test(tc, test_hello);
	tcase_add_test(tc, test_prefixed_reply);
	tcase_add_test(tc, test_refusal_text);
	tcase_add_test(tc, test_refusal_prefixed);
	tcase_add_test(tc, test_bad_replies);
	tcase_add_test(tc, test_foreign_id);
	tcase_add_test(tc, test_malformed_taken_in);
	tcase_add_test(tc, test_ietf_established);
	tcase_add_test(tc, test_ietf_unsubscribable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(message_suite());
}
