#!/bin/sh
# cli_appraise.sh — rivctl appraise: a real GCE vTPM quote (nonce 9009) with
# the PCR values it covers, a measured-boot log from another boot of the same
# image (PCRs 5 and 9 differ, 0-4 and 6-8 agree), and reference values; every
# input validated before any check; structures signed here with openssl that
# are not quotes.
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

Q=$CORPUS/quotes/go-tpm-tools__gce-cos-85-nonce9009
LOG=$CORPUS/bios/go-tpm-tools__cos-85-amd-sev.bin
QA="--attest $Q.quote1_sha256.attest.bin --sig $Q.quote1_sha256.sig.bin --ak $Q.akpub.bin"

# Write the quoted sha256 PCRs and reference files from the corpus truth.
python3 - "$Q.expected.json" "$TMP" <<'PY' || { echo "FAIL: setup"; exit 1; }
import json, sys
exp = json.load(open(sys.argv[1]))
pcrs = next(x for x in exp["quotes"] if x["bank"] == "sha256")["pcrs"]
out = sys.argv[2]
json.dump({"pcrs": {"sha256": pcrs}}, open(out + "/pcrs.json", "w"))
# Without PCRs 5 and 9: those must then come from the boot log.
json.dump({"pcrs": {"sha256": {k: v for k, v in pcrs.items()
                               if k not in ("5", "9")}}},
          open(out + "/pcrs-no59.json", "w"))
ref = {"version": 1, "pcrs": {"sha256": {k: [v, "11" * 32]
                                         for k, v in pcrs.items()}}}
json.dump(ref, open(out + "/ref.json", "w"))
ref["pcrs"]["sha256"]["4"] = ["22" * 32]
json.dump(ref, open(out + "/ref-bad4.json", "w"))
ref["pcrs"]["sha256"]["4"] = [pcrs["4"]]
ref["pcrs"]["sha1"] = {"0": "c032c3b51dbb6f96b047421512fd4b4dfde496f3"}
json.dump(ref, open(out + "/ref-sha1.json", "w"))
bad = json.loads(json.dumps({"pcrs": {"sha256": pcrs}}))
bad["pcrs"]["sha256"]["16"] = "33" * 32
json.dump(bad, open(out + "/pcrs-tampered.json", "w"))
PY
printf '{"pcrs":{"sha256":{"0":"00"}}}' >"$TMP/ref-malformed.json"

expect_status 0 "quote + reported PCRs + reference: pass" -- \
    appraise $QA --nonce 9009 --pcrs "$TMP/pcrs.json" \
    --reference "$TMP/ref.json" --json
expect_json 'd["verdict"] == "pass" and d["failures"] == []' "pass verdict"
expect_json 'd["checks"] == {"signature": "ok", "structure": "ok", "nonce": "ok", "pcr_digest": "ok", "bios_log": "skipped", "reference": "ok"}' "checks all ok"
expect_json 'len(d["pcrs"]["sha256"]) == 24 and d["reference_pcrs"] == 24' "24 covered PCRs compared"

expect_status 0 "human output" -- appraise $QA --nonce 9009 \
    --pcrs "$TMP/pcrs.json" --reference "$TMP/ref.json"
expect_output '^verdict: pass$' "human verdict line"

expect_status 1 "reference mismatch on PCR 4" -- appraise $QA --nonce 9009 \
    --pcrs "$TMP/pcrs.json" --reference "$TMP/ref-bad4.json" --json
expect_json 'd["verdict"] == "fail" and [(f["check"], f["pcr"]) for f in d["failures"]] == [("reference", 4)]' "only PCR 4 fails"

expect_status 1 "reference on a bank the quote does not cover" -- \
    appraise $QA --nonce 9009 --pcrs "$TMP/pcrs.json" \
    --reference "$TMP/ref-sha1.json" --json
expect_json '[(f["check"], f["bank"], f["pcr"]) for f in d["failures"]] == [("reference", "sha1", 0)]' "uncovered sha1 PCR 0 fails"

expect_status 1 "stale nonce" -- appraise $QA --nonce 9008 \
    --pcrs "$TMP/pcrs.json" --json
