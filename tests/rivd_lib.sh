# rivd_lib.sh — sourced by the rivd tests after attester_lib.sh: several
# riv-attesters (devices) on loopback, rivd with a configuration written by
# the test, and checks on the verdicts it stores (rivctl verdicts --json).
#
#   start_device NAME TPM... [-- ATTESTER-OPTIONS...]
#       a riv-attester called NAME with a fresh swtpm per TPM (the first is
#       active, the others standby), TLS on a free port; sets
#       DEV_PORT_<NAME>, and its control socket is $TMP/dev-NAME/ctl, its
#       AKs $TMP/dev-NAME/state/TPM-ak.pub, its log $TMP/dev-NAME/log.
#   dev_ctl NAME COMMAND [ARG]    drive a device's control socket
#   stop_device NAME, restart_device NAME (same ports, same TPMs)
#   conf_begin FILE, conf_attester NAME [SUBSCRIPTION-XML...], conf_end:
#       write a rivd configuration (store $TMP/rivd.db)
#   start_rivd CONF, stop_rivd, kill_rivd (SIGKILL)
#   wait_verdicts N PYTHON-EXPR DESCRIPTION [SECONDS]: wait until at least N
#       stored verdicts satisfy the expression over `v` (one verdict) and
#       count a pass, or a failure after SECONDS (default 30)
#   check_verdicts PYTHON-EXPR DESCRIPTION: the expression over `vs` (every
#       verdict) must hold now
#   check_log_count PATTERN MIN DESCRIPTION [SECONDS]: rivd logged PATTERN
#       at least MIN times (waiting up to SECONDS); wait_log PATTERN MIN
#       [SECONDS]: wait until it has; check_no_log PATTERN SINCE-LINE
#       DESCRIPTION: it logged no such line after line SINCE-LINE
#   write_reference FILE BIOSLOG: reference values of PCRs 0-7 (SHA-256)
#       as the boot log replays them; write_policy FILE: an IMA policy that
#       allows /bin/true and nothing else

: "${RIVD:?RIVD must name the rivd binary}"
DEVICES=""
RIVD_PID=""
RIVD_LOG=$TMP/rivd.log
RIVD_DB=$TMP/rivd.db

# write_reference FILE BIOSLOG: reference values of sha256 PCRs 0-7 as
# BIOSLOG replays them (rivd-reference(5)).
write_reference() {
	"$RIVCTL" bios-log "$2" --json >"$TMP/bios.json" ||
	    die "rivctl bios-log $2"
	$PY - "$TMP/bios.json" >"$1" <<'EOF' || die "reference values"
import json, sys
pcrs = json.load(open(sys.argv[1]))["pcrs"]["sha256"]
print(json.dumps({"version": 1, "pcrs": {"sha256":
    {p: v for p, v in pcrs.items() if int(p) < 8}}}))
EOF
}

# write_policy FILE: an IMA policy (rivd-ima-policy(5)) that allows
# /bin/true and nothing else the tests run.
write_policy() {
	$PY - >"$1" <<'EOF' || die "policy"
import hashlib, json
d = hashlib.sha256(open("/bin/true", "rb").read()).hexdigest()
print(json.dumps({"version": 1, "digests": {"/bin/true": "sha256:" + d}}))
EOF
}

# rivd_cleanup: stop rivd and every device, then attester_lib's cleanup.
rivd_cleanup() {
	[ -n "$RIVD_PID" ] && stop_pid "$RIVD_PID"
	for p in ${PROXIES:-}; do
		kill "$p" 2>/dev/null
	done
	for d in $DEVICES; do
		eval "p=\${DEV_PID_$d:-}"
		[ -n "$p" ] && stop_pid "$p"
	done
	cleanup
}
trap rivd_cleanup EXIT

# start_device NAME TPM... [-- OPTIONS...]
start_device() {
	dn=$1
	shift
	tpms=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		tpms="$tpms $1"
		shift
	done
	[ "${1:-}" = "--" ] && shift
	ddir=$TMP/dev-$dn
	mkdir -p "$ddir/state" || die "mkdir"
	if [ -f "$ddir/args" ]; then
		args=$(cat "$ddir/args")	# a restart: the same TPMs
	else
		args=""
		first=1
		for t in $tpms; do
			start_swtpm "${dn}_$t"
			eval "tcti=\$TCTI_${dn}_$t"
			args="$args --tpm $t=$tcti"
			[ $first -eq 1 ] || args="$args --standby $t"
			first=0
		done
		port=$(free_ports 1) || die "no free port"
		eval "DEV_PORT_$dn=$port"
		echo "$args" >"$ddir/args"
	fi
	tries=0
	while ! launch_device "$dn" "$@"; do
		tries=$((tries + 1))
		# Another test took the port between its choice and the bind.
		grep -q "Address already in use" "$ddir/log" && [ $tries -lt 5 ] ||
		    die "riv-attester $dn did not start: $(tail -3 "$ddir/log")"
		port=$(free_ports 1) || die "no free port"
		eval "DEV_PORT_$dn=$port"
	done
}

