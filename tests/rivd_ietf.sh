#!/bin/sh
# rivd_ietf.sh — rivd against scripted attesters that publish the stream
# `attestation` of draft-ietf-rats-network-device-subscription-13
# (tests/rivd_ietf.py: NETCONF over TLS, a software TPM with a P-256 AK),
# each breaking one of the draft's rules on purpose: a good one (replay,
# then a quote after each extend), a late quote, a missing heartbeat, a
# pcr-extend after the quote that includes it, extends that do not replay,
# a wrong nonce, a TPM clock that goes back (rivd then challenges), a TPM
# reset on a live subscription (rivd subscribes again with a new nonce).
# Each must get the verdict naming the rule, stored like the project's
# own streams (rivctl verdicts and status show them); yanglint validates
# the messages the scripted attesters sent against the patched module.
# Exit 77 (skip) without openssl, yanglint or python3-cryptography.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
. "$RIV_SRCDIR/tests/rivd_fake.sh"

command -v openssl >/dev/null 2>&1 || { echo "skip: no openssl"; exit 77; }
command -v yanglint >/dev/null 2>&1 || { echo "skip: no yanglint"; exit 77; }
$PY -c "import cryptography" 2>/dev/null ||
    { echo "skip: no python3-cryptography"; exit 77; }

trap '[ -n "$FAKE_PID" ] && stop_pid "$FAKE_PID"
if [ -n "${RIV_IETF_KEEP:-}" ]; then
	mkdir -p "$RIV_IETF_KEEP" && cp -r "$RIVD_LOG" "$IDIR" "$TMP/rivd.xml" \
	    "$RIVD_DB" "$RIV_IETF_KEEP/" 2>/dev/null
fi
rivd_cleanup' EXIT

SCENARIOS="pass late silent after noreplay nonce clockback reset lateread \
fastclock slowclock"
IDIR=$TMP/ietf

# ok CONDITION-RESULT DESCRIPTION
ok() {
	if [ "$1" -eq 0 ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2"
	fi
}

# wait_event SCENARIO EVENT [SECONDS]
wait_event() {
	i=0
	while ! grep -q "^[0-9.]* $1 $2 " "$IDIR/events" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $((${3:-30} * 5)) ] || return 1
		sleep 0.2
	done
	return 0
}

make_pki
# shellcheck disable=SC2086
start_fake rivd_ietf.py "$IDIR" --max-seconds 300 $SCENARIOS

conf_begin "$TMP/rivd.xml"
while read -r name port; do
	hb=""
	[ "$name" = silent ] && hb="<heartbeat>2</heartbeat>"
	cat >>"$TMP/rivd.xml" <<EOF
  <attester><name>$name</name><address>127.0.0.1</address><port>$port</port>
    <tpm><name>tpm0</name><ak>$IDIR/$name-ak.pub</ak></tpm>
    <subscription><stream>attestation</stream>$hb
      <pcr>0</pcr><pcr>1</pcr><pcr>2</pcr><pcr>3</pcr><pcr>4</pcr>
      <pcr>5</pcr><pcr>6</pcr><pcr>7</pcr><pcr>10</pcr></subscription>
  </attester>
EOF
done <"$IDIR/ports"
conf_end

# Configuration: libyang refuses a trigger on the attestation stream.
sed 's|<stream>attestation</stream>|&<period>100</period>|' "$TMP/rivd.xml" \
    >"$TMP/bad.xml"
"$RIVD" -n -y "$RIV_SRCDIR/yang" -c "$TMP/bad.xml" >"$TMP/bad.out" 2>&1
ok $(( $? == 0 )) "a period on the attestation stream is refused"
grep -q "period" "$TMP/bad.out"
ok $? "the refusal names the node: $(head -c 200 "$TMP/bad.out")"
"$RIVD" -n -y "$RIV_SRCDIR/yang" -c "$TMP/rivd.xml" >"$TMP/good.out" 2>&1
ok $? "rivd -n takes the attestation subscriptions: $(cat "$TMP/good.out")"
# The draft's stream has no configured subscriptions: call home refused.
$PY - "$TMP/rivd.xml" "$TMP/bad2.xml" <<'EOF'
import sys
s = open(sys.argv[1]).read()
s = s.replace("<tls>", "<call-home><address>127.0.0.1</address>"
              "</call-home><tls>", 1)
