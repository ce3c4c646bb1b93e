#!/bin/sh
# cli_swtpm.sh — rivctl quote and appraise end to end with a real software
# TPM (swtpm): a real UEFI boot log (Ubuntu 21.04 on GCE, crypto-agile,
# sha1/sha256/sha384) is replayed into the TPM's PCRs with tpm2_pcrextend,
# RSA and ECC attestation keys quote the PCRs, and rivctl must pass the
# consistent evidence and fail every kind of tampering, including quotes
# forged with a TPM key that is not a restricted signing key.
# Exit 77 (skip) only if swtpm or tpm2-tools is not installed.
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

# stop_swtpm: stop swtpm and its watchdog, if running.
stop_swtpm() {
	if [ -n "$WATCH_PID" ]; then
		kill "$WATCH_PID" 2>/dev/null
		WATCH_PID=
	fi
	if [ -n "$SWTPM_PID" ]; then
		kill "$SWTPM_PID" 2>/dev/null
		wait "$SWTPM_PID" 2>/dev/null
		SWTPM_PID=
	fi
}

# Clean up (stop swtpm, remove $TMP) on any exit, signals included.
SWTPM_PID=
WATCH_PID=
trap 'stop_swtpm; rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT PIPE TERM

LOG=$CORPUS/bios/go-tpm-tools__ubuntu-2104-no-secure-boot.bin
case $LOG in /*) ;; *) LOG=$(pwd)/$LOG ;; esac	# the test cds to $TMP
NONCE=5a17c0ffee0123456789abcdef001122
BADNONCE=5a17c0ffee0123456789abcdef001123
SEL10=0,1,2,3,4,5,6,7,8,9
SEL8=0,1,2,3,4,5,6,7
SELLOG=0,1,2,3,4,5,6,7,8,9,14
AKATTR="fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign"

for tool in swtpm tpm2_pcrextend tpm2_pcrread tpm2_createprimary tpm2_create \
    tpm2_load tpm2_readpublic tpm2_quote tpm2_checkquote tpm2_flushcontext tpm2_print \
    tpm2_sign timeout python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found: this test needs a software TPM" \
		    "(Debian packages swtpm and tpm2-tools)"
		exit 77
	fi
done

# Call python3 (about 25 times, via expect_json) directly, not through a
# version manager's shim that may cost a third of a second each time.
if ! mkdir "$TMP/bin" || ! ln -s \
    "$(python3 -c 'import sys; print(sys.executable)')" "$TMP/bin/python3"; then
	echo "FAIL: set-up: python3"
	exit 1
fi
PATH=$TMP/bin:$PATH

# die MESSAGE: the test set-up failed (not rivctl): stop with a failure.
die() {
	echo "FAIL: set-up: $*"
	for f in "$TMP/tpm.err" "$TMP/swtpm.log"; do
		[ -s "$f" ] && sed 's/^/  /' "$f" | tail -8
	done
	exit 1
}

# tpm COMMAND ARGS...: run a tpm2-tools command with a time limit, then
# flush the transient objects it left loaded (there is no resource
# manager, and swtpm holds only three).
tpm() {
	timeout 20 "$@" >"$TMP/tpm.out" 2>"$TMP/tpm.err" || die "$*"
	timeout 20 tpm2_flushcontext -t 2>>"$TMP/tpm.err" ||
	    die "tpm2_flushcontext -t"
}

# start_swtpm PORT: start swtpm on PORT (commands) and PORT+1 (control) and
# wait until it answers; returns 1 if it does not come up.
start_swtpm() {
	rm -rf "$TMP/tpm"
	mkdir "$TMP/tpm" || die "mkdir"
	swtpm socket --tpm2 --server type=tcp,port="$1",bindaddr=127.0.0.1 \
	    --ctrl type=tcp,port=$(($1 + 1)),bindaddr=127.0.0.1 \
	    --tpmstate dir="$TMP/tpm" --flags not-need-init,startup-clear \
	    --log file="$TMP/swtpm.log" &
	SWTPM_PID=$!
	export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$1"
	tries=0
	while [ $tries -lt 50 ]; do
		if ! kill -0 "$SWTPM_PID" 2>/dev/null; then
			wait "$SWTPM_PID" 2>/dev/null
			SWTPM_PID=
			return 1
		fi
		# Answered, and by our swtpm: one that lost the port to another
		# has exited by now (binding is the first thing it does).
		if timeout 5 tpm2_pcrread sha256:0 >/dev/null 2>&1 &&
		    kill -0 "$SWTPM_PID" 2>/dev/null; then
			start_watchdog
			return 0
		fi
		sleep 0.1
		tries=$((tries + 1))
	done
	stop_swtpm
	return 1
}

# start_watchdog: stop swtpm should this shell die without its EXIT trap
# (SIGKILL from a harness's time limit, say).
start_watchdog() {
	(
		while kill -0 $$ 2>/dev/null; do
			sleep 1
		done
		kill "$SWTPM_PID"
	) >/dev/null 2>&1 </dev/null &
	WATCH_PID=$!
}

# pcrs_json SELECTION FILE: read the TPM's PCRs into a rivctl --pcrs file.
pcrs_json() {
	timeout 20 tpm2_pcrread "$1" >"$TMP/pcrread.out" 2>"$TMP/tpm.err" ||
	    die "tpm2_pcrread $1"
	python3 - "$TMP/pcrread.out" "$2" <<'PY' || die "parse tpm2_pcrread"
import json, re, sys
pcrs, bank = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"^  (\w+):\s*$", line)
    if m:
        bank = pcrs.setdefault(m.group(1), {})
        continue
    m = re.match(r"^\s+(\d+)\s*:\s*0x([0-9A-Fa-f]+)\s*$", line)
    if not m or bank is None:
        sys.exit("unexpected tpm2_pcrread line: " + line)
    bank[str(int(m.group(1)))] = m.group(2).lower()
json.dump({"pcrs": pcrs}, open(sys.argv[2], "w"))
PY
}

# 1. A software TPM on ports derived from our PID, so parallel runs differ:
# an even port for commands, the next for control.
port=$((20000 + $$ % 10000 * 2))
attempts=0
until start_swtpm "$port"; do
	attempts=$((attempts + 1))
	[ $attempts -lt 5 ] || die "swtpm does not start (last port $port)"
	port=$((20000 + (port - 20000 + 1000) % 20000))
done

# 2. Replay the boot log into the TPM: every extended event, every bank the
# log carries, in log order.
expect_status 0 "boot log parses" -- bios-log "$LOG" --json
cp "$TMP/out" "$TMP/log.json"
expect_json 'd["startup_locality"] is None and d["hcrtm"] is False and d["unreplayed_banks"] == []' \
    "log starts PCR 0 at locality 0, so tpm2_pcrextend can replay it"
expect_json 'sorted(d["banks"]) == ["sha1", "sha256", "sha384"] and sum(e["extended"] for e in d["events"]) == 105' \
    "log has 105 extended events in sha1, sha256, sha384"
python3 - "$TMP" <<'PY' || die "writing extend list and expected values"
import json, sys
t = sys.argv[1]
log = json.load(open(t + "/log.json"))
with open(t + "/extend.args", "w") as f:
    for e in log["events"]:
        if e["extended"]:
            f.write("%d:%s\n" % (e["pcr"], ",".join(
                "%s=%s" % kv for kv in sorted(e["digests"].items()))))
p = log["pcrs"]
sel = lambda bank, n: {str(i): p[bank][str(i)] for i in range(n)}
json.dump(sel("sha256", 10), open(t + "/log256.json", "w"))
json.dump(sel("sha1", 8), open(t + "/log1.json", "w"))
# The log's own output as reference values, and variants of it.
json.dump({"version": 1, "pcrs": {"sha256": sel("sha256", 10)}},
          open(t + "/ref256.json", "w"))
bad = {"version": 1, "pcrs": {"sha256": sel("sha256", 10)}}
bad["pcrs"]["sha256"]["4"] = "%064x" % (int(bad["pcrs"]["sha256"]["4"], 16) ^ 1)
json.dump(bad, open(t + "/ref256-bad4.json", "w"))
# PCRs the log names that a sha256:0-9 quote does not cover.
unc = sorted([(b, int(i)) for b in p for i in p[b]
              if b != "sha256" or int(i) > 9])
json.dump(unc, open(t + "/uncovered.json", "w"))
PY
xargs timeout 20 tpm2_pcrextend <"$TMP/extend.args" 2>"$TMP/tpm.err" ||
    die "tpm2_pcrextend"

# The TPM's PCRs now: they must be what rivctl's replay says.
pcrs_json "sha256:$SEL10" "$TMP/tpm256.json"
pcrs_json "sha1:$SELLOG+sha256:$SELLOG+sha384:$SELLOG" "$TMP/tpmall.json"
cp "$TMP/tpmall.json" "$TMP/out"
expect_json 'd["pcrs"] == json.load(open("'"$TMP"'/log.json"))["pcrs"]' \
    "the TPM's PCRs 0-9 and 14 in all three banks equal rivctl's replay"

# 3. Attestation keys under an ECC primary in the endorsement hierarchy,
# where AKs live (under the owner hierarchy the TPM would obfuscate the
# reset and restart counts it quotes): RSA 2048 (RSASSA-SHA256) and two ECC
# P-256 (ECDSA-SHA256), public keys as PEM and as the TPM2B_PUBLIC
# tpm2_create writes.
cd "$TMP" || die "cd $TMP"
tpm tpm2_createprimary -Q -C e -G ecc -c primary.ctx
for k in rsa:rsa2048:rsassa-sha256:null ecc:ecc256:ecdsa-sha256:null \
    ecc2:ecc256:ecdsa-sha256:null; do
	name=${k%%:*}
	tpm tpm2_create -Q -C primary.ctx -G "${k#*:}" -a "$AKATTR" \
	    -u "$name.pub" -r "$name.priv"
	tpm tpm2_load -Q -C primary.ctx -u "$name.pub" -r "$name.priv" \
	    -c "$name.ctx"
	tpm tpm2_readpublic -Q -c "$name.ctx" -f pem -o "$name.pem"
done

# quote NAME AK SELECTION NONCE: NAME.msg (TPMS_ATTEST), NAME.sig
# (TPMT_SIGNATURE) and NAME.pcrs (tpm2-tools PCR blob).
quote() {
	tpm tpm2_quote -Q -c "$2.ctx" -l "$3" -q "$4" -m "$1.msg" \
	    -s "$1.sig" -o "$1.pcrs" -g sha256
}
quote qr rsa "sha256:$SEL10" "$NONCE"
quote qe ecc "sha256:$SEL10" "$NONCE"
quote qall rsa "sha1:$SELLOG+sha256:$SELLOG+sha384:$SELLOG" "$NONCE"
quote qs1 ecc "sha1:$SEL8" "$NONCE"

# The fixtures are sound by tpm2-tools' own check.
tpm tpm2_checkquote -u rsa.pem -m qr.msg -s qr.sig -f qr.pcrs -g sha256 \
    -q "$NONCE"
tpm tpm2_checkquote -u ecc.pub -m qe.msg -s qe.sig -f qe.pcrs -g sha256 \
    -q "$NONCE"

# tpm2-tools' own reading of the three-bank quote, to compare with rivctl's.
timeout 20 tpm2_print -t TPMS_ATTEST qall.msg >qall.yaml 2>"$TMP/tpm.err" ||
    die "tpm2_print"
python3 - qall.yaml qall.json <<'PY' || die "parse tpm2_print"
import json, re, sys
v = {}
for line in open(sys.argv[1]):
    m = re.match(r"^\s*(\w+): (\S+)", line)
    if m:
        v[m.group(1)] = m.group(2)
# tpm2_print (5.4) shows firmwareVersion byte-reversed (host order), so
# take that UINT64 from the file itself: it follows magic, type,
# qualifiedSigner, extraData and the 17-byte clockInfo, big-endian.
off = 6 + 2 + len(v["qualifiedSigner"]) // 2 + 2 + len(v["extraData"]) // 2 + 17
fw = open(sys.argv[1].replace(".yaml", ".msg"), "rb").read()[off:off + 8]
json.dump({"signer": v["qualifiedSigner"], "extra_data": v["extraData"],
           "clock": int(v["clock"]), "reset_count": int(v["resetCount"]),
           "restart_count": int(v["restartCount"]), "safe": v["safe"] == "1",
           "firmware_version": fw.hex(),
           "pcr_digest": v["pcrDigest"]}, open(sys.argv[2], "w"))
PY

# Then measure once more into PCR 9 and quote again: the log is now stale.
timeout 20 tpm2_pcrextend "9:sha1=$(printf %040d 1),sha256=$(printf %064d 1),sha384=$(printf %096d 1)" \
    2>"$TMP/tpm.err" || die "tpm2_pcrextend 9"
quote qr9 rsa "sha256:$SEL10" "$NONCE"
pcrs_json "sha256:$SEL10" "$TMP/tpm256-9.json"

# $RSA and $ECC are split into arguments on purpose (unquoted below).
RSA="--attest qr.msg --sig qr.sig --ak rsa.pem"
ECC="--attest qe.msg --sig qe.sig --ak ecc.pem"
OKCHECKS='{"signature": "ok", "structure": "ok", "nonce": "ok", "pcr_digest": "ok", "bios_log": "ok", "reference": "skipped"}'
LOG256='json.load(open("'"$TMP"'/log256.json"))'

# 4a. rivctl quote over the TPM's own PCR values.
expect_status 0 "quote: RSA AK, nonce, the TPM's PCRs" -- \
    quote $RSA --nonce "$NONCE" --pcrs tpm256.json --json
expect_json 'd["pcrs"]["sha256"] == '"$LOG256" \
    "quoted PCRs 0-9 equal the log's replay"
expect_status 0 "quote: ECC AK" -- \
    quote $ECC --nonce "$NONCE" --pcrs tpm256.json --json
expect_json 'd["pcrs"]["sha256"] == '"$LOG256" \
    "ECC-quoted PCRs 0-9 equal the log's replay"
expect_status 0 "quote: all three banks" -- quote --attest qall.msg \
    --sig qall.sig --ak rsa.pub --nonce "$NONCE" --pcrs tpmall.json --json
expect_json 'd["pcrs"] == json.load(open("'"$TMP"'/log.json"))["pcrs"]' \
    "33 quoted PCRs equal the log's replay"
expect_json 'all(d[k] == v for k, v in json.load(open("'"$TMP"'/qall.json")).items())' \
    "signer, nonce, clock information, firmware and PCR digest as tpm2_print reads them"
expect_json 'd["selection"] == {b: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14] for b in ("sha1", "sha256", "sha384")}' \
    "three-bank selection"
expect_status 1 "quote: wrong nonce" -- quote $RSA --nonce "$BADNONCE" \
    --pcrs tpm256.json
expect_status 1 "quote: PCR values from before the last extend" -- \
    quote --attest qr9.msg --sig qr9.sig --ak rsa.pem --pcrs tpm256.json

# 4b. appraise with the boot log alone: every quoted PCR from the replay.
for ak in rsa.pem rsa.pub; do
	expect_status 0 "appraise: RSA AK ($ak), log only" -- appraise \
	    --attest qr.msg --sig qr.sig --ak $ak --nonce "$NONCE" \
	    --bios-log "$LOG" --json
	expect_json 'd["verdict"] == "pass" and d["failures"] == [] and d["checks"] == '"$OKCHECKS" \
	    "RSA ($ak): all checks ok"
	expect_json 'd["pcrs"] == {"sha256": '"$LOG256"'} and d["bios_log_events"] == 106' \
	    "RSA ($ak): covered values are the replay"
done
for ak in ecc.pem ecc.pub; do
	expect_status 0 "appraise: ECC AK ($ak), log only" -- appraise \
	    --attest qe.msg --sig qe.sig --ak $ak --nonce "$NONCE" \
	    --bios-log "$LOG" --json
	expect_json 'd["verdict"] == "pass" and d["checks"] == '"$OKCHECKS" \
	    "ECC ($ak): all checks ok"
	expect_json 'd["pcrs"] == {"sha256": '"$LOG256"'}' \
	    "ECC ($ak): covered values are the replay"
done
expect_status 0 "appraise: human output" -- appraise $RSA --nonce "$NONCE" \
    --bios-log "$LOG"
expect_output '^verdict: pass$' "human verdict line"

expect_status 0 "appraise: reported values and log agree" -- appraise $RSA \
    --nonce "$NONCE" --pcrs tpm256.json --bios-log "$LOG" --json
expect_json 'd["verdict"] == "pass" and d["checks"]["bios_log"] == "ok"' \
    "log and TPM agree"

expect_status 0 "appraise: sha1 bank quoted (sha256 digest)" -- appraise \
    --attest qs1.msg --sig qs1.sig --ak ecc.pem --nonce "$NONCE" \
    --bios-log "$LOG" --json
expect_json 'd["verdict"] == "pass" and d["pcrs"] == {"sha1": json.load(open("'"$TMP"'/log1.json"))}' \
    "sha1 PCRs 0-7 are the log's sha1 replay"

# 4c. Reference values.
expect_status 0 "appraise: the log's own JSON as reference, all banks quoted" \
    -- appraise --attest qall.msg --sig qall.sig --ak rsa.pem \
    --nonce "$NONCE" --bios-log "$LOG" --reference log.json --json
expect_json 'd["verdict"] == "pass" and d["checks"]["reference"] == "ok" and d["reference_pcrs"] == 33' \
    "33 reference PCRs pass"
expect_status 0 "appraise: sha256 reference values" -- appraise $RSA \
    --nonce "$NONCE" --bios-log "$LOG" --reference ref256.json --json
expect_json 'd["checks"]["reference"] == "ok" and d["reference_pcrs"] == 10' \
    "10 reference PCRs pass"
expect_status 1 "appraise: one reference value altered" -- appraise $RSA \
    --nonce "$NONCE" --bios-log "$LOG" --reference ref256-bad4.json --json
expect_json '[(f["check"], f["bank"], f["pcr"]) for f in d["failures"]] == [("reference", "sha256", 4)]' \
    "only sha256 PCR 4 fails"
expect_status 1 "appraise: reference names PCRs the quote does not cover" \
    -- appraise $RSA --nonce "$NONCE" --bios-log "$LOG" \
    --reference log.json --json
expect_json 'sorted((f["bank"], f["pcr"]) for f in d["failures"] if f["check"] == "reference") == [tuple(x) for x in json.load(open("'"$TMP"'/uncovered.json"))] and d["checks"]["pcr_digest"] == "ok"' \
    "exactly the 23 uncovered PCRs fail"

# 4d. Tampering.
expect_status 1 "appraise: wrong nonce" -- appraise $RSA \
    --nonce "$BADNONCE" --bios-log "$LOG" --json
expect_json 'd["checks"]["nonce"] == "fail" and d["checks"]["signature"] == "ok" and [f["check"] for f in d["failures"]] == ["nonce"]' \
    "only the nonce fails"

expect_status 1 "appraise: PCR 9 extended after the log" -- appraise \
    --attest qr9.msg --sig qr9.sig --ak rsa.pem --nonce "$NONCE" \
    --bios-log "$LOG" --json
expect_json 'd["checks"]["pcr_digest"] == "fail" and d["checks"]["bios_log"] == "ok" and d["pcrs"] == {}' \
    "stale log breaks the PCR digest"
expect_status 0 "appraise: that quote with the TPM's values" -- appraise \
    --attest qr9.msg --sig qr9.sig --ak rsa.pem --nonce "$NONCE" \
    --pcrs tpm256-9.json --json
expect_json 'd["verdict"] == "pass"' "the quote itself is sound"
expect_status 1 "appraise: TPM's values and the stale log" -- appraise \
    --attest qr9.msg --sig qr9.sig --ak rsa.pem --nonce "$NONCE" \
    --pcrs tpm256-9.json --bios-log "$LOG" --json
expect_json '[(f["check"], f.get("bank"), f.get("pcr")) for f in d["failures"]] == [("bios-log", "sha256", 9), ("pcr-digest", None, None)]' \
    "log disagrees on PCR 9 only"

expect_status 1 "appraise: ECDSA quote checked with another ECC AK" -- \
    appraise --attest qe.msg --sig qe.sig --ak ecc2.pem --nonce "$NONCE" \
    --bios-log "$LOG" --json
expect_json 'd["checks"]["signature"] == "fail" and [f["check"] for f in d["failures"]] == ["signature"] and d["pcrs"] == {}' \
    "signature fails, nothing else trusted"
expect_status 1 "appraise: RSA quote checked with the ECC AK" -- appraise \
    --attest qr.msg --sig qr.sig --ak ecc.pub --nonce "$NONCE" --json
expect_json 'd["checks"]["signature"] == "fail"' "signature fails"
expect_status 1 "appraise: ECC signature over the RSA quote" -- appraise \
    --attest qr.msg --sig qe.sig --ak ecc.pem --nonce "$NONCE" --json
expect_json 'd["checks"]["signature"] == "fail"' "signature fails"

head -c 60 qr.msg >short.msg
expect_status 2 "appraise: truncated TPMS_ATTEST" -- appraise \
    --attest short.msg --sig qr.sig --ak rsa.pem --nonce "$NONCE" \
    --bios-log "$LOG"
expect_stderr 'offset' "error names the byte offset"
head -c 100 qr.sig >short.sig
expect_status 2 "appraise: truncated TPMT_SIGNATURE" -- appraise \
    --attest qr.msg --sig short.sig --ak rsa.pem --nonce "$NONCE"

# 5. Forgery with a TPM key that is not an AK.  An unrestricted signing key
# signs whatever it is given (tpm2_sign), so it can sign a hand-made
# TPMS_ATTEST: here the fresh quote qr9 with the pcrDigest of qr, hiding the
# measurement into PCR 9.  Its TPM2B_PUBLIC says what it is: rejected.
tpm tpm2_create -Q -C primary.ctx -G rsa2048:rsassa-sha256:null \
    -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign" \
    -u uk.pub -r uk.priv
tpm tpm2_load -Q -C primary.ctx -u uk.pub -r uk.priv -c uk.ctx
tpm tpm2_readpublic -Q -c uk.ctx -f pem -o uk.pem
python3 - <<'PY' || die "forging a TPMS_ATTEST"
a, b = open("qr9.msg", "rb").read(), open("qr.msg", "rb").read()
assert len(a) == len(b) and a[:-32] != b[:-32] and a[-32:] != b[-32:]
open("forged.msg", "wb").write(a[:-32] + b[-32:])
# the same, but not claiming to come from a TPM
open("forged-magic.msg", "wb").write(b"\x12\x34\x56\x78" + a[4:-32] + b[-32:])
PY
tpm tpm2_sign -Q -c uk.ctx -g sha256 -s rsassa -o forged.sig forged.msg
tpm tpm2_sign -Q -c uk.ctx -g sha256 -s rsassa -o forged-magic.sig \
    forged-magic.msg
expect_status 1 "quote: forged by an unrestricted TPM key (TPM2B_PUBLIC)" -- \
    quote --attest forged.msg --sig forged.sig --ak uk.pub --nonce "$NONCE" \
    --pcrs tpm256.json --json
expect_json 'd["verdict"] == "invalid" and d["checks"]["signature"] == "fail" and "not a restricted signing key" in d["reason"] and "restricted is clear" in d["reason"] and d["pcrs"] == {}' \
    "unrestricted key rejected, no values shown"
expect_status 1 "appraise: forged by an unrestricted TPM key" -- appraise \
    --attest forged.msg --sig forged.sig --ak uk.pub --nonce "$NONCE" \
    --bios-log "$LOG" --json
expect_json '[f["check"] for f in d["failures"]] == ["signature"] and d["pcrs"] == {}' \
    "appraise: unrestricted key rejected"
# An SPKI (PEM) says nothing of the key's use: rivctl cannot tell the
# forgery (rivctl(1) says to give AKs as TPM2B_PUBLIC for this reason).
expect_status 0 "quote: the same forgery with the key as PEM passes" -- \
    quote --attest forged.msg --sig forged.sig --ak uk.pem --nonce "$NONCE" \
    --pcrs tpm256.json
# The signature of the forgery with the wrong magic verifies (SPKI), and
# appraise reports the structure, not the signature.
expect_status 1 "appraise: signed structure not generated by a TPM" -- \
    appraise --attest forged-magic.msg --sig forged-magic.sig --ak uk.pem \
    --nonce "$NONCE" --bios-log "$LOG" --json
expect_json 'd["checks"]["signature"] == "ok" and d["checks"]["structure"] == "fail" and [f["check"] for f in d["failures"]] == ["structure"] and d["pcrs"] == {}' \
    "structure failure reported under its own name"

finish
