#!/bin/sh
# demo_scenarios.sh — the quickstart's scenarios as a test: contrib/demo
# --test runs the network (swtpm-backed riv-attesters, a relay, rivd) and
# acts out each scenario; then every verdict is checked again here, from
# the store, with rivctl: a release the reference values do not list, a
# program the IMA policy forbids, a switchover, an upgrade and its new
# reference values, a reboot, a replayed notification, a tampered PCR, a
# recovery.  No timing is asserted, only that each was detected (a
# verdict committed after the event).  Also: the demo leaves no process
# and no temporary file behind, after a run and after an interruption.
# Exit 77 (skip) without swtpm or openssl.
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

: "${RIVD:?RIVD must name the rivd binary}"
: "${RIV_ATTESTER:?RIV_ATTESTER must name the riv-attester binary}"
PY=/usr/bin/python3
export RIVD RIVCTL RIV_ATTESTER RIV_SRCDIR RIV_CORPUS
for tool in swtpm swtpm_setup openssl; do
	command -v "$tool" >/dev/null 2>&1 ||
	    { echo "SKIP: $tool not found"; exit 77; }
done
OUT=$TMP/demo
DB=$OUT/rivd.db
mkdir -p "$TMP/t1" "$TMP/t2"

# check DESCRIPTION PYTHON: an assertion over the stored verdicts (vs),
# rivctl status (st) and the demo's record of its scenarios (sc, by name).
check() {
	if $PY - "$RIVCTL" "$DB" "$OUT/scenarios.json" "$2" \
	    >"$TMP/check.out" 2>&1 <<'EOF'; then
import json, subprocess, sys
rivctl, db, record, expr = sys.argv[1:5]
def rivctl_json(*args):
    r = subprocess.run([rivctl] + list(args) + ["--db", db, "--json"],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)
vs = rivctl_json("verdicts")
st = rivctl_json("status")
by_id = {v["id"]: v for v in vs}
sc = {s["name"]: s for s in json.load(open(record))["scenarios"]}
def got(name, i=0):
    """The stored verdict that a scenario's check i found."""
    n = sc[name]["verdicts"][i]
    assert n in by_id, "%s: no stored verdict found" % name
    return by_id[n]
def after(name, i=0):
    """That verdict was committed after the scenario's event."""
    v = got(name, i)
    t = v["committed"]
    import calendar, time
    secs = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) + \
        float("0" + t[19:-1])
    return secs >= sc[name]["action_time"] - 0.001
def posture(a):
    return [x["posture"] for x in st["attesters"] if x["name"] == a][0]
assert eval(expr), expr
EOF
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $1"
		tail -4 "$TMP/check.out" | sed 's/^/  /'
	fi
}

# --- A whole run.
TMPDIR=$TMP/t1 sh "$RIV_SRCDIR/contrib/demo" --test --out "$OUT" \
    >"$TMP/demo.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^PASS: 9 of 9 scenarios' "$TMP/demo.out"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: contrib/demo --test exited $rc"
	grep -E 'MISSED|UNEXPECTED|FAILED|^demo:|rivd log' "$TMP/demo.out" |
	    head -20 | sed 's/^/  /'
fi
if [ ! -s "$DB" ]; then
	echo "FAIL: set-up: no store at $DB"
	tail -20 "$TMP/demo.out"
	exit 1
fi

check "a release the reference values do not list fails [reference]" \
    'got("firmware")["attester"] == "edge2" and got("firmware")["stream"] == "pcr-trust-evidence" and got("firmware")["result"] == "fail" and "reference" in got("firmware")["codes"]'
check "a program the IMA policy does not allow fails [policy], named" \
    'got("ima-policy")["attester"] == "db1" and got("ima-policy")["stream"] == "ima-log" and got("ima-policy")["result"] == "fail" and "policy" in got("ima-policy")["codes"] and any("/backdoor" in r for r in got("ima-policy")["reasons"]) and after("ima-policy")'
check "a switchover is notified and passes" \
    'got("switchover")["attester"] == "edge1" and got("switchover")["result"] == "pass" and "trigger: switchover (rp0 -> rp1)" in got("switchover")["reasons"] and after("switchover")'
check "a software upgrade fails the old reference values" \
    'got("upgrade")["attester"] == "edge1" and got("upgrade")["stream"] == "pcr-trust-evidence" and got("upgrade")["result"] == "fail" and "reference" in got("upgrade")["codes"] and after("upgrade")'
check "new reference values and SIGHUP: edge1 passes again" \
    'all(got("approve", i)["attester"] == "edge1" and got("approve", i)["result"] == "pass" and got("approve", i)["id"] > got("upgrade")["id"] for i in range(3)) and sorted(got("approve", i)["stream"] for i in range(3)) == ["bios-log", "ima-log", "pcr-trust-evidence"] and after("approve")'