expect_json 'd["checks"]["nonce"] == "fail" and d["checks"]["pcr_digest"] == "ok"' "nonce fails alone"

expect_status 1 "tampered PCR 16" -- appraise $QA --nonce 9009 \
    --pcrs "$TMP/pcrs-tampered.json" --reference "$TMP/ref.json" --json
expect_json 'd["checks"]["pcr_digest"] == "fail" and d["pcrs"] == {}' "no values trusted when the digest fails"
expect_json 'd["checks"]["reference"] == "fail"' "references fail without covered values"

expect_status 1 "boot log from another boot" -- appraise $QA --nonce 9009 \
    --pcrs "$TMP/pcrs.json" --bios-log "$LOG" --json
expect_json 'sorted((f["bank"], f["pcr"]) for f in d["failures"] if f["check"] == "bios-log") == [("sha256", 5), ("sha256", 9)]' "log differs from the reported sha256 values exactly in PCRs 5 and 9"
expect_json 'd["checks"]["bios_log"] == "fail" and d["checks"]["pcr_digest"] == "fail"' "log values break the quote digest"

expect_status 1 "PCRs 5 and 9 taken from the log only" -- appraise $QA \
    --nonce 9009 --pcrs "$TMP/pcrs-no59.json" --bios-log "$LOG" --json
expect_json 'd["checks"]["bios_log"] == "ok" and d["checks"]["pcr_digest"] == "fail"' "digest mismatch found"

expect_status 2 "quote selects PCRs nobody gives" -- appraise $QA \
    --nonce 9009 --bios-log "$LOG"
expect_stderr 'PCR' "missing PCR named"

# A log whose events lack some banks' digests: no sha1 digests on PCR 0, no
# sha256 digests on PCRs 5 and 9 (the two PCRs where this boot's log and the
# quote disagree).  The log can neither confirm nor refute those PCRs: the
# reported values stand where the quote covers them, the log is tied to the
# quote by the PCRs it replays completely.
drop_digests "$LOG" "$TMP/gaps.bin" sha1:0 sha256:5:9
expect_status 0 "incomplete log: the quoted values decide" -- appraise $QA \
    --nonce 9009 --pcrs "$TMP/pcrs.json" --bios-log "$TMP/gaps.bin" \
    --reference "$TMP/ref.json" --json
expect_json 'd["verdict"] == "pass" and d["checks"]["bios_log"] == "ok" and d["checks"]["pcr_digest"] == "ok"' "pass: PCRs 0-4 and 6-8 replay to the quoted values"
expect_json 'd["incomplete"] == {"sha1": [0], "sha256": [5, 9]}' "incomplete PCRs reported"
expect_status 0 "incomplete log, human output" -- appraise $QA \
    --nonce 9009 --pcrs "$TMP/pcrs.json" --bios-log "$TMP/gaps.bin"
expect_output '^bios log:   ok \(46 events\); incomplete: sha1 PCR 0; sha256 PCRs 5,9$' "incomplete PCRs on the bios log line"
expect_status 2 "incomplete log cannot give a quoted PCR" -- appraise $QA \
    --nonce 9009 --pcrs "$TMP/pcrs-no59.json" --bios-log "$TMP/gaps.bin"
expect_stderr "cannot check the quote's PCR digest: it selects sha256 PCR 5, but the boot log is incomplete for sha256 PCR 5: event 18 at byte offset [0-9]+ carries no sha256 digest, and --pcrs does not give its value" "precise reason"
expect_status 1 "reference on an incomplete PCR no quote covers" -- \
    appraise $QA --nonce 9009 --pcrs "$TMP/pcrs.json" \
    --bios-log "$TMP/gaps.bin" --reference "$TMP/ref-sha1.json" --json
expect_json '[(f["check"], f["bank"], f["pcr"]) for f in d["failures"]] == [("reference", "sha1", 0)]' "only sha1 PCR 0 undecided"
expect_json 'd["failures"][0]["reason"].startswith("sha1 PCR 0: cannot decide: the boot log is incomplete for sha1 PCR 0: event 1 at byte offset 73 carries no sha1 digest")' "cannot decide, and why"
drop_digests "$LOG" "$TMP/gaps-all.bin" sha256:0:1:2:3:4:5:6:7:8:9
expect_status 1 "quote covers only incomplete PCRs" -- appraise $QA \
    --nonce 9009 --pcrs "$TMP/pcrs.json" --bios-log "$TMP/gaps-all.bin" --json
