#!/bin/sh
# cli_timeline.sh — rivctl timeline on a store written the way rivd writes
# it (tests/store_fixture): the posture changes as text, with the reasons
# of the verdict that made each; --attester and --since; the SVG and HTML
# pictures (well-formed, a lane per stream, segments and tooltips,
# escaping); bad input (exit 2).
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

FIXTURE=${RIV_STORE_FIXTURE:-$(dirname "$RIVCTL")/../tests/store_fixture}
DB=$TMP/rivd.db
TAB=$(printf '\t')
ESC=$(printf '\033')
BAD=$(printf '\377')

# store LINES...: write lines (fields separated by "|") into $DB.
store() {
	printf '%s\n' "$@" | tr '|' "$TAB" | "$FIXTURE" "$DB" NORMAL ||
	    { nfail=$((nfail + 1)); echo "FAIL: store_fixture: $*"; }
}

# check_py DESCRIPTION PYTHON: a Python check of $TMP/out (exit 0: pass).
check_py() {
	if python3 -c "$2" "$TMP/out" 2>"$TMP/pyerr"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $1"
		tail -3 "$TMP/pyerr" | sed 's/^/  python: /'
	fi
}

store "attester|r1|connected|tls 192.0.2.1:6513" \
    "verdict|r1|pcr-trust-evidence|-|8|1|pass|2025-06-01T06:00:00Z|-" \
    "verdict|r1|ima-log|-|7|1|pass|2025-06-01T06:00:01Z|-" \
    "verdict|r1|ima-log|-|7|2|pass|2025-06-01T06:00:30Z|-" \
    "verdict|r1|ima-log|-|7|3|fail|2025-06-01T06:01:00Z|policy|IMA entry 12: /usr/bin/x: digest not in the policy|second <reason> & \"more\"" \
    "verdict|r1|ima-log|-|7|4|fail|2025-06-01T06:01:30Z|policy|IMA entry 12 failed before" \
    "verdict|r1|ima-log|-|7|5|pass|2025-06-01T06:02:00Z|-|trigger: heartbeat" \
    "verdict|r1|pcr-trust-evidence|-|8|2|fail|2025-06-01T06:02:30Z|replayed|sequence number 1 was received before${ESC}[31m${BAD}" \
    "verdict|r2|bios-log|tpm0|3|1|error|2025-06-01T06:02:00Z|malformed|boot log truncated at byte 22147" \
    "verdict|r2|pcr-trust-evidence|tpm0|4|9|stale|2025-06-01T06:03:00Z|stale|no notification for 60 s"

# Text: a line per change, oldest first, with the verdict's reasons.
expect_status 0 "timeline as text" -- timeline --db "$DB"
expect_output '^TIME +ATTESTER +STREAM +CHANGE +REASONS$' "header"
expect_output '^2025-06-01T06:00:00\.000Z +r1 +pcr-trust-evidence +- -> pass *$' "first verdict of a stream"
expect_output '^2025-06-01T06:00:00\.000Z +r1 +\(overall\) +- -> pass +by pcr-trust-evidence$' "first overall posture"
expect_output '^2025-06-01T06:01:00\.000Z +r1 +ima-log +pass -> fail +\[policy\] IMA entry 12: /usr/bin/x: digest not in the policy; second <reason> & "more"$' "a failure with its codes and every reason"
expect_output '^2025-06-01T06:01:00\.000Z +r1 +\(overall\) +pass -> fail +by ima-log: \[policy\] IMA entry 12: ' "the overall posture names the stream that moved"
expect_output '^2025-06-01T06:02:00\.000Z +r1 +ima-log +fail -> pass +trigger: heartbeat$' "a recovery"
expect_output '^2025-06-01T06:02:30\.000Z +r1 +pcr-trust-evidence +pass -> fail +\[replayed\] sequence number 1 was received before\\x1b\[31m.$' "control bytes escaped"
expect_output '^2025-06-01T06:02:00\.000Z +r2 +bios-log/tpm0 +- -> error +\[malformed\] boot log truncated at byte 22147$' "a TPM's stream"
expect_output '^2025-06-01T06:03:00\.000Z +r2 +pcr-trust-evidence/tpm0 +- -> stale +\[stale\] no notification for 60 s$' "a stale stream"
check_py "one line per change, none for a verdict that changes nothing, in time order" '
import sys
rows = [l.split()[:4] for l in open(sys.argv[1]).read().splitlines()[1:]]
changes = [r[0] + " " + r[1] + " " + r[2] for r in rows]
assert len(rows) == 12, len(rows)
assert [r[0] for r in rows] == sorted(r[0] for r in rows)
assert changes.count("2025-06-01T06:00:30.000Z r1 ima-log") == 0
assert sum(1 for r in rows if r[2] == "ima-log") == 3, rows'

