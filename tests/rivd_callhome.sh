#!/bin/sh
# rivd_callhome.sh — delivery call-home (RFC 8071 call home, RFC 8639
# configured subscriptions): rivd writes an attester's subscriptions into
# its /sn:subscriptions, the swtpm-backed riv-attester calls rivd's
# listener home and its evidence is appraised like a dynamic
# subscription's, beside a dynamic attester.  Then what rivd must survive:
# a tampered PCR, a reboot, the attester restarting, rivd killed with
# SIGKILL, hostile call homes (another CA's certificate, one naming no
# attester, no TLS, garbage, a second call with the attester's own
# certificate); a changed subscription (SIGHUP: replaced on the call-home
# session with a new seed) and the attester removed from the configuration
# by SIGHUP (its configured subscriptions are removed from it and it stops
# calling).
# Exit 77 (skip) without swtpm, yanglint or ncclient.  RIV_CH_KEEP=DIR
# keeps rivd's log, its configurations and the devices' logs there.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
trap 'if [ -n "${RIV_CH_KEEP:-}" ]; then
	mkdir -p "$RIV_CH_KEEP" && cp "$RIVD_LOG" "$RIVD_DB" "$TMP"/rivd*.xml \
	    "$RIV_CH_KEEP/" 2>/dev/null
	for d in d1 d2; do
		cat "$TMP/dev-$d/log.old" "$TMP/dev-$d/log" \
		    >"$RIV_CH_KEEP/dev-$d.log" 2>/dev/null
	done
fi
rivd_cleanup' EXIT

need_tools
need_bios

# What check_log_count shows of rivd's log when a check fails.
RIVD_LOG_TOPIC='call home|session|subscri|configuration'

make_pki
# A certificate from the right CA for a host that is no attester.
(
	cd "$PKI" &&
	printf 'subjectAltName=DNS:stranger.invalid\n' >stranger.ext &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout stranger.key -out stranger.csr -subj "/CN=stranger" &&
	openssl x509 -req -in stranger.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out stranger.pem -days 2 -extfile stranger.ext
) >"$TMP/stranger.log" 2>&1 || die "stranger certificate"
start_device d1 rp0 -- --bios-log "$BIOS"
start_device d2 rp0 -- --bios-log "$BIOS"
write_reference "$TMP/reference.json" "$BIOS"
CHP=$(free_ports 1) || die "no free port"

SUBS="<subscription><stream>pcr-trust-evidence</stream><period>100</period></subscription>
    <subscription><stream>bios-log</stream><on-change/></subscription>
    <reference-values>$TMP/reference.json</reference-values>"
conf_begin "$TMP/rivd.xml" "<call-home><address>127.0.0.1</address><port>$CHP</port></call-home>"
conf_attester d1 "<delivery>call-home</delivery>$SUBS"
conf_attester d2 "$SUBS"
conf_end
# d1's quotes every 0.5 s (a changed subscription, for a SIGHUP).
conf_begin "$TMP/rivd-fast.xml" "<call-home><address>127.0.0.1</address><port>$CHP</port></call-home>"
conf_attester d1 "<delivery>call-home</delivery>$(echo "$SUBS" |
    sed 's|<period>100</period>|<period>50</period>|')"
conf_attester d2 "$SUBS"
conf_end
# The same without d1 (for the SIGHUP at the end).
conf_begin "$TMP/rivd-without-d1.xml" "<call-home><address>127.0.0.1</address><port>$CHP</port></call-home>"
conf_attester d2 "$SUBS"
conf_end
start_rivd "$TMP/rivd.xml"

IS_D1="v['attester'] == 'd1'"
IS_D2="v['attester'] == 'd2'"
BAD_CHAIN="{'gap', 'replayed', 'reordered', 'foreign', 'seed'}"

# 1. Both pass: d1 by call home, d2 on its dynamic subscriptions.
check_log_count "call home: listening on 127.0.0.1 port $CHP" 1 \
    "rivd listens for call home" 10
check_log_count \
    "attester d1: subscriptions configured; waiting for it to call home" 1 \
    "rivd writes d1's subscriptions and waits for the call" 10