expect_json 'd["checks"]["bios_log"] == "fail" and "covers only PCRs for which the log is incomplete" in d["failures"][0]["reason"]' "log not tied to the quote"

expect_status 1 "quote from another bank's AK file mix-up (sha1 sig on sha256 attest)" -- \
    appraise --attest "$Q.quote1_sha256.attest.bin" \
    --sig "$Q.quote0_sha1.sig.bin" --ak "$Q.akpub.bin" --nonce 9009 --json
expect_json 'd["checks"]["signature"] == "fail" and d["verdict"] == "fail"' "signature fails"

expect_status 2 "malformed reference file" -- appraise $QA --nonce 9009 \
    --pcrs "$TMP/pcrs.json" --reference "$TMP/ref-malformed.json"
expect_stderr 'pcrs.sha256.0: expected 32 bytes of hex at byte offset' "reference error names member and offset"
expect_status 2 "missing --ak" -- appraise --attest "$Q.quote1_sha256.attest.bin" \
    --sig "$Q.quote1_sha256.sig.bin"
expect_status 2 "unreadable attest" -- appraise --attest "$TMP/nonexistent" \
    --sig "$Q.quote1_sha256.sig.bin" --ak "$Q.akpub.bin"
expect_stderr 'nonexistent' "names the file"
expect_status 2 "bad nonce hex" -- appraise $QA --nonce 90x9
expect_status 2 "empty nonce" -- appraise $QA --nonce ""
expect_stderr '--nonce is empty' "empty nonce named"
expect_status 2 "odd nonce length" -- appraise $QA --nonce 900
expect_stderr 'even number of hex digits, at most 64 bytes' "odd nonce named"
expect_status 2 "65-byte nonce" -- appraise $QA --nonce "$(printf '%0130d' 9)"
expect_stderr 'at most 64 bytes' "long nonce named"
expect_status 1 "64-byte nonce" -- appraise $QA --nonce "$(printf '%0128d' 9)"

# Every input is validated before any check: with a signature that fails
# (exit 1), malformed or unreadable inputs are still exit 2.
BADSIG="--attest $Q.quote1_sha256.attest.bin --sig $Q.quote0_sha1.sig.bin --ak $Q.akpub.bin"
printf 'not a log' >"$TMP/garbage.log"
for args in "--nonce 90x9" "--nonce 9009 --pcrs $TMP/nonexistent" \
    "--nonce 9009 --pcrs $TMP/ref-malformed.json" \
    "--nonce 9009 --pcrs $TMP/pcrs.json --bios-log $TMP/nonexistent" \
    "--nonce 9009 --pcrs $TMP/pcrs.json --bios-log $TMP/garbage.log" \
    "--nonce 9009 --pcrs $TMP/pcrs.json --reference $TMP/nonexistent" \
    "--nonce 9009 --pcrs $TMP/pcrs.json --reference $TMP/ref-malformed.json" \
    "--nonce 9009 --pcrs $TMP/pcrs-no59.json"; do
	expect_status 2 "bad signature and a bad input: $args" -- \
	    appraise $BADSIG $args --json
	if [ -s "$TMP/out" ]; then
		nfail=$((nfail + 1)); echo "FAIL: $args: stdout not empty"
	else
		npass=$((npass + 1))
	fi
done
expect_status 1 "bad signature, sound inputs" -- appraise $BADSIG \
    --nonce 9009 --pcrs "$TMP/pcrs.json" --bios-log "$LOG" \
    --reference "$TMP/ref.json" --json
expect_json '[f["check"] for f in d["failures"]] == ["signature"] and d["checks"]["nonce"] == "skipped"' \
    "only the signature fails, nothing else is checked"
head -c 65537 /dev/zero >"$TMP/big.attest"
expect_status 2 "attest file over 64 KiB" -- appraise --attest "$TMP/big.attest" \
    --sig "$Q.quote1_sha256.sig.bin" --ak "$Q.akpub.bin"
