/*
 * check_ima_policy.c — the IMA runtime policy: native and Keylime policies,
 * allowed and denied digests, excludes, violations, boot_aggregate, ima-buf
 * entries, IMA signatures (RSA and EC, v2 and v3) with configured keys and
 * keys learned from the .ima keyring and carried between runs, malformed
 * policies, reference counts, the registry of shared policies.
 *
 * Entries are built by hand (struct ima_entry) so the suite does not depend
 * on the list parser.
 */
#include <pthread.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ima_policy.h"
#include "testutil.h"

/* An entry with storage for its name (not NUL ended) and digest. */
struct tentry {
	struct ima_entry	e;
	char			name[512];
	uint8_t			digest[IMA_DIGEST_MAX];
	uint8_t			sig[1024];
	uint8_t			buf[4096];
};

/* Fill n bytes with v. */
static void
fill(uint8_t *d, size_t n, uint8_t v)
{
	memset(d, v, n);
}

/* Return n copies of the hex byte "hh" as a static string. */
static const char *
hexrep(const char *hh, size_t n)
{
	static char bufs[8][2 * IMA_DIGEST_MAX + 1];
	static int k;
	char *b = bufs[k++ % 8];
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(b + 2 * i, hh, 2);
	b[2 * n] = '\0';
	return b;
}

/*
 * Make a file entry: the name is stored without a NUL and followed by junk,
 * so a reader that runs past path_len would see another name.
 */
static void
mk_file(struct tentry *t, const char *tmpl, const char *algo,
    const uint8_t *d, size_t dlen, const char *path)
{
	size_t n = strlen(path);

	memset(t, 0, sizeof(*t));
	snprintf(t->e.template_name, sizeof(t->e.template_name), "%s", tmpl);
	snprintf(t->e.file_algo, sizeof(t->e.file_algo), "%s", algo);
	memcpy(t->digest, d, dlen);
	memcpy(t->name, path, n);
	memcpy(t->name + n, "JUNK/../x", 9);
	t->e.index = 7;
	t->e.pcr = 10;
	t->e.file_digest = t->digest;
	t->e.file_digest_len = dlen;
	t->e.path = t->name;
	t->e.path_len = n;
}

/* Parse a policy that must be valid. */
static struct ima_policy *
policy_ok(const char *json)
{
	struct ima_policy *pol;
	struct riv_err err;

	pol = ima_policy_parse(json, strlen(json), &err);
	ck_assert_msg(pol != NULL, "policy rejected: %s", err.msg);
	return pol;
}

/* Parse a policy that must be rejected with a message containing want. */
static void
policy_bad(const char *json, size_t len, const char *want)
{
	struct ima_policy *pol;
	struct riv_err err;

	memset(&err, 0, sizeof(err));
	pol = ima_policy_parse(json, len, &err);
	ck_assert_msg(pol == NULL, "policy accepted: %.200s", json);
	ck_assert_msg(strstr(err.msg, want) != NULL,
	    "error \"%s\" lacks \"%s\"", err.msg, want);
}

/* Parse a NUL-ended policy that must be rejected (see policy_bad). */
static void
policy_bad_str(const char *json, const char *want)
{
	policy_bad(json, strlen(json), want);
}

/* Check an entry passes. */
static void
expect_pass(struct ima_appraiser *a, const struct tentry *t)
{
	char reason[IMA_REASON_MAX];
	int rc;

	rc = ima_appraise_entry(a, &t->e, reason, sizeof(reason));
	ck_assert_msg(rc == RIV_OK, "entry %.*s failed: %s",
	    (int)t->e.path_len, t->e.path, reason);
}

/* Check an entry fails with a reason containing want. */
static void
expect_fail(struct ima_appraiser *a, const struct tentry *t, const char *want)
{
	char reason[IMA_REASON_MAX];
	int rc;

	rc = ima_appraise_entry(a, &t->e, reason, sizeof(reason));
	ck_assert_msg(rc == RIV_FAIL, "entry %.*s passed (want \"%s\")",
	    (int)t->e.path_len, t->e.path, want);
	ck_assert_msg(strstr(reason, want) != NULL,
	    "reason \"%s\" lacks \"%s\"", reason, want);
}

START_TEST(test_native_digests)
{
	char json[2048];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[IMA_DIGEST_MAX];

	snprintf(json, sizeof(json), "{\"version\":1,\"digests\":{"
	    "\"/usr/bin/foo\":[\"sha256:%s\",\"sha1:%s\",\"sha256:%s\"],"
	    "\"/usr/bin/bar\":\"sha384:%s\","
	    "\"/usr/lib/sm\":[\"sm3:%s\"],"
	    "\"/usr/lib/s3\":[\"sha3-384:%s\",\"sha3-512:%s\"]}}",
	    hexrep("11", 32), hexrep("22", 20), hexrep("AB", 32),
	    hexrep("33", 48), hexrep("44", 32), hexrep("33", 48),
	    hexrep("35", 64));
	pol = policy_ok(json);
	ck_assert_int_eq(ima_policy_format(pol), IMA_POLICY_NATIVE);
	ck_assert_uint_eq(ima_policy_paths(pol), 4);
	ck_assert_ptr_null(ima_policy_release(pol));
	a = ima_appraiser_new(pol);
	ck_assert_ptr_nonnull(a);

	/* Several digests per path, several algorithms, either case. */
	fill(d, 32, 0x11);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/foo");
	expect_pass(a, &t);
	fill(d, 32, 0xab);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/foo");
	expect_pass(a, &t);
	fill(d, 20, 0x22);
	mk_file(&t, "ima-ng", "sha1", d, 20, "/usr/bin/foo");
	expect_pass(a, &t);
	/* Template "ima": no algorithm, sha1 implied by the size. */
	mk_file(&t, "ima", "", d, 20, "/usr/bin/foo");
	expect_pass(a, &t);
	fill(d, 48, 0x33);
	mk_file(&t, "ima-ng", "sha384", d, 48, "/usr/bin/bar");
	expect_pass(a, &t);
	fill(d, 32, 0x44);
	mk_file(&t, "ima-ng", "sm3", d, 32, "/usr/lib/sm");
	expect_pass(a, &t);
	/* SHA3 (kernel names "sha3-384", "sha3-512"). */
	fill(d, 48, 0x33);
	mk_file(&t, "ima-ng", "sha3-384", d, 48, "/usr/lib/s3");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha384", d, 48, "/usr/lib/s3");
	expect_fail(a, &t, "digest not allowed: sha384:3333");
	fill(d, 64, 0x35);
	mk_file(&t, "ima-ng", "sha3-512", d, 64, "/usr/lib/s3");
	expect_pass(a, &t);
	fill(d, 64, 0x36);
	mk_file(&t, "ima-ng", "sha3-512", d, 64, "/usr/lib/s3");
	expect_fail(a, &t, "digest not allowed: sha3-512:3636");

	/* Denied: other digest, or the same bytes under another algorithm. */
	fill(d, 32, 0x12);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/foo");
	expect_fail(a, &t, "digest not allowed: sha256:1212121212");
	expect_fail(a, &t, " for /usr/bin/foo");
	fill(d, 32, 0x11);
	mk_file(&t, "ima-ng", "sm3", d, 32, "/usr/bin/foo");
	expect_fail(a, &t, "digest not allowed: sm3:1111");
	fill(d, 20, 0x22);
	mk_file(&t, "ima-ng", "sha256", d, 20, "/usr/bin/foo");
	expect_fail(a, &t, "digest not allowed");
	fill(d, 48, 0x33);
	mk_file(&t, "ima-ng", "sha384", d, 48, "/usr/bin/foo");
	expect_fail(a, &t, "digest not allowed");

	/* Paths are exact: no prefix, no reading past path_len. */
	fill(d, 32, 0x11);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/fo");
	expect_fail(a, &t, "path not in policy: /usr/bin/fo");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/foo");
	t.e.path_len = 11;
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/baz");
	expect_fail(a, &t, "path not in policy: /usr/bin/baz");
	/* No digest at all. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/foo");
	t.e.file_digest = NULL;
	t.e.file_digest_len = 0;
	expect_fail(a, &t, "digest not allowed: (no digest)");

	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

START_TEST(test_keylime_policy)
{
	char json[4096];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[IMA_DIGEST_MAX];

	snprintf(json, sizeof(json), "{\"meta\":{\"version\":1,"
	    "\"generator\":3,\"timestamp\":\"x\"},\"release\":0,"
	    "\"digests\":{\"/usr/bin/foo\":[\"%s\",\"%s\"],"
	    "\"boot_aggregate\":[\"%s\"]},"
	    "\"excludes\":[\"/tmp/.*\",\"/var/log/\"],"
	    "\"keyrings\":{},\"ima\":{\"ignored_keyrings\":[],"
	    "\"log_hash_alg\":\"sha1\",\"dm_policy\":null},"
	    "\"ima-buf\":{\"kernel_version\":[\"%s\"]},"
	    "\"verification-keys\":\"\",\"rules\":\"x\"}",
	    hexrep("11", 32), hexrep("22", 20), hexrep("99", 20),
	    hexrep("55", 32));
	pol = policy_ok(json);
	ck_assert_int_eq(ima_policy_format(pol), IMA_POLICY_KEYLIME);
	ck_assert_uint_eq(ima_policy_paths(pol), 2);
	a = ima_appraiser_new(pol);

	/* Keylime digests are plain hex: any algorithm of that size. */
	fill(d, 32, 0x11);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/foo");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sm3", d, 32, "/usr/bin/foo");
	expect_pass(a, &t);
	fill(d, 20, 0x22);
	mk_file(&t, "ima-ng", "sha1", d, 20, "/usr/bin/foo");
	expect_pass(a, &t);
	fill(d, 32, 0x21);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/foo");
	expect_fail(a, &t, "digest not allowed: sha256:2121");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/other");
	expect_fail(a, &t, "path not in policy: /usr/bin/other");

	/* Excludes, anchored at the start like Python's re.match. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp/x");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/log/messages");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/srv/tmp/x");
	expect_fail(a, &t, "path not in policy");

	/* boot_aggregate is listed under digests: checked. */
	fill(d, 20, 0x99);
	mk_file(&t, "ima-ng", "sha1", d, 20, "boot_aggregate");
	t.e.index = 0;
	expect_pass(a, &t);
	fill(d, 20, 0x98);
	mk_file(&t, "ima-ng", "sha1", d, 20, "boot_aggregate");
	t.e.index = 0;
	expect_fail(a, &t, "digest not allowed");

	/* ima-buf by name. */
	fill(d, 32, 0x55);
	mk_file(&t, "ima-buf", "sha256", d, 32, "kernel_version");
	memcpy(t.buf, "6.1.0", 5);
	t.e.buf = t.buf;
	t.e.buf_len = 5;
	expect_pass(a, &t);

	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

START_TEST(test_excludes)
{
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[32];

	pol = policy_ok("{\"version\":1,\"excludes\":[\"/tmp/.*\","
	    "\"/var/lib/[^/]+\\\\.db$\",\"^/run/(user|lock)/\","
	    "\"/opt/a\\\\w+z\",\"/proc/[[:digit:]]+/\","
	    "\"/p[+][+][+][+][+][+][+][+][+][+][+][+]\","
	    "\"/lazy/.*?x\",\"/opt??x\"]}");
	a = ima_appraiser_new(pol);
	fill(d, 32, 0x01);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp/foo");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/x.db");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/run/lock/a");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/opt/abcz");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/proc/123/status");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/p++++++++++++");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/proc/self/status");
	expect_fail(a, &t, "path not in policy");
	/* Lazy quantifiers: the same yes or no as greedy ones. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/lazy/abxc");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/lazy/x");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/lazy/");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/opx");
	expect_pass(a, &t);
	/* Not matching: the pattern must match from the start. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/x/tmp/foo");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/a/x.db");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/x.dbx");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/xxdb");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/run/usr/a");
	expect_fail(a, &t, "path not in policy");
	/* The junk after path_len ("JUNK/../x") is not looked at. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/x.db");
	t.e.path_len = 12;
	expect_fail(a, &t, "path not in policy: /var/lib/x.d");
	/* A name with a NUL is never excluded. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp/ab");
	t.name[6] = '\0';
	expect_fail(a, &t, "path not in policy: /tmp/a?");
	/*
	 * Nor one with a newline: POSIX "." matches it, Python's does not
	 * (re.match("/tmp/.*", "/tmp/a\nb") matches "/tmp/a" only, but
	 * "/var/lib/[^/]+\\.db$" does not match "/var/lib/a\nb.db").
	 */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp/a\nb");
	expect_fail(a, &t, "path not in policy: /tmp/a?b");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/a\nb.db");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/x.db\n");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/lib/x.db\r");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp/a\rb");
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	/* Escaped punctuation other than GNU's anchors is a literal. */
	pol = policy_ok("{\"version\":1,\"excludes\":[\"/a\\\\.b\\\\(x\\\\)\","
	    "\"/c/(d|(e(f)))/$\",\"/g\\\\$\"]}");
	a = ima_appraiser_new(pol);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/a.b(x)");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/axb(x)");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/c/ef/");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/c/ef/x");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/g$");
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

