#!/bin/sh
# attester_ncclient.sh — riv-attester seen by a NETCONF client nobody here
# wrote: python3-ncclient over SSH subscribes to pcr-trust-evidence, bios-log
# and ima-log of a device with three software TPMs (rp0 the active route
# processor, rp1 the standby one, lc0 a line card) and checks every
# notification against yang/riv-attestation-streams: the nonce chain, quotes
# verified with rivctl, boot log and IMA list chunks replayed against the
# quotes, device events acted out through the control socket,
# modify/delete/kill, the RFC 8639 errors, and yanglint on every message.
# The checks are in attester_ncclient.py; this script sets up the device.
# Exit 77 (skip) if swtpm, yanglint or ncclient is missing.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"

need_tools
need_bios
RIV_CORPUS=$(cd "$(dirname "$BIOS")/.." && pwd)
export RIV_CORPUS

make_pki
start_swtpm rp0 rp1 lc0
# shellcheck disable=SC2154
start_attester --tpm "rp0=$TCTI_rp0" --tpm "rp1=$TCTI_rp1" \
    --tpm "lc0=$TCTI_lc0" --standby rp1 --bios-log "$BIOS"

mkdir -p "$TMP/client" || die "mkdir"
run_client attester_ncclient.py "$TMP/client"

# The attester must have survived everything the client did to it.
check_attester_alive
# Every session's socket must be known (the send watchdog needs it).
if grep -q 'its socket is unknown' "$ATT_LOG"; then
	nfail=$((nfail + 1))
	echo "FAIL: a session's socket was not found"
	grep 'its socket is unknown' "$ATT_LOG" | head -3
else
	npass=$((npass + 1))
fi
attester_finish
