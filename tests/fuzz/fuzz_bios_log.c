/*
 * fuzz_bios_log.c — libFuzzer target for rivd's bios-log notifications:
 * each message of the input is parsed by libyang as rivd's session does and
 * taken by sub_notification (nonce chain, then per TPM entry the raw
 * boot-log events from first-event-number fed to the incremental parser,
 * log-restarted, the quote, the replayed PCRs against the reported and
 * quoted ones, reference values) up to the verdict and saved parser state
 * the store receives.  notif_harness.c says how the input is split and what
 * is faked.  Seeds (tests/fuzz/seeds/bios_log): notifications captured from
 * riv-attester with the harness's AKs and nonce seed, a boot log's chunks
 * and its quote as one stream, and hostile variants.
 */
#include <stdint.h>

#include "notif_harness.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Take the input as the messages of an attester's session. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return notif_harness_run(STREAM_BIOS, data, size);
}