# launch_device NAME OPTIONS...: start riv-attester NAME (see start_device)
# and wait until it is ready; 1 if it exited.
launch_device() {
	dn=$1
	shift
	ddir=$TMP/dev-$dn
	args=$(cat "$ddir/args")
	eval "port=\$DEV_PORT_$dn"
	[ -s "$ddir/log" ] && cat "$ddir/log" >>"$ddir/log.old"
	: >"$ddir/log"
	case " $DEVICES " in *" $dn "*) ;; *) DEVICES="$DEVICES $dn" ;; esac
	# shellcheck disable=SC2086
	"$RIV_ATTESTER" -v --state-dir "$ddir/state" --control "$ddir/ctl" \
	    --tls-listen "127.0.0.1:$port" --tls-cert "$PKI/server.pem" \
	    --tls-key "$PKI/server.key" --tls-ca "$PKI/ca.pem" \
	    --yang-dir "$RIV_SRCDIR/yang" $args "$@" >>"$ddir/log" 2>&1 &
	eval "DEV_PID_$dn=$!"
	ld_n=0
	while ! grep -q "ready:" "$ddir/log" 2>/dev/null; do
		eval "p=\$DEV_PID_$dn"
		if ! kill -0 "$p" 2>/dev/null; then
			wait "$p" 2>/dev/null
			return 1
		fi
		ld_n=$((ld_n + 1))
		[ $ld_n -lt 300 ] || die "riv-attester $dn did not start"
		sleep 0.1
	done
	return 0
}

# dev_ctl NAME COMMAND [ARG]
dev_ctl() {
	dc_name=$1
	shift
	"$RIV_ATTESTER" ctl "$TMP/dev-$dc_name/ctl" "$@"
}

# restart_device NAME [-- OPTIONS...]: start a stopped device again.
restart_device() {
	start_device "$@"
}

# start_proxy NAME: a TCP relay to device NAME on a new port
# (PROXY_PORT_<NAME>) that cuts every connection it relays on
# drop_connections NAME, as a network failure would.
start_proxy() {
	eval "dport=\$DEV_PORT_$1"
	pport=$(free_ports 1) || die "no free port"
	$PY "$RIV_SRCDIR/tests/rivd_proxy.py" "$pport" "$dport" \
	    >"$TMP/proxy-$1.log" 2>&1 &
	eval "PROXY_PID_$1=$!"
	eval "PROXY_PORT_$1=$pport"
	PROXIES="${PROXIES:-} $!"
	wait_port "$pport"
}

# drop_connections NAME: the proxy of NAME cuts every connection.
drop_connections() {
	eval "kill -USR1 \$PROXY_PID_$1"
}

# stop_device NAME
stop_device() {
	eval "p=\${DEV_PID_$1:-}"
	[ -n "$p" ] && stop_pid "$p"
	eval "DEV_PID_$1="
}

# conf_begin FILE [VERIFIER-XML]: start a configuration.
conf_begin() {
	CONF=$1
	cat >"$CONF" <<EOF
<verifier xmlns="urn:rivd:params:xml:ns:yang:riv-verifier">
  <store><path>$RIVD_DB</path></store>
  <limits><connect-timeout>5</connect-timeout><message-timeout>5</message-timeout></limits>
  <tls><certificate>$PKI/client.pem</certificate><key>$PKI/client.key</key>
    <ca>$PKI/ca.pem</ca></tls>
  ${2:-}
EOF
}

# conf_attester NAME EXTRA-XML [ATTESTER-NAME [PORT]]: an attester entry
# for device NAME with its TPMs (from its state directory) and EXTRA-XML
# (subscriptions, reference values, policy), called ATTESTER-NAME (default
# NAME), reached on PORT (default the device's).
conf_attester() {
	eval "port=\${4:-\$DEV_PORT_$1}"
	{
		echo "  <attester><name>${3:-$1}</name><address>127.0.0.1</address>"
		echo "    <port>$port</port>"
		for ak in "$TMP/dev-$1/state/"*-ak.pub; do
			t=$(basename "$ak" -ak.pub)
			echo "    <tpm><name>$t</name><ak>$ak</ak></tpm>"
		done
		echo "    $2"
		echo "  </attester>"
	} >>"$CONF"
}

# conf_end: finish the configuration.
conf_end() {
	echo "</verifier>" >>"$CONF"
}

# start_rivd CONF [OPTIONS...]: start rivd and wait until it runs.
start_rivd() {
	c=$1
	shift
	"$RIVD" -v -y "$RIV_SRCDIR/yang" -c "$c" "$@" >>"$RIVD_LOG" 2>&1 &
	RIVD_PID=$!
	sr_n=0
	while [ "$(cat "$RIVD_LOG" 2>/dev/null | grep -c "running:")" -lt \
	    "${RIVD_STARTS:-1}" ]; do
		kill -0 "$RIVD_PID" 2>/dev/null || die "rivd exited: \
$(tail -5 "$RIVD_LOG")"
		sr_n=$((sr_n + 1))
		[ $sr_n -lt 300 ] || die "rivd did not start"
		sleep 0.1
	done
	RIVD_STARTS=$(( ${RIVD_STARTS:-1} + 1 ))
}