check_log_count "attester d1: called home" 1 "d1 calls home" 10
for s in pcr-trust-evidence bios-log; do
	wait_verdicts 1 "$IS_D1 and v['stream'] == '$s' and \
v['result'] == 'pass'" "d1 (call home): $s passes"
	wait_verdicts 1 "$IS_D2 and v['stream'] == '$s' and \
v['result'] == 'pass'" "d2 (dynamic): $s passes"
done
wait_verdicts 3 "$IS_D1 and v['stream'] == 'pcr-trust-evidence' and \
v['result'] == 'pass' and v['subscription'] == 1381367809" \
    "d1's quotes come on configured subscription 1381367809"
check_verdicts "all(v['result'] == 'pass' for v in vs)" \
    "nothing but passes before anything happened"
check_status "a['d1']['connection'] == 'connected' and \
a['d1']['connection_detail'] == 'call home' and \
sorted((s['stream'], s['id'], s['state'], s['detail']) for s in \
a['d1']['subscriptions']) == [('bios-log', 1381367810, 'active', 'call home'), \
('pcr-trust-evidence', 1381367809, 'active', 'call home')]" \
    "rivctl status: d1 connected and subscribed via call home"
check_status "a['d2']['connection'] == 'connected' and \
'call home' not in (a['d2']['connection_detail'] or '') and \
all('call home' not in (s['detail'] or '') and s['state'] == 'active' and \
s['id'] not in (1381367809, 1381367810) for s in \
a['d2']['subscriptions'])" \
    "rivctl status: d2 connected and subscribed dynamically"
"$RIVCTL" status --db "$RIVD_DB" >"$TMP/status.txt" 2>&1
if grep -Eq "connected since .*: call home" "$TMP/status.txt"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: rivctl status does not say 'connected ... call home'"
	sed 's/^/  /' "$TMP/status.txt" | head -20
fi

# 2. What rivd wrote into d1: its two configured subscriptions, delivered
# by call home to rivd's listener (and kept in its state directory).
run_client rivd_callhome.py configured "$DEV_PORT_d1" "$CHP" "$TMP/seeds1"
for id in 1381367809 1381367810; do
	if grep -q "<id>$id</id>" "$TMP/dev-d1/state/subscriptions.xml" &&
	    grep -q "netconf-call-home" "$TMP/dev-d1/state/subscriptions.xml"
	then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: d1's state directory lacks configured subscription $id"
		head -c 800 "$TMP/dev-d1/state/subscriptions.xml"
	fi
done
n=$(grep -Ec "call home to 127\.0\.0\.1 port $CHP: session [0-9]+ \(rivd\)" \
    "$TMP/dev-d1/log")
