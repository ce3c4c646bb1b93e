# attester_lib.sh — sourced by the riv-attester tests: software TPMs
# (swtpm), a throw-away CA with TLS certificates and SSH keys, and a
# riv-attester on free loopback ports; everything is stopped and removed on
# exit.  Scripts call need_tools (need_bios), make_pki, start_swtpm NAME...,
# then start_attester [OPTIONS...], and end with `attester_finish` (or
# `finish`, cli_lib.sh).  A benchmark that sources this file for its set-up
# helpers (die, free_ports, make_certs, stop_pid) sets BENCH_NAME afterwards,
# so that a failed set-up skips it (see die).
#
# After start_attester: ATT_TLS_PORT, ATT_SSH_PORT, ATT_CTL (control
# socket), ATT_STATE (state directory, AK files NAME-ak.pub), ATT_LOG, and
# PKI in $TMP/pki: ca.pem, server.pem/.key (CN attester), client.pem/.key
# (CN rivd), ssh_host_key, client_ssh_key(.pub).  All are exported for the
# Python clients.

: "${RIVCTL:?RIVCTL must name the rivctl binary}"
: "${RIV_ATTESTER:?RIV_ATTESTER must name the riv-attester binary}"
: "${RIV_SRCDIR:=.}"
. "$RIV_SRCDIR/tests/cli_lib.sh"

PY=/usr/bin/python3
SWTPM_PIDS=""
ATT_PID=""
BENCH_NAME=""
export RIVCTL RIV_ATTESTER RIV_SRCDIR RIV_CORPUS

