#!/bin/sh
# attester_stall.sh — one thread serves every session of riv-attester, and
# libnetconf2 writes a notification until it is all out: a client that
# stops reading must be cut off after --send-timeout (here 1 s) so that
# the other subscribers keep their period.  attester_stall.py runs a raw
# SSH client that subscribes and never reads next to an ncclient
# subscriber, and checks the latter's arrival times.
# Exit 77 (skip) if swtpm, yanglint or ncclient is missing.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"

need_tools
/usr/bin/python3 -c 'import paramiko' 2>/dev/null || {
	echo "skip: python3-paramiko is missing"
	exit 77
}
make_pki
start_swtpm rp0
# shellcheck disable=SC2154
start_attester --tpm "rp0=$TCTI_rp0" --send-timeout 1000

mkdir -p "$TMP/client" || die "mkdir"
run_client attester_stall.py "$TMP/client"

if grep -q "notification not sent" "$ATT_LOG"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the attester did not log the send that timed out"
fi
check_attester_alive
attester_finish