# stop_rivd: SIGTERM (commits what is queued).
stop_rivd() {
	[ -n "$RIVD_PID" ] && stop_pid "$RIVD_PID"
	RIVD_PID=""
}

# kill_rivd: SIGKILL, as a crash.
kill_rivd() {
	[ -n "$RIVD_PID" ] && kill -9 "$RIVD_PID" 2>/dev/null
	wait "$RIVD_PID" 2>/dev/null
	RIVD_PID=""
}

# verdicts_py SECONDS N EXPR MODE: poll the store (see wait_verdicts).
verdicts_py() {
	$PY - "$RIVCTL" "$RIVD_DB" "$@" <<'EOF'
import json, subprocess, sys, time
rivctl, db, secs, n, expr, mode = sys.argv[1:7]
deadline = time.time() + float(secs)
while True:
    r = subprocess.run([rivctl, "verdicts", "--db", db, "--json"],
                       capture_output=True, text=True)
    vs = json.loads(r.stdout) if r.returncode == 0 and r.stdout else []
    if mode == "all":
        ok = eval(expr)
        got = len(vs)
    else:
        got = sum(1 for v in vs if eval(expr))
        ok = got >= int(n)
    if ok:
        sys.exit(0)
    if time.time() > deadline:
        bad = [v for v in vs if v["result"] != "pass"][:6]
        print("  %d matching of %d verdicts; the first that did not pass, "
              "then the last ones:" % (got, len(vs)))
        for v in bad + vs[-6:]:
            print("   ", v["attester"], v["stream"], v["sequence"],
                  v["result"], v.get("codes"), v["reasons"][:2])
        sys.exit(1)
    time.sleep(0.2)
EOF
}

# wait_verdicts N EXPR DESCRIPTION [SECONDS]
wait_verdicts() {
	if verdicts_py "${4:-30}" "$1" "$2" count >"$TMP/wv.out" 2>&1; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $3: fewer than $1 verdicts with $2"
		cat "$TMP/wv.out"
	fi
}

# last_id: the id of the last stored verdict (0 if none).
last_id() {
	"$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
	    'import json,sys; vs=json.load(sys.stdin); print(vs[-1]["id"] if vs else 0)'
}

# check_verdicts EXPR DESCRIPTION
check_verdicts() {
	if verdicts_py 0 0 "$1" all >"$TMP/wv.out" 2>&1; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: not true of the stored verdicts: $1"
		cat "$TMP/wv.out"
	fi
}

# check_rivd_log: rivd still runs and no sanitizer reported.
check_rivd_alive() {
	if [ -n "$RIVD_PID" ] && kill -0 "$RIVD_PID" 2>/dev/null; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: rivd is not running"
		tail -20 "$RIVD_LOG"
	fi
}

# check_sanitizers: no sanitizer report in rivd's or a device's log.
check_sanitizers() {
	check_no_sanitizer "rivd's or a device's log" "$RIVD_LOG" \
	    "$TMP"/dev-*/log*
}

# check_log_count PATTERN MIN DESCRIPTION [SECONDS]: rivd logged PATTERN
# (grep -E) at least MIN times, after waiting up to SECONDS for it (default:
# no wait); on failure, the last lines of rivd's log that match
# RIVD_LOG_TOPIC (grep -E, default every line).
check_log_count() {
	[ -n "${4:-}" ] && wait_log "$1" "$2" "$4"
	n=$(grep -Ec -- "$1" "$RIVD_LOG")
	if [ "$n" -ge "$2" ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $3: rivd logged /$1/ $n times, wanted $2 or more"
		grep -E -- "${RIVD_LOG_TOPIC:-.}" "$RIVD_LOG" | tail -5
	fi
}

# wait_log PATTERN MIN [SECONDS]: wait until rivd logged PATTERN MIN times.
wait_log() {
	wl_n=0
	while [ "$(grep -Ec -- "$1" "$RIVD_LOG")" -lt "$2" ] &&
	    [ $wl_n -lt $((${3:-30} * 5)) ]; do
		sleep 0.2
		wl_n=$((wl_n + 1))
	done
}

# check_status PYTHON-EXPR DESCRIPTION: over `a`, a dict from attester
# name to its object in `rivctl status --json`.
check_status() {
	"$RIVCTL" status --db "$RIVD_DB" --json >"$TMP/status.json" 2>&1
	if $PY - "$TMP/status.json" "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
a = {x["name"]: x for x in d["attesters"]}
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
	then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: rivctl status --json does not satisfy: $1"
		head -c 1500 "$TMP/status.json" | sed 's/^/  /'
		echo
	fi
}

# check_no_log PATTERN SINCE-LINE DESCRIPTION: rivd logged no line matching
# PATTERN after line SINCE-LINE of its log.
check_no_log() {
	if tail -n "+$(($2 + 1))" "$RIVD_LOG" | grep -Eq -- "$1"; then
		nfail=$((nfail + 1))
		echo "FAIL: $3: rivd logged /$1/:"
		tail -n "+$(($2 + 1))" "$RIVD_LOG" | grep -E -- "$1" | head -5
	else
		npass=$((npass + 1))
	fi
}
