#!/bin/sh
# cli_ima_log.sh — rivctl ima-log: exit codes 0/1/2 on the corpus and on
# corrupted copies, JSON output, --from/--state round trip, --pcrs (quote
# lag, padded-SHA1 banks, PCRs other than 10) and --policy, on corpus lists
# and on lists generated here by the kernel's rules.
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
# Default banks: the list's own and sha256; with --pcrs, the quote's banks
# and the list's; all of them on request.
expect_status 0 "default banks" -- ima-log "$IBM1" --json
expect_json "sorted(d['pcrs']) == ['sha1', 'sha256'] and sorted(d['rules']) == ['sha1', 'sha256']" "sha1 list: sha1 and sha256"
expect_status 0 "default banks of a sha256 list" -- ima-log "$IBM256" --json
expect_json "sorted(d['pcrs']) == ['sha256']" "sha256 list: sha256 alone"
printf '{"pcrs":{"sha384":{"0":"%s"}}}' "$(printf '%096d' 0)" >"$TMP/q384.json"
expect_status 1 "banks of the quote" -- ima-log "$IBM1" --json --pcrs "$TMP/q384.json"
expect_json "sorted(d['pcrs']) == ['sha1', 'sha384']" "quote's sha384 and the list's sha1"
expect_status 0 "all banks" -- ima-log "$IBM1" --json --banks all
expect_json "{'sha1', 'sha256', 'sha384', 'sha512'} <= set(d['pcrs'])" "every bank on request"
expect_status 0 "state with all banks" -- ima-log "$IBM1" --banks all \
    --state "$TMP/allbanks.state"
expect_status 0 "its banks are kept without --banks" -- ima-log "$IBM1" \
    --state "$TMP/allbanks.state" --json
expect_json "{'sha1', 'sha256', 'sha384', 'sha512'} <= set(d['pcrs'])" "state's banks"

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

# The ibmtss sha256 list (ima-sig, 341 of 362 signatures empty) written as
# the kernel writes ASCII, lines with an empty signature ending in a space;
# then as a tool that strips trailing white space leaves it: the same.
python3 - "$IBM256" "$TMP/sig.txt" 32 <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
size = int(sys.argv[3])
o, out = 0, []
while o < len(b):
    pcr, = struct.unpack_from('<I', b, o); o += 4
    dig = b[o:o + size]; o += size
    nl, = struct.unpack_from('<I', b, o); o += 4
    name = b[o:o + nl].decode(); o += nl
    dl, = struct.unpack_from('<I', b, o); o += 4
    data = b[o:o + dl]; o += dl
    p, text = 0, ''
    while p < len(data):
        fl, = struct.unpack_from('<I', data, p); p += 4
        f = data[p:p + fl]; p += fl
        if text == '':
            i = f.index(b'\0')
            text = ' ' + f[:i].decode() + f[i + 1:].hex()
        elif text.count(' ') == 1:
            text += ' ' + f.rstrip(b'\0').decode()
        else:
            text += ' ' + f.hex()
    out.append('%2d %s %s%s\n' % (pcr, dig.hex(), name, text))
open(sys.argv[2], 'w').write(''.join(out))
EOF
expect_status 0 "ima-sig ASCII as the kernel writes it" -- ima-log "$TMP/sig.txt" --json
expect_json "d['entries'] == 362 and d['pcrs']['sha256']['10'] == '$SHA256_10'" "kernel ASCII replays"
grep -c ' $' "$TMP/sig.txt" | grep -qx 341 && npass=$((npass + 1)) ||
    { nfail=$((nfail + 1)); echo "FAIL: kernel lines end in a space"; }
sed 's/ $//' "$TMP/sig.txt" >"$TMP/sig-trimmed.txt"
expect_status 0 "ima-sig ASCII without trailing spaces" -- ima-log "$TMP/sig-trimmed.txt" --json
expect_json "d['entries'] == 362 and d['digest_mismatches'] == [] and d['pcrs']['sha256']['10'] == '$SHA256_10'" "trimmed ASCII replays the same"
sed '5s/ [0-9a-f]*\/[^ ]*$//' "$TMP/sig-trimmed.txt" >"$TMP/sig-nopath.txt"
expect_status 2 "ima-sig ASCII without its path" -- ima-log "$TMP/sig-nopath.txt"
expect_stderr "entry 4, line 5 .*template ima-sig needs 3 space-separated fields" "path cannot be missing"
sed '7s/ \(\/[^ ]*\)$/ \1 0302/' "$TMP/sig-trimmed.txt" >"$TMP/sig-added.txt"
expect_status 1 "a signature the kernel did not measure" -- ima-log "$TMP/sig-added.txt" --json
expect_json "[m['index'] for m in d['digest_mismatches']] == [6]" "mismatch names entry 6"