/* Build an exclude pattern of depth nested groups around "a". */
static void
nested_policy(char *json, size_t depth)
{
	char *p = json + sprintf(json, "{\"version\":1,\"excludes\":[\"/");
	size_t i;

	for (i = 0; i < depth; i++)
		*p++ = '(';
	*p++ = 'a';
	for (i = 0; i < depth; i++)
		*p++ = ')';
	strcpy(p, "\"]}");
}

/*
 * Patterns that would crash or mislead: deep nesting (glibc's regcomp
 * recurses per level), too many groups, unmatched ')' (a literal in POSIX
 * that would close rivd's own group in ^((p1)|(p2))), GNU anchors.
 */
START_TEST(test_pattern_limits)
{
	static char json[70000];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[32];
	char *p;
	size_t i;

	fill(d, 32, 1);
	nested_policy(json, IMA_POLICY_GROUP_DEPTH_MAX);
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/a");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/b");
	expect_fail(a, &t, "path not in policy");
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	nested_policy(json, IMA_POLICY_GROUP_DEPTH_MAX + 1);
	policy_bad(json, strlen(json), "excludes[0]: groups nested more than "
	    "32 deep, at character 33 of the pattern at byte offset 25");
	/* The reviewer's 16000 levels (32 KB): rejected, no stack overflow. */
	nested_policy(json, 16000);
	policy_bad(json, strlen(json), "groups nested more than 32 deep");
	/* Brackets and escapes do not count. */
	p = json + sprintf(json, "{\"version\":1,\"excludes\":[\"/");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "[(]\\\\(");
	strcpy(p, "\"]}");
	ima_policy_unref(policy_ok(json));

	/* Groups per pattern. */
	p = json + sprintf(json, "{\"version\":1,\"excludes\":[\"/");
	for (i = 0; i < IMA_POLICY_GROUPS_MAX; i++)
		p += sprintf(p, "(a)");
	strcpy(p, "\"]}");
	ima_policy_unref(policy_ok(json));
	p = json + sprintf(json, "{\"version\":1,\"excludes\":[\"/");
	for (i = 0; i < IMA_POLICY_GROUPS_MAX + 1; i++)
		p += sprintf(p, "(a)");
	strcpy(p, "\"]}");
	policy_bad(json, strlen(json), "excludes[0]: more than 64 groups, at "
	    "character 193 of the pattern");

	/* Unmatched ')': the reviewer's pattern excluded everything. */
	policy_bad_str("{\"version\":1,\"excludes\":[\"/opt/app))|(/)\"]}",
	    "excludes[0]: unmatched ')', at character 8 of the pattern at "
	    "byte offset 25");
	policy_bad_str("{\"version\":1,\"excludes\":[\"/a\",\")\"]}",
	    "excludes[1]: unmatched ')'");
	policy_bad_str("{\"version\":1,\"excludes\":[\"(a))(\"]}",
	    "unmatched ')', at character 3");
	/* Unmatched '(' is an error in both. */
	policy_bad_str("{\"version\":1,\"excludes\":[\"((a)\"]}",
	    "bad regular expression");

	/* GNU escapes: anchors in POSIX, literals in Python. */
	policy_bad_str("{\"version\":1,\"excludes\":[\"/tmp/a\\\\>\"]}",
	    "excludes[0]: GNU escape (\\<, \\>, \\`, \\') is an anchor in "
	    "POSIX but a literal in Python, at character 6");
	policy_bad_str("{\"version\":1,\"excludes\":[\"\\\\<x\"]}",
	    "GNU escape");
	policy_bad_str("{\"version\":1,\"excludes\":[\"\\\\`x\"]}",
	    "GNU escape");
	policy_bad_str("{\"version\":1,\"excludes\":[\"x\\\\'\"]}",
	    "GNU escape");
}
END_TEST

