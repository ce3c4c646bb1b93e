#!/bin/sh
# rivd_replies.sh — rivd reads hellos and rpc-replies by their XML
# structure (tests/rivd_replies.py plays the attesters): a hello of
# prefixed elements whose base:1.1 capability is wrapped in white space
# brings the session up with chunked framing, and a prefixed
# establish-subscription reply subscribes; base URIs only in the text of
# other namespaces' elements or of a comment are no capability; an
# rpc-error whose error-message holds an escaped <rpc-reply> with an id is
# a refusal that quotes the decoded text; an rpc-reply without a
# message-id is a malformed message.  Two notifications in one TCP
# segment, then silence: rivd reads ahead (several TLS records a read) and
# must appraise both at once although the socket announces nothing more;
# likewise a TLS 1.2 attester's hello that came with the handshake's end,
# and a notification that came with the attester's close.  rivd stops
# while an attester has not answered establish-subscription: the session
# it leaves lingering is freed (LeakSanitizer: the ASan build's run of
# this test catches the leak).
# Exit 77 (skip) without openssl.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
. "$RIV_SRCDIR/tests/rivd_fake.sh"

command -v openssl >/dev/null 2>&1 || { echo "skip: no openssl"; exit 77; }
trap '[ -n "$FAKE_PID" ] && stop_pid "$FAKE_PID"
rivd_cleanup' EXIT

SCENARIOS="prefixed textcap escaped noid burst tls12 lastword mute"
RDIR=$TMP/replies

make_pki
# The AK of a TPM of the fuzz seeds (tests/fuzz/notif_harness.c): no
# quote is ever checked here, but every TPM needs one.
AK=$TMP/ak.pub
sed -n '/^static const char \*const ak_hex/,/^};/p' \
    "$RIV_SRCDIR/tests/fuzz/notif_harness.c" | sed -n '2,/",$/p' |
    tr -d ' \t",\n' | $PY -c 'import sys
sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' >"$AK" ||
    die "no AK"
[ -s "$AK" ] || die "no AK"
# shellcheck disable=SC2086
start_fake rivd_replies.py "$RDIR" --max-seconds 120 $SCENARIOS

conf_begin "$TMP/rivd.xml"
while read -r name port; do
	cat >>"$TMP/rivd.xml" <<XML
  <attester><name>$name</name><address>127.0.0.1</address><port>$port</port>
    <tpm><name>rp0</name><ak>$AK</ak></tpm>
    <subscription><stream>pcr-trust-evidence</stream><period>100</period></subscription>
  </attester>
XML
done <"$RDIR/ports"
conf_end
start_rivd "$TMP/rivd.xml"

check_log_count "attester prefixed: session up \(chunked framing\)" 1 \
    "a prefixed hello with white space around base:1.1: chunked" 20
check_log_count "attester prefixed: subscribed to pcr-trust-evidence \(id 4242\)" 1 \
    "a prefixed establish-subscription reply subscribes" 20
check_log_count "attester textcap: session closed: the attester's hello offers neither" 1 \
    "base URIs only in other elements' text or a comment: no capability" 20
check_no_log "attester textcap: session up" 0 \
    "no session from a hello without base capabilities"
check_log_count "attester escaped pcr-trust-evidence: establish-subscription refused: not <rpc-reply><id xmlns=\"urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications\">7</id><seed-id>" 1 \
    "an escaped reply in an error-message is text of the refusal" 20
check_no_log "attester escaped: subscribed" 0 \
    "the escaped reply in an error-message does not subscribe"
wait_verdicts 1 "v['attester'] == 'noid' and v['stream'] == 'session' and \
v['result'] == 'error' and 'malformed' in v['codes'] and \
any('without a valid message-id' in r for r in v['reasons'])" \
    "an rpc-reply without a message-id is malformed"
check_log_count "attester noid: subscribed to pcr-trust-evidence \(id 4343\)" 1 \
    "the same reply with its message-id subscribes" 20
wait_verdicts 1 "v['attester'] == 'escaped' and v['result'] == 'error' and \
'subscription' in v['codes'] and any('not <rpc-reply><id' in r for r in \
v['reasons'])" "the refusal's verdict quotes the decoded error-message"
wait_for_event() {
	n=0
	while ! grep -q "$1" "$RDIR/events" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.2
		n=$((n + 1))
	done
}
check_log_count "attester tls12: session up" 1 \
    "a hello in the segment of the TLS 1.2 handshake's end is read" 4
check_no_log "attester tls12: session closed" 0 \
    "the TLS 1.2 session is not closed"
wait_for_event "lastword 1 closed"
wait_verdicts 1 "v['attester'] == 'lastword' and 'foreign' in v['codes']" \
    "a notification in the segment of the attester's close is appraised" 3
wait_for_event "burst 1 burst"
# Both verdicts within 3 s: a record left in OpenSSL's buffer would wait
# for a packet that never comes.
wait_verdicts 2 "v['attester'] == 'burst' and 'foreign' in v['codes']" \
    "two notifications in one segment, then silence: both appraised" 3

check_log_count "attester mute: session up" 1 \
    "an attester that never answers establish-subscription" 20
wait_for_event "mute 1 asked"
check_no_log "attester mute: subscribed" 0 "no reply, no subscription"

check_rivd_alive
stop_rivd
stop_pid "$FAKE_PID"
FAKE_PID=""
check_sanitizers
finish
