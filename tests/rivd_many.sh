#!/bin/sh
# rivd_many.sh — one rivd, twenty attesters at once (a software TPM and a
# riv-attester each, over TLS on loopback): every attester's streams pass,
# a PCR tampered on one of them fails that one only, and one attester
# going away costs only its own verdicts.
# Exit 77 (skip) without swtpm, yanglint or ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"

need_tools
need_bios
N=${RIVD_MANY:-20}

make_pki
k=1
while [ $k -le $N ]; do
	start_device "d$k" rp0 -- --bios-log "$BIOS"
	k=$((k + 1))
done
conf_begin "$TMP/rivd.xml"
k=1
while [ $k -le $N ]; do
	conf_attester "d$k" '<subscription><stream>pcr-trust-evidence</stream><period>100</period><on-change/></subscription>
    <subscription><stream>bios-log</stream><period>200</period></subscription>
    <subscription><stream>ima-log</stream><period>200</period></subscription>'
	k=$((k + 1))
done
conf_end
start_rivd "$TMP/rivd.xml"

check_all_pass() {
	wait_verdicts "$N" "v['stream'] == '$1' and v['result'] == 'pass' and \
v['sequence'] >= $2" "$1 passes on every attester" 60
	check_verdicts "len({v['attester'] for v in vs if v['stream'] == \
'$1' and v['result'] == 'pass'}) == $N" "$1: every attester has a pass"
}
check_all_pass pcr-trust-evidence 2
check_all_pass bios-log 1
check_all_pass ima-log 1
check_verdicts "all(v['result'] == 'pass' for v in vs)" \
    "$N attesters: nothing but passes"

# Tamper with d7: only d7's bios-log fails.
n0=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
dev_ctl d7 tamper 2 >/dev/null || die "tamper"
wait_verdicts 1 "v['attester'] == 'd7' and v['stream'] == 'bios-log' and \
v['result'] == 'fail'" "the tampered attester fails"
# One attester goes away: its heartbeat and reconnection are its own.
stop_device d3
sleep 3
check_verdicts "all(v['result'] == 'pass' for v in vs[$n0:] \
if v['attester'] not in ('d7', 'd3'))" "the other attesters keep passing"
check_verdicts "len({v['attester'] for v in vs[$n0:] if v['result'] == \
'pass'}) >= $N - 2" "every other attester got verdicts meanwhile"

check_rivd_alive
stop_rivd
check_sanitizers
[ "$nfail" -eq 0 ] || tail -20 "$RIVD_LOG"
finish