# stop_pid PID [SECONDS]: SIGTERM, wait up to SECONDS (default 5), then
# SIGKILL; nothing if PID is empty or gone.
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	sp_n=0
	while kill -0 "$1" 2>/dev/null && [ $sp_n -lt $((${2:-5} * 10)) ]; do
		sleep 0.1
		sp_n=$((sp_n + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# stop_attester: stop riv-attester (SIGTERM, then SIGKILL) if running.
stop_attester() {
	stop_pid "$ATT_PID"
	ATT_PID=""
}

# check_attester_alive: riv-attester still runs.
check_attester_alive() {
	if kill -0 "$ATT_PID" 2>/dev/null; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: riv-attester is no longer running"
		tail -20 "$ATT_LOG"
	fi
}

# check_no_sanitizer WHAT FILE...: the FILEs (WHAT names them) hold no
# sanitizer report.
check_no_sanitizer() {
	ns_what=$1
	shift
	if cat "$@" 2>/dev/null |
	    grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer'; then
		nfail=$((nfail + 1))
		echo "FAIL: sanitizer report in $ns_what"
		grep -E -A12 'AddressSanitizer|runtime error:|LeakSanitizer' \
		    "$@" 2>/dev/null | head -40
	else
		npass=$((npass + 1))
	fi
}

# attester_finish: stop riv-attester, so that a sanitizer's exit report
# lands in its log, check that its log holds none, show the log's end if a
# check failed, and finish.
attester_finish() {
	stop_attester
	check_no_sanitizer "the attester log" "$ATT_LOG"
	if [ "$nfail" -ne 0 ]; then
		echo "attester log (last 30 lines):"
		tail -30 "$ATT_LOG" | sed 's/^/  /'
	fi
	finish
}

# cleanup: stop every process this test started, remove $TMP.
cleanup() {
	stop_attester
	for p in $SWTPM_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $SWTPM_PIDS; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

# die MESSAGE: the set-up failed: stop with a failure, or, when BENCH_NAME
# is set (a benchmark), print "BENCH_NAME: skipped: MESSAGE" and exit 0:
# a benchmark without figures must not stop `make bench`.
die() {
	if [ -n "$BENCH_NAME" ]; then
		echo "$BENCH_NAME: skipped: $*"
		exit 0
	fi
	echo "FAIL: set-up: $*"
	[ -f "$TMP/attester.log" ] && tail -20 "$TMP/attester.log"
	exit 1
}

# need_tools: skip (77) unless swtpm, openssl, ssh-keygen, yanglint and
# python3 with ncclient are installed.
need_tools() {
	for tool in swtpm swtpm_setup openssl ssh-keygen yanglint; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "SKIP: $tool not found (Debian packages swtpm," \
			    "swtpm-tools, openssl, openssh-client, libyang2-tools)"
			exit 77
		fi
	done
	if ! $PY -c 'import ncclient' 2>/dev/null; then
		echo "SKIP: python3-ncclient is not installed"
		exit 77
	fi
}

# need_bios: BIOS, the absolute path of the corpus boot log the devices
# boot with (go-tpm-tools, Ubuntu 21.04); stop unless it is readable.
need_bios() {
	BIOS=$RIV_CORPUS/bios/go-tpm-tools__ubuntu-2104-no-secure-boot.bin
	case $BIOS in /*) ;; *) BIOS=$(pwd)/$BIOS ;; esac
	[ -r "$BIOS" ] || die "no boot log $BIOS (set RIV_CORPUS)"
}

# free_ports N: print the first of N consecutive free loopback TCP ports.
free_ports() {
	$PY - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(10000, 32000 - n)  # below the ephemeral ports
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)
EOF
}

# wait_port PORT: wait up to 10 s until something listens on PORT.
wait_port() {
	$PY - "$1" <<'EOF' || die "nothing listens on port $1"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# make_certs: in $TMP/pki (PKI), a CA, the attester's (server), the
# verifier's (client) and an intruder's (other) certificates, and one from
# another CA (rogue).
make_certs() {
	d=$TMP/pki
	mkdir -p "$d" || die "mkdir"
	(
	cd "$d" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ca.key -out ca.pem -days 2 \
	    -subj "/CN=rivd test CA" || exit 1
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
	for n in server:attester client:rivd other:intruder; do
		f=${n%%:*} cn=${n#*:}
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -keyout "$f.key" -out "$f.csr" -subj "/CN=$cn" &&
		openssl x509 -req -in "$f.csr" -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -out "$f.pem" -days 2 -extfile san.ext ||
		    exit 1
	done
	# A certificate from another CA, which the attester must refuse.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout rogue.key -out rogue.pem -days 2 -subj "/CN=rivd"
	) >"$TMP/pki.log" 2>&1 || die "PKI: $(tail -3 "$TMP/pki.log")"
	PKI=$d
	export PKI
}

# make_pki: make_certs, and the SSH keys: the attester's host key, the
# verifier's (client_ssh_key, in authorized_keys) and another user key.
make_pki() {
	make_certs
	(
	cd "$PKI" || exit 1
	ssh-keygen -q -t ecdsa -b 256 -N "" -m PEM -f ssh_host_key &&
	ssh-keygen -q -t ecdsa -b 256 -N "" -f client_ssh_key &&
	ssh-keygen -q -t ecdsa -b 256 -N "" -f other_ssh_key
	) >>"$TMP/pki.log" 2>&1 || die "PKI: $(tail -3 "$TMP/pki.log")"
	cp "$PKI/client_ssh_key.pub" "$PKI/authorized_keys"
}

# start_swtpm NAME...: a fresh swtpm per name (banks sha1 and sha256), its
# TCTI in TCTI_<NAME>.
start_swtpm() {
	for name in "$@"; do
		dir=$TMP/tpm-$name
		mkdir -p "$dir" || die "mkdir"
		swtpm_setup --tpm2 --tpmstate "$dir" --pcr-banks sha1,sha256 \
		    --config /dev/null --logfile "$dir/setup.log" >/dev/null \
		    2>&1 || die "swtpm_setup $name"
		port=$(free_ports 2) || die "no free ports"
		swtpm socket --tpm2 --tpmstate dir="$dir" \
		    --server type=tcp,port="$port",bindaddr=127.0.0.1 \
		    --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
		    --flags not-need-init,startup-clear \
		    --log file="$dir/swtpm.log" &
		SWTPM_PIDS="$SWTPM_PIDS $!"
		wait_port "$port"
		eval "TCTI_$name=swtpm:host=127.0.0.1,port=$port"
		export "TCTI_$name"
	done
}

# start_attester [OPTIONS...]: start riv-attester with TLS, SSH, a control
# socket and a state directory (kept across restarts), plus OPTIONS.
start_attester() {
	ATT_STATE=$TMP/state
	ATT_CTL=$TMP/ctl
	ATT_LOG=$TMP/attester.log
	mkdir -p "$ATT_STATE" || die "mkdir"
	if [ -z "${ATT_TLS_PORT:-}" ]; then
		ATT_TLS_PORT=$(free_ports 1) || die "no free port"
		ATT_SSH_PORT=$(free_ports 1) || die "no free port"
	fi
	"$RIV_ATTESTER" -v --state-dir "$ATT_STATE" --control "$ATT_CTL" \
	    --tls-listen "127.0.0.1:$ATT_TLS_PORT" --tls-cert "$PKI/server.pem" \
	    --tls-key "$PKI/server.key" --tls-ca "$PKI/ca.pem" \
	    --ssh-listen "127.0.0.1:$ATT_SSH_PORT" \
	    --ssh-host-key "$PKI/ssh_host_key" \
	    --ssh-authorized-keys "$PKI/authorized_keys" \
	    --yang-dir "$RIV_SRCDIR/yang" "$@" >>"$ATT_LOG" 2>&1 &
	ATT_PID=$!
	i=0
	while ! grep -q "ready:" "$ATT_LOG" 2>/dev/null; do
		kill -0 "$ATT_PID" 2>/dev/null || die "riv-attester exited"
		i=$((i + 1))
		[ $i -lt 300 ] || die "riv-attester did not start"
		sleep 0.1
	done
	export ATT_TLS_PORT ATT_SSH_PORT ATT_CTL ATT_STATE ATT_LOG
}

# ctl COMMAND [ARG]: drive the attester through its control socket.
ctl() {
	"$RIV_ATTESTER" ctl "$ATT_CTL" "$@"
}

# run_client SCRIPT [ARGS...]: run a Python client in tests/; it prints
# "ok: ..." and "FAIL: ..." lines and a last line "N passed, M failed",
# which are added to this script's counts.
run_client() {
	script=$1
	shift
	$PY "$RIV_SRCDIR/tests/$script" "$@" >"$TMP/client.out" 2>&1
	rc=$?
	grep -v '^ok: ' "$TMP/client.out" | sed '/passed, .* failed$/d'
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' \
	    "$TMP/client.out" | tail -1)
	f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' \
	    "$TMP/client.out" | tail -1)
	npass=$((npass + ${p:-0}))
	nfail=$((nfail + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		nfail=$((nfail + 1))
		echo "FAIL: $script exited $rc"
		tail -20 "$TMP/client.out"
	fi
}
