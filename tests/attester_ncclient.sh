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
BIOS=$RIV_CORPUS/bios/go-tpm-tools__ubuntu-2104-no-secure-boot.bin
case $BIOS in /*) ;; *) BIOS=$(pwd)/$BIOS ;; esac
[ -r "$BIOS" ] || die "no boot log $BIOS (set RIV_CORPUS)"
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
if kill -0 "$ATT_PID" 2>/dev/null; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: riv-attester is no longer running"
	tail -20 "$ATT_LOG"
fi
# Every session's socket must be known (the send watchdog needs it).
if grep -q 'its socket is unknown' "$ATT_LOG"; then
	nfail=$((nfail + 1))
	echo "FAIL: a session's socket was not found"
	grep 'its socket is unknown' "$ATT_LOG" | head -3
else
	npass=$((npass + 1))
fi
# Stop it now, so that a sanitizer's exit report lands in its log.
stop_attester
if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$ATT_LOG"; then
	nfail=$((nfail + 1))
	echo "FAIL: sanitizer report in the attester log"
	grep -E -A12 'AddressSanitizer|runtime error:|LeakSanitizer' \
	    "$ATT_LOG" | head -40
else
	npass=$((npass + 1))
fi
if [ "$nfail" -ne 0 ]; then
	echo "attester log (last 30 lines):"
	tail -30 "$ATT_LOG" | sed 's/^/  /'
fi
finish
