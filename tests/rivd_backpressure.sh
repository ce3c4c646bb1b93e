#!/bin/sh
# rivd_backpressure.sh — back-pressure from the store on a real rivd:
# another process holds the SQLite write lock (BEGIN EXCLUSIVE, longer
# than the busy timeout) while three riv-attesters on swtpm keep
# publishing (three streams each, every 100 ms).  rivd stops reading from its attesters once the store's
# queue reaches its high-water mark (store batch 1: a queue of 256
# records, the mark at 128), logs it once with the depth, and stays
# responsive meanwhile: SIGHUP is taken at once and an attester it adds
# connects.  No heartbeat is judged stale because rivd itself paused.
# Once the lock is gone it resumes reading, and every verdict is
# committed: per subscription a run of sequence numbers without a gap or
# a duplicate, nothing but passes, nothing lost.
# Exit 77 (skip) without swtpm, yanglint or ncclient.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
. "$RIV_SRCDIR/tests/rivd_lib.sh"

need_tools
need_bios
HOLD=${RIVD_BP_HOLD:-7}		# seconds the lock is held (busy timeout: 5)
# The notifications of the pause are read late, by as long as rivd paused:
# the TPM clock pace rule (streams/appraise.c) does not count rivd's own
# pause against the clock, so they pass even soon after the first quotes.
WARM=${RIVD_BP_WARM:-5}
SUBS=''
for s in pcr-trust-evidence bios-log ima-log; do
	SUBS="$SUBS<subscription><stream>$s</stream><period>10</period><heartbeat>2</heartbeat></subscription>"
done
STORE='<store><path>'$RIVD_DB'</path><synchronous>normal</synchronous><batch>1</batch><linger>0</linger></store>'

make_pki
for d in d1 d2 d3 d4; do
	start_device "$d" rp0 -- --bios-log "$BIOS"
done

# write_conf DEVICE...: rivd's configuration with these attesters.
write_conf() {
	conf_begin "$TMP/rivd.xml" "$STORE"
	for d in "$@"; do
		conf_attester "$d" "$SUBS"
	done
	conf_end
	# conf_begin wrote a store of its own: keep ours only.
	sed -i '0,/<store><path>[^<]*<\/path><\/store>/{//d}' "$TMP/rivd.xml"
}
write_conf d1 d2 d3
start_rivd "$TMP/rivd.xml"
wait_verdicts 9 "v['result'] == 'pass' and v['sequence'] >= 5" \
    "every stream of every attester passes" 60
check_verdicts "len({v['attester'] for v in vs}) == 3" \
    "three attesters before the lock"
sleep "$WARM"

# Hold the write lock from another process.
$PY - "$RIVD_DB" "$HOLD" >"$TMP/lock.out" 2>&1 <<'EOF' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("PRAGMA journal_mode").fetchone()
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
print("releasing at %.3f" % time.time(), flush=True)
db.execute("COMMIT")
print("released", flush=True)
EOF
LOCK_PID=$!
n=0
while ! grep -q locked "$TMP/lock.out" 2>/dev/null && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
grep -q locked "$TMP/lock.out" || die "no lock: $(cat "$TMP/lock.out")"
t_lock=$(date +%s)

wait_log "reading from attesters paused" 1 8
check_log_count "store: [0-9]+ records queued \(high-water mark 128\): \
reading from attesters paused" 1 "the pause is logged with the queue depth"
if ! grep -q released "$TMP/lock.out"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the lock was gone before rivd paused"
fi

# Paused: the loop answers at once.  SIGHUP adds d4, which connects.
write_conf d1 d2 d3 d4
t0=$(date +%s%N)
kill -HUP "$RIVD_PID"
wait_log "SIGHUP: reading" 1 5
t1=$(date +%s%N)
check_log_count "SIGHUP: reading" 1 "SIGHUP is taken while paused"
if [ $(( (t1 - t0) / 1000000 )) -lt 2000 ]; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: SIGHUP took $(( (t1 - t0) / 1000000 )) ms while paused"
fi
check_log_count "attester d4: session up" 1 \
    "an attester added while paused connects" 5