check "a reboot is noticed (TPM reset) and passes" \
    'got("reboot")["stream"] == "bios-log" and got("reboot")["result"] == "pass" and any("was reset" in r for r in got("reboot")["reasons"]) and after("reboot")'
check "a replayed notification fails [replayed]" \
    'got("replay")["attester"] == "db1" and got("replay")["stream"] == "pcr-trust-evidence" and got("replay")["result"] == "fail" and "replayed" in got("replay")["codes"] and after("replay")'
check "the next notification passes" \
    'got("replay", 1)["stream"] == "pcr-trust-evidence" and got("replay", 1)["result"] == "pass" and got("replay", 1)["id"] > got("replay")["id"] and got("replay", 1)["sequence"] > got("replay")["sequence"]'
check "the replayed notification's sequence number was received (and passed) before" \
    'any(v["attester"] == "db1" and v["stream"] == "pcr-trust-evidence" and v["subscription"] == got("replay")["subscription"] and v["sequence"] == got("replay")["sequence"] and v["result"] == "pass" and v["id"] < got("replay")["id"] for v in vs)'
check "a tampered PCR fails the reference values and the boot log" \
    'got("tamper", 0)["result"] == "fail" and "reference" in got("tamper", 0)["codes"] and any("PCR 7" in r for r in got("tamper", 0)["reasons"]) and got("tamper", 1)["stream"] == "bios-log" and "log" in got("tamper", 1)["codes"] and after("tamper")'
check "the recovery: every db1 stream passes after the reboot" \
    'sorted(got("recovery", i)["stream"] for i in range(3)) == ["bios-log", "ima-log", "pcr-trust-evidence"] and all(got("recovery", i)["result"] == "pass" and got("recovery", i)["id"] > got("tamper", 1)["id"] for i in range(3)) and after("recovery")'
check "final postures: edge1 and db1 pass, edge2 fails" \
    'posture("edge1") == "pass" and posture("db1") == "pass" and posture("edge2") == "fail"'
check "every scenario was recorded as detected" \
    'len(sc) == 9 and all(s["ok"] and s["latency"] is not None for s in sc.values())'

# The timeline the demo wrote, and rivctl timeline on its store.
if grep -q '<svg' "$OUT/timeline.html" 2>/dev/null &&
    grep -q "timeline: .*timeline.html" "$TMP/demo.out"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the demo did not write or name its timeline"
fi
expect_status 0 "timeline of db1" -- timeline --db "$DB" --attester db1
expect_output ' db1 +pcr-trust-evidence +pass -> fail +\[replayed\] sequence number [0-9]+ was received before' "the replay in db1's timeline"
expect_output ' db1 +ima-log +pass -> fail +\[policy\] ' "the IMA policy failure in db1's timeline"

# rivd's log, kept by the demo: no sanitizer report.
if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$OUT/rivd.log"; then
	nfail=$((nfail + 1))
	echo "FAIL: sanitizer report in rivd's log"
	grep -E -A12 'AddressSanitizer|runtime error:|LeakSanitizer' \
	    "$OUT/rivd.log" | head -30
else
	npass=$((npass + 1))
fi

# Nothing left behind: the processes it started, its temporary files.
left=$($PY -c 'import json, os, sys
for p in json.load(open(sys.argv[1]))["pids"]:
    try:
        os.kill(p, 0)
        print(p)
    except OSError:
        pass' "$OUT/scenarios.json")
if [ -z "$left" ] && [ -z "$(ls -A "$TMP/t1")" ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: left behind: processes $left, files $(ls -A "$TMP/t1")"
fi

# --- Interrupted (as by Ctrl-C) during the scenarios: everything stops.
TMPDIR=$TMP/t2 sh "$RIV_SRCDIR/contrib/demo" --test --out "$TMP/demo2" \
    >"$TMP/demo2.out" 2>&1 &
wrapper=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^==> 3\.' "$TMP/demo2.out"; do
	sleep 0.1
	i=$((i + 1))
done
demo=$(pgrep -P "$wrapper" -f demo_run.py)
[ -n "$demo" ] && kill -INT "$demo"
wait "$wrapper"
rc=$?
sleep 0.5
if [ "$rc" -eq 130 ] && grep -q 'demo: interrupted' "$TMP/demo2.out" &&
    ! pgrep -f "$TMP/t2/" >/dev/null && [ -z "$(ls -A "$TMP/t2")" ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: interrupted demo: exit $rc, left:" \
	    "$(pgrep -af "$TMP/t2/")" "$(ls -A "$TMP/t2")"
	tail -5 "$TMP/demo2.out"
fi

[ "$nfail" -eq 0 ] || { echo "--- demo output"; cat "$TMP/demo.out"; }
finish
