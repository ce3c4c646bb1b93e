#!/bin/sh
# cli_ima_log.sh — rivctl ima-log: exit codes 0/1/2 on the corpus and on
# corrupted copies, JSON output, --from/--state round trip, --pcrs (quote
# lag) and --policy.
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

IMA=$CORPUS/ima
IBM1=$IMA/ibmtss__ima_sha1.bin
IBM256=$IMA/ibmtss__ima_sha256.bin
ASCII=$IMA/rust-keylime__ascii_runtime_measurements.txt
SHA256_10=7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8

expect_status 0 "help" -- ima-log --help
expect_output "usage: rivctl ima-log" "help text"
expect_status 2 "no file" -- ima-log
expect_status 2 "missing file" -- ima-log "$TMP/nonexistent"
expect_status 2 "--from without --state" -- ima-log "$IBM1" --from 3

# Every corpus list parses and verifies.
for f in "$IBM1" "$IBM256" "$ASCII" "$IMA/tpm2-tss__sml-ima-ng-sha1.bin" \
    "$IMA/tpm2-tss__sml-ima-sha1.bin"; do
	expect_status 0 "corpus $(basename "$f")" -- ima-log "$f" --json
	expect_json 'd["digest_mismatches"] == [] and d["entries"] > 0' \
	    "corpus $(basename "$f") JSON"
done

expect_status 0 "ibmtss sha256 list" -- ima-log "$IBM256" --json
expect_json "d['pcrs']['sha256']['10'] == '$SHA256_10' and \
d['list_bank'] == 'sha256' and d['entries'] == 362 and \
d['templates'] == {'ima-sig': 362} and d['first'] == 0 and d['next'] == 362" \
    "ibmtss sha256 values"
expect_status 0 "text output" -- ima-log "$IBM1"
expect_output "sha256  PCR 10: $SHA256_10" "text PCR line"
expect_status 0 "banks" -- ima-log "$IBM1" --json --banks sha1
expect_json "list(d['pcrs'].keys()) == ['sha1']" "only sha1 replayed"
expect_status 2 "bad bank" -- ima-log "$IBM1" --banks md5

# A flipped byte of template data is a digest mismatch (exit 1).
python3 - "$IBM1" "$TMP/flip.bin" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[200] ^= 1   # inside entry 1's template data
open(sys.argv[2], 'wb').write(b)
EOF
expect_status 1 "flipped byte" -- ima-log "$TMP/flip.bin" --json
expect_json "[m['index'] for m in d['digest_mismatches']] == [1]" \
    "mismatch names entry 1"

# Malformed lists: exit 2 naming the entry and offset.
head -c 1000 "$IBM1" >"$TMP/trunc.bin"
expect_status 2 "truncated" -- ima-log "$TMP/trunc.bin" --json
expect_stderr "entry 8 at byte offset 925: truncated" "truncated message"
[ -s "$TMP/out" ] && { nfail=$((nfail + 1)); echo "FAIL: stdout on error"; }
: >"$TMP/empty"
expect_status 2 "empty" -- ima-log "$TMP/empty"
expect_stderr "empty measurement list" "empty message"
sed '3s/^10 ./10 z/' "$ASCII" >"$TMP/badhex.txt"
expect_status 2 "bad hex" -- ima-log "$TMP/badhex.txt"
expect_stderr "entry 2, line 3 \(byte offset [0-9]+\): template digest" \
    "bad hex message"
sed '5s/ima-ng/ima-zz/' "$ASCII" >"$TMP/unknown.txt"
expect_status 2 "unknown template" -- ima-log "$TMP/unknown.txt"
expect_stderr "entry 4, line 5 .*unknown template \"ima-zz\"" \
    "unknown template message"
python3 - "$IBM1" "$TMP/badlen.bin" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[24:28] = (5000).to_bytes(4, 'little')   # entry 0's template name length
open(sys.argv[2], 'wb').write(b)
EOF
expect_status 2 "absurd name length" -- ima-log "$TMP/badlen.bin"
expect_stderr "entry 0 at byte offset 0: template name length 5000" \
    "name length message"

# --state/--from: the list in two parts equals the whole.
expect_status 0 "full ASCII" -- ima-log "$ASCII" --json
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["pcrs"], sort_keys=True))' \
    "$TMP/out" >"$TMP/full.pcrs"