s = s.replace("</port>", "</port><delivery>call-home</delivery>", 1)
open(sys.argv[2], "w").write(s)
EOF
"$RIVD" -n -y "$RIV_SRCDIR/yang" -c "$TMP/bad2.xml" >"$TMP/bad2.out" 2>&1
ok $(( $? == 0 )) "delivery call-home of the attestation stream is refused"
grep -q "use delivery dynamic" "$TMP/bad2.out"
ok $? "the refusal says why: $(head -c 300 "$TMP/bad2.out")"

start_rivd "$TMP/rivd.xml"

A='v["stream"] == "attestation"'
# pass: replay then a quote after each extend; every verdict passes.
wait_verdicts 6 "$A and v['attester'] == 'pass' and v['result'] == 'pass'" \
    "pass: quotes over the replayed extends pass" 40
check_verdicts "not [v for v in vs if v['attester'] == 'pass' and v['result'] != 'pass']" \
    "pass: nothing but passes"
check_verdicts "[v for v in vs if v['attester'] == 'pass' and v['tpm'] == 'tpm0' and len(v.get('nonce') or '') > 0]" \
    "pass: verdicts name the TPM (certificate-name ak-cert-0 -> tpm0) and the nonce"
check_verdicts "sorted(v['sequence'] for v in vs if v['attester'] == 'pass')[:3] == [1, 2, 3]" \
    "pass: the sequence counts the subscription's quotes"
# nonce
wait_verdicts 1 "$A and v['attester'] == 'nonce' and v['result'] == 'fail' and 'nonce' in v['codes']" \
    "nonce: a quote over another nonce fails naming the nonce"
# noreplay
wait_verdicts 1 "$A and v['attester'] == 'noreplay' and v['result'] == 'fail' and 'replay' in v['codes'] and any('PCR 10' in r for r in v['reasons'])" \
    "noreplay: extends that do not replay fail naming PCR 10"
# after: the quote fails (replay), the late pcr-extend fails naming the rule
wait_verdicts 1 "$A and v['attester'] == 'after' and 'extend-after-quote' in v['codes']" \
    "after: a pcr-extend after its quote fails naming the rule"
wait_verdicts 1 "$A and v['attester'] == 'after' and v['result'] == 'pass' and v['sequence'] >= 3" \
    "after: the next quote, with the replay caught up, passes"
# clockback: fail naming the clock, then a challenge-response quote passes
wait_verdicts 1 "$A and v['attester'] == 'clockback' and v['result'] == 'fail' and 'clock' in v['codes'] and any('went back' in r for r in v['reasons'])" \
    "clockback: the clock going back fails naming the rule"
wait_event clockback challenged 20
ok $? "clockback: rivd sent tpm20-challenge-response-attestation"
wait_verdicts 1 "$A and v['attester'] == 'clockback' and v['result'] == 'pass' and any('challenge' in r for r in v['reasons'])" \
    "clockback: the challenge's quote passes"
# The clock's pace: ahead of rivd's time, behind it, and a quote read 3 s
# late followed by one read at once (neither fast nor slow: the anchors).
wait_verdicts 1 "$A and v['attester'] == 'fastclock' and v['result'] == 'fail' and 'clock' in v['codes'] and any('advanced' in r for r in v['reasons'])" \
    "fastclock: a clock 30 s ahead fails naming the rule"
wait_verdicts 1 "$A and v['attester'] == 'slowclock' and v['result'] == 'fail' and 'clock' in v['codes'] and any('advanced' in r for r in v['reasons'])" \
    "slowclock: a clock that moved 1 s in 8 s fails naming the rule" 30
wait_event lateread done 60
ok $? "lateread: the scripted attester played its quotes"
wait_verdicts 13 "$A and v['attester'] == 'lateread' and v['result'] == 'pass'" \
    "lateread: every quote passes, the late-read one and the next too" 20
