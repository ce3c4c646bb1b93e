#!/bin/sh
# cli_quote.sh — rivctl quote command-line tests: the corpus quotes (valid,
# wrong nonce, corrupted, truncated, wrong PCR values), quotes signed here
# with openssl, the exit status of bad usage and input, and, when swtpm and
# tpm2-tools are installed, quotes made by a software TPM with RSA and ECC
# attestation keys.
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

Q=$CORPUS/quotes
G=$Q/go-tpm-tools__gce-cos-85-nonce9009
K=$Q/keylime__tpm_util_test_checkquote
KN=4169354d35536a596a6e6b797634503769744831

# expect_no_stdout DESCRIPTION: the last run printed nothing on stdout.
expect_no_stdout() {
	if [ -s "$TMP/out" ]; then
		nfail=$((nfail + 1))
		echo "FAIL: $1: stdout is not empty"
		head -3 "$TMP/out" | sed 's/^/  stdout: /'
	else
		npass=$((npass + 1))
	fi
}

# The GCE quotes' expected PCR values as a --pcrs file (all three banks).
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(json.dumps({"pcrs": {q["bank"]: q["pcrs"] for q in d["quotes"]}}))' \
    "$G.expected.json" >"$TMP/gce.json"

# The keylime PCR blob (tpm2-tools, little-endian) as a --pcrs file.
python3 -c 'import json, struct, sys
b = open(sys.argv[1], "rb").read()
names = {4: "sha1", 11: "sha256", 12: "sha384", 13: "sha512"}
sizes = {4: 20, 11: 32, 12: 48, 13: 64}
count = struct.unpack_from("<I", b, 0)[0]
digs = []
for l in range(struct.unpack_from("<I", b, 132)[0]):
	base = 136 + l * 532
	for k in range(struct.unpack_from("<I", b, base)[0]):
		n = struct.unpack_from("<H", b, base + 4 + 66 * k)[0]
		digs.append(b[base + 6 + 66 * k: base + 6 + 66 * k + n])
out = {}
for i in range(count):
	alg, nsel = struct.unpack_from("<HB", b, 4 + 8 * i)
	for j in range(nsel):
		for p in range(8):
			if b[4 + 8 * i + 3 + j] >> p & 1:
				d = digs.pop(0)
				assert len(d) == sizes[alg]
				out.setdefault(names[alg], {})[str(8 * j + p)] = d.hex()
print(json.dumps({"pcrs": out}))' "$K.pcrblob.bin" >"$TMP/keylime.json"

# --- help and usage ---
expect_status 0 "--help" -- quote --help
expect_output "^usage: rivctl quote" "--help prints usage"
expect_status 2 "unknown option" -- quote --bogus
expect_no_stdout "unknown option"
expect_status 2 "missing --ak" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin"
expect_stderr "--ak are required" "missing --ak named"
expect_status 2 "stray argument" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" extra
expect_status 2 "bad nonce hex" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --nonce 90x9
expect_stderr "--nonce" "bad nonce named"
expect_status 2 "empty nonce" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --nonce ""
expect_no_stdout "empty nonce"
expect_stderr "--nonce is empty" "empty nonce named"
expect_status 2 "odd nonce length" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --nonce 900
expect_stderr "even number of hex digits, at most 64 bytes" "odd nonce named"
N64=$(printf '%0128d' 9)
expect_status 2 "65-byte nonce" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --nonce "${N64}00"
expect_stderr "at most 64 bytes" "long nonce named"
expect_status 1 "64-byte nonce: a nonce, just not this quote's" -- quote \
    --attest "$G.quote1_sha256.attest.bin" --sig "$G.quote1_sha256.sig.bin" \
    --ak "$G.akpub.bin" --nonce "$N64" --json
expect_json "d['checks']['nonce'] == 'fail'" "64-byte nonce compared"

