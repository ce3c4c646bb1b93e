#!/bin/sh
# rivd_hostile.sh — hostile attesters next to a good one, all in one rivd
# (tests/rivd_hostile.py plays them): three that send half a message and
# stall, one that floods, one that sends messages over max-message-size, one
# that sends malformed notifications, three that never say hello, one with
# bad hellos, one with bad establish-subscription replies, and one that
# relays a real device's correctly signed evidence with altered unsigned
# parts.
#
# What must hold: every hostile message rivd cannot use gets its own error
# (or fail) verdict for that attester; its session survives or is closed
# cleanly (and reconnected); rivd keeps running; and the good attester
# (a riv-attester on a swtpm, a quote every 0.25 s) is never affected:
# nothing but passes, its session never closed, and it kept getting
# verdicts during every hostile period.  Latency figures are printed, never
# asserted.  RIV_HOSTILE_KEEP=DIR keeps rivd's log, its store and the
# hostile attesters' records there.
# Exit 77 (skip) without swtpm, yanglint or ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
. "$RIV_SRCDIR/tests/rivd_fake.sh"

need_tools
trap '[ -n "$FAKE_PID" ] && stop_pid "$FAKE_PID"
if [ -n "${RIV_HOSTILE_KEEP:-}" ]; then
	mkdir -p "$RIV_HOSTILE_KEEP" && cp -r "$RIVD_LOG" "$HDIR" "$TMP/rivd.xml" \
	    "$RIV_HOSTILE_KEEP/" 2>/dev/null
	cp "$RIVD_DB" "$RIV_HOSTILE_KEEP/" 2>/dev/null
fi
rivd_cleanup' EXIT

PERIOD_CS=25			# the good device: a quote every 0.25 s
MAX_MESSAGE=65536		# as in rivd_hostile.py
SCENARIOS="stall-data stall-header stall-eom flood big mal nohello-tls \
nohello-tcp nohello-half badhello badsub relay silent"
HDIR=$TMP/hostile
# What check_log_count shows of rivd's log when a check fails.
RIVD_LOG_TOPIC='session closed|subscribing again'

# wait_event SCENARIO EVENT [COUNT] [SECONDS]: wait until the hostile
# attester SCENARIO logged EVENT COUNT times (default 1); 1 on timeout.
wait_event() {
	i=0
	while [ "$(grep -c "^[0-9.]* $1 [0-9]* $2 " "$HDIR/events" \
	    2>/dev/null)" -lt "${3:-1}" ]; do
		i=$((i + 1))
		[ $i -lt $((${4:-30} * 5)) ] || return 1
		sleep 0.2
	done
	return 0
}

# event_detail SCENARIO EVENT KEY: the value of KEY=... in the last EVENT.
event_detail() {
	grep "^[0-9.]* $1 [0-9]* $2 " "$HDIR/events" | tail -1 |
	    sed -n "s/.* $3=\([^ ]*\).*/\1/p"
}

# check_event SCENARIO EVENT DESCRIPTION: the hostile attester logged it.
check_event() {
	if grep -q "^[0-9.]* $1 [0-9]* $2 " "$HDIR/events"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $3 (no event $2 from $1)"
		grep "^[0-9.]* $1 " "$HDIR/events" | tail -5 | sed 's/^/  /'
	fi
}