expect_status 0 "--attester" -- timeline --db "$DB" --attester r2
check_py "r2 only: its streams and its overall posture" '
import sys
rows = [l.split()[:3] for l in open(sys.argv[1]).read().splitlines()[1:]]
assert {r[1] for r in rows} == {"r2"}, rows
assert [r[2] for r in rows] == ["bios-log/tpm0", "(overall)",
    "pcr-trust-evidence/tpm0"], rows'
expect_status 0 "--since" -- timeline --db "$DB" --since 2025-06-01T06:02:00Z --attester r1
check_py "changes at or after --since" '
import sys
rows = [l.split()[:3] for l in open(sys.argv[1]).read().splitlines()[1:]]
assert [r[0] for r in rows] == ["2025-06-01T06:02:00.000Z"] * 2 + \
    ["2025-06-01T06:02:30.000Z"] * 2, rows'
expect_status 0 "--since relative" -- timeline --db "$DB" --since 1h
expect_output '^no posture changes$' "nothing in the last hour"

# SVG: well-formed, a lane per stream in the streams' order, segments
# coloured by result with their reasons as tooltips, markers.
expect_status 0 "--svg" -- timeline --db "$DB" --svg "$TMP/t.svg"
[ -s "$TMP/out" ] && { nfail=$((nfail + 1)); echo "FAIL: --svg printed text"; }
cp "$TMP/t.svg" "$TMP/out"
check_py "the SVG picture" '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", root.tag
texts = [t.text for t in root.iter(ns + "text")]
i = texts.index("r1")
assert texts[i + 2:i + 6] == ["(overall)", "connection",
    "pcr-trust-evidence", "ima-log"], texts[i:i + 6]
assert "bios-log/tpm0" in texts and "pcr-trust-evidence/tpm0" in texts
rects = {}
for r in root.iter(ns + "rect"):
    t = r.find(ns + "title")
    if t is not None:
        rects.setdefault(r.get("fill"), []).append(t.text)
fails = rects["#d62728"]
assert any(t.startswith("ima-log: fail from 2025-06-01T06:01:00.000Z to "
    "2025-06-01T06:02:00.000Z\n[policy] IMA entry 12: /usr/bin/x: digest "
    "not in the policy; second <reason> & \"more\"") for t in fails), fails
assert any("\\x1b[31m" in t for t in fails), fails
assert any(t.startswith("bios-log/tpm0: error") for t in rects["#ff7f0e"])
assert any(t.startswith("pcr-trust-evidence/tpm0: stale")
    for t in rects["#9e9e9e"])
assert any(t.startswith("connection: connected") for t in rects["#9ecae1"])
marks = [p.find(ns + "title").text for p in root.iter(ns + "path")]
assert "2025-06-01T06:02:00.000Z ima-log: fail -> pass\ntrigger: heartbeat" \
    in marks, marks
assert len([m for m in marks if "(overall)" in m]) == 5, marks'

expect_status 0 "--svg with --since" -- timeline --db "$DB" --attester r1 --since 2025-06-01T06:01:30Z --svg -
check_py "a lane starts with the result in force at --since" '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
titles = [r.find(ns + "title").text for r in root.iter(ns + "rect")
    if r.find(ns + "title") is not None]