START_TEST(test_violations)
{
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[32];

	fill(d, 32, 0);
	pol = policy_ok("{\"version\":1,\"excludes\":[\"/var/log/\"]}");
	a = ima_appraiser_new(pol);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/etc/shadow");
	t.e.violation = 1;
	expect_fail(a, &t, "violation rejected by policy: /etc/shadow");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/var/log/wtmp");
	t.e.violation = 1;
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	pol = policy_ok("{\"version\":1,\"accept_violations\":true}");
	a = ima_appraiser_new(pol);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/etc/shadow");
	t.e.violation = 1;
	expect_pass(a, &t);
	/* The same entry without the violation flag is still appraised. */
	t.e.violation = 0;
	expect_fail(a, &t, "path not in policy");
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	pol = policy_ok("{\"version\":1,\"accept_violations\":false}");
	a = ima_appraiser_new(pol);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/etc/shadow");
	t.e.violation = 1;
	expect_fail(a, &t, "violation rejected");
	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

/*
 * Read the quoted PCRs of the real GCE vTPM quotes in the corpus (banks
 * sha1, sha256, sha384; PCRs 0-23) into a set.
 */
static void
gce_pcrs(struct pcrset *s)
{
	struct riv_err err;
	const struct json *q, *pcrs, *bank;
	struct json *doc;
	uint8_t *buf, d[DIGEST_MAX];
	size_t len, i, k, n;
	unsigned pcr;
	int b;

	buf = corpus_read("quotes/go-tpm-tools__gce-cos-85-nonce9009."
	    "expected.json", &len);
	doc = json_parse((const char *)buf, len, &err);
	ck_assert_msg(doc != NULL, "%s", err.msg);
	free(buf);
	pcrset_init(s);
	q = json_get(doc, "quotes");
	ck_assert_ptr_nonnull(q);
	for (i = 0; i < q->n; i++) {
		b = bank_by_name(json_get(q->items[i], "bank")->str);
		ck_assert_int_ge(b, 0);
		pcrs = json_get(q->items[i], "pcrs");
		for (k = 0; k < pcrs->n; k++) {
			bank = pcrs->items[k];
			ck_assert_int_eq(pcrset_parse_index(pcrs->keys[k],
			    &pcr), 0);
			ck_assert_int_eq(hex_decode(bank->str, bank->len, d,
			    sizeof(d), &n), 0);
			pcrset_set(s, b, pcr, d);
		}
	}
	json_free(doc);
}

/* Make entry 0, boot_aggregate, with a digest given in hex. */
static void
mk_boot(struct tentry *t, const char *tmpl, const char *algo,
    const char *hex)
{
	uint8_t d[IMA_DIGEST_MAX];
	size_t n;

	ck_assert_int_eq(hex_decode(hex, strlen(hex), d, sizeof(d), &n), 0);
	mk_file(t, tmpl, algo, d, n, "boot_aggregate");
	t->e.index = 0;
}

/*
 * Expected boot aggregates of the GCE quote's PCRs, computed independently
 * (Python hashlib): sha1 over PCRs 0-7; sha256 and sha384 over PCRs 0-9 (as
 * kernels since 5.8 compute them); and two wrong ways (sha256 over 0-7 only,
 * sha1 over 0-9).
 */
#define GCE_AGG_SHA1	"ab7e17760780cec19b0ed7e83cbf493248d90b8b"
#define GCE_AGG_SHA256	"b804fd412b3bafcecb5b7a7ec094706f" \
			"660d12c0496d0e991d2cdbbcc2505aef"
#define GCE_AGG_SHA384	"f9940f1d9df55ff4930b95f10be13002f575405591b0b42b" \
			"7cc8a5addb08e20acabc80ddf641c8590ac9b0683b52964f"
#define GCE_AGG_SHA256_0_7 "1e4629c8f5d5036d0fe9b734a0baf773" \
			"780e3ba12efe213d9bf5fe146ab5f47b"
#define GCE_AGG_SHA1_0_9 "0dcc5a7b99cdac644de910d11ec2b3b5e8ef9603"

START_TEST(test_boot_aggregate)
{
	static struct pcrset pcrs, partial;
	char json[512];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[32];

	gce_pcrs(&pcrs);

	/* Not listed, no quoted PCRs: not verified, so it fails. */
	pol = policy_ok("{\"version\":1}");
	a = ima_appraiser_new(pol);
	mk_boot(&t, "ima-ng", "sha1", GCE_AGG_SHA1);
	expect_fail(a, &t, "boot_aggregate not verified: no allowed digest in "
	    "the policy and no quoted PCRs 0-7 of bank sha1");
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	expect_fail(a, &t, "boot_aggregate not verified: no allowed digest in "
	    "the policy and no quoted PCRs 0-9 of bank sha256");

	/* Quoted PCRs: the kernel's computation, bank by bank. */
	ima_appraiser_set_pcrs(a, &pcrs);
	mk_boot(&t, "ima-ng", "sha1", GCE_AGG_SHA1);
	expect_pass(a, &t);
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	expect_pass(a, &t);
	mk_boot(&t, "ima-sig", "sha384", GCE_AGG_SHA384);
	expect_pass(a, &t);
	/* Template "ima": the d field is sha1, no prefix. */
	mk_boot(&t, "ima", "", GCE_AGG_SHA1);
	expect_pass(a, &t);
	/* PCRs 8-9 count for sha256, not for sha1. */
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256_0_7);
	expect_fail(a, &t, "boot_aggregate does not match quoted PCRs 0-9 "
	    "(sha256)");
	mk_boot(&t, "ima-ng", "sha1", GCE_AGG_SHA1_0_9);
	expect_fail(a, &t, "boot_aggregate does not match quoted PCRs 0-7 "
	    "(sha1)");
	/* The same digest under another algorithm of its size. */
	mk_boot(&t, "ima-ng", "sm3", GCE_AGG_SHA256);
	expect_fail(a, &t, "no quoted PCRs 0-9 of bank sm3");
	/* One bit off. */
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	t.digest[31] ^= 1;
	expect_fail(a, &t, "boot_aggregate does not match quoted PCRs 0-9 "
	    "(sha256)");
	/* Not entry 0: fails unless listed. */
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	t.e.index = 5;
	expect_fail(a, &t, "path not in policy: boot_aggregate (entry 5, not "
	    "the first)");
	/* A violation is never a verified aggregate. */
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	t.e.violation = 1;
	expect_fail(a, &t, "boot_aggregate recorded as a violation");
	/* All zero (no TPM when IMA started): only if listed. */
	fill(d, 20, 0);
	mk_file(&t, "ima-ng", "sha1", d, 20, "boot_aggregate");
	t.e.index = 0;
	expect_fail(a, &t, "boot_aggregate is all zero");

	/* PCR 9 missing: sha256 cannot be verified, sha1 still can. */
	partial = pcrs;
	partial.mask[BANK_SHA256] &= ~(1u << 9);
	ima_appraiser_set_pcrs(a, &partial);
	/* The appraiser keeps a copy. */
	memset(&partial, 0xff, sizeof(partial));
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	expect_fail(a, &t, "no quoted PCRs 0-9 of bank sha256");
	mk_boot(&t, "ima-ng", "sha1", GCE_AGG_SHA1);
	expect_pass(a, &t);
	/* NULL forgets the PCRs. */
	ima_appraiser_set_pcrs(a, NULL);
	expect_fail(a, &t, "no quoted PCRs 0-7 of bank sha1");
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	/* Excludes, allow_unlisted, signatures and violations do not help. */
	pol = policy_ok("{\"version\":1,\"allow_unlisted\":true,"
	    "\"accept_violations\":true,\"excludes\":[\".*\",\"boot\"]}");
	a = ima_appraiser_new(pol);
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	expect_fail(a, &t, "boot_aggregate not verified");
	t.e.index = 3;
	expect_fail(a, &t, "path not in policy: boot_aggregate");
	t.e.index = 0;
	t.e.violation = 1;
	expect_fail(a, &t, "boot_aggregate recorded as a violation");
	/*
	 * An entry measuring a buffer is a buffer, whatever its name; as
	 * entry 0 it is not the boot aggregate, so the list is not bound.
	 */
	mk_boot(&t, "ima-buf", "sha256", GCE_AGG_SHA256);
	memcpy(t.buf, "x", 1);
	t.e.buf = t.buf;
	t.e.buf_len = 1;
	t.e.index = 1;
	expect_pass(a, &t);
	t.e.index = 0;
	expect_fail(a, &t, "entry 0 (the buffer boot_aggregate) is not the "
	    "boot_aggregate measurement: the list is not bound to this boot");
	/* Any other entry 0 fails too, even when the policy allows it. */
	fill(d, 32, 0x11);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/bin/sh");
	t.e.index = 0;
	expect_fail(a, &t, "entry 0 (/bin/sh) is not the boot_aggregate "
	    "measurement");
	t.e.index = 1;
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	/* Unless the policy allows lists without it (cut lists). */
	pol = policy_ok("{\"version\":1,\"allow_no_boot_aggregate\":true,"
	    "\"digests\":{\"/bin/sh\":\"sha256:"
	    "1111111111111111111111111111111111111111111111111111111111111111"
	    "\"}}");
	a = ima_appraiser_new(pol);
	t.e.index = 0;
	expect_pass(a, &t);
	t.digest[0] ^= 1;
	expect_fail(a, &t, "digest not allowed");
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	policy_bad_str("{\"version\":1,\"allow_no_boot_aggregate\":1}",
	    "allow_no_boot_aggregate");

	/* Listed: the policy decides, before and instead of the PCRs. */
	snprintf(json, sizeof(json), "{\"version\":1,\"boot_aggregate\":"
	    "[\"sha1:%s\",\"sha256:%s\"]}", hexrep("5a", 20),
	    hexrep("6b", 32));
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	ima_appraiser_set_pcrs(a, &pcrs);
	fill(d, 20, 0x5a);
	mk_file(&t, "ima-ng", "sha1", d, 20, "boot_aggregate");
	t.e.index = 0;
	expect_pass(a, &t);
	/* Listed, at another index: allowed too. */
	t.e.index = 9;
	expect_pass(a, &t);
	fill(d, 32, 0x6b);
	mk_file(&t, "ima-ng", "sha256", d, 32, "boot_aggregate");
	t.e.index = 0;
	expect_pass(a, &t);
	fill(d, 32, 0x6c);
	mk_file(&t, "ima-ng", "sha256", d, 32, "boot_aggregate");
	t.e.index = 0;
	expect_fail(a, &t, "digest not allowed: sha256:6c6c");
	/* Matching the PCRs does not override the list. */
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	expect_fail(a, &t, "digest not allowed: sha256:b804fd41");
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	/* Listed both ways: rejected. */
	snprintf(json, sizeof(json), "{\"version\":1,\"boot_aggregate\":"
	    "\"sha1:%s\",\"digests\":{\"boot_aggregate\":\"sha1:%s\"}}",
	    hexrep("5a", 20), hexrep("5a", 20));
	policy_bad(json, strlen(json), "listed twice");

	/* Keylime: the verifier checks the computed aggregate, so do we. */
	pol = policy_ok("{\"meta\":{\"version\":1},\"digests\":{}}");
	a = ima_appraiser_new(pol);
	mk_boot(&t, "ima-ng", "sha256", GCE_AGG_SHA256);
	expect_fail(a, &t, "boot_aggregate not verified");
	ima_appraiser_set_pcrs(a, &pcrs);
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

/*
 * Entry 0 of real lists: the rust-keylime ASCII list (no TPM: all zero) and
 * the IBM TSS sha1 list (an ima-sig list with a sha256 boot aggregate),
 * decoded by hand, against the real GCE quote's PCRs (another machine).
 */
START_TEST(test_boot_aggregate_corpus)
{
	static struct pcrset pcrs;
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t *buf, d[IMA_DIGEST_MAX];
	char algo[16], hex[2 * IMA_DIGEST_MAX + 1], name[32];
	size_t len, n, off;
	uint32_t tl;

	gce_pcrs(&pcrs);
	buf = corpus_read("ima/rust-keylime__ascii_runtime_measurements.txt",
	    &len);
	ck_assert_int_eq(sscanf((const char *)buf, "10 %*40s ima-ng "
	    "%15[^:]:%128s %31s", algo, hex, name), 3);
	free(buf);
	ck_assert_str_eq(name, "boot_aggregate");
	ck_assert_int_eq(hex_decode(hex, strlen(hex), d, sizeof(d), &n), 0);
	mk_file(&t, "ima-ng", algo, d, n, name);
	t.e.index = 0;
	pol = policy_ok("{\"version\":1}");
	a = ima_appraiser_new(pol);
	ima_appraiser_set_pcrs(a, &pcrs);
	expect_fail(a, &t, "boot_aggregate is all zero (no TPM when IMA "
	    "started) and the policy does not list it");
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	pol = policy_ok("{\"version\":1,\"boot_aggregate\":"
	    "\"sha1:0000000000000000000000000000000000000000\"}");
	a = ima_appraiser_new(pol);
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	/*
	 * Binary: pcr u32, template digest (sha1), name length u32, name,
	 * data length u32, then d-ng (length, "sha256:\0", digest).
	 */
	buf = corpus_read("ima/ibmtss__ima_sha1.bin", &len);
	ck_assert_uint_gt(len, 64);
	off = 4 + 20;
	memcpy(&tl, buf + off, 4);
	ck_assert_uint_eq(tl, 7);
	ck_assert_int_eq(memcmp(buf + off + 4, "ima-sig", 7), 0);
	off += 4 + 7 + 4;
	memcpy(&tl, buf + off, 4);
	ck_assert_uint_eq(tl, 8 + 32);
	ck_assert_int_eq(memcmp(buf + off + 4, "sha256:", 8), 0);
	mk_file(&t, "ima-sig", "sha256", buf + off + 12, 32,
	    "boot_aggregate");
	t.e.index = 0;
	free(buf);
	pol = policy_ok("{\"version\":1}");
	a = ima_appraiser_new(pol);
	expect_fail(a, &t, "no quoted PCRs 0-9 of bank sha256");
	ima_appraiser_set_pcrs(a, &pcrs);
	expect_fail(a, &t, "boot_aggregate does not match quoted PCRs 0-9 "
	    "(sha256)");
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	snprintf(hex, sizeof(hex), "%s", "8c84a9518e30ce8b12c9c54f54d80580"
	    "8551efccb15728c9453343a802ef5257");
	ck_assert_int_eq(hex_decode(hex, 64, d, sizeof(d), &n), 0);
	ck_assert_mem_eq(t.digest, d, 32);
}
END_TEST

START_TEST(test_allow_unlisted)
{
	char json[512];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[32];

	snprintf(json, sizeof(json), "{\"version\":1,\"allow_unlisted\":true,"
	    "\"digests\":{\"/bin/sh\":\"sha256:%s\"},"
	    "\"ima-buf\":{\"kernel_version\":\"sha256:%s\"}}",
	    hexrep("11", 32), hexrep("55", 32));
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	fill(d, 32, 0x77);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/unlisted");
	expect_pass(a, &t);
	/* A listed path must still match. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/bin/sh");
	expect_fail(a, &t, "digest not allowed: sha256:7777");
	/* Buffers too. */
	mk_file(&t, "ima-buf", "sha256", d, 32, "dm_table_load");
	t.e.buf = t.buf;
	t.e.buf_len = 3;
	expect_pass(a, &t);
	mk_file(&t, "ima-buf", "sha256", d, 32, "kernel_version");
	t.e.buf = t.buf;
	t.e.buf_len = 3;
	expect_fail(a, &t, "buffer digest not allowed: sha256:7777");
	/* Violations are still rejected. */
	mk_file(&t, "ima-ng", "sha256", d, 32, "/usr/bin/unlisted");
	t.e.violation = 1;
	expect_fail(a, &t, "violation rejected");
	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

START_TEST(test_ima_buf)
{
	char json[512];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[32];

	snprintf(json, sizeof(json), "{\"version\":1,\"ima-buf\":{"
	    "\"kernel_version\":[\"sha256:%s\",\"sha256:%s\"]}}",
	    hexrep("55", 32), hexrep("56", 32));
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	fill(d, 32, 0x56);
	mk_file(&t, "ima-buf", "sha256", d, 32, "kernel_version");
	memcpy(t.buf, "6.6.1", 5);
	t.e.buf = t.buf;
	t.e.buf_len = 5;
	expect_pass(a, &t);
	fill(d, 32, 0x57);
	mk_file(&t, "ima-buf", "sha256", d, 32, "kernel_version");
	t.e.buf = t.buf;
	t.e.buf_len = 5;
	expect_fail(a, &t, "buffer digest not allowed: sha256:5757");
	expect_fail(a, &t, "for kernel_version");
	mk_file(&t, "ima-buf", "sha256", d, 32, "dm_table_load");
	t.e.buf = t.buf;
	t.e.buf_len = 5;
	expect_fail(a, &t, "buffer not in policy: dm_table_load");
	/* Buffers and files are separate name spaces. */
	fill(d, 32, 0x56);
	mk_file(&t, "ima-ng", "sha256", d, 32, "kernel_version");
	expect_fail(a, &t, "path not in policy");
	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

/* Generate a key: "RSA" (2048 bits) or "EC" (P-256). */
static EVP_PKEY *
gen_key(const char *type)
{
	EVP_PKEY *pk;

	if (strcmp(type, "RSA") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(pk);
	return pk;
}

/* Compute a key's IMA key id the evmctl way: SHA-1 of the key bits. */
static uint32_t
raw_keyid(EVP_PKEY *pk)
{
	unsigned char *der = NULL, md[20];
	int n;

	n = i2d_PublicKey(pk, &der);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(EVP_Digest(der, (size_t)n, md, NULL, EVP_sha1(),
	    NULL), 1);
	OPENSSL_free(der);
	return (uint32_t)md[16] << 24 | (uint32_t)md[17] << 16 |
	    (uint32_t)md[18] << 8 | md[19];
}

/* Write a public key as PEM with JSON escapes into out. */
static void
pem_json(EVP_PKEY *pk, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n, i;
	size_t k = 0;

	ck_assert_int_eq(PEM_write_bio_PUBKEY(b, pk), 1);
	n = BIO_get_mem_data(b, &p);
	for (i = 0; i < n && k + 3 < outlen; i++) {
		if (p[i] == '\n') {
			out[k++] = '\\';
			out[k++] = 'n';
		} else
			out[k++] = p[i];
	}
	out[k] = '\0';
	BIO_free(b);
}

/*
 * Sign a file digest into an IMA signature: version 2 (type 3) signs the
 * digest, version 3 (type 6, fs-verity) the hash of type || hash_algo ||
 * digest.
 */
static size_t
ima_sign(EVP_PKEY *pk, int version, uint8_t hash_algo, const EVP_MD *md,
    const uint8_t *digest, size_t dlen, uint32_t keyid, uint8_t *out)
{
	uint8_t id[2 + 64], h[64];
	const uint8_t *tbs = digest;
	EVP_PKEY_CTX *ctx;
	size_t siglen = 1024 - 9;

	if (version == 3) {
		id[0] = 6;
		id[1] = hash_algo;
		memcpy(id + 2, digest, dlen);
		ck_assert_int_eq(EVP_Digest(id, 2 + dlen, h, NULL, md, NULL),
		    1);
		tbs = h;
	}
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_PKEY_sign_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(ctx, md), 1);
	ck_assert_int_eq(EVP_PKEY_sign(ctx, out + 9, &siglen, tbs, dlen), 1);
	EVP_PKEY_CTX_free(ctx);
	out[0] = version == 3 ? 6 : 3;
	out[1] = (uint8_t)version;
	out[2] = hash_algo;
	out[3] = (uint8_t)(keyid >> 24);
	out[4] = (uint8_t)(keyid >> 16);
	out[5] = (uint8_t)(keyid >> 8);
	out[6] = (uint8_t)keyid;
	out[7] = (uint8_t)(siglen >> 8);
	out[8] = (uint8_t)siglen;
	return 9 + siglen;
}

/* Make an ima-sig entry for path with a digest and a signature. */
static void
mk_signed(struct tentry *t, const char *algo, const uint8_t *d, size_t dlen,
    const char *path, const uint8_t *sig, size_t siglen)
{
	mk_file(t, "ima-sig", algo, d, dlen, path);
	memcpy(t->sig, sig, siglen);
	t->e.sig = t->sig;
	t->e.sig_len = siglen;
}

/* Exercise signatures with a key given in the policy as PEM. */
static void
check_pem_key(const char *type)
{
	static char json[8192];
	char pem[4096], want[64];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	EVP_PKEY *pk;
	uint8_t d[32], d1[20], sig[1024];
	uint32_t id;
	size_t n;

	pk = gen_key(type);
	id = raw_keyid(pk);
	pem_json(pk, pem, sizeof(pem));
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"%s\"],"
	    "\"digests\":{\"/usr/bin/listed\":\"sha256:%s\"}}", pem,
	    hexrep("11", 32));
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);

	/* Version 2: signature over the sha256 file digest. */
	ck_assert_int_eq(EVP_Digest("hello", 5, d, NULL, EVP_sha256(), NULL),
	    1);
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, id, sig);
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	expect_pass(a, &t);
	/* Wrong digest: the signature does not verify. */
	d[0] ^= 1;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	snprintf(want, sizeof(want), "signature does not verify with key "
	    "0x%08x", id);
	expect_fail(a, &t, want);
	expect_fail(a, &t, "/usr/bin/signed");
	d[0] ^= 1;
	/* Corrupted signature bytes. */
	sig[n - 1] ^= 0x40;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	expect_fail(a, &t, "does not verify");
	sig[n - 1] ^= 0x40;
	/* Unknown key id. */
	sig[6] ^= 0xff;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	snprintf(want, sizeof(want), "no trusted key 0x%08x", id ^ 0xff);
	expect_fail(a, &t, want);
	sig[6] ^= 0xff;
	/* Bad header: size, type, version, algorithm. */
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n - 1);
	expect_fail(a, &t, "does not match its");
	sig[0] = 5;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	expect_fail(a, &t, "unsupported signature type 5 version 2");
	sig[0] = 3;
	sig[1] = 1;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	expect_fail(a, &t, "unsupported signature type 3 version 1");
	sig[1] = 2;
	sig[2] = 2;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	expect_fail(a, &t, "signature hash algorithm sha1 does not match");
	sig[2] = 99;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	expect_fail(a, &t, "unsupported signature hash algorithm 99");
	sig[2] = 4;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, 5);
	expect_fail(a, &t, "signature too short");
	/* Listed paths fall back to their digests; report the digest. */
	mk_signed(&t, "sha256", d, 32, "/usr/bin/listed", sig, n);
	expect_pass(a, &t);
	d[0] ^= 1;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/listed", sig, n);
	expect_fail(a, &t, "digest not allowed");
	d[0] ^= 1;

	/* Type 3 goes with an IMA digest only. */
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, id, sig);
	mk_signed(&t, "sha256", d, 32, "/usr/bin/signed", sig, n);
	strcpy(t.e.digest_type, "ima");
	expect_pass(a, &t);
	strcpy(t.e.digest_type, "verity");
	expect_fail(a, &t, "signature type 3 for an fs-verity digest");

	/* Type 6 version 3 (ima_file_id), for an fs-verity digest only. */
	n = ima_sign(pk, 3, 4, EVP_sha256(), d, 32, id, sig);
	mk_signed(&t, "sha256", d, 32, "/usr/bin/v3", sig, n);
	strcpy(t.e.digest_type, "verity");
	expect_pass(a, &t);
	strcpy(t.e.digest_type, "ima");
	expect_fail(a, &t, "fs-verity signature (type 6) for a digest that is "
	    "not an fs-verity digest: /usr/bin/v3");
	t.e.digest_type[0] = '\0';
	expect_fail(a, &t, "fs-verity signature (type 6)");
	/* The kernel's pairs only: type 3 version 3, type 6 version 2. */
	strcpy(t.e.digest_type, "verity");
	t.sig[0] = 3;
	expect_fail(a, &t, "unsupported signature type 3 version 3");
	t.sig[0] = 6;
	t.sig[1] = 2;
	expect_fail(a, &t, "unsupported signature type 6 version 2");
	/* A v3 signature is not a v2 one. */
	n = ima_sign(pk, 3, 4, EVP_sha256(), d, 32, id, sig);
	sig[0] = 3;
	sig[1] = 2;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/v3", sig, n);
	expect_fail(a, &t, "does not verify");
	ck_assert_int_eq(EVP_Digest("x", 1, d1, NULL, EVP_sha1(), NULL), 1);
	n = ima_sign(pk, 2, 2, EVP_sha1(), d1, 20, id, sig);
	mk_signed(&t, "sha1", d1, 20, "/usr/bin/sha1", sig, n);
	expect_pass(a, &t);
	/* SHA3-256 (kernel hash_algo 20). */
	ck_assert_int_eq(EVP_Digest("x", 1, d, NULL, EVP_sha3_256(), NULL), 1);
	n = ima_sign(pk, 2, 20, EVP_sha3_256(), d, 32, id, sig);
	mk_signed(&t, "sha3-256", d, 32, "/usr/bin/sha3", sig, n);
	expect_pass(a, &t);
	mk_signed(&t, "sha256", d, 32, "/usr/bin/sha3", sig, n);
	expect_fail(a, &t, "signature hash algorithm sha3-256 does not match "
	    "the file digest (sha256)");

	ima_appraiser_free(a);
	ima_policy_unref(pol);
	EVP_PKEY_free(pk);
}

