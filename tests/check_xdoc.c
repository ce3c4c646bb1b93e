/*
 * check_xdoc.c — the lean reader of evidence notifications (src/xdoc.c):
 * what it takes, the values it gives, what it refuses and why; and,
 * against libyang on every message of the fuzz seeds (rivd's streams and
 * the IETF stream `attestation`), that it takes nothing libyang refuses
 * and reads the same tree (schema nodes and every value), and that
 * libyang's canonical print of evidence is always taken (message.c's
 * fallback).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "rivd.h"
#include "testutil.h"
#include "xdoc.h"

#define RAS	"urn:rivd:params:xml:ns:yang:riv-attestation-streams"
#define TRAS	"urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation-stream"
#define TAA	"urn:ietf:params:xml:ns:yang:ietf-tcg-algs"
#define NOTIF	"<notification xmlns=\"urn:ietf:params:xml:ns:netconf:" \
		    "notification:1.0\"><eventTime>2026-12-01T12:36:03Z" \
		    "</eventTime>"

/* A quote notification, with placeholders the tests replace. */
static const char base_msg[] =
    "<notification xmlns=\"urn:ietf:params:xml:ns:netconf:notification:1.0\">"
    "<eventTime>2026-12-01T09:41:31.502668978+00:00</eventTime>"
    "<pcr-trust-evidence xmlns=\"" RAS "\">"
    "<subscription-id>2147483648</subscription-id>"
    "<sequence-number>7</sequence-number>"
    "<seed-id>Yw3NKWbEM2Y=</seed-id>"
    "<trigger xmlns:ras=\"" RAS "\">ras:periodic</trigger>"
    "<tpm><name>rp0</name><quote><certificate-name>rp0-ak</certificate-name>"
    "<quote-data>/1RDRw==</quote-data><quote-signature>AAE=</quote-signature>"
    "<unsigned-pcr-values>"
    "<tpm20-hash-algo xmlns:taa=\"" TAA "\">taa:TPM_ALG_SHA256"
    "</tpm20-hash-algo>"
    "<pcr-values><pcr-index>0</pcr-index>"
    "<pcr-value>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</pcr-value>"
    "</pcr-values></unsigned-pcr-values></quote></tpm>"
    "<tpm><name>rp1</name><quote><quote-data>AQID</quote-data>"
    "<quote-signature>BA==</quote-signature></quote></tpm>"
    "</pcr-trust-evidence></notification>";

/* A bios-log notification, for the tests of raw entries. */
static const char bios_msg[] =
    "<notification xmlns=\"urn:ietf:params:xml:ns:netconf:notification:1.0\">"
    "<eventTime>2026-12-01T09:41:31Z</eventTime>"
    "<bios-log xmlns=\"" RAS "\"><subscription-id>1</subscription-id>"
    "<sequence-number>3</sequence-number><tpm><name>rp0</name>"
    "<first-event-number>0</first-event-number>"
    "<raw-entries>AAAA</raw-entries></tpm></bios-log></notification>";

/* A pcr-extend of the IETF stream: a boot-log event, an IMA event. */
static const char extend_msg[] = NOTIF
    "<pcr-extend xmlns=\"" TRAS "\"><certificate-name>rp0</certificate-name>"
    "<pcr-index-changed>0</pcr-index-changed>"
    "<pcr-index-changed>10</pcr-index-changed>"
    "<attested-event><attested-event>"
    "<extended-with>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</extended-with>"
    "<bios-event-entry><event-number>1</event-number>"
    "<event-type>5</event-type><pcr-index>0</pcr-index><digest-list>"
    "<hash-algo xmlns:taa=\"" TAA "\">taa:TPM_ALG_SHA256</hash-algo>"
    "<digest>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</digest>"
    "</digest-list><event-size>3</event-size><event-data>YWJj</event-data>"
    "</bios-event-entry></attested-event></attested-event>"
    "<attested-event><attested-event>"
    "<extended-with>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</extended-with>"
    "<ima-event-entry><event-number>29</event-number>"
    "<ima-template>ima-ng</ima-template>"
    "<filename-hint>/usr/bin/x</filename-hint>"
    "<filedata-hash>AQI=</filedata-hash>"
    "<filedata-hash-algorithm>sha256</filedata-hash-algorithm>"
    "<pcr-index>10</pcr-index></ima-event-entry>"
    "</attested-event></attested-event></pcr-extend></notification>";