head -n 300 "$ASCII" >"$TMP/head.txt"
expect_status 0 "first 300 entries" -- ima-log "$TMP/head.txt" --json \
    --state "$TMP/state.json"
expect_json "d['next'] == 300" "state after 300"
cp "$TMP/out" "$TMP/head.json"
expect_status 0 "rest from state" -- ima-log "$ASCII" --json --from 300 \
    --state "$TMP/state.json"
expect_json "d['first'] == 300 and d['next'] == 826 and d['entries'] == 526" \
    "second part covers 300-825"
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["pcrs"], sort_keys=True))' \
    "$TMP/out" >"$TMP/split.pcrs"
if cmp -s "$TMP/full.pcrs" "$TMP/split.pcrs"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: split replay differs from full replay"
fi
expect_status 0 "nothing new" -- ima-log "$ASCII" --json --from 826 \
    --state "$TMP/state.json"
expect_json "d['entries'] == 0 and d['next'] == 826" "no new entries"
expect_status 2 "wrong --from" -- ima-log "$ASCII" --from 10 \
    --state "$TMP/state.json"
expect_stderr "covers the entries before 826" "wrong --from message"
expect_status 2 "state of another boot" -- ima-log "$IBM1" \
    --state "$TMP/state.json"
expect_stderr "another boot|not the same list|template digests" \
    "other list message"
expect_status 2 "--from without a state file" -- ima-log "$ASCII" \
    --from 5 --state "$TMP/none.json"
echo '{"version":1' >"$TMP/badstate.json"
expect_status 2 "bad state file" -- ima-log "$ASCII" --state "$TMP/badstate.json"

# --pcrs: quotes at the end, lagging, and matching nothing.
python3 -c 'import json,sys; print(json.dumps({"pcrs": json.load(open(sys.argv[1]))["pcrs"]}))' \
    "$TMP/head.json" >"$TMP/q300.json"
expect_status 0 "lagging quote" -- ima-log "$ASCII" --json --pcrs "$TMP/q300.json"
expect_json "d['quote'] == {'matched': True, 'checkpoint': 299, \
'pending': 526, 'lagging': False}" "checkpoint 299, 526 pending"
expect_status 0 "current quote" -- ima-log "$IBM256" --json \
    --pcrs "$IMA/ibmtss__ima_sha256.bin.expected.json"
expect_json "d['quote']['checkpoint'] == 361 and d['quote']['pending'] == 0" \
    "quote covers all"
sed 's/7fac48/7fac49/' "$IMA/ibmtss__ima_sha256.bin.expected.json" \
    >"$TMP/badq.json"
expect_status 1 "quote matching nothing" -- ima-log "$IBM256" --json \
    --pcrs "$TMP/badq.json"
expect_json "d['quote']['matched'] == False and d['quote']['checkpoint'] is None" \
    "no checkpoint"

# --policy (rivd-ima-policy(5), native format).
cat >"$TMP/pass.json" <<'EOF'
{"version": 1, "allow_unlisted": true,
 "digests": {"/init": "sha1:19f13b42c2745066347e76454788c0fe083643f3"}}
EOF
cat >"$TMP/fail.json" <<'EOF'
{"version": 1, "allow_unlisted": true,
 "digests": {"/init": "sha1:0000000000000000000000000000000000000001"}}
EOF
expect_status 0 "policy passes" -- ima-log "$ASCII" --json --policy "$TMP/pass.json"
expect_json "d['policy'] == True and d['policy_failures'] == []" "no failures"
expect_status 1 "policy fails" -- ima-log "$ASCII" --json --policy "$TMP/fail.json"
expect_json "[(f['index'], f['path']) for f in d['policy_failures']] == \
[(1, '/init')] and len(d['policy_failures'][0]['reason']) > 0" \
    "failure names entry 1 /init"
expect_status 1 "policy fails, text" -- ima-log "$ASCII" --policy "$TMP/fail.json"
expect_output "entry 1: /init: " "text failure line"
echo '{"version": 7}' >"$TMP/badpol.json"
expect_status 2 "bad policy" -- ima-log "$ASCII" --policy "$TMP/badpol.json"

finish