expect_stderr 'larger than the limit of 65536 bytes' "limit named"

# Structures signed here with openssl: the signature verifies, but they are
# not TPM-generated quotes (wrong magic, or a certify structure).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$TMP/k.key" 2>/dev/null &&
    openssl pkey -in "$TMP/k.key" -pubout -out "$TMP/k.pem" ||
    { nfail=$((nfail + 1)); echo "FAIL: openssl genpkey"; }
python3 - "$TMP" <<'PY' || { nfail=$((nfail + 1)); echo "FAIL: attests"; }
import struct, sys
t = sys.argv[1]
def attest(magic, typ, rest):
    return struct.pack(">IH", magic, typ) + struct.pack(">H", 34) + \
        b"\x00\x0b" + b"\xaa" * 32 + struct.pack(">H", 2) + b"\x90\x09" + \
        struct.pack(">QIIBQ", 1, 2, 3, 1, 0x1122334455667788) + rest
quote = struct.pack(">IHB", 1, 0x000b, 3) + b"\x01\x00\x00" + \
    struct.pack(">H", 32) + b"\x11" * 32
open(t + "/magic.attest", "wb").write(attest(0x12345678, 0x8018, quote))
certify = struct.pack(">H", 4) + b"name" + struct.pack(">H", 4) + b"qual"
open(t + "/certify.attest", "wb").write(attest(0xff544347, 0x8017, certify))
open(t + "/p24.attest", "wb").write(attest(0xff544347, 0x8018,
    struct.pack(">IHB", 1, 0x000b, 4) + b"\x01\x00\x00\x01" +
    struct.pack(">H", 32) + b"\x11" * 32))
PY
# ecdsa_sign NAME: NAME.sig, a TPMT_SIGNATURE (ECDSA/SHA-256) over NAME.attest
ecdsa_sign() {
	openssl dgst -sha256 -sign "$TMP/k.key" -out "$TMP/$1.der" \
	    "$TMP/$1.attest" &&
	python3 -c 'import struct, sys
d = open(sys.argv[1] + ".der", "rb").read()
# DER SEQUENCE { INTEGER r, INTEGER s } of a P-256 signature
i = 2
out = []
for _ in range(2):
    n = d[i + 1]
    out.append(int.from_bytes(d[i + 2:i + 2 + n], "big").to_bytes(32, "big"))
    i += 2 + n
open(sys.argv[1] + ".sig", "wb").write(struct.pack(">HHH", 0x18, 0x0b, 32) +
    out[0] + struct.pack(">H", 32) + out[1])' "$TMP/$1" ||
	    { nfail=$((nfail + 1)); echo "FAIL: ecdsa_sign $1"; }
}
ecdsa_sign magic
ecdsa_sign certify
ecdsa_sign p24
printf '{"pcrs":{"sha256":{"0":"%s"}}}' "$(printf '%064d' 0)" >"$TMP/p0.json"
expect_status 1 "signed structure with a wrong magic" -- appraise \
    --attest "$TMP/magic.attest" --sig "$TMP/magic.sig" --ak "$TMP/k.pem" \
    --nonce 9009 --pcrs "$TMP/p0.json" --json
expect_json 'd["checks"]["signature"] == "ok" and d["checks"]["structure"] == "fail" and [f["check"] for f in d["failures"]] == ["structure"]' \
    "signature verified, structure failure reported as such"
expect_json '"magic 0x12345678 is not TPM_GENERATED_VALUE" in d["failures"][0]["reason"] and d["checks"]["nonce"] == "skipped" and d["checks"]["pcr_digest"] == "skipped" and d["pcrs"] == {}' \
    "nothing else checked or trusted"
expect_status 1 "signed certify structure" -- appraise \
    --attest "$TMP/certify.attest" --sig "$TMP/certify.sig" --ak "$TMP/k.pem" \
    --json
expect_json 'd["checks"]["signature"] == "ok" and [f["check"] for f in d["failures"]] == ["structure"] and "(certify) is not TPM_ST_ATTEST_QUOTE" in d["failures"][0]["reason"]' \
    "certify structure reported"