/* A tpm20-attestation of the IETF stream. */
static const char tras_quote_msg[] = NOTIF
    "<tpm20-attestation xmlns=\"" TRAS "\">"
    "<certificate-name>rp0</certificate-name>"
    "<quote-data>/1RDRw==</quote-data><quote-signature>AAE=</quote-signature>"
    "<up-time>7</up-time><unsigned-pcr-values>"
    "<tpm20-hash-algo xmlns:taa=\"" TAA "\">taa:TPM_ALG_SHA256"
    "</tpm20-hash-algo><pcr-values><pcr-index>0</pcr-index>"
    "<pcr-value>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</pcr-value>"
    "</pcr-values><pcr-values><pcr-index>7</pcr-index></pcr-values>"
    "</unsigned-pcr-values></tpm20-attestation></notification>";

static struct ly_ctx *ctx;
static struct xdoc *doc;

/* Build rivd's YANG context (as rivd does) and a reader. */
static void
setup(void)
{
	const char *src = getenv("RIV_SRCDIR");
	struct riv_err err;
	char dir[4096];

	if (ctx != NULL)
		return;
	if (src == NULL || *src == '\0')
		src = "..";
	snprintf(dir, sizeof(dir), "%s/yang", src);
	if (yang_context(dir, 0, &ctx, &err) != 0) {
		fprintf(stderr, "check_xdoc: %s\n", err.msg);
		exit(1);
	}
	if ((doc = xdoc_new()) == NULL)
		exit(1);
}

/* msg with the first from replaced by to (static buffer). */
static const char *
edit_msg(const char *msg, const char *from, const char *to)
{
	static char buf[8192];
	const char *p = strstr(msg, from);

	ck_assert_msg(p != NULL, "no %s in the message", from);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - msg), msg, to,
	    p + strlen(from));
	return buf;
}

/* base_msg with the first from replaced by to (static buffer). */
static const char *
edit(const char *from, const char *to)
{
	return edit_msg(base_msg, from, to);
}

/* Read msg; the result. */
static enum xdoc_result
read_msg(const char *msg)
{
	return xdoc_read(doc, ctx, msg, strlen(msg));
}

/* Read msg, which must be refused for a reason containing why. */
static void
refused(const char *msg, const char *why)
{
	ck_assert_msg(read_msg(msg) == XDOC_REFUSED, "taken, not refused for "
	    "\"%s\": %.*s", why, 400, msg);
	ck_assert_msg(strstr(xdoc_why(doc), why) != NULL, "refused for \"%s\","
	    " not \"%s\"", xdoc_why(doc), why);
	ck_assert_msg(strncmp(xdoc_why(doc), "at offset ", 10) == 0,
	    "the reason names no offset: %s", xdoc_why(doc));
}

