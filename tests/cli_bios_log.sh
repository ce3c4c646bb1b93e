#!/bin/sh
# cli_bios_log.sh — rivctl bios-log: corpus logs replay to their known PCR
# values; truncated, empty, garbage and missing files exit 2 with the reason.
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

B=$CORPUS/bios
DEB=$B/go-tpm-tools__debian-10.bin
COS=$B/go-tpm-tools__cos-85-amd-sev.bin

expect_status 0 "legacy log as JSON" -- bios-log "$DEB" --json
expect_json 'd["pcrs"]["sha1"]["0"] == "0f2d3a2a1adaa479aeeca8f5df76aadc41b862ea"' "debian-10 sha1 PCR 0"
expect_json 'd["pcrs"]["sha1"]["7"] == "9e6c57e850f371c2a7fe02bca552149363952318"' "debian-10 sha1 PCR 7"
expect_json 'd["format"] == "legacy" and d["banks"] == ["sha1"] and d["startup_locality"] is None' "legacy header members"
expect_json 'len(d["events"]) == 25 and d["events"][0] == {"number": 0, "offset": 0, "pcr": 0, "type": "EV_S_CRTM_VERSION", "type_id": 8, "digests": {"sha1": "3f708bdbaff2006655b540360e16474c100c1310"}, "data_size": 48, "extended": True}' "first event"
expect_json '[e["number"] for e in d["events"]] == list(range(25))' "events numbered in order"

# The quoted sha256 PCR 0 of the GCE attestation in quotes/ (same image).
expect_status 0 "agile log as JSON" -- bios-log --json "$COS"
expect_json 'd["format"] == "agile" and d["banks"] == ["sha1", "sha256", "sha384"]' "agile banks"
expect_json 'd["pcrs"]["sha256"]["0"] == "0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf"' "cos-85 sha256 PCR 0"
expect_json 'd["events"][0]["type"] == "EV_NO_ACTION" and d["events"][0]["extended"] is False' "Spec ID event not extended"
expect_json 'all(set(e["digests"]) == {"sha1", "sha256", "sha384"} for e in d["events"][1:])' "every event carries three digests"
expect_json 'set(d["pcrs"]["sha256"]) == set(str(e["pcr"]) for e in d["events"] if e["extended"])' "pcrs are exactly the touched PCRs"

expect_status 0 "human output" -- bios-log "$COS"
expect_output '^format: crypto-agile' "format line"
expect_output '^ +1 +0 +EV_S_CRTM_VERSION +sha1:3f708bdbaff2006655b540360e16474c100c1310$' "event line"
expect_output '^sha256 +PCR +0: 0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf$' "PCR line"

# Truncated inside the last event, which starts at byte offset 22147.
head -c 22200 "$DEB" >"$TMP/trunc.bin"
expect_status 2 "truncated log" -- bios-log "$TMP/trunc.bin" --json
expect_stderr 'event 24 at byte offset 22147: truncated' "truncation names event and offset"
[ -s "$TMP/out" ] && { nfail=$((nfail + 1)); echo "FAIL: output on malformed log"; }

: >"$TMP/empty.bin"
expect_status 2 "empty file" -- bios-log "$TMP/empty.bin"
expect_stderr 'empty log' "empty log named"

printf 'this is not a measured boot log at all' >"$TMP/garbage.bin"
expect_status 2 "garbage" -- bios-log "$TMP/garbage.bin"
expect_stderr 'event 0 at byte offset 0: PCR index' "garbage rejected at offset 0"

# Trailing 0xFF padding is accepted.
cp "$DEB" "$TMP/padded.bin"
head -c 512 /dev/zero | tr '\0' '\377' >>"$TMP/padded.bin"
expect_status 0 "0xFF padded log" -- bios-log "$TMP/padded.bin" --json
expect_json 'len(d["events"]) == 25 and d["pcrs"]["sha1"]["0"] == "0f2d3a2a1adaa479aeeca8f5df76aadc41b862ea"' "padding ignored"

