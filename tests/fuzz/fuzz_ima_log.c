/*
 * fuzz_ima_log.c — libFuzzer target for rivd's ima-log notifications: each
 * message of the input is parsed by libyang as rivd's session does and
 * taken by sub_notification (nonce chain, then per TPM entry the binary
 * IMA records from first-event-number replayed and appraised against an
 * IMA policy, the quote, the replay against the quoted PCR 10) up to the
 * verdict and saved replay state the store receives.  notif_harness.c says
 * how the input is split and what is faked.  Seeds (tests/fuzz/seeds/
 * ima_log): notifications captured from riv-attester with the harness's
 * AKs and nonce seed, a list's chunks and quotes as one stream, and hostile
 * variants.
 */
#include <stdint.h>

#include "notif_harness.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Take the input as the messages of an attester's session. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return notif_harness_run(STREAM_IMA, data, size);
}
