# cli_lib.sh — sourced by the tests/cli_*.sh scripts: runs rivctl and checks
# its exit status and output.  Each script ends with `finish`.

: "${RIVCTL:?RIVCTL must name the rivctl binary}"
: "${RIV_CORPUS:=../shared/corpus}"
CORPUS=$RIV_CORPUS
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$(basename -- "$0" .sh).XXXXXX")
trap 'rm -rf "$TMP"' EXIT
npass=0
nfail=0

# expect_status STATUS DESCRIPTION -- rivctl ARGS...: run rivctl, keep its
# output in $TMP/out and $TMP/err, and check the exit status.
expect_status() {
	want=$1; what=$2; shift 3
	"$RIVCTL" "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $what: exit $got, wanted $want (rivctl $*)"
		sed 's/^/  stderr: /' "$TMP/err" | head -5
	fi
}

# expect_output PATTERN DESCRIPTION: the last stdout must match PATTERN
# (grep -E).
expect_output() {
	if grep -Eq -- "$1" "$TMP/out"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: stdout lacks /$1/"
		head -5 "$TMP/out" | sed 's/^/  stdout: /'
	fi
}

# expect_stderr PATTERN DESCRIPTION: the last stderr must match PATTERN.
expect_stderr() {
	if grep -Eq -- "$1" "$TMP/err"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: stderr lacks /$1/"
		head -5 "$TMP/err" | sed 's/^/  stderr: /'
	fi
}

# expect_json PYTHON-EXPRESSION DESCRIPTION: the last stdout must be one JSON
# object for which the expression (over `d`, the parsed object) is true.
expect_json() {
	if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/out" "$1" 2>"$TMP/pyerr"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: JSON output does not satisfy: $1"
		head -c 600 "$TMP/out" | sed 's/^/  stdout: /'
		sed 's/^/  python: /' "$TMP/pyerr" | tail -3
	fi
}

# finish: report and exit non-zero if any check failed.
finish() {
	echo "$(basename "$0"): $npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit $?
}

# drop_digests IN OUT BANK:PCR[:PCR...]...: copy the crypto-agile boot log IN
# to OUT without the digests of BANK (sha1, sha256, sha384) in the events
# that extend the PCRs given, as firmware that skips a bank writes them.
drop_digests() {
	python3 - "$@" <<'PY'
import struct, sys
src, dst, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
algs = {"sha1": 4, "sha256": 11, "sha384": 12, "sha512": 13}
drop = {}
for s in specs:
    name, *pcrs = s.split(":")
    for p in pcrs:
        drop.setdefault(int(p), set()).add(algs[name])
b = open(src, "rb").read()
n = struct.unpack_from("<I", b, 28)[0]
first = b[:32 + n]
nalg = struct.unpack_from("<I", b, 32 + 24)[0]
size = {}
for i in range(nalg):
    a, sz = struct.unpack_from("<HH", b, 32 + 28 + 4 * i)
    size[a] = sz
out, o = [first], 32 + n
while o + 12 <= len(b):
    pcr, typ, cnt = struct.unpack_from("<III", b, o)
    if pcr == 0 and typ == 0 and cnt == 0:
        break                       # zero padding
    p, kept = o + 12, []
    for _ in range(cnt):
        a = struct.unpack_from("<H", b, p)[0]
        if a not in drop.get(pcr, ()) or typ == 3:
            kept.append(b[p:p + 2 + size[a]])
        p += 2 + size[a]
    dlen = struct.unpack_from("<I", b, p)[0]
    out.append(struct.pack("<III", pcr, typ, len(kept)) + b"".join(kept) +
               b[p:p + 4 + dlen])
    o = p + 4 + dlen
open(dst, "wb").write(b"".join(out))
PY
}

# quirk_pcrs IN OUT VARIANT [PCR5-BANKS]: from IN, the JSON output of
# `rivctl bios-log --json`, write to OUT a --pcrs file of its replayed values
# with PCR 5 extended after the log, in the banks PCR5-BANKS (comma
# separated, default all), with the ExitBootServices strings of VARIANT:
# success (Invocation, Success), failure (Invocation, Failure), retry
# (Invocation, Failure, Success), none (PCR 5 as replayed) or garbage (a
# value matching no replay).  This is what a platform that extends those
# EV_EFI_ACTION events without logging them quotes.
quirk_pcrs() {
	python3 - "$@" <<'PY'
import hashlib, json, sys
src, dst, variant = sys.argv[1:4]
banks = sys.argv[4].split(",") if len(sys.argv) > 4 else None
inv = b"Exit Boot Services Invocation"
ok = b"Exit Boot Services Returned with Success"
bad = b"Exit Boot Services Returned with Failure"
strings = {"success": [inv, ok], "failure": [inv, bad],
           "retry": [inv, bad, ok], "none": []}
pcrs = json.load(open(src))["pcrs"]
for bank, m in pcrs.items():
    if "5" not in m or (banks is not None and bank not in banks):
        continue
    if variant == "garbage":
        m["5"] = "33" * (len(m["5"]) // 2)
        continue
    v = bytes.fromhex(m["5"])
    for s in strings[variant]:
        v = hashlib.new(bank, v + hashlib.new(bank, s).digest()).digest()
    m["5"] = v.hex()
json.dump({"pcrs": pcrs}, open(dst, "w"))
PY
}