# Events without a bank's digest (as Windows boot manager events on PCRs
# 11-14 carry only SHA-256): the other banks replay exactly as before; the
# bank that lacks a digest has no value for that PCR, reported incomplete.
drop_digests "$COS" "$TMP/gaps.bin" sha1:0 sha256:5:9
"$RIVCTL" bios-log --json "$COS" >"$TMP/full.json"
expect_status 0 "log with missing digests" -- bios-log --json "$TMP/gaps.bin"
expect_json 'd["incomplete"] == {"sha1": [0], "sha256": [5, 9]}' "incomplete PCRs per bank"
expect_json '"0" not in d["pcrs"]["sha1"] and "5" not in d["pcrs"]["sha256"] and "9" not in d["pcrs"]["sha256"]' "no value for an incomplete PCR"
expect_json "all(d['pcrs'][b][p] == v for b, m in json.load(open('$TMP/full.json'))['pcrs'].items() for p, v in m.items() if p in d['pcrs'][b])" "every other PCR replays as in the complete log"
expect_json 'len(d["pcrs"]["sha384"]) == 10 and len(d["pcrs"]["sha256"]) == 8 and len(d["pcrs"]["sha1"]) == 9' "only the incomplete PCRs are left out"
expect_json '[e["number"] for e in d["events"] if e.get("missing") == ["sha1"]] == [1, 2, 13] and d["events"][3].get("missing") is None' "events name the banks they lack"
expect_status 0 "missing digests, human output" -- bios-log "$TMP/gaps.bin"
expect_output '^incomplete: sha256 PCRs 5, 9 ' "incomplete banks listed"
expect_output '^sha1 +PCR +0: incomplete \(event 1 has no sha1 digest\)$' "incomplete PCR line"
expect_output '^ +1 +0 +EV_S_CRTM_VERSION +sha256:[0-9a-f]{64} \(no sha1\)$' "event line names the missing bank"
expect_status 0 "complete log: nothing incomplete" -- bios-log --json "$COS"
expect_json 'd["incomplete"] == {}' "no incomplete PCRs"

# --pcrs: the replay held against given (quoted) values.  A platform that
# extends the ExitBootServices EV_EFI_ACTION events into PCR 5 without
# logging them (quirk ebs-unlogged) is recognised only when the tolerant
# replay gives the quoted PCR 5 exactly, in every bank that quotes it.
ARCH=$B/go-tpm-tools__arch-linux-workstation.bin
"$RIVCTL" bios-log --json "$ARCH" >"$TMP/arch.json"
"$RIVCTL" bios-log --json "$DEB" >"$TMP/deb.json"
"$RIVCTL" bios-log --json "$COS" >"$TMP/cos.json"
for v in none success failure retry garbage; do
	quirk_pcrs "$TMP/arch.json" "$TMP/arch-$v.json" $v
done
quirk_pcrs "$TMP/deb.json" "$TMP/deb-success.json" success
quirk_pcrs "$TMP/cos.json" "$TMP/cos-success.json" success
quirk_pcrs "$TMP/arch.json" "$TMP/arch-sha256only.json" success sha256
expect_status 0 "--pcrs: plain replay matches" -- bios-log "$ARCH" \
    --pcrs "$TMP/arch-none.json" --json
expect_json 'd["match"]["matched"] and d["match"]["quirks"] == [] and d["match"]["mismatches"] == []' "matched without a quirk"
expect_json 'd["match"]["compared"] == {b: sorted(int(p) for p in m) for b, m in d["pcrs"].items()}' "every replayed PCR compared"
expect_status 0 "--pcrs: unlogged ExitBootServices events" -- bios-log \
    "$ARCH" --pcrs "$TMP/arch-success.json" --json
expect_json 'd["match"]["matched"] and d["match"]["quirks"] == [{"name": "ebs-unlogged", "pcr": 5, "extends": ["Exit Boot Services Invocation", "Exit Boot Services Returned with Success"]}]' "quirk named with its events"
expect_json "d['pcrs'] == json.load(open('$TMP/arch-none.json'))['pcrs']" "pcrs stay the replay of the log as it is"
expect_status 0 "--pcrs: quirk, human output" -- bios-log "$ARCH" \
    --pcrs "$TMP/arch-success.json"
expect_output ': match, 18 PCRs compared$' "match line"
expect_output '^quirk: ebs-unlogged: PCR 5 extended after the log with "Exit Boot Services Invocation", "Exit Boot Services Returned with Success" \(not logged\)$' "quirk line"
expect_status 0 "--pcrs: invocation and failure unlogged" -- bios-log \
    "$ARCH" --pcrs "$TMP/arch-failure.json" --json
expect_json 'd["match"]["quirks"][0]["extends"] == ["Exit Boot Services Invocation", "Exit Boot Services Returned with Failure"]' "failure variant"
expect_status 0 "--pcrs: failure then success unlogged" -- bios-log \
    "$ARCH" --pcrs "$TMP/arch-retry.json" --json
