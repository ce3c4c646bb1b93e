#!/bin/sh
# rivd_callhome_ssh.sh — delivery call-home over SSH (RFC 8071 call home
# to port 4334's listener, NETCONF over SSH): rivd writes the configured
# subscriptions of an SSH attester over its outbound SSH session, the
# swtpm-backed riv-attester calls rivd's SSH call-home listener, is the SSH
# server there (its host key, rivd's user key from its authorized keys),
# rivd recognises it by its host key and appraises its evidence.  Then: a
# tampered PCR fails and a reboot passes again; a silent connection meets
# the handshake deadline, garbage, a banner without end and a banner with
# terminal escapes are refused (the escapes kept out of the log); a
# device with a host key no attester has calls with the same
# subscriptions and is refused (no session, no verdicts, logged); rivd
# killed and started again is called again.  Last, rivd started with two
# more call-home attesters: d1twin names d1's host key too, so d1's calls
# are refused before authentication, and x2's device refuses rivd's user
# key, so its calls end at authentication (no session, no verdicts,
# logged).  Finally d1 alone again, then removed by SIGHUP: its configured
# subscriptions are removed from it over SSH and it stops calling.
# Exit 77 (skip) without swtpm, yanglint or ncclient.  RIV_CHS_KEEP=DIR
# keeps rivd's log, its configuration and the devices' logs there.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
trap 'if [ -n "${RIV_CHS_KEEP:-}" ]; then
	mkdir -p "$RIV_CHS_KEEP" && cp "$RIVD_LOG" "$TMP/rivd.xml" \
	    "$RIV_CHS_KEEP/" 2>/dev/null
	for d in d1 x1 x2; do
		cat "$TMP/dev-$d/log.old" "$TMP/dev-$d/log" \
		    >"$RIV_CHS_KEEP/dev-$d.log" 2>/dev/null
	done
fi
rivd_cleanup' EXIT

need_tools
need_bios

# What check_log_count shows of rivd's log when a check fails.
RIVD_LOG_TOPIC='call home|SSH|d1'

# dev_log_count PATTERN DEVICE: how many lines of DEVICE's log match.
dev_log_count() {
	grep -Ec -- "$1" "$TMP/dev-$2/log"
}