assert any(t.startswith("ima-log: fail from 2025-06-01T06:01:30.000Z to "
    "2025-06-01T06:02:00.000Z\n[policy] IMA entry 12") for t in titles), titles
assert "r2" not in [t.text for t in root.iter(ns + "text")]'

expect_status 0 "--html" -- timeline --db "$DB" --html "$TMP/t.html"
cp "$TMP/t.html" "$TMP/out"
check_py "the HTML page: the picture and the table of changes" '
import sys, xml.etree.ElementTree as ET
x = "{http://www.w3.org/1999/xhtml}"
root = ET.parse(sys.argv[1]).getroot()
assert root.find(x + "body/{http://www.w3.org/2000/svg}svg") is not None
rows = root.findall(x + "body/" + x + "table/" + x + "tr")
assert len(rows) == 13, len(rows)
cells = ["".join(c.itertext()) for c in rows[4]]
assert cells == ["2025-06-01T06:01:00.000Z", "r1", "ima-log",
    "pass -> fail", "[policy] IMA entry 12: /usr/bin/x: digest not in the "
    "policy; second <reason> & \"more\""], cells'

# Bytes that are not UTF-8 (the codes column keeps them raw): "?" in XML.
printf 'verdict\tr3\tima-log\t-\t1\t1\tfail\tnow\tpolicy,x%sy\t-\n' "$BAD" |
    "$FIXTURE" "$TMP/odd.db"
expect_status 0 "not UTF-8" -- timeline --db "$TMP/odd.db" --svg -
check_py "bytes that are not UTF-8 replaced" '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
titles = [p.find(ns + "title").text for p in root.iter(ns + "path")]
assert any("[policy,x?y]" in t for t in titles), titles'

# An empty store: no changes, and still a picture.
"$FIXTURE" "$TMP/empty.db" </dev/null
expect_status 0 "an empty store" -- timeline --db "$TMP/empty.db"
expect_output '^no posture changes$' "says so"
expect_status 0 "an empty store as SVG" -- timeline --db "$TMP/empty.db" --svg -
expect_output 'no attesters yet' "says so in the picture"

# Bad input: exit 2 with the reason, and no file written.
expect_status 2 "missing database" -- timeline --db "$TMP/none.db" --svg "$TMP/none.svg"
expect_stderr "^rivctl timeline: $TMP/none.db: No such file or directory$" "names the path"
[ ! -e "$TMP/none.db" ] && [ ! -e "$TMP/none.svg" ] && npass=$((npass + 1)) ||
    { nfail=$((nfail + 1)); echo "FAIL: a file was created"; }
echo "not a database" >"$TMP/text.db"
expect_status 2 "not a database" -- timeline --db "$TMP/text.db"
expect_stderr "$TMP/text.db: " "names the path"
expect_status 2 "unknown attester" -- timeline --db "$DB" --attester nobody --html "$TMP/nobody.html"
expect_stderr '^rivctl timeline: .*: no attester "nobody" in the store$' "names the attester"
[ ! -e "$TMP/nobody.html" ] && npass=$((npass + 1)) ||
    { nfail=$((nfail + 1)); echo "FAIL: a file was written for an unknown attester"; }
expect_status 2 "unwritable file" -- timeline --db "$DB" --svg "$TMP/no/such/dir/t.svg"
expect_stderr "$TMP/no/such/dir/t.svg: No such file or directory" "names the file"
expect_status 2 "bad --since" -- timeline --db "$DB" --since yesterday
expect_stderr 'since "yesterday"' "names the value"
expect_status 2 "--svg and --html" -- timeline --db "$DB" --svg a --html b
expect_stderr 'one file at a time' "says why"
expect_status 2 "unknown option" -- timeline --db "$DB" --json
expect_status 2 "extra argument" -- timeline --db "$DB" r1
expect_status 0 "help" -- timeline --help
expect_output '^usage: rivctl timeline' "usage on stdout"
expect_status 0 "listed by rivctl --help" -- --help
expect_output '^  rivctl timeline \[--db F\] \[--attester A\] \[--since T\]$' "listed"

finish
