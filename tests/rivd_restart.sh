#!/bin/sh
# rivd_restart.sh — rivd's configuration and its life: bad configuration
# files refused with the node and the reason (and nothing started);
# SIGKILL in the middle of a run, then a restart that resumes exactly where
# the last commit left off (every committed verdict kept, none twice, no
# log entry appraised twice or skipped); SIGHUP applying a new
# configuration live (an attester added and removed, a subscription
# changed and removed, new reference values after a software upgrade, a
# bad file that changes nothing).
# Exit 77 (skip) without swtpm, yanglint or ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"

need_tools
need_bios
NEWBIOS=${BIOS%/*}/go-tpm-tools__rhel8-uefi.bin
[ -r "$NEWBIOS" ] || die "no boot log $NEWBIOS (set RIV_CORPUS)"

# expect_rivd_n STATUS PATTERN DESCRIPTION CONF: rivd -n on CONF.
expect_rivd_n() {
	"$RIVD" -n -y "$RIV_SRCDIR/yang" -c "$4" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$1" ] && grep -Eq -- "$2" "$TMP/out" "$TMP/err"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $3: exit $got (wanted $1), output lacks /$2/"
		cat "$TMP/out" "$TMP/err" | head -5 | sed 's/^/  /'
	fi
}

make_pki
start_device r2 rp0 -- --bios-log "$BIOS"
start_device r3 rp0 -- --bios-log "$BIOS"
write_reference "$TMP/reference.json" "$BIOS"

# --- Bad configuration files: refused whole, naming the node and why.
B=$TMP/bad.xml
conf_begin "$B"
conf_attester r2 '<subscription><stream>bios-log</stream><colour>red</colour></subscription>'
conf_end
expect_rivd_n 1 "colour" "an unknown node is named" "$B"
conf_begin "$B"
conf_attester r2 "" r2 70000
conf_end
expect_rivd_n 1 "70000.*port|port.*70000" "a port out of range is named" "$B"
printf '<verifier xmlns="urn:rivd:params:xml:ns:yang:riv-verifier"><attester><name>x</name><tpm><name>t</name><ak>/nonexistent</ak></tpm></attester></verifier>\n' >"$B"
expect_rivd_n 1 "address" "a missing mandatory address is named" "$B"
conf_begin "$B"
conf_attester r2 ""
conf_end
sed -i 's|<ak>[^<]*</ak>|<ak>/nonexistent/ak.pub</ak>|' "$B"
expect_rivd_n 1 "attester r2 TPM rp0: .*/nonexistent/ak.pub" \
    "an unreadable AK names attester, TPM and file" "$B"
conf_begin "$B"
conf_attester r2 ""
conf_attester r2 ""
conf_end
expect_rivd_n 1 "[Dd]uplicate|r2" "a duplicate attester is refused" "$B"
printf '<verifier xmlns="urn:rivd:params:xml:ns:yang:riv-verifier">\n' >"$B"
expect_rivd_n 1 "bad.xml" "a truncated file is refused" "$B"
printf '{"riv-verifier:verifier": {"limits": {"max-message-size": "big"}}}\n' \
    >"$TMP/bad.json"
expect_rivd_n 1 "max-message-size" "a JSON value of the wrong type is named" \
    "$TMP/bad.json"
printf '{"riv-verifier:verifier": {}}\n' >"$TMP/empty.json"
expect_rivd_n 0 "configuration OK: 0 attester" "an empty JSON configuration \
is valid" "$TMP/empty.json"
# A bad file starts nothing: no store is created.
conf_begin "$B"
conf_attester r2 '<subscription><stream>nonsense</stream></subscription>'
conf_end
"$RIVD" -y "$RIV_SRCDIR/yang" -c "$B" >"$TMP/out" 2>&1
if [ $? -eq 1 ] && [ ! -e "$RIVD_DB" ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: rivd with a bad configuration did not exit 1 untouched"
fi

# --- A run with IMA entries arriving all the time, killed with SIGKILL.
SUBS='<subscription><stream>pcr-trust-evidence</stream><period>50</period></subscription>
    <subscription><stream>bios-log</stream><period>50</period></subscription>
    <subscription><stream>ima-log</stream><period>30</period></subscription>'
conf_begin "$TMP/rivd.xml"
conf_attester r2 "$SUBS<reference-values>$TMP/reference.json</reference-values>"
conf_end
start_rivd "$TMP/rivd.xml"
( while :; do dev_ctl r2 measure /bin/true >/dev/null 2>&1; sleep 0.1; done ) &
MEASURE=$!
wait_verdicts 10 "v['stream'] == 'ima-log' and v['result'] == 'pass'" \
    "IMA verdicts before the crash"
kill_rivd
"$RIVCTL" verdicts --db "$RIVD_DB" --json >"$TMP/before.json" ||
    die "verdicts"
sleep 1
start_rivd "$TMP/rivd.xml"
wait_verdicts 1 "True" "rivd appraises again after the restart"
n_before=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
    "$TMP/before.json")
sleep 3
kill $MEASURE
wait $MEASURE 2>/dev/null
sleep 1
check_verdicts "all(any(w == v for w in vs) for v in \
__import__('json').load(open('$TMP/before.json')))" \
    "every verdict committed before the SIGKILL is still there"
check_verdicts "len({(v['attester'], v['stream'], v['subscription'], \
v['sequence']) for v in vs}) == len(vs)" "no verdict is stored twice"
check_verdicts "all(v['result'] == 'pass' for v in vs[$n_before:])" \
    "after the restart the logs resume exactly (no entry twice, none skipped)"
check_verdicts "sum(1 for v in vs[$n_before:] if v['stream'] == 'ima-log') \
>= 3" "IMA entries are appraised after the restart"
if grep -q "ima-log: resuming after sequence" "$RIVD_LOG"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: rivd did not say where it resumed"
fi

# --- SIGHUP: a software upgrade needs new reference values.
dev_ctl r2 upgrade "$NEWBIOS" >/dev/null || die "upgrade"
wait_verdicts 1 "v['stream'] == 'pcr-trust-evidence' and \
v['result'] == 'fail' and 'reference' in v['codes']" \
    "after the upgrade the old reference values fail"
write_reference "$TMP/reference.json" "$NEWBIOS"
# ...and at the same time: r3 added, r2's ima-log removed, its
# pcr-trust-evidence period changed.
conf_begin "$TMP/rivd.xml"
conf_attester r2 '<subscription><stream>pcr-trust-evidence</stream><period>40</period></subscription>
    <subscription><stream>bios-log</stream><period>50</period></subscription>'"
    <reference-values>$TMP/reference.json</reference-values>"
conf_attester r3 '<subscription><stream>pcr-trust-evidence</stream><period>50</period></subscription>'
conf_end
n_hup=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
kill -HUP "$RIVD_PID"
wait_verdicts 2 "v['attester'] == 'r3' and v['result'] == 'pass'" \
    "an attester added by SIGHUP is appraised"
wait_verdicts 3 "v['attester'] == 'r2' and v['stream'] == \
'pcr-trust-evidence' and v['result'] == 'pass' and \
vs.index(v) >= $n_hup" "new reference values apply after SIGHUP"
sleep 2
n_mid=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
sleep 2
check_verdicts "not any(v['stream'] == 'ima-log' for v in vs[$n_mid:])" \
    "a subscription removed by SIGHUP stops"
if grep -q "pcr-trust-evidence subscription changed" "$RIVD_LOG"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the changed subscription was not modified"
fi

# A bad file on SIGHUP changes nothing.
cp "$TMP/rivd.xml" "$TMP/good.xml"
echo "<garbage/>" >>"$TMP/rivd.xml"
kill -HUP "$RIVD_PID"
sleep 1
grep -q "configuration not applied" "$RIVD_LOG" && npass=$((npass + 1)) ||
    { nfail=$((nfail + 1)); echo "FAIL: a bad file on SIGHUP was not refused"; }
n_bad=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
wait_verdicts 2 "v['attester'] == 'r3' and vs.index(v) >= $n_bad" \
    "after a refused SIGHUP the running configuration goes on"

# r3 removed (and r2's heartbeat shortened, for the probe below).
conf_begin "$TMP/rivd.xml"
conf_attester r2 '<subscription><stream>pcr-trust-evidence</stream><period>40</period><heartbeat>2</heartbeat></subscription>'
conf_end
kill -HUP "$RIVD_PID"
sleep 2
n_rm=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
sleep 2
check_verdicts "not any(v['attester'] == 'r3' for v in vs[$n_rm:])" \
    "an attester removed by SIGHUP is no longer appraised"
grep -q "attester r3: removed from the configuration" "$RIVD_LOG" &&
    npass=$((npass + 1)) ||
    { nfail=$((nfail + 1)); echo "FAIL: r3's removal was not logged"; }

# A frozen attester: a stale verdict, an unanswered probe, the session
# closed; thawed, it is reconnected and passes again.
kill -STOP "$DEV_PID_r2"
wait_verdicts 1 "v['attester'] == 'r2' and v['result'] == 'stale'" \
    "a frozen attester's stream goes stale" 20
sleep 6
kill -CONT "$DEV_PID_r2"
grep -q "attester r2: session closed: no answer to a probe" "$RIVD_LOG" &&
    npass=$((npass + 1)) ||
    { nfail=$((nfail + 1)); echo "FAIL: the unanswered probe did not close the session"; }
n_cont=$("$RIVCTL" verdicts --db "$RIVD_DB" --json | $PY -c \
    'import json,sys; print(len(json.load(sys.stdin)))')
wait_verdicts 2 "v['attester'] == 'r2' and v['result'] == 'pass' and \
vs.index(v) >= $n_cont" "a thawed attester is reconnected and passes" 30

check_rivd_alive
stop_rivd
check_sanitizers
[ "$nfail" -eq 0 ] || tail -30 "$RIVD_LOG"
finish