# check_dev_log PATTERN DEVICE DESCRIPTION [SECONDS]: DEVICE logs PATTERN
# (grep -E) within SECONDS (default 15).
check_dev_log() {
	cdl_n=0
	while [ "$(dev_log_count "$1" "$2")" -lt 1 ] &&
	    [ $cdl_n -lt $((${4:-15} * 5)) ]; do
		sleep 0.2
		cdl_n=$((cdl_n + 1))
	done
	if [ "$(dev_log_count "$1" "$2")" -ge 1 ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $3: $2 did not log /$1/"
		tail -5 "$TMP/dev-$2/log" | sed 's/^/  /'
	fi
}

# check_dev_log_more PATTERN DEVICE N DESCRIPTION [SECONDS]: DEVICE logs
# PATTERN (grep -E) more than N times within SECONDS (default 15).
check_dev_log_more() {
	cdm_n=0
	while [ "$(dev_log_count "$1" "$2")" -le "$3" ] &&
	    [ $cdm_n -lt $((${5:-15} * 5)) ]; do
		sleep 0.2
		cdm_n=$((cdm_n + 1))
	done
	if [ "$(dev_log_count "$1" "$2")" -gt "$3" ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $4: $2 did not log /$1/ again"
		tail -5 "$TMP/dev-$2/log" | sed 's/^/  /'
	fi
}

# check_no_dev_session DEVICE DESCRIPTION: DEVICE's log shows no NETCONF
# session of rivd's over SSH.
check_no_dev_session() {
	if [ "$(dev_log_count "session [0-9]+ \(rivd\) over SSH" "$1")" -eq 0 ]
	then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: $1 logged a session of rivd's"
	fi
}

make_pki
# The host key of a device no attester entry names; x2's host key, and
# authorized keys for x2 without rivd's user key (client_ssh_key).
ssh-keygen -q -t ecdsa -b 256 -N "" -m PEM -f "$PKI/stranger_host_key" \
    >>"$TMP/pki.log" 2>&1 || die "stranger host key"
ssh-keygen -q -t ecdsa -b 256 -N "" -m PEM -f "$PKI/x2_host_key" \
    >>"$TMP/pki.log" 2>&1 || die "x2 host key"
cp "$PKI/other_ssh_key.pub" "$PKI/x2_authorized_keys" || die "x2 keys"

PORTS=$(free_ports 6) || die "no free ports"
SSH_PORT=$PORTS			# d1's SSH listener
X_SSH_PORT=$((PORTS + 1))	# the stranger's
TLS_CHP=$((PORTS + 2))		# rivd's TLS call-home listener (unused)
CHP=$((PORTS + 3))		# rivd's SSH call-home listener
X2_SSH_PORT=$((PORTS + 4))	# x2's
TWIN_PORT=$((PORTS + 5))	# d1twin's: nothing listens there
start_device d1 rp0 -- --bios-log "$BIOS" \
    --ssh-listen "127.0.0.1:$SSH_PORT" --ssh-host-key "$PKI/ssh_host_key" \
    --ssh-authorized-keys "$PKI/authorized_keys"
grep -q "SSH on 127.0.0.1:$SSH_PORT" "$TMP/dev-d1/log" ||
    die "riv-attester does not listen for SSH: $(tail -3 "$TMP/dev-d1/log")"
write_reference "$TMP/reference.json" "$BIOS"

SUBS="<subscription><stream>pcr-trust-evidence</stream><period>100</period></subscription>
    <subscription><stream>bios-log</stream><on-change/></subscription>
    <reference-values>$TMP/reference.json</reference-values>"
SSH_XML="<ssh><user>rivd</user><key>$PKI/client_ssh_key</key><host-key>$PKI/ssh_host_key.pub</host-key></ssh>"
conf_begin "$TMP/rivd.xml" "<call-home><address>127.0.0.1</address><port>$TLS_CHP</port><ssh><port>$CHP</port></ssh></call-home>"
conf_attester d1 "$SSH_XML <delivery>call-home</delivery> $SUBS" d1 \
    "$SSH_PORT"
conf_end
start_rivd "$TMP/rivd.xml"

IS_D1="v['attester'] == 'd1'"
BAD_CHAIN="{'gap', 'replayed', 'reordered', 'foreign', 'seed'}"

# 1. d1 calls home over SSH; both streams pass on the configured
# subscriptions.
check_log_count "call home: listening on 127\.0\.0\.1 port $CHP \(SSH\)" 1 \
    "rivd listens for call home over SSH"
wait_log "attester d1: called home" 1 30
check_log_count "attester d1: subscriptions configured; waiting for it to call home" \
    1 "rivd writes d1's subscriptions over SSH and waits for the call"
check_log_count "attester d1: called home" 1 "d1 calls home"
check_dev_log "call home to 127\.0\.0\.1 port $CHP: session [0-9]+ \(rivd\) over SSH" \
    d1 "d1 calls rivd's SSH listener and serves NETCONF over SSH"
for s in pcr-trust-evidence bios-log; do
	wait_verdicts 1 "$IS_D1 and v['stream'] == '$s' and \
v['result'] == 'pass'" "d1 (SSH call home): $s passes"
done
wait_verdicts 3 "$IS_D1 and v['stream'] == 'pcr-trust-evidence' and \
v['result'] == 'pass' and v['subscription'] == 1381367809" \
    "d1's quotes come on configured subscription 1381367809"
check_verdicts "all(v['result'] == 'pass' for v in vs)" \
    "nothing but passes before anything happened"
if grep -q "<ssh/>" "$TMP/dev-d1/state/subscriptions.xml" &&
    grep -q "<port>$CHP</port>" "$TMP/dev-d1/state/subscriptions.xml"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the receiver rivd wrote into d1 does not name SSH and" \
	    "port $CHP:"
	head -c 1500 "$TMP/dev-d1/state/subscriptions.xml"
fi

# 2. A PCR extended behind the logs' back fails on the SSH call-home
# session; a reboot brings the passes back.
id0=$(last_id)
dev_ctl d1 tamper 4 >/dev/null || die "tamper"
wait_verdicts 1 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'fail' and \
'reference' in v['codes'] and v['subscription'] == 1381367809" \
    "a tampered PCR 4 fails d1's reference values (SSH call home)"
id0=$(last_id)
dev_ctl d1 reboot >/dev/null || die "reboot"
wait_verdicts 2 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'pass'" \
    "after the reboot d1's quotes pass again"

# 3. Connections to the SSH listener that are no SSH client's: one stays
# silent (the handshake deadline, connect-timeout 5 s, closes it), one
# sends garbage after a banner, one a banner without end, one a banner
# with terminal escapes; d1's session is not touched.
nlog=$(wc -l <"$RIVD_LOG")
$PY - "$CHP" >"$TMP/hostile.log" 2>&1 <<'EOF2' &
import os, socket, sys, time
port = int(sys.argv[1])
silent = socket.create_connection(("127.0.0.1", port))
junk = socket.create_connection(("127.0.0.1", port))
junk.sendall(b"SSH-2.0-OpenSSH_9.2\r\n" + os.urandom(4096))
esc = socket.create_connection(("127.0.0.1", port))
esc.sendall(b"SSH-9.9-\x1b]0;owned\x07\x1b[2J\r\n")
big = socket.create_connection(("127.0.0.1", port))
big.sendall(b"SSH-2.0-" + b"A" * 4096)
time.sleep(8)
EOF2
HOSTILE=$!
check_log_count "call home from 127\.0\.0\.1: no SSH handshake within 5 s" 1 \
    "rivd closes a silent call home at the deadline" 12
check_log_count "call home from 127\.0\.0\.1: SSH: " 3 \
    "rivd logs the call homes that send garbage or bad banners"
check_log_count "call home from 127\.0\.0\.1: SSH: .*too large banner" 1 \
    "rivd refuses a banner without end"
check_log_count "call home from 127\.0\.0\.1: SSH: .*banner: \
SSH-9\.9-\?\]0;owned\?\?\[2J" 1 \
    "rivd logs a banner with escapes, its control characters as '?'"
if grep -q "$(printf '[\033\007]')" "$RIVD_LOG"; then
	nfail=$((nfail + 1))
	echo "FAIL: the peer's terminal escapes reached rivd's log:"
	grep "$(printf '[\033\007]')" "$RIVD_LOG" | od -c | head -5
else
	npass=$((npass + 1))
fi
wait "$HOSTILE" 2>/dev/null
check_no_log "attester d1: (session closed|called home)" "$nlog" \
    "the hostile connections leave d1's session alone"

# 4. A device with a host key that no attester has, holding the same
# configured subscriptions (copied from d1's state directory), calls
# rivd's SSH listener: refused before authentication, logged, no session
# and no verdicts; d1 goes on.
mkdir -p "$TMP/dev-x1/state" || die "mkdir"
cp "$TMP/dev-d1/state/subscriptions.xml" "$TMP/dev-x1/state/" ||
    die "copy subscriptions"
nlog=$(wc -l <"$RIVD_LOG")
nch=$(grep -c "attester d1: called home" "$RIVD_LOG")
id0=$(last_id)
start_device x1 rp0 -- --bios-log "$BIOS" \
    --ssh-listen "127.0.0.1:$X_SSH_PORT" \
    --ssh-host-key "$PKI/stranger_host_key" \
    --ssh-authorized-keys "$PKI/authorized_keys"
REFUSED="call home from 127\.0\.0\.1: its host key ecdsa-sha2-nistp256 \
SHA256:[^ ]+ is the ssh/host-key of no attester with delivery call-home: refused"
check_log_count "$REFUSED" 1 \
    "rivd refuses the call home of an unknown host key" 20
check_dev_log "call home to 127\.0\.0\.1 port $CHP: .*next try" x1 \
    "the stranger's call home fails and it backs off"
check_log_count "$REFUSED" 2 "rivd refuses the stranger's next call too" 15
check_no_log "attester d1: (session closed|called home)|SSH authenticated" "$nlog" \
    "the stranger gets no session and leaves d1's alone"
check_no_dev_session x1 "the stranger gets no NETCONF session over SSH call home"
wait_verdicts 2 "$IS_D1 and v['id'] > $id0 and v['result'] == 'pass'" \
    "d1 keeps passing while the stranger calls"
check_verdicts "all($IS_D1 for v in vs)" "no verdict but d1's"
stop_device x1
[ "$(grep -c "attester d1: called home" "$RIVD_LOG")" -eq "$nch" ] ||
    echo "note: d1 called home again meanwhile"

# 5. rivd killed with SIGKILL and started again on the same store: d1
# calls its SSH listener again and the verdicts continue without a chain
# failure.
nch=$(grep -c "attester d1: called home" "$RIVD_LOG")
kill_rivd
start_rivd "$TMP/rivd.xml"
check_log_count "attester d1: called home" $((nch + 1)) \
    "d1 calls the restarted rivd home over SSH" 40
id0=$(last_id)
wait_verdicts 3 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'pass'" \
    "d1's verdicts continue after rivd's restart"
check_verdicts "not any(set(v['codes'] or ()) & $BAD_CHAIN for v in vs \
if v['id'] > $id0)" "no gap, replayed or seed failure after rivd's restart"

# 6. rivd started again with two more call-home SSH attesters: d1twin
# names d1's host key too (its address leads nowhere), and x2, a device
# whose authorized keys lack rivd's user key, holds the same configured
# subscriptions (copied from d1's state directory).  d1's calls are
# refused before authentication, the log naming both attesters; x2's get
# as far as authentication, which x2 refuses.  Neither gets a session or
# a verdict.
mkdir -p "$TMP/dev-x2/state" || die "mkdir"
cp "$TMP/dev-d1/state/subscriptions.xml" "$TMP/dev-x2/state/" ||
    die "copy subscriptions"
start_device x2 rp0 -- --bios-log "$BIOS" \
    --ssh-listen "127.0.0.1:$X2_SSH_PORT" \
    --ssh-host-key "$PKI/x2_host_key" \
    --ssh-authorized-keys "$PKI/x2_authorized_keys"
stop_rivd
conf_begin "$TMP/rivd.xml" "<call-home><address>127.0.0.1</address><port>$TLS_CHP</port><ssh><port>$CHP</port></ssh></call-home>"
conf_attester d1 "$SSH_XML <delivery>call-home</delivery> $SUBS" d1 \
    "$SSH_PORT"
conf_attester d1 "$SSH_XML <delivery>call-home</delivery> $SUBS" d1twin \
    "$TWIN_PORT"
conf_attester x2 "<ssh><user>rivd</user><key>$PKI/client_ssh_key</key>\
<host-key>$PKI/x2_host_key.pub</host-key></ssh> \
<delivery>call-home</delivery> $SUBS" x2 "$X2_SSH_PORT"
conf_end
# What a device logs when rivd ends its call during the SSH handshake
# (during or after the key exchange, as the timing falls).
RETRY="call home to 127\.0\.0\.1 port $CHP: SSH (handshake|key exchange)\
.*next try"
nlog=$(wc -l <"$RIVD_LOG")
nd1=$(dev_log_count "$RETRY" d1)
nx2=$(dev_log_count "$RETRY" x2)
id0=$(last_id)
start_rivd "$TMP/rivd.xml"
TWINS="call home from 127\.0\.0\.1: its host key ecdsa-sha2-nistp256 \
SHA256:[^ ]+ is the ssh/host-key of attesters d1 and d1twin: refused"
X2_REFUSED="call home from 127\.0\.0\.1: authentication failed: x2 refused \
user rivd with the key [^ ]*/client_ssh_key\$"
wait_log "$TWINS" 2 30
wait_log "$X2_REFUSED" 2 30
check_log_count "$TWINS" 2 \
    "d1's calls are refused: its host key is d1's and d1twin's"
check_dev_log_more "$RETRY" d1 "$nd1" \
    "d1's refused calls fail on its side and it backs off"
check_log_count "$X2_REFUSED" 2 \
    "x2's calls end at authentication: x2 refuses rivd's user key"
check_dev_log "call home: SSH authentication of rivd refused" x2 \
    "x2 refuses rivd's user key"
check_dev_log_more "$RETRY" x2 "$nx2" \
    "x2's call home fails and it backs off"
check_no_log \
    "attester (d1|d1twin|x2): called home|\(attester (d1|d1twin)\)" "$nlog" \
    "no session from the refused calls, nothing past the host key for d1's"
check_no_log "call home from [^:]*: SSH authenticated" "$nlog" \
    "no call home authenticates"
check_no_dev_session x2 "x2 gets no NETCONF session over SSH call home"
check_verdicts "not any(v['id'] > $id0 for v in vs)" \
    "no verdict while d1's and x2's calls are refused"
check_status "a['d1']['connection'] == 'awaiting call home' and \
a['x2']['connection'] != 'connected'" \
    "rivctl status: d1 awaits its call, x2 is not connected"
stop_device x2

# 7. rivd with d1 alone again; then d1 is removed from the configuration
# (SIGHUP): rivd removes its configured subscriptions from d1 over the
# SSH session d1 called home on and closes it only once d1 answered (a
# close with notifications unread resets the connection, which may
# discard the removal); d1 keeps no subscription of rivd's and stops
# calling rivd home.
stop_rivd
conf_begin "$TMP/rivd.xml" "<call-home><address>127.0.0.1</address><port>$TLS_CHP</port><ssh><port>$CHP</port></ssh></call-home>"
conf_attester d1 "$SSH_XML <delivery>call-home</delivery> $SUBS" d1 \
    "$SSH_PORT"
conf_end
conf_begin "$TMP/rivd-without-d1.xml" "<call-home><address>127.0.0.1</address><port>$TLS_CHP</port><ssh><port>$CHP</port></ssh></call-home>"
conf_end
nch=$(grep -c "attester d1: called home" "$RIVD_LOG")
start_rivd "$TMP/rivd.xml"
wait_log "attester d1: called home" $((nch + 1)) 40
id0=$(last_id)
wait_verdicts 2 "$IS_D1 and v['id'] > $id0 and \
v['stream'] == 'pcr-trust-evidence' and v['result'] == 'pass'" \
    "d1 calls home again and passes"
IDS=$(grep -o "<id>[0-9]*</id>" "$TMP/dev-d1/state/subscriptions.xml" |
    tr -dc '0-9\n')
[ -n "$IDS" ] || die "d1 holds no configured subscription"
cp "$TMP/rivd-without-d1.xml" "$TMP/rivd.xml"
kill -HUP "$RIVD_PID"
check_log_count "attester d1: removed from the configuration" 1 \
    "SIGHUP removes d1" 10
sleep 2
kept=""
for id in $IDS; do
	grep -q "<id>$id</id>" "$TMP/dev-d1/state/subscriptions.xml" \
	    2>/dev/null && kept="$kept $id"
done
if [ -z "$kept" ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: d1 still holds rivd's configured subscriptions$kept"
	tail -5 "$TMP/dev-d1/log" | sed 's/^/  /'
fi
nlog=$(wc -l <"$RIVD_LOG")
sleep 5
check_no_log "call home from" "$nlog" \
    "d1 no longer calls rivd home after its removal"

check_rivd_alive
stop_rivd
check_sanitizers
finish