START_TEST(test_sig_rsa)
{
	check_pem_key("RSA");
}
END_TEST

START_TEST(test_sig_ec)
{
	check_pem_key("EC");
}
END_TEST

/*
 * Make a self-signed DER certificate for a key, with the subject key
 * identifier a1b2...12345678 (so its IMA key id is 0x12345678, not the one
 * computed from the key).
 */
static size_t
mk_cert(EVP_PKEY *pk, uint8_t *out, size_t max)
{
	X509 *x = X509_new();
	X509_NAME *nm;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	unsigned char *p = NULL;
	int n;

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"rivd IMA test", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier,
	    "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
	n = i2d_X509(x, &p);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_le((size_t)n, max);
	memcpy(out, p, (size_t)n);
	OPENSSL_free(p);
	X509_free(x);
	return (size_t)n;
}

/* Make an ima-buf entry measuring a DER key into a keyring. */
static void
mk_keyentry(struct tentry *t, const char *keyring, const uint8_t *der,
    size_t len)
{
	uint8_t d[32];

	ck_assert_int_eq(EVP_Digest(der, len, d, NULL, EVP_sha256(), NULL), 1);
	mk_file(t, "ima-buf", "sha256", d, 32, keyring);
	memcpy(t->buf, der, len);
	t->e.buf = t->buf;
	t->e.buf_len = len;
}

START_TEST(test_keyring_learned)
{
	static char json[1024];
	struct ima_policy *pol, *bad;
	struct ima_appraiser *a, *b;
	struct tentry kt, st;
	EVP_PKEY *pk;
	uint8_t der[4096], dd[32], d[32], sig[1024];
	char hex[65];
	size_t dn, n;

	pk = gen_key("EC");
	dn = mk_cert(pk, der, sizeof(der));
	ck_assert_int_eq(EVP_Digest(der, dn, dd, NULL, EVP_sha256(), NULL), 1);
	hex_encode(dd, 32, hex);
	snprintf(json, sizeof(json), "{\"version\":1,\"keyrings\":"
	    "{\".ima\":[\"sha256:%s\"],\".evm\":[\"sha256:%s\"]}}", hex,
	    hex);
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);

	ck_assert_int_eq(EVP_Digest("bin", 3, d, NULL, EVP_sha256(), NULL), 1);
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, 0x12345678, sig);
	mk_signed(&st, "sha256", d, 32, "/usr/bin/app", sig, n);

	/* Before the key is measured, nothing verifies the signature. */
	expect_fail(a, &st, "no trusted key 0x12345678");
	mk_keyentry(&kt, ".ima", der, dn);
	expect_pass(a, &kt);
	ck_assert_uint_eq(ima_appraiser_keys(a), 1);
	expect_pass(a, &st);
	/* Measured twice: learned once. */
	expect_pass(a, &kt);
	ck_assert_uint_eq(ima_appraiser_keys(a), 1);

	/* The key id is the SKID's, not the one computed from the key. */
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, raw_keyid(pk), sig);
	mk_signed(&st, "sha256", d, 32, "/usr/bin/app", sig, n);
	expect_fail(a, &st, "no trusted key");

	/* Another appraiser of the same policy has not learned the key. */
	b = ima_appraiser_new(pol);
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, 0x12345678, sig);
	mk_signed(&st, "sha256", d, 32, "/usr/bin/app", sig, n);
	expect_fail(b, &st, "no trusted key 0x12345678");
	/* A key whose digest does not match its data is not learned. */
	mk_keyentry(&kt, ".ima", der, dn);
	kt.buf[dn - 1] ^= 1;
	expect_fail(b, &kt, "key digest does not match the key in keyring "
	    ".ima");
	expect_fail(b, &st, "no trusted key");
	ima_appraiser_free(b);

	/* Keys in another keyring pass if allowed but do not sign files. */
	b = ima_appraiser_new(pol);
	mk_keyentry(&kt, ".evm", der, dn);
	expect_pass(b, &kt);
	ck_assert_uint_eq(ima_appraiser_keys(b), 0);
	expect_fail(b, &st, "no trusted key 0x12345678");
	mk_keyentry(&kt, ".platform", der, dn);
	expect_fail(b, &kt, "keyring not in policy: .platform (key "
	    "0x12345678)");
	ima_appraiser_free(b);
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	/* A policy that does not allow this key's digest. */
	snprintf(json, sizeof(json), "{\"version\":1,\"keyrings\":"
	    "{\".ima\":[\"sha256:%s\"]}}", hexrep("00", 32));
	bad = policy_ok(json);
	a = ima_appraiser_new(bad);
	mk_keyentry(&kt, ".ima", der, dn);
	expect_fail(a, &kt, "key not allowed: sha256:");
	expect_fail(a, &kt, "(key 0x12345678) in keyring .ima");
	ck_assert_uint_eq(ima_appraiser_keys(a), 0);
	expect_fail(a, &st, "no trusted key 0x12345678");
	ima_appraiser_free(a);
	ima_policy_unref(bad);

	/* Ignored keyring: the entry passes, the key is not trusted. */
	bad = policy_ok("{\"version\":1,\"ignored_keyrings\":[\".ima\"]}");
	a = ima_appraiser_new(bad);
	expect_pass(a, &kt);
	ck_assert_uint_eq(ima_appraiser_keys(a), 0);
	expect_fail(a, &st, "no trusted key");
	ima_appraiser_free(a);
	ima_policy_unref(bad);
	EVP_PKEY_free(pk);
}
END_TEST

/* Write a DER certificate as PEM with JSON escapes into out. */
static void
cert_pem_json(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	BIO *b = BIO_new(BIO_s_mem());
	char *m;
	long n, i;
	size_t k = 0;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &m);
	for (i = 0; i < n && k + 3 < outlen; i++) {
		if (m[i] == '\n') {
			out[k++] = '\\';
			out[k++] = 'n';
		} else
			out[k++] = m[i];
	}
	out[k] = '\0';
	BIO_free(b);
	X509_free(x);
}