# --- the GCE quotes: valid with nonce and PCR values ---
for qb in quote0_sha1:sha1:c032c3b51dbb6f96b047421512fd4b4dfde496f3 \
    quote1_sha256:sha256:0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf \
    quote2_sha384:sha384:46ce251b0b5b3da7917c5eb7a72e6e88f8f830445b149937921b095c1fd628db691963861c1153aba9c7097ff1c747f9; do
	qn=${qb%%:*}; rest=${qb#*:}; bank=${rest%%:*}; pcr0=${rest#*:}
	expect_status 0 "$qn valid" -- quote --attest "$G.$qn.attest.bin" \
	    --sig "$G.$qn.sig.bin" --ak "$G.akpub.bin" --nonce 9009 \
	    --pcrs "$TMP/gce.json" --json
	expect_json "d['verdict'] == 'valid' and d['reason'] is None and \
d['checks'] == {'signature': 'ok', 'structure': 'ok', 'nonce': 'ok', \
'pcrs': 'ok'} and \
d['selection'] == {'$bank': list(range(24))} and \
list(d['pcrs']) == ['$bank'] and d['pcrs']['$bank']['0'] == '$pcr0' and \
len(d['pcrs']['$bank']) == 24 and d['magic'] == 'ff544347' and \
d['type'] == 'quote' and d['extra_data'] == '9009' and \
d['reset_count'] == 10 and d['restart_count'] == 0 and d['safe'] is True and \
d['firmware_version'] == '2016051100162800' and \
d['signature'] == {'scheme': 'rsassa', 'hash': 'sha256'} and \
len(d['pcr_digest']) == 64 and d['signer'].startswith('000b')" \
	    "$qn JSON members"
	expect_status 0 "$qn human" -- quote --attest "$G.$qn.attest.bin" \
	    --sig "$G.$qn.sig.bin" --ak "$G.akpub.bin" --nonce 9009 \
	    --pcrs "$TMP/gce.json"
	expect_output "^quote: valid$" "$qn verdict line"
	expect_output "^$bank PCR 0: +$pcr0$" "$qn PCR 0 line"
done
expect_output "^clock: +8219159625$" "clock line"
expect_output "^selection: +sha384: 0 1 2 .* 23$" "selection line"

# the AK certificate instead of the TPMT_PUBLIC
expect_status 0 "AK certificate" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akcert.der" --nonce 9009 --json
expect_json "d['verdict'] == 'valid' and d['checks']['pcrs'] == 'skipped' \
and d['pcrs'] == {}" "no --pcrs: pcrs skipped and empty"

# --- the keylime quote ---
expect_status 0 "keylime valid" -- quote --attest "$K.attest.bin" \
    --sig "$K.sig.bin" --ak "$K.akpub.pem" --nonce $KN \
    --pcrs "$TMP/keylime.json" --json
expect_json "d['verdict'] == 'valid' and d['selection'] == {'sha256': [16]} \
and d['pcrs'] == {'sha256': {'16': \
'd471c0674951f0ef075aecdd42fbefa6eca6019820add0bd222d1c4e6242ce6f'}} \
and d['checks']['pcrs'] == 'ok' and d['clock'] == 1284787942" \
    "keylime JSON members"

# --- failures: exit 1 ---
expect_status 1 "wrong nonce" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --nonce 9010 --json
expect_json "d['verdict'] == 'invalid' and d['checks']['nonce'] == 'fail' \
and d['checks']['signature'] == 'ok' and 'nonce' in d['reason']" \
    "wrong nonce reported"
expect_status 1 "wrong nonce (human)" -- quote --attest "$K.attest.bin" \
    --sig "$K.sig.bin" --ak "$K.akpub.pem" --nonce 00
expect_output "^quote: INVALID: extraData" "wrong nonce verdict line"

# a flipped byte in the clock of the signed attest
python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[0x30] ^= 1
open(sys.argv[2], "wb").write(b)' "$G.quote1_sha256.attest.bin" "$TMP/flip.bin"
expect_status 1 "corrupted attest" -- quote --attest "$TMP/flip.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --nonce 9009 --json
expect_json "d['verdict'] == 'invalid' and d['checks']['signature'] == 'fail' \
and 'does not verify' in d['reason']" "corrupted attest reported"
# its PCR digest still matches the values, but no signature covers them
expect_status 1 "corrupted attest, right PCR values" -- quote \
    --attest "$TMP/flip.bin" --sig "$G.quote1_sha256.sig.bin" \
    --ak "$G.akpub.bin" --pcrs "$TMP/gce.json" --json
expect_json "d['checks']['signature'] == 'fail' and \
d['checks']['pcrs'] == 'ok' and d['pcrs'] == {}" \
    "values not shown without a valid signature"
expect_status 1 "corrupted attest, right PCR values (human)" -- quote \
    --attest "$TMP/flip.bin" --sig "$G.quote1_sha256.sig.bin" \
    --ak "$G.akpub.bin" --pcrs "$TMP/gce.json"
if grep -q "PCR 0:" "$TMP/out"; then
	nfail=$((nfail + 1)); echo "FAIL: PCR values shown under a bad signature"
else
	npass=$((npass + 1))
fi

# a wrong PCR value
sed 's/0f35c214608d/0f35c214608e/' "$TMP/gce.json" >"$TMP/wrong.json"
expect_status 1 "wrong PCR value" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --pcrs "$TMP/wrong.json" \
    --json
expect_json "d['verdict'] == 'invalid' and d['checks']['pcrs'] == 'fail' \
and d['checks']['signature'] == 'ok' and d['pcrs'] == {}" \
    "wrong PCR reported, no values shown"

# the wrong AK
expect_status 1 "wrong AK" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$K.akpub.pem"

# --- malformed: exit 2, nothing on stdout ---
head -c 100 "$G.quote1_sha256.attest.bin" >"$TMP/trunc.bin"
expect_status 2 "truncated attest" -- quote --attest "$TMP/trunc.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin" --json
expect_no_stdout "truncated attest"
expect_stderr "trunc.bin: TPMS_ATTEST: .*byte offset" "truncation named"
cat "$G.quote1_sha256.sig.bin" >"$TMP/long.sig"
printf 'x' >>"$TMP/long.sig"
expect_status 2 "trailing byte after signature" -- quote \
    --attest "$G.quote1_sha256.attest.bin" --sig "$TMP/long.sig" \
    --ak "$G.akpub.bin" --json
expect_no_stdout "trailing byte"
expect_stderr "1 trailing byte" "trailing byte named"
expect_status 2 "missing file" -- quote --attest "$TMP/nonexistent" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin"
expect_stderr "nonexistent" "missing file named"
expect_status 2 "AK garbage" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.quote1_sha256.sig.bin"
expect_stderr "TPM2B_PUBLIC: size 20 at byte offset 0 does not match the 260 \
bytes that follow \(nor is 0x0014 the type of a TPMT_PUBLIC\)" "AK garbage named"

# a PEM AK with anything but white space after the block
{ printf '\n'; cat "$K.akpub.pem"; printf '\n \t\n'; } >"$TMP/ak-ws.pem"
expect_status 0 "PEM AK with white space around it" -- quote \
    --attest "$K.attest.bin" --sig "$K.sig.bin" --ak "$TMP/ak-ws.pem"
{ cat "$K.akpub.pem"; echo junk; } >"$TMP/ak-junk.pem"
expect_status 2 "PEM AK with data after the block" -- quote \
    --attest "$K.attest.bin" --sig "$K.sig.bin" --ak "$TMP/ak-junk.pem"
expect_no_stdout "PEM AK with data after the block"
expect_stderr "ak-junk.pem: PEM: data at byte offset $(wc -c <"$K.akpub.pem" | \
    tr -d ' ') after the first block" "trailing PEM data named"
cat "$K.akpub.pem" "$K.akpub.pem" >"$TMP/ak-two.pem"
expect_status 2 "PEM AK with two blocks" -- quote \
    --attest "$K.attest.bin" --sig "$K.sig.bin" --ak "$TMP/ak-two.pem"

# the TPMT_PUBLIC as a TPM2B_PUBLIC: right size, then one too many
python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(struct.pack(">H", len(b)) + b)
open(sys.argv[3], "wb").write(struct.pack(">H", len(b) + 1) + b)' \
    "$G.akpub.bin" "$TMP/ak.tpm2b" "$TMP/ak-bad.tpm2b"
expect_status 0 "TPM2B_PUBLIC AK" -- quote --attest "$G.quote1_sha256.attest.bin" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$TMP/ak.tpm2b"
expect_status 2 "TPM2B_PUBLIC AK with a wrong size" -- quote \
    --attest "$G.quote1_sha256.attest.bin" --sig "$G.quote1_sha256.sig.bin" \
    --ak "$TMP/ak-bad.tpm2b"
expect_stderr "ak-bad.tpm2b: TPM2B_PUBLIC: size 281 at byte offset 0 does not \
match the 280 bytes that follow" "TPM2B size mismatch named"

# attest, signature and AK files: at most 64 KiB
for f in attest sig ak; do
	head -c 65537 /dev/zero >"$TMP/big.$f"
done
{ cat "$G.quote1_sha256.attest.bin"; head -c 65536 /dev/zero; } |
    head -c 65536 >"$TMP/64k.attest"
expect_status 2 "attest file over 64 KiB" -- quote --attest "$TMP/big.attest" \
    --sig "$G.quote1_sha256.sig.bin" --ak "$G.akpub.bin"
expect_stderr "big.attest: larger than the limit of 65536 bytes" \
    "attest limit named"
expect_status 2 "signature file over 64 KiB" -- quote \
    --attest "$G.quote1_sha256.attest.bin" --sig "$TMP/big.sig" \
    --ak "$G.akpub.bin"
expect_stderr "big.sig: larger than the limit" "signature limit named"
expect_status 2 "AK file over 64 KiB" -- quote \
    --attest "$G.quote1_sha256.attest.bin" --sig "$G.quote1_sha256.sig.bin" \
    --ak "$TMP/big.ak"
expect_stderr "big.ak: larger than the limit" "AK limit named"
expect_status 2 "attest file of 64 KiB is read (and malformed)" -- quote \
    --attest "$TMP/64k.attest" --sig "$G.quote1_sha256.sig.bin" \
    --ak "$G.akpub.bin"
expect_stderr "64k.attest: TPMS_ATTEST: [0-9]+ trailing bytes" \
    "64 KiB attest parsed"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); del d["pcrs"]["sha256"]["7"]