# good_passes: how many pass verdicts the good attester has now.
good_passes() {
	"$RIVCTL" verdicts --db "$RIVD_DB" --attester good --result pass \
	    --json | $PY -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

T0=$(date +%s)
make_pki
start_device good rp0
AK=$TMP/dev-good/state/rp0-ak.pub

# The hostile attesters, each on its own port.
# shellcheck disable=SC2086,SC2154
start_fake rivd_hostile.py "$HDIR" --device-port "$DEV_PORT_good" \
    --max-seconds 240 $SCENARIOS

conf_begin "$TMP/rivd.xml"
# Limits: 64 KiB messages, 3 s to connect and say hello, 2 s per message.
sed -i "s|<connect-timeout>[0-9]*</connect-timeout>||
    s|<message-timeout>[0-9]*</message-timeout>||
    s|<max-message-size>[0-9]*</max-message-size>||
    s|<limits>|<limits><max-message-size>$MAX_MESSAGE</max-message-size>\
<connect-timeout>3</connect-timeout><message-timeout>2</message-timeout>|" \
    "$TMP/rivd.xml"
grep -q "<message-timeout>2<" "$TMP/rivd.xml" ||
    die "conf_begin wrote no <limits> to set"
conf_attester good "<subscription><stream>pcr-trust-evidence</stream><period>$PERIOD_CS</period></subscription>"
while read -r name port; do
	# relay sends the device's quotes for two TPMs in one notification.
	tpm2=""
	[ "$name" = relay ] && tpm2="<tpm><name>hx1</name><ak>$AK</ak></tpm>"
	# silent sends nothing: a short heartbeat makes rivd notice.
	hb=""
	[ "$name" = silent ] && hb="<heartbeat>1</heartbeat>"
	cat >>"$TMP/rivd.xml" <<EOF
  <attester><name>$name</name><address>127.0.0.1</address><port>$port</port>
    <tpm><name>hx0</name><ak>$AK</ak></tpm>$tpm2
    <subscription><stream>pcr-trust-evidence</stream><period>100</period>$hb</subscription>
  </attester>
EOF
done <"$HDIR/ports"
conf_end
start_rivd "$TMP/rivd.xml"

# Baseline: every hostile attester is connected and subscribed (or holds
# rivd's subscription) and behaves; the good one passes.
for s in $SCENARIOS; do
	wait_event "$s" ready 1 20 || die "hostile attester $s not ready: \
$(tail -3 "$HDIR/events")"
done
wait_verdicts 8 "v['attester'] == 'good' and v['result'] == 'pass'" \
    "good passes before the hostile period"
check_verdicts "not [v for v in vs if v['attester'] not in ('good', \
'silent')]" "no verdict on a hostile attester before it misbehaved"

# silent: stale, probed, answered, subscribed again.
wait_event silent resubscribed 1 20 || true
check_verdicts "[v for v in vs if v['attester'] == 'silent' and \
v['result'] == 'stale']" "silent: a stale verdict"
check_event silent probed "silent: rivd probed the session"
check_event silent deleted "silent: rivd deleted the silent subscription"
check_event silent resubscribed "silent: rivd subscribed again"
check_log_count "attester silent: answers but its pcr-trust-evidence \
subscription [0-9]+ is silent: subscribing again" 1 \
    "silent: rivd says why it subscribes again"

# Go: every hostile attester starts misbehaving at once (stall and nohello
# after the flood).
T1=$(date +%s)
touch "$HDIR/go"
for s in $SCENARIOS; do
	wait_event "$s" "done" 1 45 || {
		nfail=$((nfail + 1))
		echo "FAIL: hostile attester $s did not get through its" \
		    "scenario; its last events:"
		grep "^[0-9.]* $s " "$HDIR/events" | tail -4 | sed 's/^/  /'
	}
done
check_rivd_alive
T2=$(date +%s)

# The good attester was never affected and still runs.
n=$(good_passes)
wait_verdicts $((n + 4)) "v['attester'] == 'good' and v['result'] == 'pass'" \
    "good still gets verdicts after the hostile period" 10
check_verdicts "all(v['result'] == 'pass' for v in vs if v['attester'] == 'good')" \
    "nothing but passes for the good attester"
check_no_log "attester good: session closed" 0 \
    "the good attester's session was never closed"

# (a) stall-*: three peers stall at once, inside chunk data, inside a chunk
# header, inside an end-of-message framed message.  The complete
# notifications before were appraised; each stalled session was closed by
# the message deadline and left an error verdict; rivd reconnected.
wait_verdicts 6 "v['attester'].startswith('stall-') and v['stream'] == \
'pcr-trust-evidence' and 'signature' in v['codes']" \
    "stall: the notifications before the stalls were appraised" 0
for s in data header eom; do
	check_log_count "attester stall-$s: session closed: message deadline passed" 1 \
	    "stall-$s: the stalled session is closed by the message deadline"
done
wait_verdicts 3 "v['attester'].startswith('stall-') and v['result'] == 'error'" \
    "stall: an error verdict for each message cut off by the deadline" 0

# (b) flood: one verdict per notification, none lost, and the session that
# never stalled inside a message was not closed.
sent=$(event_detail flood flood-end sent)
echo "  flood: $sent notifications sent ($(event_detail flood \
flood-burst-end sent) in the burst of $(event_detail flood flood-burst-end \
after) s)"
check_verdicts "sorted(v['sequence'] for v in vs if v['attester'] == 'flood' \
and v['stream'] == 'pcr-trust-evidence' and v['result'] == 'fail' and \
'signature' in v['codes']) == list(range(${sent:-0}))" \
    "flood: a fail verdict for each of the ${sent:-?} flooded notifications"
check_no_log "attester flood: session closed" 0 \
    "flood: the session of a peer that floods without stalling stays up"

# (c) big: over max-message-size: an error verdict, the session closed.
wait_verdicts 1 "v['attester'] == 'big' and v['stream'] == 'session' and \
v['result'] == 'error' and any('maximum' in r for r in v['reasons'])" \
    "big: an error verdict naming the maximum" 0
wait_verdicts 4 "v['attester'] == 'big' and v['stream'] == 'session' and \
v['result'] == 'error'" "big: an error verdict per oversized message" 0
wait_verdicts 1 "v['attester'] == 'big' and v['stream'] == \
'pcr-trust-evidence' and 'signature' in v['codes']" \
    "big: a notification of exactly max-message-size is appraised" 0
check_log_count "attester big: session closed: NETCONF framing" 4 \
    "big: each oversized message closes the session"

# (d) mal: the session survived every malformed notification (the marker
# after them was appraised), then broken chunk headers closed it.
check_event mal survived "mal: the session survived the malformed messages"
wait_verdicts 1 "v['attester'] == 'mal' and v['sequence'] == 9 and \
'signature' in v['codes']" "mal: the marker after the malformed messages \
was appraised" 0
check_log_count "attester mal: session closed: NETCONF framing" 3 \
    "mal: each broken chunk header closes the session"
nmal=$($PY -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) for i in [json.loads(l)]
          if i["scenario"] == "mal" and len(i["expect"]) == 1 and
          i["expect"][0]["stream"] == "session"))' "$HDIR/items")
