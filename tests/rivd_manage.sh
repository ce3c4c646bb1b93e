#!/bin/sh
# rivd_manage.sh — rivd's NETCONF management server (rivd(8), MANAGEMENT)
# end to end, against two swtpm-backed riv-attesters: python3-ncclient over
# SSH and tests/netconf_tls.py over TLS (tests/rivd_manage.py) read the
# running configuration and the attesters' state (yanglint validates both),
# add an attester live and remove it, change a subscription, send bad edits
# that must each get the right NETCONF error and change nothing, check the
# roles, the lock, the verdict stream attestation-results (replay, filters,
# the verdict-change of a tamper event), the RPCs appraise-now, acknowledge
# and resync, and the audit table; then the running configuration must
# survive a restart, and a SIGHUP with an edited file must show.
# Exit 77 (skip) without swtpm, yanglint or ncclient.  RIV_MANAGE_KEEP=DIR
# keeps rivd's log, its configuration and the client's output there.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
trap 'if [ -n "${RIV_MANAGE_KEEP:-}" ]; then
	mkdir -p "$RIV_MANAGE_KEEP" && cp "$RIVD_LOG" "$TMP/rivd.xml" \
	    "$TMP/client-all.out" "$RIV_MANAGE_KEEP/" 2>/dev/null
fi
rivd_cleanup' EXIT

need_tools
need_bios

# What check_log_count shows of rivd's log when a check fails.
RIVD_LOG_TOPIC='management|configuration'

make_pki
# d1 is configured in the file; d2 runs but is added over NETCONF.
start_device d1 rp0 -- --bios-log "$BIOS"
start_device d2 rp0 -- --bios-log "$BIOS"
write_reference "$TMP/reference.json" "$BIOS"

MG_SSH_PORT=$(free_ports 2) || die "no free ports"
MG_TLS_PORT=$((MG_SSH_PORT + 1))
cp "$PKI/client_ssh_key.pub" "$TMP/admin.keys"
cp "$PKI/other_ssh_key.pub" "$TMP/viewer.keys"
conf_begin "$TMP/rivd.xml" "<management>
    <ssh><address>127.0.0.1</address><port>$MG_SSH_PORT</port>
      <host-key>$PKI/ssh_host_key</host-key></ssh>
    <tls><address>127.0.0.1</address><port>$MG_TLS_PORT</port>
      <certificate>$PKI/server.pem</certificate><key>$PKI/server.key</key>
      <ca>$PKI/ca.pem</ca></tls>
    <user><name>admin</name><role>read-write</role>
      <authorized-keys>$TMP/admin.keys</authorized-keys></user>
    <user><name>viewer</name><role>read-only</role>
      <authorized-keys>$TMP/viewer.keys</authorized-keys></user>
    <user><name>rivd</name><role>read-write</role></user>
  </management>"
conf_attester d1 "<subscription><stream>pcr-trust-evidence</stream>
      <period>100</period></subscription>
    <reference-values>$TMP/reference.json</reference-values>"
conf_end
start_rivd "$TMP/rivd.xml"
check_log_count "management: NETCONF over SSH on 127.0.0.1 port \
$MG_SSH_PORT" 1 "rivd listens for NETCONF over SSH"
check_log_count "management: NETCONF over TLS on 127.0.0.1 port \
$MG_TLS_PORT" 1 "rivd listens for NETCONF over TLS"
wait_verdicts 2 "v['attester'] == 'd1' and v['result'] == 'pass'" \
    "d1 passes before the management tests" 20

MG_CONF=$TMP/rivd.xml
MG_REF=$TMP/reference.json
# shellcheck disable=SC2154 # set by start_device through eval
MG_D2_PORT=$DEV_PORT_d2
MG_D2_AK=$TMP/dev-d2/state/rp0-ak.pub
MG_CTL_D1=$TMP/dev-d1/ctl
MG_CTL_D2=$TMP/dev-d2/ctl
export MG_SSH_PORT MG_TLS_PORT MG_CONF MG_REF MG_D2_PORT MG_D2_AK \
    MG_CTL_D1 MG_CTL_D2 RIVD_DB RIVD_LOG
mkdir -p "$TMP/mg" || die "mkdir"

# get-config, get, yanglint; d2 added with edit-config.
run_client rivd_manage.py start "$TMP/mg"
cat "$TMP/client.out" >>"$TMP/client-all.out"
wait_verdicts 2 "v['attester'] == 'd2' and v['result'] == 'pass'" \
    "d2, added over NETCONF, connects and passes" 20
check_log_count "configuration changed over NETCONF by admin" 1 \
    "rivd logs who changed the configuration"

# Live edits, bad edits, roles, lock, verdict stream, RPCs, audit.
run_client rivd_manage.py main "$TMP/mg"
cat "$TMP/client.out" >>"$TMP/client-all.out"
check_log_count "management session from tls 127.0.0.1.*user intruder is \
not configured: closed" 1 "a TLS user not configured is closed, and logged"
check_log_count "attester d1: pcr-trust-evidence subscription changed" 1 \
    "a changed period modifies the subscription"
check_log_count "attester d2: .*(closed|removed|deleted)" 1 \
    "the attester removed over NETCONF is closed"
check_log_count "attester d1: appraisal restarted from the full logs by \
admin" 1 "resync is logged with the user"
check_verdicts "any(v['attester'] == 'd1' and v['result'] == 'fail' and \
'reference' in v['codes'] for v in vs)" \
    "the tampered PCR fails d1's reference values"
check_rivd_alive

# The running configuration persists across a restart.
stop_rivd
start_rivd "$TMP/rivd.xml"
run_client rivd_manage.py persist "$TMP/mg"
cat "$TMP/client.out" >>"$TMP/client-all.out"

# SIGHUP with an edited file: the running datastore follows the file.
n=$(grep -c "configuration applied" "$RIVD_LOG")
$PY - "$TMP/rivd.xml" <<'EOF' || die "edit the configuration"
import re, sys
t = open(sys.argv[1]).read()
t, n = re.subn(r"<period>\d+</period>", "<period>250</period>", t, count=1)
assert n == 1
open(sys.argv[1], "w").write(t)
EOF
kill -HUP "$RIVD_PID"
check_log_count "configuration applied" $((n + 1)) "SIGHUP applies the file" 10
run_client rivd_manage.py hup "$TMP/mg"
cat "$TMP/client.out" >>"$TMP/client-all.out"

check_rivd_alive
stop_rivd
check_sanitizers
# Without ASan, glibc's heap checks are what tell of a corruption.
if grep -Eq "double free|corrupted|free\(\): invalid|malloc\(\):" \
    "$RIVD_LOG"; then
	nfail=$((nfail + 1))
	echo "FAIL: rivd's heap was corrupted:"
	grep -E "double free|corrupted|free\(\): invalid|malloc\(\):" \
	    "$RIVD_LOG" | head -3
else
	npass=$((npass + 1))
fi
finish