if [ "$n" -ge 1 ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: d1's log does not show its call home to port $CHP"
	tail -5 "$TMP/dev-d1/log"
fi

# 3. A PCR extended behind the logs' back: the failure arrives on the
# call-home session; a reboot brings the passes back.
id0=$(last_id)
dev_ctl d1 tamper 4 >/dev/null || die "tamper"
wait_verdicts 1 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'fail' and \
'reference' in v['codes'] and v['subscription'] == 1381367809" \
    "a tampered PCR 4 fails d1's reference values (call home)"
check_verdicts "all(v['result'] == 'pass' for v in vs if $IS_D2)" \
    "d2 is not affected by d1's tamper"
id0=$(last_id)
dev_ctl d1 reboot >/dev/null || die "reboot"
wait_verdicts 1 "$IS_D1 and v['id'] > $id0 and v['stream'] == 'bios-log' \
and any('was reset' in r for r in v['reasons'])" \
    "d1's reboot is noticed on the call-home session"
wait_verdicts 2 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'pass'" \
    "after the reboot d1's quotes pass again"

# 4. d1 restarts: the call-home session drops, rivd writes the
# subscriptions again with new seeds, d1 calls again and the chain
# restarts without a gap.
id0=$(last_id)
nch=$(grep -c "attester d1: called home" "$RIVD_LOG")
stop_device d1
check_log_count "attester d1: session closed" 1 \
    "rivd notices that d1's call-home session closed" 10
restart_device d1 -- --bios-log "$BIOS"
check_log_count "attester d1: called home" $((nch + 1)) \
    "d1 calls home again after its restart" 30
check_log_count \
    "attester d1: subscriptions configured; waiting for it to call home" 2 \
    "rivd wrote d1's subscriptions again after the restart" 10
wait_verdicts 3 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'pass'" \
    "d1's quotes pass again after its restart"
# riv-attester boots its TPM when it starts: the subscription written
# again resumes the boot log at rivd's saved position, which the new boot's
# (identical) log has too, so no log-restarted comes with the reset; the
# boot log must still pass, not stay failed with 'reset'.
wait_verdicts 1 "$IS_D1 and v['id'] > $id0 and v['stream'] == 'bios-log' \
and v['result'] == 'pass'" "d1's boot log passes again after its restart"
check_verdicts "not any(set(v['codes'] or ()) & $BAD_CHAIN for v in vs \
if v['id'] > $id0)" "no gap, replayed or seed failure after d1's restart"
run_client rivd_callhome.py configured "$DEV_PORT_d1" "$CHP" "$TMP/seeds2"
if [ -s "$TMP/seeds2" ] && ! $PY - "$TMP/seeds1" "$TMP/seeds2" <<'EOF'
import sys
a = dict(l.split() for l in open(sys.argv[1]) if len(l.split()) == 2)
b = dict(l.split() for l in open(sys.argv[2]) if len(l.split()) == 2)
sys.exit(1 if a and b and all(a[k] != b.get(k) for k in a) else 0)
EOF
then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the configured subscriptions do not have new seeds after" \
	    "d1's restart"
	cat "$TMP/seeds1" "$TMP/seeds2" 2>/dev/null
fi

# 5. rivd killed with SIGKILL and started again on the same store: d1
# calls home again, verdicts continue, every committed verdict is kept.
"$RIVCTL" verdicts --db "$RIVD_DB" --json >"$TMP/before-kill.json" ||
    die "rivctl verdicts"
nch=$(grep -c "attester d1: called home" "$RIVD_LOG")
kill_rivd
start_rivd "$TMP/rivd.xml"
check_log_count "attester d1: called home" $((nch + 1)) \
    "d1 calls the restarted rivd home" 30
id0=$(last_id)
wait_verdicts 3 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'pass'" \
    "d1's verdicts continue after rivd's restart"
wait_verdicts 2 "$IS_D2 and v['id'] > $id0 and v['result'] == 'pass'" \
    "d2's verdicts continue after rivd's restart"
check_verdicts "{v['id'] for v in vs} >= {v['id'] for v in \
__import__('json').load(open('$TMP/before-kill.json'))}" \
    "every verdict committed before the SIGKILL is still there"
check_verdicts "len({(v['stream'], v['nonce']) for v in vs if $IS_D1 and \
v['nonce']}) == len([v for v in vs if $IS_D1 and v['nonce']])" \
    "no evidence of d1 is recorded twice"
check_verdicts "not any(set(v['codes'] or ()) & $BAD_CHAIN for v in vs \
if v['id'] > $id0)" "no gap, replayed or seed failure after rivd's restart"

# 6. Hostile call homes; d1 and d2 keep getting verdicts meanwhile.
id0=$(last_id)
nlog=$(wc -l <"$RIVD_LOG")
run_client rivd_callhome.py hostile "$CHP"
check_log_count "call home from 127\.0\.0\.1: .*certificate verify failed" 1 \
    "rivd logs the call home with another CA's certificate" 10
check_log_count \
    "call home from 127\.0\.0\.1: its certificate names no attester" 1 \
    "rivd logs the call home whose certificate names no attester" 10
check_log_count "call home from 127\.0\.0\.1: no TLS handshake within 5 s" 1 \
    "rivd logs the call home that never starts TLS" 10
check_no_log "attester d1: session closed" "$nlog" \
    "the hostile call homes leave d1's session alone"
run_client rivd_callhome.py impostor "$CHP"
check_log_count "attester d1: call home from 127\.0\.0\.1 while" 1 \
    "rivd closes a second call home of d1 while its session is up" 10
check_no_log "attester d1: (session closed|called home)" "$nlog" \
    "the second call home leaves d1's session alone"
wait_verdicts 2 "$IS_D1 and v['id'] > $id0 and v['result'] == 'pass'" \
    "d1 keeps getting verdicts during the hostile call homes"
wait_verdicts 2 "$IS_D2 and v['id'] > $id0 and v['result'] == 'pass'" \
    "d2 keeps getting verdicts during the hostile call homes"
check_rivd_alive

# 7. d1's pcr-trust-evidence period changes (SIGHUP): rivd replaces the
# configured subscription on the call-home session with a new seed, the
# attester sends 'modified' and the quotes come twice as often.
id0=$(last_id)
nlog=$(wc -l <"$RIVD_LOG")
cp "$TMP/rivd-fast.xml" "$TMP/rivd.xml"
kill -HUP "$RIVD_PID"
check_log_count "configuration applied: 2 attester" 1 \
    "the configuration with d1's new period is applied" 10
MODIFIED="subscription 1381367809: notification [0-9]+ \
\(riv-attestation-streams:modified\)"
n=0
while ! grep -Eq "$MODIFIED" "$TMP/dev-d1/log" &&
    [ $n -lt 50 ]; do
	sleep 0.2
	n=$((n + 1))
done
if grep -Eq "$MODIFIED" "$TMP/dev-d1/log"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: d1 sent no 'modified' notification on configured" \
	    "subscription 1381367809:"
	grep -v "(riv-attestation-streams:periodic)" "$TMP/dev-d1/log" |
	    tail -5
fi
check_log_count \
    "attester d1: subscription-modified for subscription 1381367809" 1 \
    "rivd takes d1's 'modified' notification" 10
sleep 1
id1=$(last_id)
sleep 3
check_verdicts "len([v for v in vs if $IS_D1 and v['id'] > $id1 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'pass']) >= 5" \
    "d1 quotes every 0.5 s after the change"
check_verdicts "not any(set(v['codes'] or ()) & $BAD_CHAIN for v in vs \
if v['id'] > $id0)" "no seed, gap or replayed failure after the new seed"
check_no_log "attester d1: (session closed|called home)" "$nlog" \
    "the change keeps d1's call-home session"
check_status "[s['detail'] for s in a['d1']['subscriptions'] if \
s['stream'] == 'pcr-trust-evidence'] == ['modified']" \
    "rivctl status: d1's pcr-trust-evidence subscription was modified"

# 8. d1 is removed from the configuration (SIGHUP): rivd removes its
# configured subscriptions from it, and it stops calling rivd home.
cp "$TMP/rivd-without-d1.xml" "$TMP/rivd.xml"
kill -HUP "$RIVD_PID"
check_log_count "attester d1: removed from the configuration" 1 \
    "SIGHUP removes d1" 10
check_log_count "configuration applied: 1 attester" 1 \
    "the configuration without d1 is applied" 10
sleep 2
run_client rivd_callhome.py none "$DEV_PORT_d1"
if grep -q "1381367809\|1381367810" "$TMP/dev-d1/state/subscriptions.xml" \
    2>/dev/null; then
	nfail=$((nfail + 1))
	echo "FAIL: d1's state directory still holds rivd's configured" \
	    "subscriptions"
else
	npass=$((npass + 1))
fi
nlog=$(wc -l <"$RIVD_LOG")
ndev=$(grep -c "call home to 127.0.0.1 port $CHP" "$TMP/dev-d1/log")
id0=$(last_id)
sleep 5
check_no_log "call home from" "$nlog" \
    "d1 no longer calls rivd home after its removal"
n=$(grep -c "call home to 127.0.0.1 port $CHP" "$TMP/dev-d1/log")
if [ "$n" -eq "$ndev" ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: d1 still calls rivd home after its removal ($ndev, then" \
	    "$n call-home lines in its log):"
	grep "call home to" "$TMP/dev-d1/log" | tail -3
fi
check_verdicts "not any($IS_D1 for v in vs if v['id'] > $id0)" \
    "no verdict of d1 after its removal"
wait_verdicts 2 "$IS_D2 and v['id'] > $id0 and v['result'] == 'pass'" \
    "d2 keeps passing after the SIGHUP"

check_rivd_alive
stop_rivd
check_sanitizers
finish
