#!/bin/sh
# rivd_ssh.sh — rivd over NETCONF over SSH (libssh, non-blocking, in the
# loop) against a swtpm-backed riv-attester that listens for SSH as well as
# TLS: every stream passes over SSH, also with the attester's address given
# as a host name; a host key other than the configured one and a client key
# the attester does not authorize are refused with their reason logged and
# retried, without verdicts and without harm to the good session; the
# attester going away and coming back is a reconnection.
# Exit 77 (skip) without swtpm, yanglint or ncclient.  RIV_SSH_KEEP=DIR
# keeps rivd's log, its configuration and the device's log there.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
trap 'if [ -n "${RIV_SSH_KEEP:-}" ]; then
	mkdir -p "$RIV_SSH_KEEP" && cp "$RIVD_LOG" "$TMP/rivd.xml" \
	    "$TMP/dev-s1/log" "$RIV_SSH_KEEP/" 2>/dev/null
fi
rivd_cleanup' EXIT

need_tools
need_bios

# What check_log_count shows of rivd's log when a check fails.
RIVD_LOG_TOPIC='ssh|SSH'

make_pki
SSH_PORT=$(free_ports 1) || die "no free port"
SSH_OPTS="--bios-log $BIOS --ssh-listen 127.0.0.1:$SSH_PORT \
--ssh-host-key $PKI/ssh_host_key --ssh-authorized-keys $PKI/authorized_keys"
# shellcheck disable=SC2086
start_device s1 rp0 -- $SSH_OPTS
grep -q "SSH on 127.0.0.1:$SSH_PORT" "$TMP/dev-s1/log" ||
    die "riv-attester does not listen for SSH: $(tail -3 "$TMP/dev-s1/log")"

write_reference "$TMP/reference.json" "$BIOS"
write_policy "$TMP/policy.json"

# ssh_xml KEY HOST-KEY: the <ssh> container of an attester entry.
ssh_xml() {
	echo "<ssh><user>rivd</user><key>$1</key><host-key>$2</host-key></ssh>"
}
SUBS='<subscription><stream>pcr-trust-evidence</stream><period>100</period></subscription>
    <subscription><stream>bios-log</stream><period>100</period></subscription>
    <subscription><stream>ima-log</stream><period>100</period><on-change/></subscription>'
PCR_SUB='<subscription><stream>pcr-trust-evidence</stream><period>100</period></subscription>'
GOOD=$(ssh_xml "$PKI/client_ssh_key" "$PKI/ssh_host_key.pub")
conf_begin "$TMP/rivd.xml"
conf_attester s1 "$GOOD $SUBS
    <reference-values>$TMP/reference.json</reference-values>
    <ima-policy>$TMP/policy.json</ima-policy>" ssh-good "$SSH_PORT"
# The same device by name (resolved by rivd, not by libssh), and a name
# that does not resolve.
conf_attester s1 "$GOOD $PCR_SUB" ssh-name "$SSH_PORT"
conf_attester s1 "$GOOD $PCR_SUB" ssh-noname "$SSH_PORT"
# Another host key than the attester's: rivd must refuse the attester.
conf_attester s1 "$(ssh_xml "$PKI/client_ssh_key" \
    "$PKI/other_ssh_key.pub") $PCR_SUB" ssh-wrong-host "$SSH_PORT"
# A client key that is not in the attester's authorized_keys.
conf_attester s1 "$(ssh_xml "$PKI/other_ssh_key" \
    "$PKI/ssh_host_key.pub") $PCR_SUB" ssh-bad-key "$SSH_PORT"
# Peers that are no SSH servers, or bad ones: one accepts and stays silent,
# one sends an SSH banner and nothing more, one floods random bytes after
# its banner; and a port where nothing listens.
PEER_PORT=$(free_ports 4) || die "no free ports"
$PY - "$PEER_PORT" >"$TMP/peers.log" 2>&1 <<'EOF' &
import os, socket, sys, threading, time

def handle(c, mode):
    try:
        if mode != "silent":
            c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        if mode == "flood":
            junk = os.urandom(65536)
            while True:
                c.sendall(junk)
        time.sleep(3600)
    except OSError:
        pass
    c.close()

def serve(ls, mode):
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c, mode), daemon=True).start()

base = int(sys.argv[1])
for i, mode in enumerate(["silent", "banner", "flood"]):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", base + i))
    ls.listen(16)
    threading.Thread(target=serve, args=(ls, mode), daemon=True).start()
