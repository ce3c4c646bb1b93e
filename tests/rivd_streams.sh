#!/bin/sh
# rivd_streams.sh — rivd against a swtpm-backed riv-attester (two route
# processors) over TLS on loopback, with a real SQLite store: the pass path
# of every stream, then what rivd must catch or survive (a quote signed by
# another AK, an IMA entry the policy refuses, a PCR extended behind the
# logs' back, a reboot, a switchover, a dropped connection) and the
# verdicts each gets.
# Exit 77 (skip) without swtpm, yanglint or ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"

need_tools
need_bios

make_pki
start_device r1 rp0 rp1 -- --bios-log "$BIOS"
start_proxy r1

# Reference values: PCRs 0-7 (SHA-256) as the boot log replays them.
write_reference "$TMP/reference.json" "$BIOS"
# An IMA policy that allows /bin/true and nothing else the tests run.
write_policy "$TMP/policy.json"

SUBS='<subscription><stream>pcr-trust-evidence</stream><period>100</period>
      <on-change/><device-event xmlns:ras="urn:rivd:params:xml:ns:yang:riv-attestation-streams">ras:switchover</device-event>
      <device-event xmlns:ras="urn:rivd:params:xml:ns:yang:riv-attestation-streams">ras:software-upgrade</device-event></subscription>
    <subscription><stream>bios-log</stream><period>100</period></subscription>
    <subscription><stream>ima-log</stream><period>100</period><on-change/></subscription>'
conf_begin "$TMP/rivd.xml"
conf_attester r1 "$SUBS
    <reference-values>$TMP/reference.json</reference-values>
    <ima-policy>$TMP/policy.json</ima-policy>" r1 "$PROXY_PORT_r1"
# The same device, but rivd holds the other TPM's AK for rp0.
conf_attester r1 '<subscription><stream>pcr-trust-evidence</stream>
    <period>100</period></subscription>' wrong-ak
conf_end
# Logs come in chunks of 5 entries: a restart spans several notifications.
sed -i 's|<limits>|<limits><max-entries>5</max-entries>|' "$TMP/rivd.xml"
$PY - "$TMP/rivd.xml" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
i = t.index("<name>wrong-ak</name>")
head, tail = t[:i], t[i:]
tail = re.sub(r"(<tpm><name>rp0</name><ak>)([^<]*)rp0-ak.pub",
              r"\g<1>\g<2>rp1-ak.pub", tail, count=1)
open(sys.argv[1], "w").write(head + tail)
EOF
start_rivd "$TMP/rivd.xml"

IS_R1="v['attester'] == 'r1'"
# Pass path: every stream gets passing verdicts.
for s in pcr-trust-evidence bios-log ima-log; do
	wait_verdicts 3 "$IS_R1 and v['stream'] == '$s' and \
v['result'] == 'pass'" "$s passes"
done
check_verdicts "all(v['result'] == 'pass' for v in vs if $IS_R1)" \
    "nothing but passes before anything happened"

# A quote signed by another TPM's AK than the one configured.
wait_verdicts 2 "v['attester'] == 'wrong-ak' and v['result'] == 'fail' and \
'signature' in v['codes']" "a quote signed by the wrong AK fails"
check_verdicts "not any(v['result'] == 'pass' for v in vs if \
v['attester'] == 'wrong-ak')" "no quote passes with the wrong AK"

# A program the policy allows, then one it does not.
dev_ctl r1 measure /bin/true >/dev/null || die "measure"
sleep 1.5
check_verdicts "all(v['result'] == 'pass' for v in vs if $IS_R1)" \
    "an allowed program passes"
dev_ctl r1 measure /bin/false >/dev/null || die "measure"
wait_verdicts 1 "$IS_R1 and v['stream'] == 'ima-log' and \
v['result'] == 'fail' and 'policy' in v['codes'] and \
any('/bin/false' in r for r in v['reasons'])" \
    "a program the IMA policy does not allow fails, naming the file"

# A PCR extended behind the logs' back.
dev_ctl r1 tamper 4 >/dev/null || die "tamper"
wait_verdicts 1 "$IS_R1 and v['stream'] == 'bios-log' and \
v['result'] == 'fail' and 'log' in v['codes'] and \
any('PCR 4' in r for r in v['reasons'])" \
    "a tampered PCR 4 fails the boot log replay"
wait_verdicts 1 "$IS_R1 and v['stream'] == 'pcr-trust-evidence' and \
v['result'] == 'fail' and 'reference' in v['codes']" \
    "a tampered PCR 4 fails the reference values"

# A reboot: the boot log is appraised again from its start and passes.
n0=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
dev_ctl r1 reboot >/dev/null || die "reboot"
wait_verdicts 1 "$IS_R1 and v['stream'] == 'bios-log' and \
any('was reset' in r for r in v['reasons'])" "the reboot is noticed"
sleep 2
check_verdicts "all(v['result'] == 'pass' for v in vs[$n0:][-9:] if \
$IS_R1)" "after the reboot every stream passes again"
# The restarted logs came in chunks (log-restarted in the first, the
# quote in the last): not one of them may fail.
check_verdicts "all(v['result'] == 'pass' for v in vs[$n0:] if $IS_R1 \
and v['stream'] in ('bios-log', 'ima-log'))" \
    "the restarted logs are appraised chunk by chunk without a failure"

# A switchover: a notification with that trigger, and it passes.
dev_ctl r1 switchover >/dev/null || die "switchover"
wait_verdicts 1 "$IS_R1 and v['stream'] == 'pcr-trust-evidence' and \
v['result'] == 'pass' and 'trigger: switchover (rp0 -> rp1)' in v['reasons']" \
    "a switchover notification arrives and passes"
sleep 2
check_verdicts "all(v['result'] == 'pass' for v in vs[-6:] if $IS_R1)" \
    "after a switchover every stream passes"

# The network drops the session: rivd reconnects, subscribes with new
# seeds and the logs resume where they stood (a resent entry would fail).
n1=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
drop_connections r1
dev_ctl r1 measure /bin/true >/dev/null || die "measure"
wait_verdicts 1 "$IS_R1 and v['stream'] == 'ima-log' and \
v['subscription'] not in {x['subscription'] for x in vs[:$n1] \
if x['stream'] == 'ima-log' and x['attester'] == 'r1'}" \
    "rivd subscribed again after the connection dropped"
sleep 2
check_verdicts "all(v['result'] == 'pass' for v in vs[$n1:] if $IS_R1)" \
    "after the reconnection the logs resume without a gap or a repeat"

check_rivd_alive
stop_rivd
check_sanitizers
finish