expect_status 1 "wrong magic and a wrong signature" -- appraise \
    --attest "$TMP/magic.attest" --sig "$TMP/certify.sig" --ak "$TMP/k.pem" \
    --json
expect_json '[f["check"] for f in d["failures"]] == ["signature", "structure"]' \
    "both reported"
expect_status 1 "human output names the structure check" -- appraise \
    --attest "$TMP/magic.attest" --sig "$TMP/magic.sig" --ak "$TMP/k.pem"
expect_output '^structure:  fail$' "structure line"
expect_output '^FAIL structure: TPMS_ATTEST: magic' "structure failure line"
expect_status 0 "PCR 24 selected, no PCR values to check" -- appraise \
    --attest "$TMP/p24.attest" --sig "$TMP/p24.sig" --ak "$TMP/k.pem"
expect_status 2 "PCR 24 selected, PCR values to check" -- appraise \
    --attest "$TMP/p24.attest" --sig "$TMP/p24.sig" --ak "$TMP/k.pem" \
    --pcrs "$TMP/p0.json"
expect_stderr 'the quote selects sha256 PCR 24, but rivd supports PCRs 0-23 only' \
    "PCR 24 named as unsupported"
# Firmware that extends the ExitBootServices events into PCR 5 without
# logging them (quirk ebs-unlogged): quotes signed here over the sha256 PCRs
# 0-7 of the arch-linux-workstation log as the TPM would hold them.  The
# quirk is recognised only when the quote's PCR digest covers the tolerant
# replay exactly, and fails unless the reference values accept it.
ARCH=$CORPUS/bios/go-tpm-tools__arch-linux-workstation.bin
"$RIVCTL" bios-log --json "$ARCH" >"$TMP/arch.json"
# quirk_quote VARIANT: $TMP/q-VARIANT.{attest,sig,pcrs.json} (see quirk_pcrs)
quirk_quote() {
	quirk_pcrs "$TMP/arch.json" "$TMP/q-$1.pcrs.json" "$1" &&
	python3 - "$TMP" "$1" <<'PY' && ecdsa_sign "q-$1"
import hashlib, json, struct, sys
t, v = sys.argv[1:3]
p = json.load(open(f"{t}/q-{v}.pcrs.json"))["pcrs"]["sha256"]
digest = hashlib.sha256(b"".join(bytes.fromhex(p[str(i)])
                                 for i in range(8))).digest()
quote = struct.pack(">IHB", 1, 0x000b, 3) + b"\xff\x00\x00" + \
    struct.pack(">H", 32) + digest
open(f"{t}/q-{v}.attest", "wb").write(struct.pack(">IHH", 0xff544347,
    0x8018, 34) + b"\x00\x0b" + b"\xaa" * 32 + struct.pack(">H", 2) +
    b"\x90\x09" + struct.pack(">QIIBQ", 1, 2, 3, 1, 0x1122334455667788) +
    quote)
PY
}
for v in none success garbage; do
	quirk_quote $v || { nfail=$((nfail + 1)); echo "FAIL: quirk_quote $v"; }
done
python3 - "$TMP" <<'PY' || { nfail=$((nfail + 1)); echo "FAIL: quirk refs"; }
import json, sys
t = sys.argv[1]
p = json.load(open(t + "/q-success.pcrs.json"))["pcrs"]["sha256"]
ref = {"pcrs": {"sha256": {"5": p["5"]}}}
json.dump(ref, open(t + "/ref-q-noaccept.json", "w"))
ref["accept_quirks"] = ["ebs-unlogged"]
json.dump(ref, open(t + "/ref-q-accept.json", "w"))
json.dump({"pcrs": {}, "accept_quirks": ["ebs-forgotten"]},
          open(t + "/ref-q-unknown.json", "w"))
json.dump({"pcrs": {}, "accept_quirks": ["ebs-unlogged", "ebs-unlogged"]},
          open(t + "/ref-q-twice.json", "w"))
json.dump({"pcrs": {}, "accept_quirks": "ebs-unlogged"},
          open(t + "/ref-q-string.json", "w"))
