/*
 * fuzz_ima_policy.c — libFuzzer target for the IMA runtime policy reader
 * (native and Keylime formats); a policy that parses appraises a few fixed
 * entries (file, boot_aggregate, violation, ima-buf buffer and key, ima-sig).
 */
#include <stdint.h>
#include <string.h>

#include "ima_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Fill an entry with a name, an algorithm and a digest of one byte value. */
static void
set_entry(struct ima_entry *e, uint8_t *d, const char *tmpl, const char *algo,
    size_t dlen, uint8_t v, const char *name)
{
	memset(e, 0, sizeof(*e));
	memset(d, v, dlen);
	strncpy(e->template_name, tmpl, sizeof(e->template_name) - 1);
	strncpy(e->file_algo, algo, sizeof(e->file_algo) - 1);
	e->file_digest = d;
	e->file_digest_len = dlen;
	e->path = name;
	e->path_len = strlen(name);
	e->index = 1;
}

/* Appraise the fixed entries with a fresh appraiser. */
static void
appraise_all(struct ima_policy *pol)
{
	static const uint8_t sig[] = { 3, 2, 4, 0x12, 0x34, 0x56, 0x78, 0, 4,
	    1, 2, 3, 4 };
	static const uint8_t sig3[] = { 6, 3, 4, 0, 0, 0, 0, 0, 1, 0x30 };
	static const uint8_t buf[] = "6.1.0-rivd";
	char reason[IMA_REASON_MAX];
	struct ima_appraiser *a;
	struct ima_entry e;
	uint8_t d[IMA_DIGEST_MAX];

	if ((a = ima_appraiser_new(pol)) == NULL)
		return;
	set_entry(&e, d, "ima-ng", "sha1", 20, 0, "boot_aggregate");
	e.index = 0;
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	set_entry(&e, d, "ima-ng", "sha256", 32, 0x11, "/usr/bin/foo");
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	set_entry(&e, d, "ima", "", 20, 0x22, "/tmp/x");
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	set_entry(&e, d, "ima-ng", "sm3", 32, 0, "/var/log/x");
	e.violation = 1;
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	set_entry(&e, d, "ima-buf", "sha256", 32, 0x55, "kernel_version");
	e.buf = buf;
	e.buf_len = sizeof(buf) - 1;
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	set_entry(&e, d, "ima-buf", "sha256", 32, 0x66, ".ima");
	e.buf = buf;
	e.buf_len = sizeof(buf) - 1;
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	set_entry(&e, d, "ima-sig", "sha256", 32, 0x77, "/usr/bin/signed");
	e.sig = sig;
	e.sig_len = sizeof(sig);
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	e.sig = sig3;
	e.sig_len = sizeof(sig3);
	ima_appraise_entry(a, &e, NULL, 0);
	ima_appraiser_free(a);
}

/* Parse the input as a policy and, if it parses, appraise with it. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ima_policy *pol;
	struct riv_err err;

	if ((pol = ima_policy_parse((const char *)data, len, &err)) == NULL)
		return 0;
	appraise_all(pol);
	ima_policy_unref(pol);
	return 0;
}