print("ready", flush=True)
time.sleep(3600)
EOF
PROXIES="${PROXIES:-} $!"	# rivd_cleanup stops them
i=0
while ! grep -q ready "$TMP/peers.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "peers did not start: $(cat "$TMP/peers.log")"
	sleep 0.1
done
for p in silent:0 banner:1 flood:2 refused:3; do
	conf_attester s1 "$GOOD $PCR_SUB" "ssh-${p%%:*}" \
	    $((PEER_PORT + ${p#*:}))
done
conf_end
$PY - "$TMP/rivd.xml" <<'EOF' || die "conf"
import sys
t = open(sys.argv[1]).read()
for name, address in (("ssh-name", "localhost"),
                      ("ssh-noname", "rivd-ssh-test.invalid")):
    i = t.index("<name>%s</name>" % name)
    t = t[:i] + t[i:].replace("<address>127.0.0.1</address>",
                              "<address>%s</address>" % address, 1)
open(sys.argv[1], "w").write(t)
EOF
start_rivd "$TMP/rivd.xml"

IS_GOOD="v['attester'] == 'ssh-good'"
for s in pcr-trust-evidence bios-log ima-log; do
	wait_verdicts 3 "$IS_GOOD and v['stream'] == '$s' and \
v['result'] == 'pass'" "$s passes over SSH"
done
wait_verdicts 2 "v['attester'] == 'ssh-name' and v['result'] == 'pass'" \
    "an attester named by host name passes over SSH"
check_log_count "attester ssh-good: session up \(chunked framing\)" 1 \
    "the SSH session speaks base:1.1"

# An allowed program, then one the policy refuses, over SSH.
dev_ctl s1 measure /bin/true >/dev/null || die "measure"
dev_ctl s1 measure /bin/false >/dev/null || die "measure"
wait_verdicts 1 "$IS_GOOD and v['stream'] == 'ima-log' and \
v['result'] == 'fail' and any('/bin/false' in r for r in v['reasons'])" \
    "a program the IMA policy refuses fails over SSH"

# The refused ones: reason logged, retried, never a verdict.
check_log_count "attester ssh-wrong-host: session closed: SSH: host key of \
ssh-wrong-host does not match .*other_ssh_key.pub" 2 \
    "a wrong host key is refused, and retried" 30
check_log_count "attester ssh-bad-key: session closed: SSH: authentication \
failed" 2 "a key the attester does not authorize fails, and is retried" 30
for p in silent banner; do
	check_log_count "attester ssh-$p: session closed: connect deadline \
passed" 1 "a $p SSH peer meets the connect deadline" 15
done
check_log_count "attester ssh-flood: session closed: SSH: " 1 \
    "a peer flooding bytes after its banner is an SSH error" 15
check_log_count "attester ssh-refused: session closed: SSH: cannot connect \
to 127.0.0.1 port $((PEER_PORT + 3))" 1 "a refused TCP connect is an SSH error"
# The lookup fails, or the connect deadline cancels it.
check_log_count "attester ssh-noname: session closed: (SSH: cannot resolve \
rivd-ssh-test.invalid|connect deadline passed)" 1 \
    "a name that does not resolve is an error"
check_verdicts "not any(v['attester'] in ('ssh-wrong-host', 'ssh-bad-key', \
'ssh-silent', 'ssh-banner', 'ssh-flood', 'ssh-refused', 'ssh-noname') \
for v in vs)" \
    "no verdicts from refused SSH sessions"
check_verdicts "all(v['result'] == 'pass' for v in vs if $IS_GOOD and \
v['stream'] != 'ima-log')" "the good SSH session is not disturbed"
if grep -q "attester ssh-good: session closed" "$RIVD_LOG"; then
	nfail=$((nfail + 1))
	echo "FAIL: the good SSH session was closed:"
	grep "attester ssh-good: session closed" "$RIVD_LOG" | head -3
else
	npass=$((npass + 1))
fi

# The attester goes away and comes back: rivd reconnects over SSH.
stop_device s1
check_log_count "attester ssh-good: session closed" 1 \
    "the attester's exit closes the SSH session" 10
n0=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
# shellcheck disable=SC2086
restart_device s1 -- $SSH_OPTS
wait_verdicts 1 "$IS_GOOD and v['stream'] == 'pcr-trust-evidence' and \
v['result'] == 'pass' and vs.index(v) >= $n0" \
    "rivd reconnects over SSH when the attester is back" 40

check_rivd_alive
stop_rivd
check_sanitizers
finish