PY
QQ() { echo "--attest $TMP/q-$1.attest --sig $TMP/q-$1.sig --ak $TMP/k.pem --nonce 9009"; }
expect_status 0 "quirk: none needed" -- appraise $(QQ none) \
    --bios-log "$ARCH" --json
expect_json 'd["verdict"] == "pass" and d["quirks"] == [] and d["checks"]["pcr_digest"] == "ok"' "no quirk when the log replays exactly"
expect_status 1 "quirk: needed, no reference values" -- appraise \
    $(QQ success) --bios-log "$ARCH" --json
expect_json 'd["quirks"] == [{"name": "ebs-unlogged", "pcr": 5, "accepted": False}] and [f["check"] for f in d["failures"]] == ["quirk"]' "quirk named, not accepted by default"
expect_json 'd["checks"]["pcr_digest"] == "ok" and d["checks"]["bios_log"] == "ok" and "ebs-unlogged" in d["failures"][0]["reason"]' "the log is tied to the quote through the quirk"
expect_json "d['pcrs']['sha256']['5'] == json.load(open('$TMP/q-success.pcrs.json'))['pcrs']['sha256']['5']" "covered PCR 5 is the tolerant replay"
expect_status 1 "quirk: reference values that do not accept it" -- appraise \
    $(QQ success) --bios-log "$ARCH" --reference "$TMP/ref-q-noaccept.json" \
    --json
expect_json '[f["check"] for f in d["failures"]] == ["quirk"] and d["checks"]["reference"] == "ok" and "accept_quirks" in d["failures"][0]["reason"]' "only the quirk fails"
expect_status 0 "quirk: accepted by the reference values" -- appraise \
    $(QQ success) --bios-log "$ARCH" --reference "$TMP/ref-q-accept.json" \
    --json
expect_json 'd["verdict"] == "pass" and d["quirks"] == [{"name": "ebs-unlogged", "pcr": 5, "accepted": True}]' "accepted quirk passes, still named"
expect_status 0 "quirk: reported values carry the tolerant PCR 5" -- \
    appraise $(QQ success) --bios-log "$ARCH" \
    --pcrs "$TMP/q-success.pcrs.json" --reference "$TMP/ref-q-accept.json" \
    --json
expect_json 'd["quirks"][0]["accepted"] and d["failures"] == []' "reported tolerant value is no bios-log failure"
expect_status 0 "quirk: human output" -- appraise $(QQ success) \
    --bios-log "$ARCH" --reference "$TMP/ref-q-accept.json"
expect_output '^bios log:   ok \(25 events\); quirk: ebs-unlogged \(accepted\)$' "quirk on the bios log line"
expect_status 1 "quirk: PCR 5 matching neither" -- appraise $(QQ garbage) \
    --bios-log "$ARCH" --reference "$TMP/ref-q-accept.json" --json
expect_json 'd["quirks"] == [] and d["checks"]["pcr_digest"] == "fail"' "no quirk, digest fails"
expect_status 1 "quirk: plain quote, reference expecting the quirk" -- \
    appraise $(QQ none) --bios-log "$ARCH" \
    --reference "$TMP/ref-q-accept.json" --json
expect_json 'd["quirks"] == [] and [(f["check"], f["pcr"]) for f in d["failures"]] == [("reference", 5)]' "accepting a quirk does not require it"
expect_status 2 "quirk: unknown name in accept_quirks" -- appraise \
    $(QQ success) --bios-log "$ARCH" --reference "$TMP/ref-q-unknown.json"
expect_stderr 'accept_quirks: unknown quirk "ebs-forgotten" at byte offset [0-9]+' "unknown quirk named"
expect_status 2 "quirk: name listed twice" -- appraise \
    $(QQ success) --bios-log "$ARCH" --reference "$TMP/ref-q-twice.json"
expect_stderr 'listed twice' "repeated quirk named"
expect_status 2 "quirk: accept_quirks not an array" -- appraise \
    $(QQ success) --bios-log "$ARCH" --reference "$TMP/ref-q-string.json"
expect_stderr 'accept_quirks: expected an array' "type error named"

expect_status 2 "unknown option" -- appraise $QA --frobnicate
expect_status 0 "--help" -- appraise --help
expect_output '^usage: rivctl appraise' "usage on stdout"
finish
