#!/bin/sh
# cli_verdicts.sh — rivctl status, verdicts and tail on a store written the
# way rivd writes it (tests/store_fixture, through db/store.h): JSON member
# names scripts depend on, filters, following new verdicts, reading while
# the writer commits, and unreadable databases (exit 2).
. "${RIV_SRCDIR:-.}/tests/cli_lib.sh"

FIXTURE=${RIV_STORE_FIXTURE:-$(dirname "$RIVCTL")/../tests/store_fixture}
DB=$TMP/rivd.db
TAB=$(printf '\t')

# store LINES...: write lines (fields separated by "|") into $DB.
store() {
	printf '%s\n' "$@" | tr '|' "$TAB" | "$FIXTURE" "$DB" NORMAL ||
	    { nfail=$((nfail + 1)); echo "FAIL: store_fixture: $*"; }
}

store "attester|r1|connecting|-" \
    "attester|r1|connected|tls 192.0.2.1:6513" \
    "subscription|r1|ima-log|7|active|-" \
    "subscription|r1|pcr-trust-evidence|8|active|-" \
    "verdict|r1|pcr-trust-evidence|-|8|1|pass|2025-06-01T06:00:00Z|-" \
    "verdict|r1|ima-log|-|7|1|pass|2025-06-01T06:00:01Z|-" \
    "verdict|r1|ima-log|-|7|2|fail|2025-06-01T06:01:00Z|policy,nonce|IMA entry 12: /usr/bin/x: digest not in the policy|second \"reason\"" \
    "verdict|r2|bios-log|tpm0|3|1|error|2025-06-01T06:02:00Z|malformed|boot log truncated at byte 22147" \
    "verdict|r2|pcr-trust-evidence|tpm0|4|9|stale|2025-06-01T06:03:00Z|stale|no notification for 60 s" \
    "verdict|r3|ima-log|-|1|1|pass|10m|-" \
    "verdict|r3|ima-log|-|1|2|pass|now|-"

# verdicts --json: one array, the members scripts depend on.
expect_status 0 "verdicts as JSON" -- verdicts --db "$DB" --json
expect_json 'isinstance(d, list) and len(d) == 7' "seven verdicts"
expect_json 'all({"attester", "stream", "sequence", "result", "reasons", "time"} <= set(v) for v in d)' "member names"
expect_json 'all(v["result"] in ("pass", "fail", "error", "stale") for v in d)' "result values"
expect_json 'all(isinstance(v["reasons"], list) and all(isinstance(r, str) for r in v["reasons"]) for v in d)' "reasons are arrays of strings"
expect_json 'all(isinstance(v["sequence"], int) for v in d)' "sequence is a number"
expect_json '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", d[0]["time"]) is not None' "time is RFC 3339"
expect_json '[v["id"] for v in d] == sorted(v["id"] for v in d)' "oldest first"
expect_json 'd[2] == dict(d[2], attester="r1", stream="ima-log", tpm="", subscription=7, sequence=2, result="fail", codes=["policy", "nonce"], reasons=["IMA entry 12: /usr/bin/x: digest not in the policy", "second \"reason\""], nonce="0000000000000002", time="2025-06-01T06:01:00.000000Z")' "a failed verdict in full"
expect_json 'd[0]["reasons"] == [] and d[0]["codes"] == []' "a pass has no reasons"
expect_json 'd[3]["tpm"] == "tpm0" and d[3]["result"] == "error"' "per-TPM verdict"

