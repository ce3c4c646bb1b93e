#!/bin/sh
# cli_appraise.sh — rivctl appraise: a real GCE vTPM quote (nonce 9009) with
# the PCR values it covers, a measured-boot log from another boot of the same
# image (PCRs 5 and 9 differ, 0-4 and 6-8 agree), and reference values.
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
expect_json 'd["checks"] == {"signature": "ok", "nonce": "ok", "pcr_digest": "ok", "bios_log": "skipped", "reference": "ok"}' "checks all ok"
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
expect_status 2 "unknown option" -- appraise $QA --frobnicate
expect_status 0 "--help" -- appraise --help
expect_output '^usage: rivctl appraise' "usage on stdout"
finish
