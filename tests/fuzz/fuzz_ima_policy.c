/*
 * fuzz_ima_policy.c — libFuzzer target for the IMA runtime policy reader
 * (native and Keylime formats); a policy that parses appraises a few fixed
 * entries (file, boot_aggregate with and without quoted PCRs, violation,
 * ima-buf buffer and key, ima-sig, fs-verity signature), and the state its
 * appraiser writes must restore into another appraiser of the policy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Write an appraiser's state and restore it into a new one: must work. */
static void
state_round_trip(struct ima_policy *pol, const struct ima_appraiser *a)
{
	struct ima_appraiser *b;
	struct riv_err err;
	struct json *doc;
	char *text = NULL;
	size_t len;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	ima_appraiser_write(f, a);
	if (fclose(f) != 0) {
		free(text);
		return;
	}
	if ((doc = json_parse(text, len, &err)) == NULL)
		abort();
	if ((b = ima_appraiser_new(pol)) != NULL) {
		if (ima_appraiser_from_json(b, doc, &err) != RIV_OK ||
		    ima_appraiser_keys(b) != ima_appraiser_keys(a))
			abort();
		ima_appraiser_free(b);
	}
	json_free(doc);
	free(text);
}

/* Appraise the fixed entries with a fresh appraiser. */
static void
appraise_all(struct ima_policy *pol)
{
	static struct pcrset pcrs;
	static const uint8_t sig[] = { 3, 2, 4, 0x12, 0x34, 0x56, 0x78, 0, 4,
	    1, 2, 3, 4 };
	static const uint8_t sig3[] = { 6, 3, 4, 0, 0, 0, 0, 0, 1, 0x30 };
	static const uint8_t buf[] = "6.1.0-rivd";
	char reason[IMA_REASON_MAX];
	struct ima_appraiser *a;
	struct ima_entry e;
	uint8_t d[IMA_DIGEST_MAX];

	unsigned i;

	if ((a = ima_appraiser_new(pol)) == NULL)
		return;
	set_entry(&e, d, "ima-ng", "sha1", 20, 0, "boot_aggregate");
	e.index = 0;
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	/* With quoted PCRs 0-9 (all 0x01) of banks sha1 and sha256. */
	pcrset_init(&pcrs);
	memset(d, 1, sizeof(d));
	for (i = 0; i < 10; i++) {
		pcrset_set(&pcrs, BANK_SHA1, i, d);
		pcrset_set(&pcrs, BANK_SHA256, i, d);
	}
	ima_appraiser_set_pcrs(a, &pcrs);
	set_entry(&e, d, "ima-ng", "sha256", 32, 0x11, "boot_aggregate");
	e.index = 0;
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	set_entry(&e, d, "ima", "", 20, 0x11, "boot_aggregate");
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
	strcpy(e.digest_type, "verity");
	ima_appraise_entry(a, &e, NULL, 0);
	set_entry(&e, d, "ima-ng", "sha256", 32, 0x11, "/tmp/a\nb");
	ima_appraise_entry(a, &e, reason, sizeof(reason));
	state_round_trip(pol, a);
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