/* A PEM key or certificate is one block with only white space around it. */
START_TEST(test_pem_strict)
{
	static char json[16384];
	char pem[4096], cert[4096];
	const char *want = "keys[0]: expected a PEM certificate or public "
	    "key: one block, nothing but white space around it";
	struct ima_policy *pol;
	uint8_t der[4096];
	EVP_PKEY *pk;
	size_t dn;

	pk = gen_key("EC");
	pem_json(pk, pem, sizeof(pem));
	dn = mk_cert(pk, der, sizeof(der));
	cert_pem_json(der, dn, cert, sizeof(cert));

	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"%s\","
	    "\" \\n\\n%s\\r\\n \\n\"]}", pem, cert);
	pol = policy_ok(json);
	ima_policy_unref(pol);
	/* Junk after the block (the reviewer's probe), or before it. */
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"%sjunk\"]}",
	    cert);
	policy_bad(json, strlen(json), want);
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"%s\\n.\"]}",
	    pem);
	policy_bad(json, strlen(json), want);
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"junk before"
	    "\\n%s\"]}", cert);
	policy_bad(json, strlen(json), want);
	/* Several blocks: the same twice, a key and a certificate. */
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"%s%s\"]}",
	    cert, cert);
	policy_bad(json, strlen(json), want);
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"%s%s\"]}",
	    pem, cert);
	policy_bad(json, strlen(json), want);
	/*
	 * The shared PEM rule (pem.h): white space is space, tab, CR and LF;
	 * a form feed or vertical tab, which isspace() let through before
	 * the policy and AK loaders were merged, is data after the block.
	 */
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"%s\\f\"]}",
	    pem);
	policy_bad(json, strlen(json), "in the string: PEM: data at byte "
	    "offset");
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"\\u000b%s\"]}",
	    cert);
	policy_bad(json, strlen(json), want);
	/* A block OpenSSL would skip to reach the certificate. */
	snprintf(json, sizeof(json), "{\"version\":1,\"keys\":[\"-----BEGIN "
	    "FOO-----\\nAAAA\\n-----END FOO-----\\n%s\"]}", cert);
	policy_bad(json, strlen(json), want);
	EVP_PKEY_free(pk);
}
END_TEST

/* Write a file's contents (NUL ended). */
static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Arguments of a thread that takes policies from the registry. */
struct getter {
	const char		*path;
	pthread_barrier_t	*start;
	struct ima_policy	*got[20];
};

/* Take 20 references to the policy in a file through the registry. */
static void *
getter_run(void *arg)
{
	struct getter *g = arg;
	struct riv_err err;
	size_t i;

	pthread_barrier_wait(g->start);
	for (i = 0; i < 20; i++)
		g->got[i] = ima_policy_get(g->path, &err);
	return NULL;
}

START_TEST(test_registry)
{
	static const char text_a[] = "{\"meta\":{\"version\":1},\"release\":"
	    "42,\"digests\":{\"/a\":[\"0000000000000000000000000000000000000"
	    "000\"]}}";
	static const char text_b[] = "{\"meta\":{\"version\":1},\"release\":"
	    "\"v2\\u0007\",\"digests\":{}}";
	char p1[] = "/tmp/rivd-ima-reg-XXXXXX", p2[] = "/tmp/rivd-ima-reg-XXXXXX";
	char p3[] = "/tmp/rivd-ima-reg-XXXXXX", *big, *p;
	uint8_t d[32];
	struct ima_policy *a, *b, *c, *l, *x, *pol;
	pthread_barrier_t start;
	struct getter g[8];
	pthread_t th[8];
	struct riv_err err;
	size_t i, k;

	ck_assert_int_ge(mkstemp(p1), 0);
	ck_assert_int_ge(mkstemp(p2), 0);
	write_file(p1, text_a);
	write_file(p2, text_a);

	/* The same bytes, by any path: one policy. */
	a = ima_policy_get(p1, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	b = ima_policy_get(p1, &err);
	c = ima_policy_get(p2, &err);
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_eq(a, c);
	ck_assert_int_eq(EVP_Digest(text_a, strlen(text_a), d, NULL,
	    EVP_sha256(), NULL), 1);
	ck_assert_mem_eq(ima_policy_digest(a), d, 32);
	ck_assert_str_eq(ima_policy_release(a), "42");
	/* ima_policy_load and _parse do not share, but agree on the digest. */
	l = ima_policy_load(p1, &err);
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_ne(l, a);
	ck_assert_mem_eq(ima_policy_digest(l), d, 32);
	ima_policy_unref(l);
	l = ima_policy_parse(text_a, strlen(text_a), &err);
	ck_assert_mem_eq(ima_policy_digest(l), d, 32);
	ima_policy_unref(l);

	/* A changed file is another policy. */
	write_file(p1, text_b);
	x = ima_policy_get(p1, &err);
	ck_assert_msg(x != NULL, "%s", err.msg);
	ck_assert_ptr_ne(x, a);
	ck_assert_int_ne(memcmp(ima_policy_digest(x), d, 32), 0);
	ck_assert_str_eq(ima_policy_release(x), "v2?");
	ck_assert_uint_eq(ima_policy_paths(x), 0);
	ck_assert_uint_eq(ima_policy_paths(a), 1);

	/* References: a lives while any is held; then it leaves. */
	ima_policy_unref(a);
	ima_policy_unref(b);
	pol = ima_policy_get(p2, &err);
	ck_assert_ptr_eq(pol, c);
	ima_policy_unref(pol);
	ck_assert_uint_eq(ima_policy_paths(c), 1);
	ima_policy_unref(c);
	/* Loaded again after the last reference went: a fresh copy. */
	pol = ima_policy_get(p2, &err);
	ck_assert_ptr_nonnull(pol);
	ck_assert_mem_eq(ima_policy_digest(pol), d, 32);
	ck_assert_uint_eq(ima_policy_paths(pol), 1);

	/*
	 * Threads racing to load a new file (large enough that they parse it
	 * at the same time) all end up sharing one policy.
	 */
	big = malloc(20000 * 80 + 64);
	ck_assert_ptr_nonnull(big);
	p = big + sprintf(big, "{\"version\":1,\"digests\":{");
	for (i = 0; i < 20000; i++)
		p += sprintf(p, "%s\"/usr/lib/f%zu\":\"sha1:%s\"", i ? "," : "",
		    i, hexrep("ab", 20));
	strcpy(p, "}}");
	ck_assert_int_ge(mkstemp(p3), 0);
	write_file(p3, big);
	free(big);
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, 8), 0);
	for (k = 0; k < 8; k++) {
		g[k].path = p3;
		g[k].start = &start;
		ck_assert_int_eq(pthread_create(&th[k], NULL, getter_run,
		    &g[k]), 0);
	}
	for (k = 0; k < 8; k++)
		ck_assert_int_eq(pthread_join(th[k], NULL), 0);
	pthread_barrier_destroy(&start);
	for (k = 0; k < 8; k++)
		for (i = 0; i < 20; i++) {
			ck_assert_ptr_nonnull(g[k].got[i]);
			ck_assert_ptr_eq(g[k].got[i], g[0].got[0]);
		}
	ck_assert_uint_eq(ima_policy_paths(g[0].got[0]), 20000);
	for (k = 0; k < 8; k++)
		for (i = 0; i < 20; i++)
			ima_policy_unref(g[k].got[i]);
	unlink(p3);
	ima_policy_unref(pol);
	ima_policy_unref(x);

	/* Errors name the file; a bad file registers nothing. */
	write_file(p1, "{\"version\":1,\"comment\":7}");
	ck_assert_ptr_null(ima_policy_get(p1, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, p1));
	ck_assert_ptr_nonnull(strstr(err.msg, "comment: expected a string"));
	ck_assert_ptr_null(ima_policy_get(p1, &err));
	unlink(p1);
	unlink(p2);
	ck_assert_ptr_null(ima_policy_get(p1, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, p1));
}
END_TEST

/* Write an appraiser's state into a malloc'd string. */
static char *
state_text(const struct ima_appraiser *a)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ima_appraiser_write(f, a);
	ck_assert_int_eq(fclose(f), 0);
	return text;
}

/* Restore a state from text; return the status, err filled in. */
static int
state_restore(struct ima_appraiser *a, const char *text, struct riv_err *err)
{
	struct json *doc;
	int rc;

	doc = json_parse(text, strlen(text), err);
	ck_assert_msg(doc != NULL, "state %.100s: %s", text, err->msg);
	rc = ima_appraiser_from_json(a, doc, err);
	json_free(doc);
	return rc;
}

/* Restore a state that must be rejected with a message containing want. */
static void
state_bad(struct ima_appraiser *a, const char *text, const char *want)
{
	struct riv_err err = { "" };

	ck_assert_msg(state_restore(a, text, &err) == RIV_MALFORMED,
	    "state accepted: %.200s", text);
	ck_assert_msg(strstr(err.msg, want) != NULL,
	    "error \"%s\" lacks \"%s\"", err.msg, want);
}

/*
 * Keys learned from the .ima keyring in one incremental run verify entries
 * of the next: written with ima_appraiser_write, restored with
 * ima_appraiser_from_json, and only under the same policy.
 */
START_TEST(test_appraiser_state)
{
	static char json[512], bad[300000], other[1024];
	char pol_hex[65], dd_hex[65], der_hex[8200], der2_hex[8210];
	char want[256];
	struct ima_policy *pol, *pol2, *pol3;
	struct ima_appraiser *a, *b;
	struct riv_err err;
	struct tentry kt, st;
	EVP_PKEY *pk, *pk2;
	uint8_t der[4096], der2[4096], dd[32], d[32], sig[1024];
	char *text, *text2, *p;
	size_t dn, dn2, n, i;

	pk = gen_key("EC");
	dn = mk_cert(pk, der, sizeof(der));
	ck_assert_int_eq(EVP_Digest(der, dn, dd, NULL, EVP_sha256(), NULL), 1);
	hex_encode(der, dn, der_hex);
	hex_encode(dd, 32, dd_hex);
	snprintf(json, sizeof(json), "{\"version\":1,\"keyrings\":"
	    "{\".ima\":[\"sha256:%s\"]}}", dd_hex);
	pol = policy_ok(json);
	hex_encode(ima_policy_digest(pol), 32, pol_hex);

	ck_assert_int_eq(EVP_Digest("bin", 3, d, NULL, EVP_sha256(), NULL), 1);
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, 0x12345678, sig);
	mk_signed(&st, "sha256", d, 32, "/usr/bin/app", sig, n);
	mk_keyentry(&kt, ".ima", der, dn);

	/* Run 1: the key entry; its state. */
	a = ima_appraiser_new(pol);
	text = state_text(a);
	snprintf(want, sizeof(want), "{\"policy\":\"%s\",\"keys\":[]}",
	    pol_hex);
	ck_assert_str_eq(text, want);
	free(text);
	expect_pass(a, &kt);
	ck_assert_uint_eq(ima_appraiser_keys(a), 1);
	text = state_text(a);
	snprintf(want, sizeof(want), "{\"policy\":\"%s\",\"keys\":[{"
	    "\"keyring\":\".ima\",\"keyid\":\"12345678\",\"der\":\"%.40s",
	    pol_hex, der_hex);
	ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, der_hex));

	/* Run 2: a new appraiser fails the signed entry until restored. */
	b = ima_appraiser_new(pol);
	expect_fail(b, &st, "no trusted key 0x12345678");
	ck_assert_int_eq(state_restore(b, text, &err), RIV_OK);
	ck_assert_uint_eq(ima_appraiser_keys(b), 1);
	expect_pass(b, &st);
	/* The restored state writes back the same. */
	text2 = state_text(b);
	ck_assert_str_eq(text2, text);
	free(text2);
	/* Measuring the key again does not learn it twice. */
	expect_pass(b, &kt);
	ck_assert_uint_eq(ima_appraiser_keys(b), 1);

	/* Another policy (even one byte apart): the keys do not carry over. */
	snprintf(other, sizeof(other), "%s ", json);
	pol2 = policy_ok(other);
	ima_appraiser_free(a);
	a = ima_appraiser_new(pol2);
	snprintf(want, sizeof(want), "state was made with another policy");
	state_bad(a, text, want);
	ck_assert_uint_eq(ima_appraiser_keys(a), 0);
	expect_fail(a, &st, "no trusted key 0x12345678");
	ima_appraiser_free(a);

	/*
	 * Hostile states (with the right policy digest): each rejected, the
	 * appraiser unchanged (still trusting its one key).
	 */
	state_bad(b, "[]", "IMA appraiser state: expected an object at byte "
	    "offset 0");
	state_bad(b, "{\"keys\":[]}", "expected \"policy\"");
	state_bad(b, "{\"policy\":\"00\",\"keys\":[]}", "expected \"policy\"");
	snprintf(bad, sizeof(bad), "{\"policy\":\"%s\"}", pol_hex);
	state_bad(b, bad, "expected a \"keys\" array");
	snprintf(bad, sizeof(bad), "{\"policy\":\"%s\",\"keys\":{}}", pol_hex);
	state_bad(b, bad, "expected a \"keys\" array");
	snprintf(bad, sizeof(bad), "{\"policy\":\"%s\",\"keys\":[],\"x\":1}",
	    pol_hex);
	state_bad(b, bad, "state: unknown member \"x\" at byte offset 91");
	snprintf(bad, sizeof(bad), "{\"policy\":\"%s\",\"keys\":[1]}", pol_hex);
	state_bad(b, bad, "keys[0]: expected an object at byte offset 85");