START_TEST(test_values)
{
	const struct xnode *op, *t, *q, *v;
	const uint8_t *b;
	size_t len;

	setup();
	ck_assert_int_eq(read_msg(base_msg), XDOC_EVIDENCE);
	op = xdoc_op(doc);
	ck_assert_str_eq(op->name, "pcr-trust-evidence");
	ck_assert_str_eq(op->ns, RAS);
	ck_assert_str_eq(xnode_text(op, "subscription-id"), "2147483648");
	ck_assert_str_eq(xnode_text(op, "sequence-number"), "7");
	ck_assert_str_eq(xnode_text(op, "trigger"), "ras:periodic");
	b = xnode_bin(op, "seed-id", &len);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(b, "\x63\x0d\xcd\x29\x66\xc4\x33\x66", 8);
	ck_assert_ptr_null(xnode_text(op, "trigger-detail"));
	t = xnode_child(op, "tpm");
	ck_assert_str_eq(xnode_text(t, "name"), "rp0");
	q = xnode_child(t, "quote");
	b = xnode_bin(q, "quote-data", &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(b, "\xff\x54\x43\x47", 4);
	b = xnode_bin(q, "quote-signature", &len);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(b, "\x00\x01", 2);
	v = xnode_child(xnode_child(q, "unsigned-pcr-values"), "pcr-values");
	ck_assert_str_eq(xnode_text(v, "pcr-index"), "0");
	xnode_bin(v, "pcr-value", &len);
	ck_assert_uint_eq(len, 32);
	t = xnode_next_named(t);
	ck_assert_str_eq(xnode_text(t, "name"), "rp1");
	b = xnode_bin(xnode_child(t, "quote"), "quote-data", &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(b, "\x01\x02\x03", 3);
	ck_assert_ptr_null(xnode_next_named(t));
}
END_TEST

START_TEST(test_ietf_values)
{
	const struct xnode *op, *ev, *e, *v;
	const uint8_t *b;
	size_t len;

	setup();
	ck_assert_int_eq(read_msg(extend_msg), XDOC_EVIDENCE);
	op = xdoc_op(doc);
	ck_assert_str_eq(op->name, "pcr-extend");
	ck_assert_str_eq(op->ns, TRAS);
	ck_assert_str_eq(op->schema->module->name,
	    "ietf-tpm-remote-attestation-stream");
	ck_assert_str_eq(xnode_text(op, "certificate-name"), "rp0");
	v = xnode_child(op, "pcr-index-changed");
	ck_assert_str_eq(v->text, "0");
	ck_assert_str_eq(xnode_next_named(v)->text, "10");
	ev = xnode_child(xnode_child(op, "attested-event"), "attested-event");
	b = xnode_bin(ev, "extended-with", &len);
	ck_assert_uint_eq(len, 32);
	ck_assert_uint_eq(b[31], 31);
	e = xnode_child(ev, "bios-event-entry");
	ck_assert_str_eq(xnode_text(e, "event-type"), "5");
	ck_assert_str_eq(xnode_text(xnode_child(e, "digest-list"),
	    "hash-algo"), "taa:TPM_ALG_SHA256");
	b = xnode_bin(e, "event-data", &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(b, "abc", 3);
	ev = xnode_child(xnode_next_named(xnode_child(op, "attested-event")),
	    "attested-event");
	e = xnode_child(ev, "ima-event-entry");
	ck_assert_str_eq(xnode_text(e, "filename-hint"), "/usr/bin/x");
	ck_assert_str_eq(xnode_text(e, "pcr-index"), "10");
	b = xnode_bin(e, "filedata-hash", &len);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(b, "\x01\x02", 2);

	ck_assert_int_eq(read_msg(tras_quote_msg), XDOC_EVIDENCE);
	op = xdoc_op(doc);
	ck_assert_str_eq(op->name, "tpm20-attestation");
	b = xnode_bin(op, "quote-data", &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(b, "\xff\x54\x43\x47", 4);
	ck_assert_str_eq(xnode_text(op, "up-time"), "7");
	v = xnode_child(xnode_child(op, "unsigned-pcr-values"), "pcr-values");
	xnode_bin(v, "pcr-value", &len);
	ck_assert_uint_eq(len, 32);
	ck_assert_ptr_null(xnode_bin(xnode_next_named(v), "pcr-value", &len));

	/* Its schema checks, as for rivd's streams. */
	refused(edit_msg(extend_msg, "<pcr-index-changed>10",
	    "<pcr-index-changed>32"), "out of the type's range");
	refused(edit_msg(extend_msg, "<event-data>YWJj", "<event-data>YWJ"),
	    "not canonical base64");
	refused(edit_msg(extend_msg, "taa:TPM_ALG_SHA256", "taa:nonesuch"),
	    "no identity");
	refused(edit_msg(extend_msg, "<event-number>1</event-number>", ""),
	    "no key event-number");
	refused(edit_msg(tras_quote_msg, "<up-time>7</up-time>",
	    "<up-time>7</up-time><up-time>8</up-time>"), "twice");
	refused(edit_msg(tras_quote_msg, "<up-time>", "<bogus/><up-time>"),
	    "has no child bogus");
	/* A notification of the module that is not compiled (tpm12). */
	ck_assert_int_eq(read_msg(NOTIF "<tpm12-attestation xmlns=\"" TRAS
	    "\"/></notification>"), XDOC_OTHER);
}
END_TEST

START_TEST(test_xml_forms)
{
	const struct xnode *op;

	setup();
	/* Entities and character references are decoded. */
	ck_assert_int_eq(read_msg(edit("<tpm>", "<trigger-detail>a &amp; "
	    "&lt;b&gt; &#233;&#x41;</trigger-detail><tpm>")), XDOC_EVIDENCE);
	op = xdoc_op(doc);
	ck_assert_str_eq(xnode_text(op, "trigger-detail"), "a & <b> \xc3\xa9"
	    "A");
	/* Prefixed elements, an XML declaration, white space, self-closing
	 * empty leaves. */
	ck_assert_int_eq(read_msg(edit("<pcr-trust-evidence xmlns=\"" RAS
	    "\">", "<r:pcr-trust-evidence xmlns:r=\"" RAS "\">\n  ")),
	    XDOC_REFUSED);	/* its end tag is unprefixed */
	ck_assert_int_eq(read_msg("<?xml version=\"1.0\"?>\n"
	    "<notification xmlns=\"urn:ietf:params:xml:ns:netconf:"
	    "notification:1.0\"><eventTime>2026-12-01T09:41:31Z</eventTime>"
	    "<r:bios-log xmlns:r=\"" RAS "\">\n <r:subscription-id>1"
	    "</r:subscription-id>\n <r:tpm><r:name>rp0</r:name>"
	    "<r:more-entries/><r:first-event-number>0</r:first-event-number>"
	    "<r:raw-entries></r:raw-entries></r:tpm>\n</r:bios-log>"
	    "</notification>\n"), XDOC_EVIDENCE);
	op = xdoc_op(doc);
	ck_assert_str_eq(op->name, "bios-log");
	ck_assert_ptr_nonnull(xnode_child(xnode_child(op, "tpm"),
	    "more-entries"));
	ck_assert_str_eq(xnode_text(xnode_child(op, "tpm"), "raw-entries"),
	    "");
	/* White space only is a leaf's value, as libyang reads it; beside
	 * elements and in an empty container it is nothing. */
	ck_assert_int_eq(read_msg(edit("<name>rp0</name>", "<name> </name>")),
	    XDOC_EVIDENCE);
	ck_assert_str_eq(xnode_text(xnode_child(xdoc_op(doc), "tpm"), "name"),
	    " ");
	ck_assert_int_eq(read_msg(edit("<tpm>", "<trigger-detail>\n"
	    "</trigger-detail><tpm>")), XDOC_EVIDENCE);
	ck_assert_str_eq(xnode_text(xdoc_op(doc), "trigger-detail"), "\n");
	ck_assert_int_eq(read_msg(edit("<quote><quote-data>AQID</quote-data>"
	    "<quote-signature>BA==</quote-signature></quote>",
	    "<quote> </quote>")), XDOC_EVIDENCE);
	/* Character references libyang takes. */
	ck_assert_int_eq(read_msg(edit("rp0", "&#xFDCF;&#xFFFD;&#x10000;"
	    "&#x10FFD;")), XDOC_EVIDENCE);
	ck_assert_str_eq(xnode_text(xnode_child(xdoc_op(doc), "tpm"), "name"),
	    "\xef\xb7\x8f\xef\xbf\xbd\xf0\x90\x80\x80\xf0\x90\xbf\xbd");
}
END_TEST

START_TEST(test_refused_xml)
{
	setup();
	refused(edit("<tpm>", "<!-- c --><tpm>"), "comments");
	refused(edit("rp0", "<![CDATA[rp0]]>"), "CDATA");
	refused(edit("<tpm>", "<tpm a=\"1\">"), "attribute other than xmlns");
	refused(edit("</sequence-number>", "</sequence-numbr>"),
	    "does not match");
	refused(edit("rp0", "r\x01p"), "no XML character");
	refused(edit("rp0", "r\xc3p"), "no XML character");
	refused(edit("rp0", "r\xed\xa0\x80p"), "no XML character");
	refused(edit("rp0", "r&bogus;"), "bad entity");
	refused(edit("rp0", "r&#0;"), "bad entity");
	/* Noncharacters libyang refuses in a character reference. */
	refused(edit("rp0", "r&#xFDD0;"), "bad entity");
	refused(edit("rp0", "r&#xFDEF;"), "bad entity");
	refused(edit("rp0", "r&#x10FFFF;"), "bad entity");
	refused(edit("rp0", "r&#x1FFFE;"), "bad entity");
	refused(edit("rp0", "r&#x10FFE;"), "bad entity");
	refused(edit("rp0", "r&#x23FFF;"), "bad entity");
	/* Namespace declarations: their characters, one per prefix. */
	refused(edit("<tpm>", "<tpm xmlns:z=\"a\x01b\">"), "no XML character");
	refused(edit("<tpm>", "<tpm xmlns:z=\"a\xc3" "b\">"),
	    "no XML character");
	refused(edit("<tpm>", "<tpm xmlns:z=\"a\" xmlns:z=\"b\">"),
	    "declared twice");
	refused(edit("<tpm>", "<tpm xmlns=\"urn:x\" xmlns=\"" RAS "\">"),
	    "declared twice");
	refused(edit("<tpm>", "<x:tpm>"), "no namespace");
	refused(edit("<tpm>", "text<tpm>"), "character data beside");
	refused(edit("</notification>", "</notification><b/>"),
	    "second top-level");
	refused(edit("</notification>", ""), "ends early");
	refused(edit("<tpm>", "<tpm><"), "a name was expected");
	ck_assert_int_eq(xdoc_read(doc, ctx, base_msg, 40), XDOC_REFUSED);
	ck_assert_int_eq(xdoc_read(doc, ctx, "<a\0b/>", 6), XDOC_REFUSED);
	ck_assert_msg(strstr(xdoc_why(doc), "NUL") != NULL, "%s",
	    xdoc_why(doc));
}
END_TEST

START_TEST(test_refused_schema)
{
	char deep[4096];
	int i;

	setup();
	refused(edit("<tpm>", "<bogus/><tpm>"), "has no child bogus");
	refused(edit("<tpm>", "<tpm xmlns=\"urn:x\">"), "unknown namespace");
	refused(edit("2147483648", "4294967296"), "out of range");
	refused(edit("2147483648", "042"), "not a plain integer");
	refused(edit("2147483648", " 42"), "not a plain integer");
	refused(edit("<pcr-index>0", "<pcr-index>32"), "out of the type's "
	    "range");
	refused(edit("Yw3NKWbEM2Y=", "Yw3NKWbEM2Y"), "not canonical base64");
	refused(edit("Yw3NKWbEM2Y=", "Yw3N KWbEM2Y="), "not canonical base64");
	refused(edit("Yw3NKWbEM2Y=", "Yw3NKWbEM2Z="), "not canonical base64");
	refused(edit("Yw3NKWbEM2Y=", "Yw==Yw=="), "not canonical base64");
	refused(edit("Yw3NKWbEM2Y=", "Yw=="), "out of the type's length");
	refused(edit("<sequence-number>7</sequence-number>",
	    "<sequence-number>7</sequence-number><sequence-number>8"
	    "</sequence-number>"), "twice");
	refused(edit("<name>rp0</name>", ""), "no key name");
	refused(edit("<name>rp0</name>", "<name>rp0</name><name>x</name>"),
	    "twice");
	refused(edit("ras:periodic", "ras:nonesuch"), "no identity");
	refused(edit("ras:periodic", "ras:raw"), "not of the type's base");
	refused(edit("ras:periodic", "zz:periodic"), "without a known prefix");
	refused(edit("ras:periodic", "periodic"), "without a known prefix");
	refused(edit("<quote-data>/1RDRw==</quote-data>",
	    "<quote-data><x/></quote-data>"), "elements in a leaf");
	refused(edit("<quote><quote-data>AQID</quote-data><quote-signature>"
	    "BA==</quote-signature></quote>", "<quote>x</quote>"),
	    "character data in a container");
	refused(edit("2026-12-01T09:41:31.502668978+00:00", "yesterday"),
	    "eventTime");
	/* White space only is no empty value, no base64, no content. */
	refused(edit_msg(bios_msg, "<raw-entries>AAAA", "<raw-entries> "),
	    "not canonical base64");
	refused(edit_msg(bios_msg, "<raw-entries>AAAA", "<raw-entries>\n"),
	    "not canonical base64");
	refused(edit_msg(bios_msg, "<first-event-number>", "<more-entries>\n"
	    "</more-entries><first-event-number>"), "a value in an empty leaf");
	refused(edit_msg(bios_msg, "<subscription-id>1</subscription-id>"
	    "<sequence-number>3</sequence-number><tpm><name>rp0</name>"
	    "<first-event-number>0</first-event-number>"
	    "<raw-entries>AAAA</raw-entries></tpm>", "hello"),
	    "character data in a notification");
	/* Two the fuzzer found libyang refuses. */
	refused(edit("09:41:31.502668978+00:00", "09:41:31502.668978+00:00"),
	    "eventTime");
	refused(edit("09:41:31.502668978+00:00", "09:41:31.613076496+0.:00"),
	    "eventTime");
	for (i = 0, deep[0] = '\0'; i < 40; i++)
		strcat(deep, "<a>");
	for (i = 0; i < 40; i++)
		strcat(deep, "</a>");
	refused(edit("rp0", deep), "nested deeper than 32");
}
END_TEST

/*
 * What a reader remembers from one message to the next (namespaces'
 * modules, identities, an eventTime's second and zone) changes no outcome.
 */
START_TEST(test_remembered)
{
	setup();
	ck_assert_int_eq(read_msg(base_msg), XDOC_EVIDENCE);
	ck_assert_int_eq(read_msg(base_msg), XDOC_EVIDENCE);
	/* An identity seen is still checked against the type's bases. */
	refused(edit("\"" RAS "\">ras:periodic", "\"" TAA "\">"
	    "ras:TPM_ALG_SHA256"), "not of the type's base");
	/* It is remembered with its module: the same name in another. */
	refused(edit("\"" RAS "\">ras:periodic", "\"" TAA "\">ras:periodic"),
	    "no identity");
	refused(edit("ras:periodic", "ras:raw"), "not of the type's base");
	refused(edit("ras:periodic", "ras:raw"), "not of the type's base");
	refused(edit("ras:periodic", "ras:nonesuch"), "no identity");
	refused(edit("<tpm>", "<tpm xmlns=\"urn:x\">"), "unknown namespace");
	ck_assert_int_eq(read_msg(edit("ras:periodic", "ras:on-change")),
	    XDOC_EVIDENCE);
	ck_assert_int_eq(read_msg(base_msg), XDOC_EVIDENCE);
	/* The second seen, another fraction, another zone, another second. */
	ck_assert_int_eq(read_msg(edit("31.502668978+00:00", "31.5+00:00")),
	    XDOC_EVIDENCE);
	ck_assert_int_eq(read_msg(edit("31.502668978+00:00",
	    "31.123456789012345678901234567890+00:00")), XDOC_EVIDENCE);
	ck_assert_int_eq(read_msg(edit("31.502668978+00:00", "31Z")),
	    XDOC_EVIDENCE);
	ck_assert_int_eq(read_msg(edit("31.502668978+00:00", "31.5-05:30")),
	    XDOC_EVIDENCE);
	refused(edit("31.502668978+00:00", "31.5+0.:00"), "eventTime");
	refused(edit("31.502668978+00:00", "31.5+00:00x"), "eventTime");
	refused(edit("31.502668978+00:00", "31.+00:00"), "eventTime");
	ck_assert_int_eq(read_msg(edit("09:41:31.502668978",
	    "09:41:32.502668978")), XDOC_EVIDENCE);
}
END_TEST

START_TEST(test_other)
{
	setup();
	ck_assert_int_eq(read_msg("<notification xmlns=\"urn:ietf:params:xml:"
	    "ns:netconf:notification:1.0\"><eventTime>2026-12-01T09:41:31Z"
	    "</eventTime><subscription-started xmlns=\"urn:ietf:params:xml:ns:"
	    "yang:ietf-subscribed-notifications\"><id>1</id>"
	    "</subscription-started></notification>"), XDOC_OTHER);
	ck_assert_int_eq(read_msg("<notification xmlns=\"urn:ietf:params:xml:"
	    "ns:netconf:notification:1.0\"><eventTime>2026-12-01T09:41:31Z"
	    "</eventTime><no-such-stream xmlns=\"" RAS "\"/></notification>"),
	    XDOC_OTHER);
	ck_assert_int_eq(read_msg("<rpc-reply xmlns=\"urn:ietf:params:xml:ns:"
	    "netconf:base:1.0\"><ok/></rpc-reply>"), XDOC_OTHER);
}
END_TEST

/*
 * The instance of schema node sn among the children of x that has skip
 * instances of it before it, or NULL.
 */
static const struct xnode *
x_instance(const struct xnode *x, const struct lysc_node *sn, size_t skip)
{
	const struct xnode *c;

	for (c = x->child; c != NULL; c = c->next)
		if (c->schema == sn && skip-- == 0)
			return c;
	return NULL;
}

/*
 * Both readers' trees from x (xdoc.c) and l (libyang) on must be the
 * same: the same schema nodes, as many instances of each in the same
 * order, and the same values (binaries' bytes, identities' names, the
 * canonical text of the rest).
 */
static void
compare_tree(const struct xnode *x, const struct lyd_node *l,
    const char *what)
{
	const struct lyd_value *val;
	const struct lyd_value_binary *bin;
	const struct lyd_node *c, *o;
	const struct xnode *xc;
	const char *colon;
	size_t nx = 0, nl = 0, k;

	ck_assert_msg(l->schema != NULL && x->schema == l->schema,
	    "%s: %s is another node to libyang", what, x->name);
	if (l->schema->nodetype & LYD_NODE_TERM) {
		val = &((const struct lyd_node_term *)l)->value;
		switch (val->realtype->basetype) {
		case LY_TYPE_BINARY:
			LYD_VALUE_GET(val, bin);
			ck_assert_msg(x->bin != NULL && x->binlen == bin->size &&
			    (bin->size == 0 || memcmp(x->bin, bin->data,
			    bin->size) == 0), "%s: %s: other bytes than "
			    "libyang's", what, x->name);
			break;
		case LY_TYPE_IDENT:
			colon = strchr(x->text, ':');
			ck_assert_msg(colon != NULL && strcmp(colon + 1,
			    val->ident->name) == 0, "%s: %s: %s, libyang %s",
			    what, x->name, x->text, val->ident->name);
			break;
		default:
			ck_assert_msg(strcmp(x->text, lyd_get_value(l)) == 0,
			    "%s: %s: \"%s\", libyang \"%s\"", what, x->name,
			    x->text, lyd_get_value(l));
		}
		return;
	}
	LY_LIST_FOR(lyd_child(l), c) {
		if (c->flags & LYD_DEFAULT)
			continue;	/* not in the message */
		k = 0;
		for (o = lyd_child(l); o != c; o = o->next)
			if (o->schema == c->schema)
				k++;
		ck_assert_msg((xc = x_instance(x, c->schema, k)) != NULL,
		    "%s: %s: a %s missing", what, x->name, LYD_NAME(c));
		compare_tree(xc, c, what);
		nl++;
	}
	for (xc = x->child; xc != NULL; xc = xc->next)
		nx++;
	ck_assert_msg(nx == nl, "%s: %s: %zu children, libyang %zu", what,
	    x->name, nx, nl);
}

/* Tell whether libyang's notification op is evidence of a stream. */
static int
is_evidence(const struct lyd_node *op)
{
	return strcmp(op->schema->module->name, "riv-attestation-streams") ==
	    0 || strcmp(op->schema->module->name,
	    "ietf-tpm-remote-attestation-stream") == 0;
}

/*
 * One message of a seed: xdoc.c takes it only if libyang does, with the
 * same values; libyang's canonical print of evidence is always taken.
 * Return 1 if xdoc.c took it as it came.
 */
static int
check_message(const char *msg, size_t len, const char *what)
{
	struct lyd_node *envp = NULL, *op = NULL;
	struct ly_in *in = NULL;
	enum xdoc_result r;
	int ok, evidence;

	r = xdoc_read(doc, ctx, msg, len);
	ck_assert_int_eq(ly_in_new_memory(msg, &in), LY_SUCCESS);
	ok = lyd_parse_op(ctx, NULL, in, LYD_XML, LYD_TYPE_NOTIF_NETCONF,
	    &envp, &op) == LY_SUCCESS && op != NULL;
	ly_in_free(in, 0);
	evidence = ok && is_evidence(op);
	ck_assert_msg(r != XDOC_EVIDENCE || evidence, "%s: xdoc.c took what "
	    "libyang refuses", what);
	if (r == XDOC_EVIDENCE)
		compare_tree(xdoc_op(doc), op, what);
	if (evidence) {
		ck_assert_msg(xdoc_read_tree(doc, ctx, op) == XDOC_EVIDENCE,
		    "%s: libyang's print refused: %s", what, xdoc_why(doc));
		compare_tree(xdoc_op(doc), op, what);
	}
	lyd_free_all(envp);
	lyd_free_all(op);
	ly_err_clean(ctx, NULL);
	return r == XDOC_EVIDENCE;
}

START_TEST(test_seeds_agree_with_libyang)
{
	static const char *dirs[] = { "pcr_evidence", "bios_log", "ima_log",
	    "ietf_attestation" };
	const char *src = getenv("RIV_SRCDIR");
	char path[4096], *buf, *p, *q;
	struct dirent *de;
	size_t i, n, taken = 0, messages = 0, ietf = 0, k;
	DIR *dir;
	FILE *f;

	setup();
	if (src == NULL || *src == '\0')
		src = "..";
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/%s", src,
		    dirs[i]);
		ck_assert_msg((dir = opendir(path)) != NULL, "%s", path);
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/%s/%s",
			    src, dirs[i], de->d_name);
			ck_assert_ptr_nonnull(f = fopen(path, "rb"));
			buf = malloc(1 << 22);
			n = fread(buf, 1, (1 << 22) - 1, f);
			fclose(f);
			buf[n] = '\0';
			for (p = buf; p < buf + n; p = q + 6) {
				if ((q = strstr(p, "]]>]]>")) == NULL)
					q = buf + n;
				*q = '\0';
				if (strlen(p) == (size_t)(q - p) &&
				    strstr(p, "<rpc-reply") == NULL) {
					messages++;
					k = (size_t)check_message(p,
					    (size_t)(q - p), path);
					taken += k;
					if (i == 3)
						ietf += k;
				}
			}
			free(buf);
		}
		closedir(dir);
	}
	/* Most seeds are well-formed evidence: the readers were compared. */
	ck_assert_msg(taken > 100 && messages > taken, "%zu of %zu taken",
	    taken, messages);
	/* And every pcr-extend and tpm20-attestation of the IETF seeds. */
	ck_assert_msg(ietf >= 9, "%zu messages of the IETF stream taken",
	    ietf);
}
END_TEST