expect_json 'len(d["match"]["quirks"][0]["extends"]) == 3' "retry variant"
expect_status 0 "--pcrs: legacy log with the quirk" -- bios-log "$DEB" \
    --pcrs "$TMP/deb-success.json" --json
expect_json 'd["match"]["quirks"][0]["name"] == "ebs-unlogged"' "legacy sha1 quirk"
expect_status 1 "--pcrs: PCR 5 matching neither" -- bios-log "$ARCH" \
    --pcrs "$TMP/arch-garbage.json" --json
expect_json 'not d["match"]["matched"] and d["match"]["quirks"] == [] and sorted((m["bank"], m["pcr"]) for m in d["match"]["mismatches"]) == [("sha1", 5), ("sha256", 5)]' "mismatches named, no quirk"
expect_json 'all(m["given"] == "33" * (len(m["log"]) // 2) for m in d["match"]["mismatches"])' "mismatch shows both values"
expect_status 1 "--pcrs: PCR 5 matching neither, human output" -- \
    bios-log "$ARCH" --pcrs "$TMP/arch-garbage.json"
expect_output ': MISMATCH, 18 PCRs compared$' "mismatch line"
expect_output '^mismatch: sha256 PCR 5: log [0-9a-f]{64}, given (33){32}$' "mismatching PCR line"
expect_status 1 "--pcrs: quirk in one bank, plain in the other" -- \
    bios-log "$ARCH" --pcrs "$TMP/arch-sha256only.json" --json
expect_json 'not d["match"]["matched"] and d["match"]["quirks"] == []' "banks must agree on the quirk"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["pcrs"]["sha256"]["0"] = "44" * 32
json.dump(d, open(sys.argv[2], "w"))' "$TMP/arch-success.json" "$TMP/arch-success-pcr0.json"
expect_status 1 "--pcrs: quirk on PCR 5 cannot excuse PCR 0" -- \
    bios-log "$ARCH" --pcrs "$TMP/arch-success-pcr0.json" --json
expect_json 'not d["match"]["matched"] and d["match"]["quirks"] == [] and ("sha256", 0) in [(m["bank"], m["pcr"]) for m in d["match"]["mismatches"]]' "PCR 0 mismatch reported"
expect_status 1 "--pcrs: the log holds the ExitBootServices events" -- \
    bios-log "$COS" --pcrs "$TMP/cos-success.json" --json
expect_json 'not d["match"]["matched"] and d["match"]["quirks"] == []' "a logged quirk event rules the quirk out"
# sha1 PCR 5 incomplete (its events lack sha1 digests): compared in sha256 only.
drop_digests "$ARCH" "$TMP/arch-gap5.bin" sha1:5
expect_status 0 "--pcrs: quirk where the log is incomplete in a bank" -- \
    bios-log "$TMP/arch-gap5.bin" --pcrs "$TMP/arch-success.json" --json
expect_json 'd["match"]["quirks"][0]["name"] == "ebs-unlogged" and 5 not in d["match"]["compared"]["sha1"] and 5 in d["match"]["compared"]["sha256"]' "incomplete PCR not compared"
printf '{"pcrs":{"sha256":{"16":"%s"}}}' "$(printf '%064d' 0)" >"$TMP/p16.json"
expect_status 1 "--pcrs: no PCR in common" -- bios-log "$ARCH" \
    --pcrs "$TMP/p16.json"
expect_output 'MISMATCH, 0 PCRs compared' "nothing compared is no match"
expect_output '^no PCR has both a replayed and a given value$' "said why"
printf '{"pcrs":{"sha256":{"5":"00"}}}' >"$TMP/pbad.json"
expect_status 2 "--pcrs: malformed file" -- bios-log "$ARCH" \
    --pcrs "$TMP/pbad.json" --json
expect_stderr 'byte offset' "malformed --pcrs names the offset"
[ -s "$TMP/out" ] && { nfail=$((nfail + 1)); echo "FAIL: output with a malformed --pcrs"; }
expect_status 2 "--pcrs: missing file" -- bios-log "$ARCH" \
    --pcrs "$TMP/nonexistent.json"

expect_status 2 "missing file" -- bios-log "$TMP/nonexistent.bin"
expect_stderr 'nonexistent' "missing file named"
expect_status 2 "no file argument" -- bios-log
expect_status 2 "unknown option" -- bios-log "$DEB" --frobnicate
expect_status 0 "--help" -- bios-log --help
expect_output '^usage: rivctl bios-log' "usage on stdout"
finish