#define KEYSTATE(ring, id, hex, extra) \
	snprintf(bad, sizeof(bad), "{\"policy\":\"%s\",\"keys\":[{\"keyring\":" \
	    "\"%s\",\"keyid\":\"%s\",\"der\":\"%s\"%s}]}", pol_hex, ring, id, \
	    hex, extra)
	KEYSTATE(".ima", "12345678", der_hex, ",\"y\":0");
	state_bad(b, bad, "keys[0]: unknown member \"y\"");
	KEYSTATE(".evm", "12345678", der_hex, "");
	state_bad(b, bad, "expected \"keyring\" \".ima\" or \"_ima\"");
	KEYSTATE(".ima", "1234567", der_hex, "");
	state_bad(b, bad, "expected \"keyid\" of 8 hex digits");
	KEYSTATE(".ima", "1234567g", der_hex, "");
	state_bad(b, bad, "expected \"keyid\" of 8 hex digits");
	KEYSTATE(".ima", "12345679", der_hex, "");
	state_bad(b, bad, "keys[0]: key id 12345679 is not the key's (12345678)");
	KEYSTATE(".ima", "12345678", "", "");
	state_bad(b, bad, "expected \"der\" of 1 to 65536 bytes");
	KEYSTATE(".ima", "12345678", "abc", "");
	state_bad(b, bad, "bad hex in \"der\"");
	KEYSTATE(".ima", "12345678", "30030201ff", "");
	state_bad(b, bad, "not a DER certificate or public key");
	/* The DER with a byte more: not a key (trailing data). */
	snprintf(der2_hex, sizeof(der2_hex), "%s00", der_hex);
	KEYSTATE(".ima", "12345678", der2_hex, "");
	state_bad(b, bad, "not a DER certificate or public key");
	/* Too long. */
	p = bad + sprintf(bad, "{\"policy\":\"%s\",\"keys\":[{\"keyring\":"
	    "\".ima\",\"keyid\":\"12345678\",\"der\":\"", pol_hex);
	memset(p, 'a', 2 * IMA_POLICY_KEY_LEN_MAX + 2);
	strcpy(p + 2 * IMA_POLICY_KEY_LEN_MAX + 2, "\"}]}");
	state_bad(b, bad, "expected \"der\" of 1 to 65536 bytes");
	/* A valid key the policy does not allow (another certificate). */
	pk2 = gen_key("EC");
	dn2 = mk_cert(pk2, der2, sizeof(der2));
	hex_encode(der2, dn2, der2_hex);
	KEYSTATE(".ima", "12345678", der2_hex, "");
	state_bad(b, bad, "keys[0]: the policy does not allow this key in "
	    "keyring .ima");
	/* Allowed in .ima, not in _ima. */
	KEYSTATE("_ima", "12345678", der_hex, "");
	state_bad(b, bad, "does not allow this key in keyring _ima");
	/* The same key twice. */
	snprintf(bad, sizeof(bad), "{\"policy\":\"%s\",\"keys\":[{\"keyring\":"
	    "\".ima\",\"keyid\":\"12345678\",\"der\":\"%s\"},{\"keyring\":"
	    "\".ima\",\"keyid\":\"12345678\",\"der\":\"%s\"}]}", pol_hex,
	    der_hex, der_hex);
	state_bad(b, bad, "keys[1]: listed twice");
	/* More keys than an appraiser may learn. */
	p = bad + sprintf(bad, "{\"policy\":\"%s\",\"keys\":[", pol_hex);
	for (i = 0; i < IMA_POLICY_LEARNED_MAX + 1; i++)
		p += sprintf(p, "%s{}", i ? "," : "");
	strcpy(p, "]}");
	state_bad(b, bad, "more than 64 keys at byte offset 84");
	/* After all that, b still has (only) its key. */
	ck_assert_uint_eq(ima_appraiser_keys(b), 1);
	expect_pass(b, &st);

	/* An empty state replaces the keys. */
	snprintf(bad, sizeof(bad), "{\"policy\":\"%s\",\"keys\":[]}", pol_hex);
	ck_assert_int_eq(state_restore(b, bad, &err), RIV_OK);
	ck_assert_uint_eq(ima_appraiser_keys(b), 0);
	expect_fail(b, &st, "no trusted key 0x12345678");
	ima_appraiser_free(b);

	/* A policy that ignores .ima (state made for it): refused. */
	snprintf(other, sizeof(other), "{\"version\":1,\"keyrings\":"
	    "{\".ima\":[\"sha256:%s\"]},\"ignored_keyrings\":[\".ima\"]}",
	    dd_hex);
	pol3 = policy_ok(other);
	a = ima_appraiser_new(pol3);
	hex_encode(ima_policy_digest(pol3), 32, pol_hex);
	KEYSTATE(".ima", "12345678", der_hex, "");
	state_bad(a, bad, "does not allow this key in keyring .ima");
	ima_appraiser_free(a);
#undef KEYSTATE

	free(text);
	ima_policy_unref(pol3);
	ima_policy_unref(pol2);
	ima_policy_unref(pol);
	EVP_PKEY_free(pk2);
	EVP_PKEY_free(pk);
}
END_TEST

START_TEST(test_keylime_vkeys)
{
	static char json[8192], inner[4096];
	unsigned char *der = NULL;
	char b64[2048];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	EVP_PKEY *pk;
	uint8_t d[32], sig[1024];
	size_t n;
	int dn;

	pk = gen_key("RSA");
	dn = i2d_PUBKEY(pk, &der);
	ck_assert_int_gt(dn, 0);
	EVP_EncodeBlock((unsigned char *)b64, der, dn);
	OPENSSL_free(der);
	snprintf(inner, sizeof(inner), "{\\\"keyids\\\": [], "
	    "\\\"pubkeys\\\": [\\\"%s\\\"]}", b64);
	snprintf(json, sizeof(json), "{\"meta\":{\"version\":1},"
	    "\"digests\":{},\"excludes\":[],\"keyrings\":{},"
	    "\"ima\":{\"ignored_keyrings\":[],\"log_hash_alg\":\"sha256\","
	    "\"dm_policy\":null},\"ima-buf\":{},"
	    "\"verification-keys\":\"%s\"}", inner);
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	ck_assert_int_eq(EVP_Digest("k", 1, d, NULL, EVP_sha256(), NULL), 1);
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, raw_keyid(pk), sig);
	mk_signed(&t, "sha256", d, 32, "/usr/bin/k", sig, n);
	expect_pass(a, &t);
	d[1] ^= 1;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/k", sig, n);
	expect_fail(a, &t, "does not verify");
	ima_appraiser_free(a);
	ima_policy_unref(pol);

	/* An explicit key id overrides the computed one. */
	snprintf(inner, sizeof(inner), "{\\\"keyids\\\": [305419896], "
	    "\\\"pubkeys\\\": [\\\"%s\\\"]}", b64);
	snprintf(json, sizeof(json), "{\"meta\":{\"version\":1},"
	    "\"verification-keys\":\"%s\"}", inner);
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	d[1] ^= 1;
	mk_signed(&t, "sha256", d, 32, "/usr/bin/k", sig, n);
	expect_fail(a, &t, "no trusted key");
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, 0x12345678, sig);
	mk_signed(&t, "sha256", d, 32, "/usr/bin/k", sig, n);
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	EVP_PKEY_free(pk);

	/* An EC P-256 key: 91 bytes of DER, base64 ending in "==". */
	pk = gen_key("EC");
	der = NULL;
	dn = i2d_PUBKEY(pk, &der);
	ck_assert_int_eq(dn % 3, 1);
	EVP_EncodeBlock((unsigned char *)b64, der, dn);
	OPENSSL_free(der);
	ck_assert_int_eq(b64[strlen(b64) - 2], '=');
	snprintf(inner, sizeof(inner), "{\\\"keyids\\\": [], "
	    "\\\"pubkeys\\\": [\\\"%s\\\"]}", b64);
	snprintf(json, sizeof(json), "{\"meta\":{\"version\":1},"
	    "\"verification-keys\":\"%s\"}", inner);
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	n = ima_sign(pk, 2, 4, EVP_sha256(), d, 32, raw_keyid(pk), sig);
	mk_signed(&t, "sha256", d, 32, "/usr/bin/k", sig, n);
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	EVP_PKEY_free(pk);
}
END_TEST

/* A malformed policy and the message it must produce. */
struct badcase {
	const char	*json;
	const char	*want;
};