# Filters.
expect_status 0 "--attester" -- verdicts --db "$DB" --attester r2 --json
expect_json '[v["sequence"] for v in d] == [1, 9] and {v["attester"] for v in d} == {"r2"}' "r2 only"
expect_status 0 "--stream" -- verdicts --db "$DB" --stream ima-log --json
expect_json 'len(d) == 4 and {v["stream"] for v in d} == {"ima-log"}' "ima-log only"
expect_status 0 "--attester and --stream" -- verdicts --db "$DB" --attester r1 --stream ima-log --json
expect_json '[v["sequence"] for v in d] == [1, 2]' "r1 ima-log"
# An attester's verdicts are read along each stream's chain (schema 5):
# merged in commit order, cut by --since and --result.
expect_status 0 "--attester, two streams" -- verdicts --db "$DB" --attester r1 --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("pcr-trust-evidence", 1), ("ima-log", 1), ("ima-log", 2)]' "r1's streams merged, oldest first"
expect_status 0 "--attester and --since" -- verdicts --db "$DB" --attester r1 --since 2025-06-01T06:00:01Z --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("ima-log", 1), ("ima-log", 2)]' "r1 since a time"
expect_status 0 "--attester and --result" -- verdicts --db "$DB" --attester r1 --result fail --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("ima-log", 2)]' "r1's failure"
expect_status 0 "--attester, --stream and --limit" -- verdicts --db "$DB" --attester r1 --stream pcr-trust-evidence --limit 5 --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("pcr-trust-evidence", 1)]' "r1's one quote"
# The last N of an attester with several streams: each stream's chain is
# walked no deeper than N, and the newest N of all come out.
expect_status 0 "--attester --limit over streams" -- verdicts --db "$DB" --attester r1 --limit 2 --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("ima-log", 1), ("ima-log", 2)]' "r1's last two"
expect_status 0 "--attester --limit --result pass,fail" -- verdicts --db "$DB" --attester r1 --limit 2 --result pass,fail --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("ima-log", 1), ("ima-log", 2)]' "r1's last two passes or failures"

# A database rivd has not migrated yet (schema 4: no chains) is read
# without them: an attester's verdicts are found all the same.
cp "$DB" "$TMP/v4.db"
python3 - "$TMP/v4.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.executescript("""ALTER TABLE verdicts DROP COLUMN prev_id;
ALTER TABLE posture DROP COLUMN nevidence;
CREATE UNIQUE INDEX verdicts_evidence ON verdicts
    (attester, stream, tpm, subscription, sequence, nonce) WHERE evidence = 1;
