#!/bin/sh
# attester_tls.sh — riv-attester over NETCONF/TLS (RFC 7589) and NETCONF
# Call Home (RFC 8071), end to end with a software TPM: a TLS session and a
# dynamic subscription whose quotes rivctl verifies; TLS client
# authentication; hostile input on other sessions while a subscription
# runs; a configured subscription delivered by call home, across a restart
# of the attester, a reconnection with backoff and its deletion; bad
# configuration edits; <get> filters; who may read a configured
# subscription's seed; yanglint on every notification received.  The
# checks are in tests/attester_tls.py (with tests/netconf_tls.py, a small
# NETCONF-over-TLS client and call-home receiver), run twice: before and
# after the attester restarts.  Exit 77 (skip) without swtpm, yanglint or
# python3-ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"

# proc_state PID: the state letter of process PID (Z: exited, not waited
# for), empty if there is none.
proc_state() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1
}

# stop_checked WHEN: stop riv-attester with SIGTERM; it must exit 0 within
# 10 s, and the new part of its log must hold no sanitizer report.
LOG_SEEN=0
stop_checked() {
	st=$(proc_state "$ATT_PID")
	if [ -z "$st" ] || [ "$st" = Z ]; then
		nfail=$((nfail + 1))
		wait "$ATT_PID"	# the shell may have reaped it already
		echo "FAIL: riv-attester is not running $1 (wait: $?)"
		tail -20 "$ATT_LOG"
		ATT_PID=""
	else
		kill "$ATT_PID"
		i=0
		while [ -n "$(proc_state "$ATT_PID")" ] &&
		    [ "$(proc_state "$ATT_PID")" != Z ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if [ $i -ge 100 ]; then
			nfail=$((nfail + 1))
			echo "FAIL: riv-attester did not stop within 10 s of" \
			    "SIGTERM $1"
			stop_attester
		else
			wait "$ATT_PID"
			rc=$?
			ATT_PID=""
			if [ "$rc" -eq 0 ]; then
				npass=$((npass + 1))
			else
				nfail=$((nfail + 1))
				echo "FAIL: riv-attester exited $rc on SIGTERM $1"
				tail -20 "$ATT_LOG"
			fi
		fi
	fi
	if sed -n "$((LOG_SEEN + 1)),\$p" "$ATT_LOG" | grep -Eq \
	    'ERROR: [A-Za-z]*Sanitizer|runtime error:'; then
		nfail=$((nfail + 1))
		echo "FAIL: sanitizer report in the attester log $1"
		sed -n "$((LOG_SEEN + 1)),\$p" "$ATT_LOG" | grep -E -A12 \
		    'ERROR: [A-Za-z]*Sanitizer|runtime error:' | head -40
	fi
	# Every session's socket must be known, so that a stalled send can
	# be cut off (--send-timeout).
	if sed -n "$((LOG_SEEN + 1)),\$p" "$ATT_LOG" | grep -q \
	    'its socket is unknown'; then
		nfail=$((nfail + 1))
		echo "FAIL: a session's socket was not found $1"
	fi
	LOG_SEEN=$(wc -l <"$ATT_LOG")
}

need_tools
need_bios
[ -x "$RIVCTL" ] || die "no rivctl at $RIVCTL"
make_pki
# The --admin-user's certificate (CN admin): he reads every seed.
(
cd "$PKI" || exit 1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout admin.key -out admin.csr -subj "/CN=admin" &&
openssl x509 -req -in admin.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out admin.pem -days 2 -extfile san.ext
) >>"$TMP/pki.log" 2>&1 || die "PKI: admin: $(tail -3 "$TMP/pki.log")"
start_swtpm rp0
start_attester --tpm "rp0=$TCTI_rp0" --bios-log "$BIOS" --admin-user admin
WORK=$TMP/tls
mkdir -p "$WORK" || die "mkdir"

# Scenarios 1, 2, 3, the first part of 4, 5 and 6.
run_client attester_tls.py main --pid "$ATT_PID" --work "$WORK"

# Restart with the same ports and state directory: the configured
# subscription must call home again by itself.
stop_checked "before the restart"
nready=$(grep -c "ready:" "$ATT_LOG")
start_attester --tpm "rp0=$TCTI_rp0" --bios-log "$BIOS" --admin-user admin
# start_attester also takes the "ready:" line of the first run (the log is
# appended to): wait for the new one.
i=0
while [ "$(grep -c "ready:" "$ATT_LOG")" -le "$nready" ] &&
    [ -n "$(proc_state "$ATT_PID")" ] &&
    [ "$(proc_state "$ATT_PID")" != Z ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ "$(grep -c "ready:" "$ATT_LOG")" -gt "$nready" ]; then
	run_client attester_tls.py restarted --pid "$ATT_PID" --work "$WORK"
	stop_checked "at the end"
else
	nfail=$((nfail + 1))
	echo "FAIL: riv-attester did not restart (TLS port $ATT_TLS_PORT," \
	    "SSH port $ATT_SSH_PORT)"
	sed -n "$((LOG_SEEN + 1)),\$p" "$ATT_LOG" | tail -5
	ss -tanp 2>/dev/null | grep -v TIME-WAIT |
	    grep -E ":($ATT_TLS_PORT|$ATT_SSH_PORT) " | head -10
	stop_attester
fi
finish