START_TEST(test_malformed)
{
	static const struct badcase cases[] = {
		{ "{", "JSON: " },
		{ "[]", "expected a JSON object, not array" },
		{ "{}", "neither a rivd policy" },
		{ "{\"version\":2}", "version: expected 1 at byte offset 11" },
		{ "{\"version\":\"1\"}", "version: expected 1" },
		{ "{\"version\":1,\"digests\":[]}",
		    "digests: expected an object, not array, at byte offset "
		    "23" },
		{ "{\"version\":1,\"digests\":{\"/a\":[\"sha256:zz\"]}}",
		    "digests./a[0]: expected 32 bytes of hex after \"sha256:\" "
		    "at byte offset 30" },
		{ "{\"version\":1,\"digests\":{\"/a\":[\"md6:00\"]}}",
		    "unknown digest algorithm \"md6\"" },
		{ "{\"version\":1,\"digests\":{\"/a\":[\"0011\"]}}",
		    "expected \"algorithm:hex\"" },
		{ "{\"version\":1,\"digests\":{\"/a\":[5]}}",
		    "digests./a[0]: expected a string, not number" },
		{ "{\"version\":1,\"digests\":{\"/a\":{}}}",
		    "expected an array of digests, not object" },
		{ "{\"version\":1,\"digests\":{\"\":[]}}", "name of 0 bytes" },
		{ "{\"version\":1,\"digest\":{}}",
		    "unknown member \"digest\" at byte offset 22" },
		{ "{\"version\":1,\"accept_violations\":\"yes\"}",
		    "accept_violations: expected true or false, not string" },
		{ "{\"version\":1,\"allow_unlisted\":1}",
		    "allow_unlisted: expected true or false" },
		{ "{\"version\":1,\"keys\":[\"not a key\"]}",
		    "keys[0]: expected a PEM certificate or public key" },
		{ "{\"version\":1,\"keys\":\"x\"}", "keys: expected an array" },
		{ "{\"version\":1,\"ignored_keyrings\":[1]}",
		    "ignored_keyrings[0]: expected a keyring name" },
		{ "{\"version\":1,\"excludes\":\"/tmp\"}",
		    "excludes: expected an array, not string" },
		{ "{\"version\":1,\"excludes\":[\"(\"]}",
		    "excludes[0]: bad regular expression" },
		{ "{\"version\":1,\"excludes\":[\"/a\",\"\\\\d+\"]}",
		    "excludes[1]: escape with no POSIX equivalent" },
		{ "{\"version\":1,\"excludes\":[\"(?i)/a\"]}",
		    "Python extension (?...) is not supported" },
		{ "{\"version\":1,\"excludes\":[\"/a[\\\\.]\"]}",
		    "backslash inside [...]" },
		{ "{\"version\":1,\"excludes\":[\"\"]}", "empty pattern" },
		{ "{\"version\":1,\"excludes\":[\"/a.+?x\"]}",
		    "excludes[0]: repeated quantifier (lazy +? or {m,n}?, "
		    "possessive, a**) means something else in POSIX, at "
		    "character 4 of the pattern at byte offset 25" },
		{ "{\"version\":1,\"excludes\":[\"/a{1,2}?\"]}",
		    "repeated quantifier" },
		{ "{\"version\":1,\"excludes\":[\"/a*+\"]}",
		    "repeated quantifier" },
		{ "{\"version\":1,\"excludes\":[\"(a{100}){100}\"]}",
		    "excludes[0]: repetition (\"+\", {m,n}) multiplies to more "
		    "than 1024" },
		{ "{\"version\":1,\"excludes\":[\"/a\","
		    "\"/a+b+c+d+e+f+g+h+i+j+k+\"]}",
		    "excludes[1]: repetition" },
		{ "{\"version\":1,\"excludes\":[\"(((((((((((a+)+)+)+)+)+)+)"
		    "+)+)+)+)+\"]}", "repetition" },
		{ "{\"version\":1,\"excludes\":[1]}",
		    "excludes[0]: expected a string, not number" },
		{ "{\"meta\":{\"version\":2}}",
		    "meta.version: version 2 is not supported" },
		{ "{\"meta\":1}", "meta: expected an object" },
		{ "{\"meta\":{\"version\":1},\"digests\":{\"/a\":[\"abc\"]}}",
		    "digests./a[0]: bad hex digest" },
		{ "{\"meta\":{\"version\":1},\"digests\":{\"/a\":[\"00112233"
		    "44556677\"]}}", "8 bytes is no digest size" },
		{ "{\"meta\":{\"version\":1},\"digests\":{\"/a\":\"00\"}}",
		    "expected an array of digests, not string" },
		{ "{\"meta\":{\"version\":1},\"verification-keys\":\"{bad\"}",
		    "verification-keys (string at byte offset" },
		{ "{\"meta\":{\"version\":1},\"verification-keys\":\"{}\"}",
		    "\"pubkeys\" array in the string at byte offset 42" },
		{ "{\"meta\":{\"version\":1},\"verification-keys\":"
		    "\"{\\\"pubkeys\\\":[\\\"!!\\\"]}\"}",
		    "pubkeys[0] is not a base64 DER public key (at byte offset "
		    "12 of the string at byte offset 42)" },
		{ "{\"meta\":{\"version\":1},\"verification-keys\":"
		    "\"{\\\"pubkeys\\\":[],\\\"pubkeys\\\":[]}\"}",
		    "verification-keys (string at byte offset 42): JSON: member "
		    "name \"pubkeys\" repeated at byte offset 14" },
		{ "{\"meta\":{\"version\":1},\"verification-keys\":"
		    "\"{\\\"pubkeys\\\":[],\\\"keyids\\\":{}}\"}",
		    "\"keyids\" is not an array in the string at byte offset "
		    "42" },
		/* Repeated member names, at every level. */
		{ "{\"version\":1,\"allow_unlisted\":false,"
		    "\"allow_unlisted\":true}", "IMA policy: JSON: member name "
		    "\"allow_unlisted\" repeated at byte offset 36" },
		{ "{\"version\":1,\"digests\":{\"/a\":[],\"/a\":[]}}",
		    "member name \"/a\" repeated at byte offset 32" },
		{ "{\"meta\":{\"version\":1,\"version\":2}}",
		    "member name \"version\" repeated at byte offset 21" },
		{ "{\"meta\":{\"version\":1},\"ima\":{\"log_hash_alg\":"
		    "\"sha1\",\"log_hash_alg\":\"md5\"}}",
		    "member name \"log_hash_alg\" repeated" },
		/* "comment" is a string only. */
		{ "{\"version\":1,\"comment\":[0]}",
		    "comment: expected a string, not array, at byte offset 23" },
		{ "{\"version\":1,\"comment\":{}}",
		    "comment: expected a string, not object" },
		/* SHA3 digests have their sizes. */
		{ "{\"version\":1,\"digests\":{\"/a\":\"sha3-256:00\"}}",
		    "expected 32 bytes of hex after \"sha3-256:\"" },
		{ "{\"version\":1,\"digests\":{\"/a\":\"sha3-224:00\"}}",
		    "unknown digest algorithm \"sha3-224\"" },
		{ "{\"meta\":{\"version\":1},\"verification-keys\":7}",
		    "verification-keys: expected a string" },
		{ "{\"meta\":{\"version\":1},\"ima\":{\"log_hash_alg\":"
		    "\"md5\"}}", "ima.log_hash_alg" },
		{ "{\"meta\":{\"version\":1},\"ima\":{\"ignored_keyrings\":"
		    "\"x\"}}", "ima.ignored_keyrings: expected an array" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		policy_bad(cases[i].json, strlen(cases[i].json), cases[i].want);
	/* Length is honoured: valid text cut short, bytes after the end. */
	policy_bad("{\"version\":1}", 5, "JSON");
	policy_bad("{\"version\":1}\0garbage", 21, "trailing data");
}
END_TEST

START_TEST(test_oversize)
{
	char *json, *p;
	size_t i, cap = 1 << 20;

	json = malloc(cap);
	ck_assert_ptr_nonnull(json);

	/* Too many digests for one path. */
	p = json + sprintf(json, "{\"version\":1,\"digests\":{\"/a\":[");
	for (i = 0; i < IMA_POLICY_DIGESTS_MAX + 1; i++)
		p += sprintf(p, "%s\"sha1:%s\"", i ? "," : "",
		    hexrep("01", 20));
	strcpy(p, "]}}");
	policy_bad(json, strlen(json), "more than 64 digests");

	/* A name longer than IMA_POLICY_NAME_MAX. */
	p = json + sprintf(json, "{\"version\":1,\"digests\":{\"/");
	memset(p, 'a', 5000);
	p += 5000;
	strcpy(p, "\":[]}}");
	policy_bad(json, strlen(json), "name of 5001 bytes");

	/* Too many exclude patterns, and patterns too long in all. */
	p = json + sprintf(json, "{\"version\":1,\"excludes\":[");
	for (i = 0; i < IMA_POLICY_EXCLUDES_MAX + 1; i++)
		p += sprintf(p, "%s\"/x%zu\"", i ? "," : "", i);
	strcpy(p, "]}");
	policy_bad(json, strlen(json), "excludes: more than 1024 patterns at "
	    "byte offset 24");
	p = json + sprintf(json, "{\"version\":1,\"excludes\":[");
	for (i = 0; i < 100; i++) {
		p += sprintf(p, "%s\"/", i ? "," : "");
		memset(p, 'b', 1000);
		p += 1000;
		*p++ = '"';
	}
	strcpy(p, "]}");
	policy_bad(json, strlen(json), "excludes[65]: patterns longer than "
	    "65536 bytes in all at byte offset 65285");
	/* Patterns that would expand too much together. */
	p = json + sprintf(json, "{\"version\":1,\"excludes\":[");
	for (i = 0; i < 30; i++)
		p += sprintf(p, "%s\"/(a+){511}\"", i ? "," : "");
	strcpy(p, "]}");
	policy_bad(json, strlen(json), "would expand to more than 262144");

	/* Too many keys, too many ignored keyrings. */
	p = json + sprintf(json, "{\"version\":1,\"keys\":[");
	for (i = 0; i < IMA_POLICY_KEYS_MAX + 1; i++)
		p += sprintf(p, "%s\"\"", i ? "," : "");
	strcpy(p, "]}");
	policy_bad(json, strlen(json), "keys: more than 256 keys at byte "
	    "offset 20");
	p = json + sprintf(json, "{\"version\":1,\"ignored_keyrings\":[");
	for (i = 0; i < IMA_POLICY_IGNORED_MAX + 1; i++)
		p += sprintf(p, "%s\"k%zu\"", i ? "," : "", i);
	strcpy(p, "]}");
	policy_bad(json, strlen(json), "ignored_keyrings: more than 256 "
	    "keyrings at byte offset 32");

	/* Deep nesting is stopped by the JSON reader. */
	p = json + sprintf(json, "{\"version\":1,\"comment\":");
	for (i = 0; i < 1000; i++)
		*p++ = '[';
	*p = '\0';
	policy_bad(json, strlen(json), "nesting too deep");
	free(json);
}
END_TEST

START_TEST(test_refcount)
{
	char json[512];
	struct ima_policy *pol;
	struct ima_appraiser *a, *b;
	struct tentry t;
	uint8_t d[32];

	snprintf(json, sizeof(json), "{\"version\":1,\"digests\":"
	    "{\"/bin/sh\":\"sha256:%s\"},\"excludes\":[\"/tmp/\"]}",
	    hexrep("11", 32));
	pol = policy_ok(json);
	ck_assert_ptr_eq(ima_policy_ref(pol), pol);
	ima_policy_unref(pol);
	a = ima_appraiser_new(pol);
	b = ima_appraiser_new(pol);
	/* The parser's reference goes first; the appraisers keep it alive. */
	ima_policy_unref(pol);
	fill(d, 32, 0x11);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/bin/sh");
	expect_pass(a, &t);
	expect_pass(b, &t);
	ima_appraiser_free(a);
	expect_pass(b, &t);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp/x");
	expect_pass(b, &t);
	ima_appraiser_free(b);
	/* NULL is harmless. */
	ima_policy_unref(NULL);
	ima_appraiser_free(NULL);
	ck_assert_ptr_null(ima_appraiser_new(NULL));
}
END_TEST

START_TEST(test_reason_bounds)
{
	char json[512], reason[40], path[400];
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	uint8_t d[64];
	int rc;

	snprintf(json, sizeof(json), "{\"version\":1}");
	pol = policy_ok(json);
	a = ima_appraiser_new(pol);
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	fill(d, 64, 0x12);
	mk_file(&t, "ima-ng", "sha512", d, 64, path);
	/* A short reason buffer is truncated, NUL ended. */
	memset(reason, 'Z', sizeof(reason));
	rc = ima_appraise_entry(a, &t.e, reason, sizeof(reason));
	ck_assert_int_eq(rc, RIV_FAIL);
	ck_assert_uint_eq(strlen(reason), sizeof(reason) - 1);
	/* No reason buffer at all. */
	ck_assert_int_eq(ima_appraise_entry(a, &t.e, NULL, 0), RIV_FAIL);
	/* Long names are cut with "...", control characters replaced. */
	t.name[3] = '\n';
	{
		char big[IMA_REASON_MAX];

		rc = ima_appraise_entry(a, &t.e, big, sizeof(big));
		ck_assert_int_eq(rc, RIV_FAIL);
		ck_assert_ptr_nonnull(strstr(big, "/pp?ppp"));
		ck_assert_ptr_nonnull(strstr(big, "..."));
		ck_assert_ptr_null(strchr(big, '\n'));
	}
	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

START_TEST(test_load_file)
{
	char path[] = "/tmp/rivd-ima-policy-XXXXXX";
	struct ima_policy *pol;
	struct riv_err err;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("{\"version\":1,\"digests\":{\"/x\":\"sha1:", f);
	fputs(hexrep("00", 20), f);
	fputs("\"}}", f);
	fclose(f);
	pol = ima_policy_load(path, &err);
	ck_assert_msg(pol != NULL, "%s", err.msg);
	ck_assert_uint_eq(ima_policy_paths(pol), 1);
	ima_policy_unref(pol);
	f = fopen(path, "w");
	fputs("{\"version\":1,\"nope\":1}", f);
	fclose(f);
	ck_assert_ptr_null(ima_policy_load(path, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown member \"nope\""));
	unlink(path);
	ck_assert_ptr_null(ima_policy_load(path, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, path));
}
END_TEST

/* A larger policy: every path found, none confused (hash collisions). */
START_TEST(test_many_paths)
{
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	char *json, *p, name[64];
	uint8_t d[32];
	size_t i, n = 20000;

	json = malloc(n * 110 + 64);
	ck_assert_ptr_nonnull(json);
	p = json + sprintf(json, "{\"version\":1,\"digests\":{");
	for (i = 0; i < n; i++) {
		memset(d, 0, sizeof(d));
		memcpy(d, &i, sizeof(i));
		p += sprintf(p, "%s\"/usr/lib/f%zu\":\"sha256:", i ? "," : "",
		    i);
		hex_encode(d, 32, p);
		p += 64;
		*p++ = '"';
	}
	strcpy(p, "}}");
	pol = policy_ok(json);
	free(json);
	ck_assert_uint_eq(ima_policy_paths(pol), n);
	a = ima_appraiser_new(pol);
	for (i = 0; i < n; i++) {
		memset(d, 0, sizeof(d));
		memcpy(d, &i, sizeof(i));
		snprintf(name, sizeof(name), "/usr/lib/f%zu", i);
		mk_file(&t, "ima-ng", "sha256", d, 32, name);
		expect_pass(a, &t);
		/* The neighbour's digest is not this path's. */
		d[0] ^= 1;
		mk_file(&t, "ima-ng", "sha256", d, 32, name);
		ck_assert_int_eq(ima_appraise_entry(a, &t.e, NULL, 0),
		    RIV_FAIL);
	}
	ima_appraiser_free(a);
	ima_policy_unref(pol);
}
END_TEST

/*
 * Check the policy reader against json_parse on text: where json_parse
 * refuses it, the policy error must be its error, word for word (same
 * offset); where it accepts it, the policy may only fail on its rules.
 */
static void
same_json_error(const char *text, size_t len)
{
	struct ima_policy *pol;
	struct riv_err err, jerr;
	struct json *doc;
	char want[RIV_ERR_MAX + 16];

	memset(&err, 0, sizeof(err));
	pol = ima_policy_parse(text, len, &err);
	if ((doc = json_parse(text, len, &jerr)) != NULL) {
		json_free(doc);
		if (pol == NULL)
			ck_assert_msg(strstr(err.msg, "JSON:") == NULL,
			    "valid JSON refused as JSON: %s", err.msg);
		ima_policy_unref(pol);
		return;
	}
	ck_assert_msg(pol == NULL, "policy accepted: %.*s", (int)len, text);
	snprintf(want, sizeof(want), "IMA policy: %s", jerr.msg);
	ck_assert_msg(strcmp(err.msg, want) == 0, "\"%s\" is not \"%s\" "
	    "for %.*s", err.msg, want, (int)len, text);
}

/*
 * The maps are read without a tree: every prefix and many one-byte changes
 * of policies of both formats give json_parse's error at the same offset,
 * or a policy error, never a crash.
 */
START_TEST(test_reader_errors)
{
	static const char subst[] = "\"\\{}[],: 0a\x01\x7f\xc3\xff";
	char text[2048], *m;
	size_t i, k, j, len;

	for (k = 0; k < 2; k++) {
		if (k == 0)
			snprintf(text, sizeof(text), "{\"meta\": {\"version\": "
			    "1}, \"digests\": {\"/a\": [\"%s\", \"%s\"], "
			    "\"/b\\u00e9\\/c\": [\"%s\"], \"\": [], \"/d\": "
			    "[1, {\"x\": [true, null]}]}, \"keyrings\": "
			    "{\".ima\": [\"%s\"]}, \"ima-buf\": {}, "
			    "\"excludes\": [\"/tmp/.*\"], \"release\": "
			    "-1.5e+3}", hexrep("11", 32), hexrep("22", 20),
			    hexrep("33", 32), hexrep("44", 20));
		else
			snprintf(text, sizeof(text), "{\"version\": 1, "
			    "\"digests\": {\"/a\": \"sha256:%s\", \"/b\": "
			    "[\"sha1:%s\", \"sha256:%s\"]}, "
			    "\"boot_aggregate\": [\"sha1:%s\"], \"ima-buf\": "
			    "{\"x\": \"sha1:%s\"}}", hexrep("11", 32),
			    hexrep("22", 20), hexrep("33", 32),
			    hexrep("44", 20), hexrep("55", 20));
		len = strlen(text);
		for (i = 0; i < len; i++)
			same_json_error(text, i);
		if ((m = malloc(len)) == NULL)
			ck_abort_msg("out of memory");
		for (i = 0; i < len; i++)
			for (j = 0; j < sizeof(subst) - 1; j++) {
				memcpy(m, text, len);
				m[i] = subst[j];
				same_json_error(m, len);
			}
		free(m);
	}
}
END_TEST

/*
 * Many paths with several digests each, found after the table has grown
 * many times; paths that differ in one byte, a long path, escaped names,
 * excludes beside them; a Keylime policy whose "meta" comes last.
 */
START_TEST(test_streamed_paths)
{
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	char *json, path[IMA_POLICY_NAME_MAX + 1];
	uint8_t d[32];
	size_t i, n = 20000, len = 0, cap = n * 200 + 3 * 4200;

	ck_assert_ptr_nonnull(json = malloc(cap));
	len += (size_t)snprintf(json + len, cap - len, "{\"digests\": {");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(json + len, cap - len, "\"/p/%zu\": "
		    "[\"%s\", \"%s\"%s], ", i, hexrep(i % 2 ? "ab" : "cd", 32),
		    hexrep("ee", 20), i % 3 ? "" : ", \"0102030405060708090a0b0c"
		    "0d0e0f1011121314\"");
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	len += (size_t)snprintf(json + len, cap - len, "\"%.*s\": [\"%s\"], "
	    "\"\\/esc\\u0061ped\": [\"%s\"]}, \"excludes\": [\"/tmp/.*\"], "
	    "\"meta\": {\"version\": 1}}", IMA_POLICY_NAME_MAX, path,
	    hexrep("77", 32), hexrep("88", 32));
	pol = policy_ok(json);
	ck_assert_int_eq(ima_policy_format(pol), IMA_POLICY_KEYLIME);
	ck_assert_uint_eq(ima_policy_paths(pol), n + 2);
	ck_assert_ptr_nonnull(a = ima_appraiser_new(pol));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/p/%zu", i);
		fill(d, 32, i % 2 ? 0xab : 0xcd);
		mk_file(&t, "ima-ng", "sha256", d, 32, path);
		expect_pass(a, &t);
		fill(d, 20, 0xee);
		mk_file(&t, "ima-ng", "sha1", d, 20, path);
		expect_pass(a, &t);
		fill(d, 32, i % 2 ? 0xcd : 0xab);
		mk_file(&t, "ima-ng", "sha256", d, 32, path);
		expect_fail(a, &t, "digest not allowed");
	}
	for (i = 0; i < 20; i++)
		d[i] = (uint8_t)(i + 1);
	mk_file(&t, "ima-ng", "sha1", d, 20, "/p/3");
	expect_pass(a, &t);
	mk_file(&t, "ima-ng", "sha1", d, 20, "/p/4");
	expect_fail(a, &t, "digest not allowed");
	fill(d, 32, 0xab);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/p/20000");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/p/1/");
	expect_fail(a, &t, "path not in policy");
	mk_file(&t, "ima-ng", "sha256", d, 32, "/tmp/p/1");
	expect_pass(a, &t);
	fill(d, 32, 0x88);
	mk_file(&t, "ima-ng", "sha256", d, 32, "/escaped");
	expect_pass(a, &t);
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	free(json);
}
END_TEST

/*
 * The rules on a map, applied after the whole text was read, in their
 * order: the shape of any name's list before the digests of an earlier
 * one; duplicate and over-long names; the native boot_aggregate twice.
 */
START_TEST(test_streamed_rules)
{
	char json[16384], many[65 * 70];
	size_t i, n = 0;

	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": {\"/a\": "
	    "[\"zz\"], \"/b\": \"11\"}}", "digests./b: expected an array of "
	    "digests, not string, at byte offset 57");
	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": {\"/a\": "
	    "[\"zz\"], \"/b\": [\"11\"]}}", "digests./a[0]: bad hex digest at "
	    "byte offset 44");
	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": {\"/a\": "
	    "[\"11\"], \"/a\": [\"22\"]}}",
	    "JSON: member name \"/a\" repeated at byte offset 51");
	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": {\"/a\": "
	    "[\"11\"], \"\\/a\": [\"22\"]}}",
	    "JSON: member name \"/a\" repeated at byte offset 51");
	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": {\"/a\": "
	    "[\"11\", 7]}}", "digests./a[0]: 1 bytes is no digest size at "
	    "byte offset 44");
	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": {\"/a\": "
	    "[7]}}", "digests./a[0]: expected a string, not number, at byte "
	    "offset 44");
	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": {\"\": "
	    "[]}}", "digests: name of 0 bytes (1 to 4096) at byte offset 41");
	policy_bad_str("{\"meta\": {\"version\": 1}, \"digests\": []}",
	    "digests: expected an object, not array, at byte offset 36");
	policy_bad_str("{\"digests\": {\"/a\": [\"11\"]}}", "neither a rivd "
	    "policy");
	policy_bad_str("{\"version\": 1, \"digests\": {\"boot_aggregate\": "
	    "\"sha1:00\"}, \"boot_aggregate\": \"sha1:00\"}",
	    "digests.boot_aggregate[0]: expected 20 bytes of hex");
	snprintf(json, sizeof(json), "{\"version\": 1, \"digests\": "
	    "{\"boot_aggregate\": \"sha1:%s\"}, \"boot_aggregate\": "
	    "\"sha1:%s\"}", hexrep("00", 20), hexrep("00", 20));
	policy_bad_str(json, "boot_aggregate: listed twice");
	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s\"%s\"",
		    i ? ", " : "", hexrep("12", 20));
	snprintf(json, sizeof(json), "{\"meta\": {\"version\": 1}, "
	    "\"digests\": {\"/a\": [\"zz\"], \"/b\": [%s]}}", many);
	policy_bad_str(json, "digests./b: more than 64 digests at byte "
	    "offset 57");
	memset(json, 0, sizeof(json));
	n = (size_t)snprintf(json, sizeof(json), "{\"meta\": {\"version\": 1}, "
	    "\"digests\": {\"/");
	memset(json + n, 'y', IMA_POLICY_NAME_MAX);
	snprintf(json + n + IMA_POLICY_NAME_MAX, sizeof(json) - n -
	    IMA_POLICY_NAME_MAX, "\": []}}");
	policy_bad_str(json, "digests: name of 4097 bytes (1 to 4096)");
}
END_TEST

