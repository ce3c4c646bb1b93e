#!/bin/sh
# rivd_ietf_attester.sh — both sides of draft-ietf-rats-network-device-
# subscription-13 against each other: rivd subscribes to the stream
# `attestation` of a swtpm-backed riv-attester with a real boot log: the
# replay since boot and the quote pass against the reference values, a
# measured file (IMA, PCR 10) is reported by pcr-extend and the next quote
# passes, an extend no log records fails naming the replay, and
# a reboot ends the subscription and rivd subscribes again with a new nonce
# and passes.  Exit 77 (skip) without swtpm or ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"
trap 'rivd_cleanup' EXIT

need_tools
need_bios
make_pki
start_device e1 rp0 -- --bios-log "$BIOS" --ietf-marshalling 1 \
    --ietf-heartbeat 30
write_reference "$TMP/reference.json" "$BIOS"
conf_begin "$TMP/rivd.xml"
conf_attester e1 "<reference-values>$TMP/reference.json</reference-values>
    <subscription><stream>attestation</stream><heartbeat>60</heartbeat>
      <pcr>0</pcr><pcr>1</pcr><pcr>2</pcr><pcr>3</pcr><pcr>4</pcr>
      <pcr>5</pcr><pcr>6</pcr><pcr>7</pcr><pcr>10</pcr></subscription>"
conf_end
start_rivd "$TMP/rivd.xml"

A="v['stream'] == 'attestation' and v['attester'] == 'e1'"
wait_verdicts 1 "$A and v['result'] == 'pass'" \
    "the replay since boot and the first quote pass" 40
check_verdicts "not [v for v in vs if $A and v['result'] != 'pass']" \
    "nothing but passes after the replay"

dev_ctl e1 measure /bin/true >/dev/null || die "measure"
wait_verdicts 2 "$A and v['result'] == 'pass'" \
    "a measured file: pcr-extend, then a quote that passes" 30

dev_ctl e1 tamper 10 >/dev/null || die "tamper"
wait_verdicts 1 "$A and v['result'] == 'fail' and 'replay' in v['codes'] and any('PCR 10' in r for r in v['reasons'])" \
    "an extend no pcr-extend reported fails naming PCR 10" 30

n=$(grep -c "subscribed to attestation" "$RIVD_LOG")
id0=$(last_id)
dev_ctl e1 reboot >/dev/null || die "reboot"
wait_verdicts 1 "$A and v['result'] == 'pass' and v['id'] > $id0" \
    "after the reboot rivd subscribes again and passes" 60
check_log_count "subscribed to attestation" $((n + 1)) \
    "rivd logged a new subscription after the reboot"

check_rivd_alive
stop_rivd
check_sanitizers
finish