PRAGMA user_version = 4;""")
PY
expect_status 0 "schema 4: --attester" -- verdicts --db "$TMP/v4.db" --attester r1 --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("pcr-trust-evidence", 1), ("ima-log", 1), ("ima-log", 2)]' "r1 read without chains"
expect_status 0 "schema 4: --attester --limit" -- verdicts --db "$TMP/v4.db" --attester r1 --limit 1 --json
expect_json '[(v["stream"], v["sequence"]) for v in d] == [("ima-log", 2)]' "r1's last, without chains"

expect_status 0 "--result fail" -- verdicts --db "$DB" --result fail --json
expect_json '[v["result"] for v in d] == ["fail"]' "failures only"
expect_status 0 "--result list" -- verdicts --db "$DB" --result error,stale --json
expect_json '[v["result"] for v in d] == ["error", "stale"]' "errors and stale"
expect_status 0 "--since RFC 3339" -- verdicts --db "$DB" --since 2025-06-01T06:01:00Z --json
expect_json 'len(d) == 5 and min(v["time"] for v in d) == "2025-06-01T06:01:00.000000Z"' "since a time, inclusive"
expect_status 0 "--since with an offset" -- verdicts --db "$DB" --since 2025-06-01T08:01:30+02:00 --json
expect_json 'len(d) == 4' "offset honoured"
expect_status 0 "--since relative" -- verdicts --db "$DB" --since 1h --json
expect_json '[(v["attester"], v["sequence"]) for v in d] == [("r3", 1), ("r3", 2)]' "the last hour"
expect_status 0 "--limit" -- verdicts --db "$DB" --limit 2 --json
expect_json '[(v["attester"], v["sequence"]) for v in d] == [("r3", 1), ("r3", 2)]' "the last two, oldest first"
expect_status 0 "--limit with a filter" -- verdicts --db "$DB" --attester r1 --limit 1 --json
expect_json '[v["sequence"] for v in d] == [2] and d[0]["stream"] == "ima-log"' "r1's last"
expect_status 0 "no match" -- verdicts --db "$DB" --attester nobody --json
expect_json 'd == []' "an empty array"

# For people: a table, the first reason of each verdict.
expect_status 0 "verdicts table" -- verdicts --db "$DB"
expect_output '^TIME +ATTESTER +STREAM +TPM +SEQUENCE +RESULT +REASON$' "table header"
expect_output '^2025-06-01T06:01:00Z +r1 +ima-log +- +2 +fail +IMA entry 12: /usr/bin/x: digest not in the policy$' "a failure line"
expect_output '^2025-06-01T06:02:00Z +r2 +bios-log +tpm0 +1 +error +boot log truncated at byte 22147$' "an error line"
expect_status 0 "no match, for people" -- verdicts --db "$DB" --result error --attester r1
expect_output '^no verdicts$' "says so"

# status: posture, connection, subscriptions, counts.
expect_status 0 "status as JSON" -- status --db "$DB" --json
expect_json '[a["name"] for a in d["attesters"]] == ["r1", "r2", "r3"]' "attesters"
expect_json 'd["verdicts"] == {"total": 7, "pass": 4, "fail": 1, "error": 1, "stale": 1}' "counters"
expect_json 'd["schema_version"] == 6 and d["last_committed"] is not None' "database figures"
expect_json '[a["posture"] for a in d["attesters"]] == ["fail", "error", "pass"]' "overall posture: the worst stream"
expect_json 'd["attesters"][0]["connection"] == "connected" and d["attesters"][0]["connection_detail"] == "tls 192.0.2.1:6513" and d["attesters"][1]["connection"] is None' "connection state"
expect_json '[(s["stream"], s["id"], s["state"]) for s in d["attesters"][0]["subscriptions"]] == [("ima-log", 7, "active"), ("pcr-trust-evidence", 8, "active")]' "subscription state"
expect_json '[(s["stream"], s["result"], s["last"]["sequence"], s["counts"]["pass"], s["counts"]["fail"]) for s in d["attesters"][0]["streams"]] == [("ima-log", "fail", 2, 1, 1), ("pcr-trust-evidence", "pass", 1, 1, 0)]' "per-stream posture and last verdict"
expect_json 'd["attesters"][0]["streams"][0]["last"]["reasons"][0].startswith("IMA entry 12")' "last verdict's reasons"
expect_status 0 "status of one attester" -- status --db "$DB" --attester r2 --json
expect_json '[a["name"] for a in d["attesters"]] == ["r2"] and [s["tpm"] for s in d["attesters"][0]["streams"]] == ["tpm0", "tpm0"]' "r2 only"
expect_status 0 "status for people" -- status --db "$DB"
expect_output '^verdicts: 7 \(pass 4, fail 1, error 1, stale 1\); last committed ' "totals line"
expect_output '^r1: fail since 2025-06-01T06:01:00Z$' "attester posture line"
expect_output '^  connection +connected since .*: tls 192.0.2.1:6513$' "connection line"
expect_output '^  subscription +ima-log: id 7, active since ' "subscription line"
expect_output '^  stream +bios-log \(TPM tpm0\): error since 2025-06-01T06:02:00Z$' "stream line"
expect_output '^ +last verdict: sequence 2 at 2025-06-01T06:01:00Z: IMA entry 12' "last verdict line"

# tail: the last verdicts, then new ones as they are committed.
expect_status 0 "tail without waiting" -- tail --db "$DB" --lines 3 --count 0 --json
expect_output '^\{"id":7,.*"sequence":2' "last one last"
[ "$(wc -l <"$TMP/out")" -eq 3 ] || { nfail=$((nfail + 1)); echo "FAIL: tail --lines 3 printed $(wc -l <"$TMP/out") lines"; }
store "verdict|r4|ima-log|-|1|1|pass|now|-" "verdict|r1|ima-log|-|7|3|pass|now|-"
timeout 30 "$RIVCTL" tail --db "$DB" --attester r4 --lines 1 --count 2 --json \
    >"$TMP/tail.out" 2>"$TMP/tail.err" &
tailpid=$!
# Wait until tail has shown r4's existing verdict: what follows is new.
i=0
while [ "$i" -lt 100 ] && ! grep -q '"attester":"r4"' "$TMP/tail.out"; do
	sleep 0.1
	i=$((i + 1))
done
store "verdict|r4|ima-log|-|1|2|fail|now|nonce|nonce mismatch" \
    "verdict|r1|ima-log|-|7|4|pass|now|-" \
    "verdict|r4|ima-log|-|1|3|pass|now|-" \
    "verdict|r4|ima-log|-|1|4|pass|now|-"
if wait "$tailpid"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: tail --count 2 did not exit 0"
	sed 's/^/  stderr: /' "$TMP/tail.err"
fi
cp "$TMP/tail.out" "$TMP/out"
expect_output '"attester":"r4".*"sequence":2,"result":"fail"' "new failure followed"
python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["attester"], r["sequence"]) for r in rows] == [("r4", 1), ("r4", 2), ("r4", 3)], rows' "$TMP/tail.out" &&
    npass=$((npass + 1)) || { nfail=$((nfail + 1)); echo "FAIL: tail --json lines"; cat "$TMP/tail.out"; }

# Readers while the writer commits: never "database is locked".
seq 1 3000 | sed "s/.*/verdict${TAB}r5${TAB}ima-log${TAB}-${TAB}1${TAB}&${TAB}pass${TAB}now${TAB}-/" |
    awk '{ print } NR % 300 == 0 { print "sleep\t20" }' |
    "$FIXTURE" "$DB" &
writer=$!
ok=1
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$RIVCTL" status --db "$DB" --json >/dev/null 2>"$TMP/err" || ok=0
	"$RIVCTL" verdicts --db "$DB" --attester r5 --limit 5 --json \
	    >/dev/null 2>>"$TMP/err" || ok=0
done
wait "$writer" || ok=0
if [ "$ok" -eq 1 ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: reading while rivd writes"
	sed 's/^/  stderr: /' "$TMP/err" | head -5
fi
expect_status 0 "all committed" -- verdicts --db "$DB" --attester r5 --json
expect_json 'len(d) == 3000 and [v["sequence"] for v in d] == list(range(1, 3001))' "3000 verdicts in order"

# Unreadable databases and bad usage: exit 2, the path named.
for cmd in status verdicts tail; do
	expect_status 2 "$cmd: missing database" -- $cmd --db "$TMP/none.db"
	expect_stderr "$TMP/none.db: No such file or directory" "$cmd names the path"
done
[ ! -e "$TMP/none.db" ] || { nfail=$((nfail + 1)); echo "FAIL: a reader created the database"; }
echo "not a database" >"$TMP/text.db"
expect_status 2 "not a database" -- verdicts --db "$TMP/text.db"
expect_stderr "$TMP/text.db: " "names the path"
: >"$TMP/empty.db"
expect_status 2 "empty file" -- status --db "$TMP/empty.db"
expect_stderr 'no rivd schema' "says why"
expect_status 2 "a directory" -- verdicts --db "$TMP"
expect_status 2 "bad --result" -- verdicts --db "$DB" --result ok
expect_stderr '"ok" is not pass, fail, error or stale' "names the value"
expect_status 2 "bad --since" -- verdicts --db "$DB" --since yesterday
expect_stderr 'since "yesterday"' "names the value"
expect_status 2 "bad --limit" -- verdicts --db "$DB" --limit -3
expect_status 2 "bad --count" -- tail --db "$DB" --count many
expect_status 2 "unknown option" -- status --db "$DB" --verbose
expect_status 2 "extra argument" -- verdicts --db "$DB" r1
expect_status 0 "help" -- verdicts --help
expect_output '^usage: rivctl verdicts' "usage on stdout"

finish