check_verdicts "all(v['result'] == 'pass' for v in vs if v['attester'] == 'lateread')" \
    "lateread: no clock failure from a late read"
# reset: fail naming the rule, a new subscription with a new nonce, passes
wait_verdicts 1 "$A and v['attester'] == 'reset' and v['result'] == 'fail' and 'reset' in v['codes']" \
    "reset: resetCount changing on a live subscription fails"
wait_event reset resubscribed 30
ok $? "reset: rivd subscribed again"
grep -q " reset resubscribed nonce-differs=1" "$IDIR/events"
ok $? "reset: with a new nonce"
wait_verdicts 3 "$A and v['attester'] == 'reset' and v['result'] == 'pass'" \
    "reset: the new subscription's quotes pass" 30
# silent: heartbeat 2 s: stale, probe, subscribe again
wait_verdicts 1 "$A and v['attester'] == 'silent' and v['result'] == 'stale'" \
    "silent: no quote within the heartbeat: stale" 20
wait_event silent resubscribed 30
ok $? "silent: after the probe rivd subscribed again"
# late: the timer's verdict, then the late quote's
wait_verdicts 1 "$A and v['attester'] == 'late' and 'late-quote' in v['codes'] and any('within 10 s' in r for r in v['reasons'])" \
    "late: no quote within 10 s of the pcr-extend fails naming the rule" 30
wait_verdicts 1 "$A and v['attester'] == 'late' and 'late-quote' in v['codes'] and v['sequence'] == 2 and any('after the pcr-extend' in r for r in v['reasons'])" \
    "late: the late quote itself fails naming the rule" 30

# rivctl shows the stream like any other.
"$RIVCTL" status --db "$RIVD_DB" >"$TMP/status.out" 2>&1
grep -q "attestation" "$TMP/status.out"
ok $? "rivctl status lists the attestation subscriptions"
"$RIVCTL" verdicts --db "$RIVD_DB" --attester nonce >"$TMP/v.out" 2>&1
grep -q "nonce" "$TMP/v.out"
ok $? "rivctl verdicts shows them"

check_rivd_alive
check_sanitizers

# yanglint: every kind of message the scripted attesters sent validates
# against the patched module (the leafrefs against their <get> data).
Y="yanglint -p $RIV_SRCDIR/yang -F ietf-tcg-algs:tpm20 -F ietf-tpm-remote-attestation:bios,ima -F ietf-subscribed-notifications:replay"
MODS="$RIV_SRCDIR/yang/ietf-tpm-remote-attestation-stream@2026-06-16.yang $RIV_SRCDIR/yang/ietf-subscribed-notifications@2019-09-09.yang"
cp "$IDIR/msgs/oper.xml" "$TMP/oper.xml" 2>/dev/null
for kind in pcr-extend tpm20-attestation replay-completed; do
	f=$(grep -l "<$kind " "$IDIR"/msgs/notif-*.xml 2>/dev/null | head -1)
	# shellcheck disable=SC2086
	[ -n "$f" ] && (cd "$TMP" && $Y -t nc-notif -O "$TMP/oper.xml" $MODS "$f") \
	    >"$TMP/yl.out" 2>&1
	ok $? "yanglint: $kind ($(head -c 300 "$TMP/yl.out"))"
done
for kind in establish-subscription tpm20-challenge-response-attestation; do
	f=$(grep -l "<$kind " "$IDIR"/msgs/rpc-*.xml 2>/dev/null | head -1)
	r=$(echo "$f" | sed 's|/rpc-|/rpc-reply-|')
	# shellcheck disable=SC2086
	[ -n "$f" ] && (cd "$TMP" && $Y -t nc-rpc -O "$TMP/oper.xml" $MODS "$f" &&
	    $Y -t nc-reply -R "$f" -O "$TMP/oper.xml" $MODS "$r") \
	    >"$TMP/yl.out" 2>&1
	ok $? "yanglint: rivd's $kind and its reply ($(head -c 300 "$TMP/yl.out"))"
done

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
