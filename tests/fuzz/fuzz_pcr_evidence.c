/*
 * fuzz_pcr_evidence.c — libFuzzer target for rivd's pcr-trust-evidence
 * notifications: each message of the input is parsed by libyang as rivd's
 * session does and taken by sub_notification (nonce chain, then the quote
 * of each TPM entry: quote-data and quote-signature against the TPM's AK,
 * nonce, clock, unsigned-pcr-values against the quoted digest, reference
 * values) up to the verdict the store receives.  notif_harness.c says how
 * the input is split and what is faked.  Seeds (tests/fuzz/seeds/
 * pcr_evidence): notifications captured from riv-attester with the
 * harness's AKs and nonce seed, chains of them, and hostile variants.
 */
#include <stdint.h>

#include "notif_harness.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Take the input as the messages of an attester's session. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return notif_harness_run(STREAM_PCR, data, size);
}