if ! grep -q released "$TMP/lock.out" &&
    ! grep -q "reading from attesters resumed" "$RIVD_LOG"; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the pause ended before the checks made under it"
fi
check_rivd_alive

# The lock goes; rivd reads again.
wait "$LOCK_PID"
grep -q released "$TMP/lock.out" || die "lock: $(cat "$TMP/lock.out")"
wait_log "reading from attesters resumed" 1 30
check_log_count "store: [0-9]+ records queued \(low-water mark 64\): \
reading from attesters resumed after" 1 "the resume is logged once"
# The resume logged no earlier than the lock's release began.
if $PY - "$RIVD_LOG" "$TMP/lock.out" <<'EOF'; then
import datetime, re, sys
released = float(re.search(r"releasing at ([0-9.]+)",
    open(sys.argv[2]).read()).group(1))
for line in open(sys.argv[1]):
    m = re.match(r"rivd (\S+)Z .*reading from attesters resumed", line)
    if m:
        t = datetime.datetime.fromisoformat(m.group(1)).replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if t + 0.002 < released:
            print("  resumed %.3f s before the lock's release" %
                  (released - t))
            sys.exit(1)
        sys.exit(0)
print("  no resume logged")
sys.exit(1)
EOF
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: rivd resumed while the lock was held"
fi
wait_verdicts 4 "v['attester'] == 'd4' and v['result'] == 'pass'" \
    "the attester added while paused gets verdicts" 60
sleep 3
stop_rivd

# Every verdict committed: no gap, no duplicate, nothing but passes.
"$RIVCTL" verdicts --db "$RIVD_DB" --json >"$TMP/verdicts.json" ||
    die "rivctl verdicts"
if $PY - "$TMP/verdicts.json" "$t_lock" "$HOLD" <<'EOF'; then
import collections, json, sys
vs = json.load(open(sys.argv[1]))
runs = collections.defaultdict(list)
for v in vs:
    runs[(v["attester"], v["stream"], v["subscription"])].append(
        v["sequence"])
bad = [v for v in vs if v["result"] != "pass"]
if bad:
    print("  %d not a pass:" % len(bad), [(v["attester"], v["stream"],
          v["sequence"], v["result"], v.get("codes"), v["reasons"][:1])
          for v in bad[:3]])
    sys.exit(1)
for k, seqs in runs.items():
    if len(seqs) != len(set(seqs)):
        print("  duplicates in", k)
        sys.exit(1)
    if max(seqs) - min(seqs) + 1 != len(seqs):
        print("  a gap in", k, min(seqs), max(seqs), len(seqs))
        sys.exit(1)
print("  %d verdicts in %d runs" % (len(vs), len(runs)))
EOF
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: the verdicts have a gap, a duplicate or a failure"
fi
check_verdicts "not any(v['result'] == 'stale' for v in vs)" \
    "no heartbeat judged stale because rivd paused"
check_verdicts "all(len([v for v in vs if v['attester'] == d]) >= 10 * \
$HOLD for d in ('d1', 'd2', 'd3'))" "the notifications of the pause are there"
if grep -Eq "lost|failed to commit|stalled inside a message|no answer to \
a probe|no reply to" "$RIVD_LOG"; then
	nfail=$((nfail + 1))
	echo "FAIL: rivd lost or misjudged something:"
	grep -E "lost|failed to commit|stalled|no answer|no reply" "$RIVD_LOG" |
	    head -5
else
	npass=$((npass + 1))
fi
# The backlog may fill the queue again: each pause is logged once, and
# followed by one resume.
if grep -Eo "reading from attesters (paused|resumed)" "$RIVD_LOG" |
    awk '{ w = $4 == "paused" } NR % 2 != w { bad = 1 }
    END { exit bad || NR % 2 }'; then
	npass=$((npass + 1))
else
	nfail=$((nfail + 1))
	echo "FAIL: pauses and resumes are not logged once each, in turn"
fi
grep -E "reading from attesters|SIGHUP|d4: session up" "$RIVD_LOG" |
    sed 's/^/  /'
check_sanitizers
[ "$nfail" -eq 0 ] || tail -20 "$RIVD_LOG"
finish