/*
 * Edits of the test messages at xdoc.c's edges (white space, character
 * references, namespace declarations): it takes none libyang refuses,
 * and reads the same values as libyang from those both take.
 */
START_TEST(test_edges_agree_with_libyang)
{
	static const char *const msgs[] = { base_msg, bios_msg, extend_msg,
	    tras_quote_msg };
	static const struct {
		int		 msg;		/* in msgs */
		const char	*from, *to;
	} edits[] = {
		{ 0, "<name>rp0</name>", "<name> </name>" },
		{ 0, "<name>rp1</name>", "<name>\r\n</name>" },
		{ 0, "<name>rp0</name>", "<name/>" },
		{ 0, "<name>rp0</name>", "<name>&#32;</name>" },
		{ 0, "<tpm>", "<tpm xmlns:z=\"a\x01b\">" },
		{ 0, "<tpm>", "<tpm xmlns:z=\"a\xc3" "b\">" },
		{ 0, "<tpm>", "<tpm xmlns:z=\"a>b\">" },
		{ 0, "<tpm>", "<tpm xmlns:z=\"a\" xmlns:z=\"b\">" },
		{ 0, "<tpm>", "<tpm xmlns:z=\"a\" xmlns:z=\"a\">" },
		{ 0, "<tpm>", "<tpm xmlns=\"urn:x\" xmlns=\"" RAS "\">" },
		{ 0, "<tpm>", "<tpm xmlns:xmlns=\"" RAS "\">" },
		/* The default namespace: undeclared, declared by an element
		 * whose siblings after it have the outer one again. */
		{ 0, "<name>rp0</name>", "<name xmlns=\"\">rp0</name>" },
		{ 0, "<trigger xmlns:ras=\"" RAS "\">ras:periodic</trigger>",
		    "<r:trigger xmlns:r=\"" RAS "\" xmlns=\"urn:x\" "
		    "xmlns:ras=\"" RAS "\">ras:periodic</r:trigger>" },
		{ 0, "ras:periodic", ":periodic" },
		/* eventTimes of the second and zone read before, other dates. */
		{ 0, "2026-12-01T09:41:31", "2026-13-01T09:41:31" },
		{ 0, "2026-12-01T09:41:31", "2026-12-32T09:41:31" },
		{ 0, "2026-12-01T09:41:31", "2026-02-30T09:41:31" },
		{ 0, "rp0", "&#xFDD0;" },
		{ 0, "rp0", "&#x10FFFF;" },
		{ 0, "rp0", "&#x10FFE;" },
		{ 0, "rp0", "&#x10FFD;" },
		{ 0, "<quote><quote-data>AQID</quote-data><quote-signature>BA=="
		    "</quote-signature></quote>", "<quote>\n</quote>" },
		{ 1, "<raw-entries>AAAA", "<raw-entries> " },
		{ 1, "<raw-entries>AAAA", "<raw-entries>\n" },
		{ 1, "<first-event-number>", "<more-entries> </more-entries>"
		    "<first-event-number>" },
		{ 1, "<tpm><name>rp0</name><first-event-number>0"
		    "</first-event-number><raw-entries>AAAA</raw-entries></tpm>",
		    "<tpm><name>rp0</name></tpm>\n" },
		{ 1, "<subscription-id>1</subscription-id><sequence-number>3"
		    "</sequence-number><tpm><name>rp0</name><first-event-number>0"
		    "</first-event-number><raw-entries>AAAA</raw-entries></tpm>",
		    "hello" },
		{ 2, "<certificate-name>rp0", "<certificate-name> rp0" },
		{ 2, "<attested-event><attested-event><extended-with>",
		    "<attested-event></attested-event><attested-event>"
		    "<attested-event><extended-with>" },
		{ 2, "<event-number>1</event-number>", "<event-number>01"
		    "</event-number>" },
		{ 2, "<pcr-index-changed>0</pcr-index-changed>",
		    "<pcr-index-changed>0</pcr-index-changed>"
		    "<pcr-index-changed>0</pcr-index-changed>" },
		{ 2, "<extended-with>", "<!-- c --><extended-with>" },
		{ 2, "/usr/bin/x", "/usr/bin/&#x10000;&amp;" },
		{ 2, "taa:TPM_ALG_SHA256", "TPM_ALG_SHA256" },
		{ 3, "<up-time>7</up-time>", "" },
		{ 3, "<pcr-values><pcr-index>7</pcr-index></pcr-values>",
		    "<pcr-values><pcr-index>7</pcr-index><pcr-value/>"
		    "</pcr-values>" },
		{ 3, "<tpm20-attestation xmlns=\"" TRAS "\">",
		    "<t:tpm20-attestation xmlns:t=\"" TRAS "\">" },
	};
	const char *msg;
	size_t i;

	setup();
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		msg = edit_msg(msgs[edits[i].msg], edits[i].from,
		    edits[i].to);
		check_message(msg, strlen(msg), edits[i].to);
	}
}
END_TEST

static Suite *
xdoc_suite(void)
{
	Suite *s = suite_create("xdoc");
	TCase *tc = tcase_create("xdoc");

	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_ietf_values);
	tcase_add_test(tc, test_xml_forms);
	tcase_add_test(tc, test_refused_xml);
	tcase_add_test(tc, test_refused_schema);
	tcase_add_test(tc, test_remembered);
	tcase_add_test(tc, test_other);
	tcase_add_test(tc, test_seeds_agree_with_libyang);
	tcase_add_test(tc, test_edges_agree_with_libyang);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	setup();
	rc = run_suite(xdoc_suite());
	xdoc_free(doc);
	ly_ctx_destroy(ctx);
	return rc;
}