print(json.dumps(d))' "$TMP/gce.json" >"$TMP/missing.json"
expect_status 2 "--pcrs lacks a selected PCR" -- quote \
    --attest "$G.quote1_sha256.attest.bin" --sig "$G.quote1_sha256.sig.bin" \
    --ak "$G.akpub.bin" --pcrs "$TMP/missing.json" --json
expect_no_stdout "--pcrs lacks a selected PCR"
expect_stderr "sha256 PCR 7" "missing PCR named"

# --- quotes signed here (openssl): PCRs above 23, RSA with SM3 ---

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$TMP/k.key" 2>/dev/null &&
    openssl pkey -in "$TMP/k.key" -pubout -out "$TMP/k.pem" ||
    { nfail=$((nfail + 1)); echo "FAIL: openssl genpkey"; }

# synth NAME SELECT: NAME.attest, a quote (nonce 9009) over sha256 PCRs
# given as pcrSelect bytes in hex (sizeofSelect is their number), with a
# pcrDigest over values PCR n = 32 bytes of n; NAME.json, those values.
synth() {
	python3 - "$TMP/$1" "$2" <<'PY' || { nfail=$((nfail + 1)); echo "FAIL: synth $1"; }
import hashlib, json, struct, sys
out, sel = sys.argv[1], bytes.fromhex(sys.argv[2])
pcrs = [p for p in range(8 * len(sel)) if sel[p // 8] >> (p % 8) & 1]
dig = hashlib.sha256(b"".join(bytes([p]) * 32 for p in pcrs)).digest()
b = struct.pack(">IH", 0xff544347, 0x8018) + struct.pack(">H", 34) + \
    b"\x00\x0b" + b"\xaa" * 32 + struct.pack(">H", 2) + b"\x90\x09" + \
    struct.pack(">QIIBQ", 1, 2, 3, 1, 0x1122334455667788) + \
    struct.pack(">IHB", 1, 0x000b, len(sel)) + sel + \
    struct.pack(">H", len(dig)) + dig
open(out + ".attest", "wb").write(b)
json.dump({"pcrs": {"sha256": {str(p): (bytes([p]) * 32).hex()
                               for p in pcrs if p < 24}}},
          open(out + ".json", "w"))
PY
}

# sign NAME HASHNAME HASHALG: NAME.sig, a TPMT_SIGNATURE (RSASSA) over
# NAME.attest with k.key; HASHALG names the hash in it (TPM_ALG_ID, hex).
sign() {
	openssl dgst -"$2" -sign "$TMP/k.key" -out "$TMP/$1.raw" \
	    "$TMP/$1.attest" &&
	python3 -c 'import struct, sys
r = open(sys.argv[1] + ".raw", "rb").read()
open(sys.argv[1] + ".sig", "wb").write(struct.pack(">HHH", 0x14,
    int(sys.argv[2], 16), len(r)) + r)' "$TMP/$1" "$3" ||
	    { nfail=$((nfail + 1)); echo "FAIL: sign $1"; }
}

synth s0 010001
sign s0 sha256 000b
expect_status 0 "openssl-signed quote, sha256 PCRs 0 and 16" -- quote \
    --attest "$TMP/s0.attest" --sig "$TMP/s0.sig" --ak "$TMP/k.pem" \
    --nonce 9009 --pcrs "$TMP/s0.json" --json
expect_json "d['verdict'] == 'valid' and d['selection'] == {'sha256': [0, 16]} \
and d['pcrs']['sha256']['16'] == '10' * 32" "openssl-signed quote shown"

# sizeofSelect 4 is legal: PCR 24 selected, which rivd cannot check
synth s24 01000001
sign s24 sha256 000b
expect_status 0 "quote selecting PCR 24, no --pcrs" -- quote \
    --attest "$TMP/s24.attest" --sig "$TMP/s24.sig" --ak "$TMP/k.pem" --json
expect_json "d['selection'] == {'sha256': [0, 24]}" "PCR 24 selection shown"
expect_status 2 "quote selecting PCR 24, with --pcrs" -- quote \
    --attest "$TMP/s24.attest" --sig "$TMP/s24.sig" --ak "$TMP/k.pem" \
    --pcrs "$TMP/s24.json"
expect_no_stdout "PCR 24"
expect_stderr "s24.attest: the quote selects sha256 PCR 24, but rivd supports \
PCRs 0-23 only" "PCR 24 named as unsupported"

# an RSA signature with SM3-256 (openssl signs it, OpenSSL 3.0 cannot check
# it): unsupported, not a failed signature
if openssl dgst -sm3 -sign "$TMP/k.key" -out /dev/null "$TMP/s0.attest" \
    2>/dev/null; then
	echo "SKIP: this openssl signs RSA with SM3"
else
	sign s0 sha256 0012
	expect_status 2 "RSA/SM3-256 signature" -- quote --attest "$TMP/s0.attest" \
	    --sig "$TMP/s0.sig" --ak "$TMP/k.pem"
	expect_stderr "s0.sig: rsassa/sm3_256 signature: not supported: OpenSSL" \
	    "RSA/SM3-256 named unsupported"
fi

# --- a software TPM: quotes by RSA and ECC AKs ---

swtpm_pid=""

# swtpm_start: start swtpm on a port derived from the PID (trying others if
# taken) and point tpm2-tools at it; 1 if it cannot be started.
swtpm_start() {
	mkdir -p "$TMP/tpm"
	k=0
	while [ $k -lt 5 ]; do
		port=$((20000 + (($$ + k * 7919) % 20000) * 2))
		swtpm socket --tpm2 \
		    --server type=tcp,port=$port,bindaddr=127.0.0.1 \
		    --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
		    --tpmstate dir="$TMP/tpm" \
		    --flags not-need-init,startup-clear >"$TMP/swtpm.log" 2>&1 &
		swtpm_pid=$!
		sleep 0.3
		if kill -0 "$swtpm_pid" 2>/dev/null; then
			TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
			export TPM2TOOLS_TCTI
			i=0
			while [ $i -lt 50 ]; do
				tpm2_getrandom 4 >/dev/null 2>&1 && return 0
				i=$((i + 1))
				sleep 0.1
			done
			kill "$swtpm_pid" 2>/dev/null
		fi
		wait "$swtpm_pid" 2>/dev/null
		swtpm_pid=""
		k=$((k + 1))
	done
	return 1
}

# tpm_run COMMAND...: run a tpm2-tools command, flush transient objects and
# sessions, and fail the test if it fails.
tpm_run() {
	if "$@" >"$TMP/tpm.out" 2>&1; then
		tpm2_flushcontext -t >/dev/null 2>&1
		tpm2_flushcontext -s >/dev/null 2>&1
		return 0
	fi
	nfail=$((nfail + 1))
	echo "FAIL: $*"
	tail -3 "$TMP/tpm.out" | sed 's/^/  /'
	return 1
}

# tpm_pcrs FILE: the TPM's sha1 PCR 16 and sha256 PCR 0, 1, 16 as --pcrs JSON.
tpm_pcrs() {
	tpm2_pcrread sha1:16+sha256:0,1,16 | python3 -c 'import json, re, sys
out, bank = {}, None
for line in sys.stdin:
	m = re.match(r"\s*(sha\w+):\s*$", line)
	if m:
		bank = m.group(1)
		continue
	m = re.match(r"\s*(\d+)\s*:\s*0x([0-9A-Fa-f]+)", line)
	if m and bank:
		out.setdefault(bank, {})[m.group(1)] = m.group(2).lower()
print(json.dumps({"pcrs": out}))' >"$1"
}

# tpm_case NAME KEYALG HASH SCHEME FORMAT: make an AK, quote with it and
# check rivctl's verdicts on the result.
tpm_case() {
	name=$1; d=$TMP/$name
	tpm_run tpm2_createak -C "$TMP/ek.ctx" -c "$d.ctx" -G "$2" -g "$3" \
	    -s "$4" -u "$d.pub" -f "$5" || return
	tpm_run tpm2_quote -c "$d.ctx" -l sha256:0,1,16+sha1:16 -q c0ffee0123 \
	    -m "$d.msg" -s "$d.sig" -g "$3" --scheme "$4" || return
	expect_status 0 "swtpm $name valid" -- quote --attest "$d.msg" \
	    --sig "$d.sig" --ak "$d.pub" --nonce c0ffee0123 \
	    --pcrs "$TMP/tpm.json" --json
	expect_json "d['verdict'] == 'valid' and d['signature'] == \
{'scheme': '$4', 'hash': '$3'} and d['selection'] == \
{'sha256': [0, 1, 16], 'sha1': [16]} and d['checks']['pcrs'] == 'ok' and \
d['pcrs']['sha256']['16'] == '$pcr16'" "swtpm $name JSON"
	expect_status 1 "swtpm $name wrong nonce" -- quote --attest "$d.msg" \
	    --sig "$d.sig" --ak "$d.pub" --nonce c0ffee0124
	expect_status 1 "swtpm $name wrong PCR" -- quote --attest "$d.msg" \
	    --sig "$d.sig" --ak "$d.pub" --pcrs "$TMP/gce.json"
}

trap 'kill "$swtpm_pid" 2>/dev/null; rm -rf "$TMP"' EXIT
if ! command -v swtpm >/dev/null 2>&1 ||
    ! command -v tpm2_quote >/dev/null 2>&1; then
	echo "SKIP: swtpm or tpm2-tools not installed: no software-TPM quotes"
elif ! swtpm_start; then
	nfail=$((nfail + 1))
	echo "FAIL: swtpm could not be started"
	sed 's/^/  swtpm: /' "$TMP/swtpm.log" | tail -3
else
	if tpm_run tpm2_createek -c "$TMP/ek.ctx" -G rsa -u "$TMP/ek.pub" &&
	    tpm_run tpm2_pcrextend 16:sha256=$(printf '%064d' 1); then
		tpm_pcrs "$TMP/tpm.json"
		pcr16=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["pcrs"]["sha256"]["16"])' "$TMP/tpm.json")
		tpm_case rsa rsa sha256 rsassa tss
		tpm_case rsapss rsa sha384 rsapss pem
		tpm_case ecc ecc sha256 ecdsa tss
		tpm_case ecc384 ecc384 sha384 ecdsa der
	fi
	kill "$swtpm_pid" 2>/dev/null
	wait "$swtpm_pid" 2>/dev/null
fi

finish