wait_verdicts "$nmal" "v['attester'] == 'mal' and v['stream'] == 'session' and \
v['result'] == 'error' and 'malformed' in v['codes']" \
    "mal: an error verdict per malformed message ($nmal)" 0

# (e) nohello-*: the connect deadline closes a peer that never says hello
# (TLS up and silent; no TLS handshake; half a hello).  No verdict is
# needed, but no pass either.
for s in tls tcp half; do
	check_log_count "attester nohello-$s: session closed: connect deadline passed" 1 \
	    "nohello-$s: the connect deadline closes the silent peer"
done
check_verdicts "not [v for v in vs if v['attester'].startswith('nohello-') \
and v['result'] == 'pass']" "nohello: no pass verdict"

# badhello: a bad hello closes the session; badsub: an error verdict for
# each bad establish-subscription reply.
check_log_count "attester badhello: session closed: the first message is not a hello" 1 \
    "badhello: a first message that is not a hello closes the session"
check_log_count "attester badhello: session closed: the attester's hello offers neither" 1 \
    "badhello: a hello without base capabilities closes the session"
wait_verdicts 3 "v['attester'] == 'badsub' and v['result'] == 'error'" \
    "badsub: an error verdict per bad establish-subscription reply" 0

# relay: genuine evidence passes; every alteration fails.
wait_verdicts 1 "v['attester'] == 'relay' and v['result'] == 'pass'" \
    "relay: the device's evidence relayed unchanged passes" 0
check_verdicts "not [v for v in vs if v['attester'] == 'relay' and \
v['result'] == 'pass' and v['sequence'] in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11)]" \
    "relay: no altered evidence passes"

# Per message and per hostile period (rivd_hostile.py report): which
# verdict each hostile message got, the good attester's verdicts during
# each period, and its latency figures.
"$RIVCTL" verdicts --db "$RIVD_DB" --json >"$TMP/verdicts.json" ||
    die "rivctl verdicts"
run_client rivd_hostile.py report --dir "$HDIR" --verdicts \
    "$TMP/verdicts.json" --period "$(echo "$PERIOD_CS" |
    awk '{ print $1 / 100 }')"
if [ -s "$HDIR/serve.log" ]; then
	echo "  rivd_hostile.py serve said:"
	head -20 "$HDIR/serve.log" | sed 's/^/    /'
fi

check_rivd_alive
T3=$(date +%s)
echo "  time: set-up and baseline $((T1 - T0)) s, hostile period $((T2 - T1)) s," \
    "checks $((T3 - T2)) s"
stop_rivd
stop_pid "$FAKE_PID"
FAKE_PID=""
check_sanitizers
finish