# --state/--from: the list in two parts equals the whole.  Without --from
# FILE is the whole list (the entries the state covers are checked, then
# skipped); with --from N it is the tail from entry N.
expect_status 0 "full ASCII" -- ima-log "$ASCII" --json
pcrs_of() {
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["pcrs"], sort_keys=True))' "$1"
}
same_pcrs() {
	if [ "$(pcrs_of "$TMP/out")" = "$(cat "$TMP/full.pcrs")" ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $1: replay differs from the full replay"
	fi
}
pcrs_of "$TMP/out" >"$TMP/full.pcrs"
head -n 300 "$ASCII" >"$TMP/head.txt"
expect_status 0 "first 300 entries" -- ima-log "$TMP/head.txt" --json \
    --state "$TMP/state.json"
expect_json "d['next'] == 300" "state after 300"
cp "$TMP/out" "$TMP/head.json"
cp "$TMP/state.json" "$TMP/state300.json"
tail -n +301 "$ASCII" >"$TMP/tail.txt"
expect_status 0 "tail from state (--from 300)" -- ima-log "$TMP/tail.txt" \
    --json --from 300 --state "$TMP/state.json"
expect_json "d['first'] == 300 and d['next'] == 826 and d['entries'] == 526" \
    "tail covers 300-825"
same_pcrs "--from tail"
expect_status 0 "whole list from state" -- ima-log "$ASCII" --json \
    --state "$TMP/state300.json"
expect_json "d['first'] == 300 and d['next'] == 826 and d['entries'] == 526" \
    "whole list: entries 300-825 appraised"
same_pcrs "whole list from state"
: >"$TMP/none.txt"
expect_status 0 "nothing new (empty tail)" -- ima-log "$TMP/none.txt" --json \
    --from 826 --state "$TMP/state.json"
expect_json "d['entries'] == 0 and d['next'] == 826" "no new entries"
expect_status 0 "nothing new (whole list)" -- ima-log "$ASCII" --json \
    --state "$TMP/state.json"
expect_json "d['entries'] == 0 and d['next'] == 826" "whole list, none new"
expect_status 2 "wrong --from" -- ima-log "$ASCII" --from 10 \
    --state "$TMP/state.json"
expect_stderr "covers the entries before 826" "wrong --from message"
expect_status 2 "state of another boot" -- ima-log "$IBM1" \
    --state "$TMP/state.json"
expect_stderr "another boot" "other list message"
expect_status 2 "--from without a state file" -- ima-log "$ASCII" \
    --from 5 --state "$TMP/none.json"
echo '{"version":1' >"$TMP/badstate.json"
expect_status 2 "bad state file" -- ima-log "$ASCII" --state "$TMP/badstate.json"
echo '{"version":1,"replay":{"version":2}}' >"$TMP/badstate.json"
expect_status 2 "bad replay state" -- ima-log "$ASCII" --state "$TMP/badstate.json"
expect_stderr "replay: next" "bad replay state message"

# --pcrs: quotes at the end, lagging, and matching nothing.
python3 -c 'import json,sys; print(json.dumps({"pcrs": json.load(open(sys.argv[1]))["pcrs"]}))' \
    "$TMP/head.json" >"$TMP/q300.json"
expect_status 0 "lagging quote" -- ima-log "$ASCII" --json --pcrs "$TMP/q300.json"
expect_json "d['quote']['matched'] and d['quote']['checkpoint'] == 299 and \
d['quote']['pending'] == 526 and not d['quote']['lagging'] and \
d['quote']['full'] and d['quote']['uncovered_pcrs'] == [] and \
d['quote']['rules']['sha256'] == ['per-bank'] and \
d['rules']['sha256'] == ['per-bank']" "checkpoint 299, 526 pending, full"
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
 "boot_aggregate": "sha1:0000000000000000000000000000000000000000",
 "digests": {"/init": "sha1:19f13b42c2745066347e76454788c0fe083643f3"}}
