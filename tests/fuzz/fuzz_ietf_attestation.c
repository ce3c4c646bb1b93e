/*
 * fuzz_ietf_attestation.c — libFuzzer target for rivd's decoder of the
 * stream `attestation` of draft-ietf-rats-network-device-subscription-13
 * (streams/ietf_attestation.c): each message of the input is taken as
 * rivd's session takes it (message_take): pcr-extend and
 * tpm20-attestation notifications are read by xdoc.c (what it refuses by
 * libyang, whose canonical print xdoc.c reads again; the harness checks
 * that xdoc.c takes nothing libyang refuses) and handed to the appraiser
 * (ietf_evidence), replay-completed to sub_notification: attested events
 * and their RFC 9684 bios/ima details replayed into the subscription's
 * bank, quotes parsed and checked against the TPM's AK, the nonce, the
 * TPM clock, the replay and the unsigned values, up to the verdict the
 * store receives.
 * notif_harness.c says how the input is split and what is faked (the
 * subscription's nonce is all zero here).  Seeds (tests/fuzz/seeds/
 * ietf_attestation): notifications of tests/rivd_ietf.py's devices.
 */
#include <stdint.h>

#include "notif_harness.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Take the input as the messages of an attester's session. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return notif_harness_run(STREAM_ATTESTATION, data, size);
}
