#!/bin/sh
# attester_ietf.sh — riv-attester's stream `attestation` of
# draft-ietf-rats-network-device-subscription-13 (module
# ietf-tpm-remote-attestation-stream, the patched copy in yang/) seen by
# python3-ncclient over SSH: the first quote with the nonce, pcr-extend
# before the quote that includes it, the marshalling window, the heartbeat,
# replay since boot then replay-completed then a quote (the replayed
# extends reproduce the quoted PCRs), termination on reboot,
# pcr-unsubscribable, RFC 9684's tpm20-challenge-response-attestation and
# log-retrieval, the test-only hostile modes, and yanglint on every message.
# The checks are in attester_ietf.py; this script sets up a device with two
# software TPMs (rp0, the route processor, and lc0, a line card).
# Exit 77 (skip) if swtpm, yanglint or ncclient is missing.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"

need_tools
need_bios

make_pki
start_swtpm rp0 lc0
# shellcheck disable=SC2154
start_attester --tpm "rp0=$TCTI_rp0" --tpm "lc0=$TCTI_lc0" \
    --bios-log "$BIOS" --ietf-heartbeat 6

mkdir -p "$TMP/client" || die "mkdir"
run_client attester_ietf.py "$TMP/client"

check_attester_alive
attester_finish