/* The digest of path i of test_unlisted_paths. */
static void
many_digest(size_t i, uint8_t *d)
{
	memset(d, 0x5a, 32);
	d[0] = (uint8_t)i;
	d[1] = (uint8_t)(i >> 8);
}

/*
 * The filter of names a policy lacks (ima_policy.c, struct table) never
 * hides a listed name: with thousands of paths (the table and its filter
 * grow many times), every path is found with its digest and refused
 * with another, and as many paths it lacks, some differing by one
 * character, are refused as unlisted.
 */
START_TEST(test_unlisted_paths)
{
	const size_t n = 5000;
	struct ima_policy *pol;
	struct ima_appraiser *a;
	struct tentry t;
	char path[64], hex[65], *json;
	uint8_t d[32];
	size_t i, len = 0, cap = n * 120 + 64;
	int k;

	ck_assert_ptr_nonnull(json = malloc(cap));
	len += (size_t)snprintf(json, cap, "{\"version\":1,\"digests\":{");
	for (i = 0; i < n; i++) {
		many_digest(i, d);
		hex_encode(d, 32, hex);
		k = snprintf(json + len, cap - len, "%s\"/opt/p/%zu\":"
		    "\"sha256:%s\"", i > 0 ? "," : "", i, hex);
		len += (size_t)k;
	}
	snprintf(json + len, cap - len, "}}");
	pol = policy_ok(json);
	ck_assert_uint_eq(ima_policy_paths(pol), n);
	ck_assert_ptr_nonnull(a = ima_appraiser_new(pol));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/opt/p/%zu", i);
		many_digest(i, d);
		mk_file(&t, "ima-ng", "sha256", d, 32, path);
		expect_pass(a, &t);
		d[31] ^= 1;
		mk_file(&t, "ima-ng", "sha256", d, 32, path);
		expect_fail(a, &t, "digest not allowed");
		snprintf(path, sizeof(path), "/opt/q/%zu", i);
		mk_file(&t, "ima-ng", "sha256", d, 32, path);
		expect_fail(a, &t, "path not in policy");
		snprintf(path, sizeof(path), "/opt/p/%zu", i + n);
		mk_file(&t, "ima-ng", "sha256", d, 32, path);
		expect_fail(a, &t, "path not in policy");
	}
	ima_appraiser_free(a);
	ima_policy_unref(pol);
	free(json);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ima_policy");
	TCase *tc = tcase_create("policy");
	TCase *sig = tcase_create("signatures");

	tcase_add_test(tc, test_native_digests);
	tcase_add_test(tc, test_unlisted_paths);
	tcase_add_test(tc, test_keylime_policy);
	tcase_add_test(tc, test_excludes);
	tcase_add_test(tc, test_pattern_limits);
	tcase_add_test(tc, test_violations);
	tcase_add_test(tc, test_boot_aggregate);
	tcase_add_test(tc, test_boot_aggregate_corpus);
	tcase_add_test(tc, test_allow_unlisted);
	tcase_add_test(tc, test_ima_buf);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_reason_bounds);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_many_paths);
	tcase_add_test(tc, test_reader_errors);
	tcase_add_test(tc, test_streamed_paths);
	tcase_add_test(tc, test_streamed_rules);
	tcase_set_timeout(tc, 60);
	tcase_add_test(sig, test_sig_rsa);
	tcase_add_test(sig, test_sig_ec);
	tcase_add_test(sig, test_keyring_learned);
	tcase_add_test(sig, test_keylime_vkeys);
	tcase_add_test(sig, test_pem_strict);
	tcase_add_test(sig, test_appraiser_state);
	tcase_add_test(tc, test_registry);
	tcase_set_timeout(sig, 60);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, sig);
	return run_suite(s);
}