EOF
cat >"$TMP/fail.json" <<'EOF'
{"version": 1, "allow_unlisted": true,
 "boot_aggregate": "sha1:0000000000000000000000000000000000000000",
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


# Lists generated by the kernel's rules (ima_template_lib.c, ima_crypto.c,
# ima_queue.c, ima_fs.c) for the cases the corpus lacks.
cat >"$TMP/imagen.py" <<'EOF'
import hashlib, json, struct

def u32(v, be=False):
    return struct.pack('>I' if be else '<I', v)

def entry(pcr, path, c, violation=False, be=False, extra=None):
    """An ima-ng entry (or d-ng|n-ng|iuid|imode with extra=(uid, mode))."""
    fields = [b'sha256:\0' + bytes([c]) * 32, path + b'\0']
    name = b'ima-ng'
    if extra is not None:
        fields += [u32(extra[0], be), struct.pack('>H' if be else '<H',
                   extra[1])]
        name = b'd-ng|n-ng|iuid|imode'
    td = b''.join(u32(len(f), be) + f for f in fields)
    d = b'\0' * 20 if violation else hashlib.sha1(td).digest()
    return {'pcr': pcr, 'd': d, 'name': name, 'td': td, 'path': path,
            'c': c, 'extra': extra, 'viol': violation}

def binary(es):
    return b''.join(u32(e['pcr']) + e['d'] + u32(len(e['name'])) +
                    e['name'] + u32(len(e['td'])) + e['td'] for e in es)

def ascii(es):
    out = b''
    for e in es:
        line = b'%2d %s %s sha256:%s %s' % (e['pcr'], e['d'].hex().encode(),
               e['name'], (bytes([e['c']]) * 32).hex().encode(), e['path'])
        if e['extra'] is not None:
            line += b' %d %d' % e['extra']
        out += line + b'\n'
    return out

def replay(es, alg, rule='per-bank'):
    """PCR values of a bank under a rule (per-bank, padded-sha1,
    padded-sha1-ones)."""
    h = lambda b: hashlib.new(alg, b).digest()
    size = len(h(b''))
    v = {}
    for e in es:
        if e['viol']:
            x = b'\xff' * (20 if rule == 'padded-sha1' else size)
        elif rule == 'per-bank':
            x = h(e['td'])
        else:
            x = e['d']
        x += b'\0' * (size - len(x))
        v[e['pcr']] = h(v.get(e['pcr'], b'\0' * size) + x)
    return {str(p): d.hex() for p, d in v.items()}

def quote(banks):
    return json.dumps({'pcrs': banks})
EOF
gen() {
	PYTHONPATH=$TMP python3 -c "from imagen import *
$1"
}

# PCRs 0-9 are written " 9" in ASCII lists: first line and mid-list.
gen "
es = [entry(9, b'boot_aggregate', 1), entry(10, b'/bin/a', 2),
      entry(9, b'/bin/b', 3), entry(10, b'/bin/c', 4)]
open('$TMP/sp1.txt', 'wb').write(ascii(es))
open('$TMP/sp2.txt', 'wb').write(ascii(es[1:]))
open('$TMP/sp.json', 'w').write(quote({'sha256': replay(es, 'sha256')}))"
expect_status 0 "\" 9\" on the first line" -- ima-log "$TMP/sp1.txt" --json \
    --pcrs "$TMP/sp.json"
expect_json "d['format'] == 'ascii' and d['entries'] == 4 and \
d['digest_mismatches'] == [] and d['quote']['matched'] and \
sorted(d['pcrs']['sha1']) == ['10', '9']" "\" 9\" first: ASCII, PCR 9 replayed"
expect_json "d['boot_aggregate'] is True" "entry 0 is boot_aggregate"
# sp2 does not start with boot_aggregate: not bound to the boot (exit 1)
# unless the policy allows such lists.
expect_status 1 "\" 9\" mid-list, entry 0 not boot_aggregate" -- \
    ima-log "$TMP/sp2.txt" --json
expect_json "d['format'] == 'ascii' and d['entries'] == 3 and \
d['digest_mismatches'] == [] and d['boot_aggregate'] is False" \
    "\" 9\" mid-list: ASCII, boot_aggregate flagged"
expect_status 1 "entry 0 not boot_aggregate, text" -- ima-log "$TMP/sp2.txt"
expect_output "^entry 0 is not boot_aggregate: the list is not bound to this boot \(FAILED\)$" "flag line"
printf '{"version":1,"allow_unlisted":true}' >"$TMP/unlisted.json"
expect_status 1 "entry 0 not boot_aggregate, policy" -- \
    ima-log "$TMP/sp2.txt" --json --policy "$TMP/unlisted.json"
expect_json "[(f['index'], f['reason']) for f in d['policy_failures']] == [(0, 'entry 0 (/bin/a) is not the boot_aggregate measurement: the list is not bound to this boot')]" \
    "policy failure names entry 0"
printf '{"version":1,"allow_unlisted":true,"allow_no_boot_aggregate":true}' \
    >"$TMP/noagg.json"
expect_status 0 "entry 0 not boot_aggregate, allowed by the policy" -- \
    ima-log "$TMP/sp2.txt" --json --policy "$TMP/noagg.json"
expect_json "d['boot_aggregate'] is False and d['policy_failures'] == []" \
    "allowed, still reported"
# The fact stays in the state: a later tail cannot hide it.
head -n 2 "$TMP/sp2.txt" >"$TMP/sp2a.txt"
tail -n 1 "$TMP/sp2.txt" >"$TMP/sp2b.txt"
expect_status 1 "state: first part" -- ima-log "$TMP/sp2a.txt" \
    --state "$TMP/sp2.state" --from 0
expect_status 1 "state: the tail fails too" -- ima-log "$TMP/sp2b.txt" \
    --state "$TMP/sp2.state" --from 2 --json
expect_json "d['boot_aggregate'] is False and d['entries'] == 1" \
    "flag kept in the state"

# Banks a kernel extends with the padded SHA1 digest: before 5.8 every
# bank (a violation 20 bytes of 0xff, then zeros); 5.8+ a bank it has no
# hash for (a violation all-ones).
gen "
es = [entry(10, b'boot_aggregate', 1), entry(10, b'/etc/x', 2, True),
      entry(10, b'/bin/y', 3)]
open('$TMP/pad.bin', 'wb').write(binary(es))
open('$TMP/pad_pre58.json', 'w').write(quote({
    'sha256': replay(es, 'sha256', 'padded-sha1')}))
open('$TMP/pad_58.json', 'w').write(quote({
    'sha256': replay(es, 'sha256', 'padded-sha1-ones')}))
open('$TMP/pad_bank.json', 'w').write(quote({
    'sha256': replay(es, 'sha256')}))"
expect_status 0 "padded sha1, before 5.8" -- ima-log "$TMP/pad.bin" --json \
    --pcrs "$TMP/pad_pre58.json" --state "$TMP/pad_state.json"
expect_json "d['quote']['matched'] and d['quote']['checkpoint'] == 2 and \
d['quote']['rules'] == {'sha256': ['padded-sha1']} and \
d['rules']['sha256'] == ['padded-sha1'] and \
d['pcrs']['sha256'] == json.load(open('$TMP/pad_pre58.json'))['pcrs']['sha256']" \
    "rule padded-sha1 reported and kept"
expect_status 0 "padded sha1 remembered" -- ima-log "$TMP/pad.bin" \
    --pcrs "$TMP/pad_pre58.json" --state "$TMP/pad_state.json"
expect_output "compared sha256 \(padded sha1 \(before Linux 5.8\)\)" \
    "text names the rule"
expect_status 1 "per-bank quote after padded" -- ima-log "$TMP/pad.bin" \
    --json --pcrs "$TMP/pad_bank.json" --state "$TMP/pad_state.json"
expect_status 0 "padded sha1, 5.8+" -- ima-log "$TMP/pad.bin" --json \
    --pcrs "$TMP/pad_58.json"
expect_json "d['quote']['rules'] == {'sha256': ['padded-sha1-ones']}" \
    "rule padded-sha1-ones reported"
expect_status 0 "per-bank" -- ima-log "$TMP/pad.bin" --json \
    --pcrs "$TMP/pad_bank.json"
expect_json "d['quote']['rules'] == {'sha256': ['per-bank']}" \
    "rule per-bank reported"

# A rebooted attester whose new list shares boot_aggregate and the entry
# at the state's last index is another boot.
gen "
b1 = [entry(10, b'boot_aggregate', 1), entry(10, b'/etc/x', 2),
      entry(10, b'/bin/y', 3)]
b2 = [entry(10, b'boot_aggregate', 1), entry(10, b'/etc/z', 4),
      entry(10, b'/bin/y', 3), entry(10, b'/bin/w', 5)]
open('$TMP/boot1.bin', 'wb').write(binary(b1))
open('$TMP/boot1b.bin', 'wb').write(binary(b1 + b2[3:]))
open('$TMP/boot2.bin', 'wb').write(binary(b2))"
expect_status 0 "boot 1" -- ima-log "$TMP/boot1.bin" --state "$TMP/boot.json"
expect_status 2 "boot 2 with boot 1's state" -- ima-log "$TMP/boot2.bin" \
    --state "$TMP/boot.json"
expect_stderr "entries 0-2 .*the state belongs to another boot" \
    "another boot message"
expect_status 0 "boot 1 grown" -- ima-log "$TMP/boot1b.bin" --json \
    --state "$TMP/boot.json"
expect_json "d['first'] == 3 and d['entries'] == 1" "only the new entry"

# Entries on PCR 11 are compared with the quote, or not covered by it.
gen "
real = [entry(10, b'boot_aggregate', 1), entry(11, b'/opt/good.sh', 2),
        entry(10, b'/bin/x', 3)]
forged = [real[0], entry(11, b'/opt/evil.sh', 9), real[2]]
open('$TMP/p11_real.bin', 'wb').write(binary(real))
open('$TMP/p11_forged.bin', 'wb').write(binary(forged))
v = replay(real, 'sha256')
open('$TMP/p11_q.json', 'w').write(quote({'sha256': v}))
open('$TMP/p10_q.json', 'w').write(quote({'sha256': {'10': v['10']}}))"
expect_status 0 "PCR 11 quoted" -- ima-log "$TMP/p11_real.bin" --json \
    --pcrs "$TMP/p11_q.json"
expect_json "d['quote']['matched']" "PCR 10 and 11 match"
expect_status 1 "forged PCR 11 entry" -- ima-log "$TMP/p11_forged.bin" \
    --json --pcrs "$TMP/p11_q.json"
expect_json "not d['quote']['matched'] and d['quote']['checkpoint'] is None" \
    "forged PCR 11 matches no entry"
expect_status 1 "PCR 11 not quoted" -- ima-log "$TMP/p11_forged.bin" \
    --json --pcrs "$TMP/p10_q.json"
expect_json "not d['quote']['matched'] and d['quote']['uncovered_pcrs'] == [11] \
and 'PCR 11' in d['quote']['reason']" "PCR 11 not covered"

# A quote stuck at entry 10 while the list grows past the history, run
# after run: lagging, never "matches no entry" (sha1 and sha256, sha1).
gen "
es = [entry(10, b'boot_aggregate' if i == 0 else b'/usr/bin/f%d' % i,
            i & 0xff) for i in range(1300)]
for n in (100, 400, 700, 1000, 1300):
    open('$TMP/lag%d.bin' % n, 'wb').write(binary(es[:n]))
open('$TMP/lag_q.json', 'w').write(quote({'sha1': replay(es[:11], 'sha1'),
    'sha256': replay(es[:11], 'sha256')}))
open('$TMP/lag_q1.json', 'w').write(quote({'sha1': replay(es[:11], 'sha1')}))"
for q in lag_q lag_q1; do
	k=0
	for n in 100 400 700 1000 1300; do
		expect_status 0 "$q run $k" -- ima-log "$TMP/lag$n.bin" --json \
		    --pcrs "$TMP/$q.json" --state "$TMP/$q.state"
		expect_json "d['quote']['matched'] and \
d['quote']['checkpoint'] == 10 and d['quote']['pending'] == $n - 11 and \
d['quote']['lagging'] == ($k >= 3) and d['quote']['full']" "$q run $k lag"
		k=$((k + 1))
	done
done

# A failed entry keeps failing the boot in later runs.
expect_status 1 "policy failure in run 1" -- ima-log "$TMP/head.txt" --json \
    --policy "$TMP/fail.json" --state "$TMP/fstate.json"
cp "$TMP/fstate.json" "$TMP/fstate1.json"
expect_status 1 "run 2" -- ima-log "$ASCII" --json \
    --policy "$TMP/fail.json" --state "$TMP/fstate.json"
expect_json "d['failed_entries'] == 1 and d['first_failed'] == 1 and \
d['policy_failures'] == [] and d['digest_mismatches'] == []" \
    "earlier failure still counted"
cp "$TMP/fstate1.json" "$TMP/fstate.json"
expect_status 1 "run 2, text" -- ima-log "$ASCII" --policy "$TMP/fail.json" \
    --state "$TMP/fstate.json"
expect_output "failed entries this boot: 1 \(first: entry 1\)" \
    "text failure count"

# A state made with a policy continues only with that same policy, and one
# made without a policy never with one (its entries were not appraised).
expect_status 2 "state with a policy, run without" -- ima-log "$ASCII" \
    --state "$TMP/fstate1.json"
expect_stderr "made with a policy: give --policy" "policy required"
expect_status 2 "state with a policy, run with another" -- ima-log "$ASCII" \
    --policy "$TMP/pass.json" --state "$TMP/fstate1.json"
expect_stderr "made with another policy" "other policy refused"
expect_status 0 "no policy, run 1" -- ima-log "$TMP/head.txt" \
    --state "$TMP/npstate.json"
expect_status 2 "state without a policy, run with one" -- ima-log "$ASCII" \
    --policy "$TMP/pass.json" --state "$TMP/npstate.json"
expect_stderr "made without a policy: entries 0-299 were not appraised" \
    "unappraised entries named"

# Keys measured into the .ima keyring are remembered across runs: run 1
# loads a certificate (its digest allowed), run 2 brings a file signed with
# its key.  A real P-256 key and certificate made by openssl.
openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/imakey.pem" \
    2>/dev/null &&
openssl req -new -x509 -key "$TMP/imakey.pem" -subj /CN=ima-test -days 3650 \
    -outform DER -out "$TMP/imacert.der" 2>/dev/null &&
printf 'signed file' | openssl dgst -sha256 -binary >"$TMP/file.dgst" &&
openssl pkeyutl -sign -inkey "$TMP/imakey.pem" -in "$TMP/file.dgst" \
    -out "$TMP/file.sig" &&
openssl x509 -inform DER -in "$TMP/imacert.der" -noout \
    -ext subjectKeyIdentifier >"$TMP/skid.txt" ||
    { echo "FAIL: set-up: openssl"; exit 1; }
python3 - "$TMP" <<'PY'
import hashlib, json, re, struct, sys
t = sys.argv[1]
def field(b): return struct.pack('<I', len(b)) + b
def entry(name, fields):
    td = b''.join(field(f) for f in fields)
    return (struct.pack('<I', 10) + hashlib.sha1(td).digest() +
            field(name) + field(td))
der = open(t + '/imacert.der', 'rb').read()
dgst = open(t + '/file.dgst', 'rb').read()
sig = open(t + '/file.sig', 'rb').read()
skid = bytes.fromhex(re.sub('[^0-9A-Fa-f]', '',
                            open(t + '/skid.txt').read().split('\n', 1)[1]))
xattr = bytes([3, 2, 4]) + skid[-4:] + struct.pack('>H', len(sig)) + sig
kd = hashlib.sha256(der).digest()
es = [entry(b'ima-ng', [b'sha256:\0' + b'\x11' * 32, b'boot_aggregate\0']),
      entry(b'ima-buf', [b'sha256:\0' + kd, b'.ima\0', der]),
      entry(b'ima-sig', [b'sha256:\0' + dgst, b'/usr/bin/signed\0', xattr])]
open(t + '/keys.bin', 'wb').write(b''.join(es))
open(t + '/keys1.bin', 'wb').write(b''.join(es[:2]))
json.dump({'version': 1, 'boot_aggregate': 'sha256:' + '11' * 32,
           'keyrings': {'.ima': ['sha256:' + kd.hex()]}},
          open(t + '/keypol.json', 'w'))
PY
expect_status 0 "signed file, one run" -- ima-log "$TMP/keys.bin" --json \
    --policy "$TMP/keypol.json"
expect_json "d['policy_failures'] == [] and d['entries'] == 3" \
    "signature verified with the learned key"
expect_status 0 "key load in run 1" -- ima-log "$TMP/keys1.bin" \
    --policy "$TMP/keypol.json" --state "$TMP/keystate.json"
expect_status 0 "signed file in run 2" -- ima-log "$TMP/keys.bin" --json \
    --policy "$TMP/keypol.json" --state "$TMP/keystate.json"
expect_json "d['policy_failures'] == [] and d['entries'] == 1" \
    "key learned in run 1 verifies run 2"
expect_status 0 "run 1 again, for a state without the key" -- ima-log \
    "$TMP/keys1.bin" --policy "$TMP/keypol.json" --state "$TMP/keystate2.json"
python3 - "$TMP/keystate2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s['appraiser']['keys'] = []
json.dump(s, open(sys.argv[1], 'w'))
PY
expect_status 1 "run 2 from a state that lost the key" -- ima-log \
    "$TMP/keys.bin" --json --policy "$TMP/keypol.json" \
    --state "$TMP/keystate2.json"
expect_json "[f['index'] for f in d['policy_failures']] == [2]" \
    "the signed file fails without the key"

# The boot aggregate is checked against quoted PCRs 0-9 (sha256) when the
# policy does not list it.
python3 - "$TMP" <<'PY'
import hashlib, json, struct, sys
t = sys.argv[1]
def field(b): return struct.pack('<I', len(b)) + b
pcrs = {str(i): hashlib.sha256(b'pcr%d' % i).hexdigest() for i in range(10)}
agg = hashlib.sha256(b''.join(bytes.fromhex(pcrs[str(i)])
                              for i in range(10))).digest()
td = field(b'sha256:\0' + agg) + field(b'boot_aggregate\0')
open(t + '/agg.bin', 'wb').write(struct.pack('<I', 10) +
    hashlib.sha1(td).digest() + field(b'ima-ng') + field(td))
pcrs['10'] = hashlib.sha256(b'\0' * 32 + hashlib.sha256(td).digest()).hexdigest()
json.dump({'pcrs': {'sha256': pcrs}}, open(t + '/aggq.json', 'w'))
pcrs['3'] = '00' * 32
json.dump({'pcrs': {'sha256': pcrs}}, open(t + '/aggbad.json', 'w'))
json.dump({'version': 1, 'allow_unlisted': True},
          open(t + '/aggpol.json', 'w'))
PY
expect_status 0 "boot aggregate matches quoted PCRs" -- ima-log \
    "$TMP/agg.bin" --json --policy "$TMP/aggpol.json" --pcrs "$TMP/aggq.json"
expect_json "d['policy_failures'] == [] and d['quote']['matched']" \
    "aggregate over PCRs 0-9 accepted"
expect_status 1 "boot aggregate against other PCRs" -- ima-log \
    "$TMP/agg.bin" --json --policy "$TMP/aggpol.json" --pcrs "$TMP/aggbad.json"
expect_json "[f['index'] for f in d['policy_failures']] == [0] and \
'does not match quoted' in d['policy_failures'][0]['reason']" \
    "aggregate mismatch named"
expect_status 1 "boot aggregate without quoted PCRs" -- ima-log \
    "$TMP/agg.bin" --json --policy "$TMP/aggpol.json"
expect_json "'not verified' in d['policy_failures'][0]['reason']" \
    "unverifiable aggregate fails"

# ASCII list of a big-endian kernel without ima_canonical_fmt.
gen "
es = [entry(10, b'boot_aggregate', 1, be=True, extra=(0, 0o100644)),
      entry(10, b'/usr/bin/bash', 2, be=True, extra=(1000, 0o100755))]
open('$TMP/be.txt', 'wb').write(ascii(es))
open('$TMP/be.bin', 'wb').write(
    b''.join(struct.pack('>I', e['pcr']) + e['d'] + struct.pack('>I', 20) +
             e['name'] + struct.pack('>I', len(e['td'])) + e['td']
             for e in es))"
expect_status 0 "big-endian binary" -- ima-log "$TMP/be.bin" --json
pcrs_of "$TMP/out" >"$TMP/be.pcrs"
expect_status 0 "big-endian ASCII" -- ima-log "$TMP/be.txt" --json \
    --state "$TMP/be_state.json"
expect_json "d['digest_mismatches'] == [] and d['entries'] == 2" \
    "big-endian ASCII verifies"
if [ "$(pcrs_of "$TMP/out")" = "$(cat "$TMP/be.pcrs")" ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: big-endian ASCII replays differently from its binary"
fi
expect_json "json.load(open('$TMP/be_state.json'))['replay']['big_endian']" \
    "the order is recorded in the state"

# A last line without its newline is a truncated list.
head -c -1 "$ASCII" >"$TMP/nonl.txt"
expect_status 2 "no final newline" -- ima-log "$TMP/nonl.txt"
expect_stderr "entry 825, line 826 \(byte offset [0-9]+\): truncated" \
    "no final newline message"

# Paths are escaped in text output.
gen "
e = entry(10, b'/tmp/\x1b[31mred\x07\r', 5)
e['d'] = bytes(20 - 1) + b'\x01'
open('$TMP/esc.bin', 'wb').write(binary([entry(10, b'boot_aggregate', 1), e]))"
expect_status 1 "escape, text" -- ima-log "$TMP/esc.bin"
expect_output 'entry 1: /tmp/\\x1b\[31mred\\x07\\x0d$' "control bytes escaped"
if grep -q "$(printf '\033')" "$TMP/out"; then
	nfail=$((nfail + 1))
	echo "FAIL: raw ESC in text output"
else
	npass=$((npass + 1))
fi
expect_status 1 "escape, JSON" -- ima-log "$TMP/esc.bin" --json
expect_json "d['digest_mismatches'][0]['path'] == '/tmp/\x1b[31mred\x07\r'" \
    "JSON path intact"

# PCRs IMA accepts (pcr= up to 63) but a TPM lacks.
gen "
open('$TMP/pcr30.bin', 'wb').write(binary([entry(30, b'/x', 1)]))"
expect_status 2 "PCR 30" -- ima-log "$TMP/pcr30.bin"
expect_stderr "entry 0 at byte offset 0: PCR 30 is beyond the TPM PCRs" \
    "PCR 30 message"

# A list is read in bounded chunks (256 KiB windows): one of 1.4 MB, its
# entries after boot_aggregate repeated 30 times, replays to the value
# computed here from its logged digests, and an entry cut at the end is
# still reported at its byte offset.
python3 - "$IBM1" "$TMP/big.bin" <<'PY' || { nfail=$((nfail + 1)); echo "FAIL: big list"; }
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()
def entries(b):
    o = 0
    while o < len(b):
        s = o
        pcr, = struct.unpack_from("<I", b, o); d = b[o + 4:o + 24]; o += 24
        n, = struct.unpack_from("<I", b, o); o += 4 + n
        dl, = struct.unpack_from("<I", b, o); o += 4 + dl
        yield s, o, pcr, d
es = list(entries(b))
big = b[:es[0][1]] + b[es[0][1]:] * 30
open(sys.argv[2], "wb").write(big)
v = bytes(20)
for s, e, pcr, d in entries(big):
    v = hashlib.sha1(v + (b"\xff" * 20 if d == bytes(20) else d)).digest()
open(sys.argv[2] + ".sha1", "w").write(v.hex())
open(sys.argv[2] + ".n", "w").write(str(len(list(entries(big)))))
PY
expect_status 0 "a list larger than the read window" -- ima-log "$TMP/big.bin" \
    --json
expect_json "d['entries'] == int(open('$TMP/big.bin.n').read()) and d['pcrs']['sha1']['10'] == open('$TMP/big.bin.sha1').read()" "every entry replayed across windows"
head -c 1000000 "$TMP/big.bin" >"$TMP/big-cut.bin"
"$RIVCTL" ima-log "$TMP/big-cut.bin" >/dev/null 2>"$TMP/cut.err"
cut_off=$(sed -n 's/.*entry [0-9]* at byte offset \([0-9]*\): truncated.*/\1/p' "$TMP/cut.err")
python3 - "$TMP/big.bin" "${cut_off:-0}" <<'PY' && npass=$((npass + 1)) || { nfail=$((nfail + 1)); echo "FAIL: cut list: $(cat "$TMP/cut.err")"; }
import struct, sys
b, want = open(sys.argv[1], "rb").read(), int(sys.argv[2])
o = 0
while o < len(b):
    n, = struct.unpack_from("<I", b, o + 24)
    dl, = struct.unpack_from("<I", b, o + 28 + n)
    nxt = o + 32 + n + dl
    if nxt > 1000000:
        sys.exit(0 if o == want else 1)
    o = nxt
sys.exit(1)
PY
expect_status 2 "a directory is no list" -- ima-log "$TMP"
expect_stderr "$TMP: " "the path named"
finish
