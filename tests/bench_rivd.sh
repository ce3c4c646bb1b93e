#!/bin/sh
# bench_rivd.sh — rivd figures for `make bench`: rivd against N simulated
# attesters over real TLS sessions on loopback.  Figures only, never
# assertions.
#
# The attesters are tests/bench_publisher, a TEST-ONLY publisher whose
# quotes are real TPMS_ATTEST structures signed with a software ECDSA P-256
# key (no TPM): one TLS session per attester, one subscription per session.
# Every phase runs a fresh publisher, rivd (the build's binary) and store:
#
#   quote      pcr-trust-evidence (PCRs 0-9), publisher flat out; then the
#              floor (ECDSA P-256 verify alone, openssl speed) and, with
#              perf, 3 s of rivd's CPU profile after the window
#   quote @R   the same at half that rate, synchronous=full, then normal
#   ima        ima-log, ENTRIES raw ima-ng entries per notification, flat out
#   idle       VmRSS with 0, then 100 / 1000 / 5000 idle subscriptions
#
# Per phase: notifications appraised per second (wall) and per CPU second of
# rivd (/proc/PID/stat utime+stime, and per thread: the loop and the store
# writer), received -> committed latency from the store (verdicts.received_us
# and committed_us), commits (distinct committed_us) per second.  committed_us
# is stamped when the writer starts the batch's transaction; with perf
# (syscall tracepoints), the latency to the end of the COMMIT's fdatasync
# and the durations of rivd's fdatasync/fsync calls are given too.
#
# Environment: RIVD, RIV_BENCH_PUBLISHER, RIV_SRCDIR (make bench sets
# them); RIV_BENCH_SECONDS (measured window per phase, default 8),
# RIV_BENCH_ATTESTERS (sessions of the load phases, default 100),
# RIV_BENCH_ENTRIES (IMA entries per notification, default 100),
# RIV_BENCH_IDLE (idle subscription counts, default "100 1000 5000"),
# RIV_BENCH_PHASES (default "quote rate ima idle"; rate needs quote),
# RIV_BENCH_PERF=0 (no CPU profile of rivd after the quote window),
# RIV_BENCH_KEEP=1 (keep the work directory).

: "${RIVD:?RIVD must name the rivd binary}"
: "${RIV_BENCH_PUBLISHER:?RIV_BENCH_PUBLISHER must name tests/bench_publisher}"
: "${RIV_SRCDIR:=.}"
SECS=${RIV_BENCH_SECONDS:-8}
NLOAD=${RIV_BENCH_ATTESTERS:-100}
ENTRIES=${RIV_BENCH_ENTRIES:-100}
IDLE=${RIV_BENCH_IDLE:-100 1000 5000}
PHASES=${RIV_BENCH_PHASES:-quote rate ima idle}
WARM=2
PY=/usr/bin/python3
HZ=$(getconf CLK_TCK)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_rivd.XXXXXX") || exit 0
PUB_PID=""
RIVD_PID=""
PERF_PID=""
PERF2_PID=""

# stop PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# cleanup: stop what this script started, remove the work directory.
cleanup() {
	stop "$PERF_PID"
	stop "$PERF2_PID"
	stop "$RIVD_PID"
	stop "$PUB_PID"
	if [ -n "${RIV_BENCH_KEEP:-}" ]; then
		echo "bench_rivd: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# skip REASON: no figures, but `make bench` goes on.
skip() {
	echo "bench_rivd: skipped: $*"
	exit 0
}

[ -x "$RIVD" ] || skip "no rivd at $RIVD"
[ -x "$RIV_BENCH_PUBLISHER" ] || skip "no publisher at $RIV_BENCH_PUBLISHER"
[ -x "$PY" ] || skip "no $PY"
command -v openssl >/dev/null 2>&1 || skip "no openssl"

# Sessions need a descriptor each, in rivd and in the publisher.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=65536
[ "$hard" -gt 65536 ] && hard=65536
ulimit -n "$hard" 2>/dev/null
NOFILE=$(ulimit -n)

# make_pki: a CA, the publisher's (attester) and rivd's certificates.
make_pki() {
	PKI=$TMP/pki
	mkdir -p "$PKI" || exit 1
	(
	cd "$PKI" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=bench CA" &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext &&
	for n in server:attester client:rivd; do
		f=${n%%:*} cn=${n#*:}
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -keyout "$f.key" -out "$f.csr" -subj "/CN=$cn" &&
		openssl x509 -req -in "$f.csr" -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -out "$f.pem" -days 2 -extfile san.ext ||
		    exit 1
	done
	) >"$TMP/pki.log" 2>&1 || skip "PKI: $(tail -2 "$TMP/pki.log")"
}

# free_ports N: the first of N consecutive free loopback ports.
free_ports() {
	$PY - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 32000 - n)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)
EOF
}

# write_conf FILE N NPORTS STREAM SYNC: N attesters spread over the ports,
# one subscription each, no heartbeat to speak of, no re-seeding.
write_conf() {
	$PY - "$@" "$TMP" "$PORT" <<'EOF'
import sys
path, n, nports, stream, sync, tmp, port = sys.argv[1:8]
n, nports, port = int(n), int(nports), int(port)
with open(path, "w") as f:
    f.write('<verifier xmlns="urn:rivd:params:xml:ns:yang:riv-verifier">\n'
            '  <store><path>%s/rivd.db</path><synchronous>%s</synchronous>'
            '</store>\n'
            '  <limits><connect-timeout>120</connect-timeout></limits>\n'
            '  <tls><certificate>%s/pki/client.pem</certificate>'
            '<key>%s/pki/client.key</key><ca>%s/pki/ca.pem</ca></tls>\n'
            % (tmp, sync, tmp, tmp, tmp))
    for i in range(n):
        f.write('  <attester><name>b%d</name><address>127.0.0.1</address>'
                '<port>%d</port><tpm><name>tpm0</name><ak>%s/ak.pub</ak>'
                '</tpm><subscription><stream>%s</stream>'
                '<heartbeat>65535</heartbeat><reseed-interval>0'
                '</reseed-interval></subscription></attester>\n'
                % (i, port + i % nports, tmp, stream))
    f.write('</verifier>\n')
EOF
}

# start_pub NPORTS RATE: the publisher (its AK in $TMP/ak.pub).
start_pub() {
	echo "$2" >"$TMP/rate"
	rm -f "$TMP/status"
	"$RIV_BENCH_PUBLISHER" -A "$TMP/ak.pub" -c "$PKI/server.pem" \
	    -k "$PKI/server.key" -C "$PKI/ca.pem" -p "$PORT" -P "$1" \
	    -R "$TMP/rate" -S "$TMP/status" -b 32768 -e "$ENTRIES" \
	    >"$TMP/pub.log" 2>&1 &
	PUB_PID=$!
	i=0
	while ! grep -q "ready:" "$TMP/pub.log" 2>/dev/null; do
		kill -0 "$PUB_PID" 2>/dev/null || skip "publisher: \
$(tail -2 "$TMP/pub.log")"
		i=$((i + 1))
		[ $i -lt 100 ] || skip "the publisher did not start"
		sleep 0.1
	done
}

# start_rivd CONF: rivd with a fresh store.
start_rivd() {
	rm -f "$TMP"/rivd.db*
	"$RIVD" -y "$RIV_SRCDIR/yang" -c "$1" >"$TMP/rivd.log" 2>&1 &
	RIVD_PID=$!
	i=0
	while ! grep -q "running:" "$TMP/rivd.log" 2>/dev/null; do
		kill -0 "$RIVD_PID" 2>/dev/null || skip "rivd: \
$(tail -2 "$TMP/rivd.log")"
		i=$((i + 1))
		[ $i -lt 600 ] || skip "rivd did not start"
		sleep 0.1
	done
}

# stop_run: stop rivd (it commits what it queued) and the publisher.
stop_run() {
	stop "$RIVD_PID"
	RIVD_PID=""
	stop "$PUB_PID"
	PUB_PID=""
}

# status_field NAME: a number of the publisher's status line.
status_field() {
	sed -n "s/.*$1 \([0-9.-]*\).*/\1/p" "$TMP/status" 2>/dev/null
}

# wait_subs N SECONDS: wait until the publisher holds N subscriptions.
wait_subs() {
	i=0
	while [ "$(status_field subscriptions)" != "$1" ]; do
		kill -0 "$RIVD_PID" 2>/dev/null || return 1
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || return 1
		sleep 0.1
	done
	return 0
}

# now: wall clock, seconds with a fraction.
now() {
	date +%s.%N
}

# ticks PID [TID]: CPU ticks (utime + stime) of a process or thread.
ticks() {
	if [ -n "${2:-}" ]; then
		f=/proc/$1/task/$2/stat
	else
		f=/proc/$1/stat
	fi
	sed 's/.*) //' "$f" 2>/dev/null | awk '{ print $12 + $13 }'
}

# writer_ticks PID: CPU ticks of rivd's threads other than the loop.
writer_ticks() {
	t=0
	for d in /proc/$1/task/*; do
		[ "${d##*/}" = "$1" ] && continue
		t=$((t + $(ticks "$1" "${d##*/}")))
	done
	echo $t
}

# busy_ticks: CPU ticks of the whole machine not idle (/proc/stat).
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# rss_kb PID: VmRSS in kB.
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# perf_ok: whether perf can record syscall tracepoints here.
perf_ok() {
	command -v perf >/dev/null 2>&1 &&
	    perf record -q -k 1 -e syscalls:sys_exit_fdatasync \
	    -o "$TMP/perf.probe" -- true >/dev/null 2>&1
}

# report DB T0 T1 CPU LOOP WRITER PUBCPU BUSY SYNC [FSYNC-TRACE]: figures of
# a window from the store and the CPU ticks; the trace holds rivd's
# fdatasync and fsync calls (perf's monotonic seconds, after a first line
# with the offset to the wall clock).
report() {
	$PY - "$@" "$HZ" <<'EOF'
import sqlite3, sys, collections, bisect
db, t0, t1, cpu, loop, writer, pub, busy, sync = sys.argv[1:10]
trace = sys.argv[10] if len(sys.argv) > 11 else ""
hz = float(sys.argv[-1])
t0, t1 = float(t0), float(t1)
secs = t1 - t0
cpu, loop, writer, pub, busy = (int(x) / hz for x in
                                (cpu, loop, writer, pub, busy))
c = sqlite3.connect(db)
rows = c.execute("SELECT received_us, committed_us, result, codes "
                 "FROM verdicts WHERE received_us >= ? AND received_us < ?",
                 (t0 * 1e6, t1 * 1e6)).fetchall()
n = len(rows)
def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))]
print("  appraised   %8.0f /s wall (%d in %.1f s); rivd CPU %.2f cores "
      "(loop %.2f, writer %.2f); publisher %.2f; other processes %.2f"
      % (n / secs, n, secs, cpu / secs, loop / secs, writer / secs,
         pub / secs, max(0, busy - cpu - pub) / secs))
if n == 0:
    sys.exit(0)
print("  per core    %8.0f notifications/s per rivd CPU second "
      "(%.0f us each: loop %.0f, writer %.0f); loop thread alone %.0f/s"
      % (n / cpu if cpu else 0, cpu / n * 1e6, loop / n * 1e6,
         writer / n * 1e6, n / loop if loop else 0))
lat = sorted((r[1] - r[0]) / 1e3 for r in rows)
print("  latency     received -> committed_us  p50 %6.2f ms  p99 %6.2f ms"
      "  max %6.2f ms" % (pct(lat, .5), pct(lat, .99), lat[-1]))
if trace:
    # Lines: "TID TIME: syscalls:sys_enter_fdatasync:".
    f = open(trace)
    off = float(f.readline())
    ends, calls, start = [], [], {}
    for l in f:
        w = l.split()
        if len(w) < 3:
            continue
        tid, t = w[0], (float(w[1].rstrip(":")) + off) * 1e6
        if "enter" in w[2]:
            start[tid] = t
        elif tid in start:
            if t0 * 1e6 <= t < t1 * 1e6:
                calls.append((t - start[tid]) / 1e3)
            del start[tid]
            if "fdatasync" in w[2]:
                ends.append(t)
    ends.sort()
    dur = []
    for r in rows:
        i = bisect.bisect_right(ends, r[1])
        if 0 < i < len(ends) and sync == "full":
            dur.append((ends[i] - r[0]) / 1e3)
    if dur:
        dur.sort()
        print("  durable     received -> end of COMMIT's fdatasync "
              "p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms"
              % (pct(dur, .5), pct(dur, .99), dur[-1]))
    if calls:
        calls.sort()
        print("  fsyncs      %d fdatasync/fsync calls of rivd in the window:"
              " p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (%.2f s in all)"
              % (len(calls), pct(calls, .5), pct(calls, .99), calls[-1],
                 sum(calls) / 1e3))
batches = collections.Counter(r[1] for r in rows)
print("  commits     %8.1f /s (%d transactions, %.1f verdicts each)"
      % (len(batches) / secs, len(batches), n / len(batches)))
res = collections.Counter(r[2] + (" (%s)" % r[3] if r[3] else "")
                          for r in rows)
print("  verdicts    " + ", ".join("%d %s" % (k, v) for v, k in
                                   res.most_common()))
EOF
}

# The functions of rivd's hot path, in the perf summary.
HOT='appraise|quote_|lyd_|digest_verify|EVP_Digest|writer_|sqlite3_step'
HOT="$HOT|SSL_read|read_pcr|nonce_derive|leaf_|ima_|store_submit|sub_record"

# load_phase NAME STREAM RATE SYNC: one measured window under load.
load_phase() {
	name=$1 stream=$2 rate=$3 sync=$4
	echo "== $name"
	write_conf "$TMP/conf.xml" "$NLOAD" 1 "$stream" "$sync"
	start_pub 1 -1
	start_rivd "$TMP/conf.xml"
	if ! wait_subs "$NLOAD" 60; then
		echo "  only $(status_field subscriptions) of $NLOAD " \
		    "subscriptions came up: $(grep -v 'session up\|subscribed' \
		    "$TMP/rivd.log" | tail -1)"
		stop_run
		return
	fi
	echo "$rate" >"$TMP/rate"
	trace=""
	if [ -n "$PERF_SYSCALLS" ]; then
		perf record -q -k 1 -e 'syscalls:sys_*_fdatasync' \
		    -e 'syscalls:sys_*_fsync' -p "$RIVD_PID" \
		    -o "$TMP/perf.fsync" >/dev/null 2>&1 &
		PERF_PID=$!
		trace=$TMP/fsync.txt
	fi
	sleep "$WARM"	# the rate takes hold, perf is attached
	t0=$(now)
	b0=$(busy_ticks)
	c0=$(ticks "$RIVD_PID")
	w0=$(writer_ticks "$RIVD_PID")
	l0=$(ticks "$RIVD_PID" "$RIVD_PID")
	p0=$(ticks "$PUB_PID")
	sleep "$SECS"
	t1=$(now)
	b1=$(busy_ticks)
	c1=$(ticks "$RIVD_PID")
	w1=$(writer_ticks "$RIVD_PID")
	l1=$(ticks "$RIVD_PID" "$RIVD_PID")
	p1=$(ticks "$PUB_PID")
	rss=$(rss_kb "$RIVD_PID")
	if [ "$name" = quote ] && [ -n "$PERF_CPU" ]; then
		# After the window, not in it: the profiler costs CPU.
		perf record -q -F 999 --call-graph dwarf,16384 -p "$RIVD_PID" \
		    -o "$TMP/perf.cpu" >/dev/null 2>&1 &
		PERF2_PID=$!
		sleep 3
	fi
	sleep 1		# what was received in the window gets committed
	for p in $PERF_PID $PERF2_PID; do
		kill -INT "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PERF_PID=""
	PERF2_PID=""
	stop_run
	# perf's clock is CLOCK_MONOTONIC: first line, its offset to the wall.
	[ -n "$trace" ] && { $PY -c 'import time; print(time.time() -
time.clock_gettime(time.CLOCK_MONOTONIC))'; perf script --ns \
	    -F tid,time,event -i "$TMP/perf.fsync" 2>/dev/null; } >"$trace"
	report "$TMP/rivd.db" "$t0" "$t1" $((c1 - c0)) $((l1 - l0)) \
	    $((w1 - w0)) $((p1 - p0)) $((b1 - b0)) "$sync" $trace
	echo "  rivd VmRSS  $((rss / 1024)) MB"
	LAST_RATE=$($PY -c "import sqlite3; print(sqlite3.connect('$TMP/rivd.db')\
.execute('SELECT count(*) FROM verdicts WHERE received_us >= ? AND \
received_us < ?', ($t0 * 1e6, $t1 * 1e6)).fetchone()[0] / ($t1 - $t0))")
	if [ "$name" = quote ]; then
		openssl speed -seconds 1 ecdsap256 2>/dev/null | awk '
		    /ecdsa \(nistp256\)/ { printf("  floor       ECDSA P-256 " \
		    "verify alone: %.0f/s per CPU second (openssl speed), " \
		    "%.0f us\n", $NF, 1e6 / $NF) }'
	fi
	if [ -f "$TMP/perf.cpu" ]; then
		echo "  perf (3 s after the window): rivd's hottest symbols, then" \
		    "its hot path with callees"
		perf report -i "$TMP/perf.cpu" --no-children --sort dso,sym \
		    -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    head -12 | sed 's/^/    /'
		perf report -i "$TMP/perf.cpu" --children --sort sym -g none \
		    2>/dev/null | grep -v '^#' | grep -v '^$' | grep -E "$HOT" |
		    head -25 | sed 's/^/    /'
		rm -f "$TMP/perf.cpu"
	fi
}

# idle_point N: VmRSS of rivd holding N idle subscriptions.
idle_point() {
	n=$1
	np=$((n / 1000 + 1))
	write_conf "$TMP/conf.xml" "$n" "$np" pcr-trust-evidence full
	start_pub "$np" -1
	ts=$(now)
	start_rivd "$TMP/conf.xml"
	if [ "$n" -gt 0 ] && ! wait_subs "$n" 90; then
		got=$(status_field subscriptions)
		echo "  $n: only ${got:-0} subscriptions came up in 90 s: " \
		    "$(grep -v 'session up\|subscribed' "$TMP/rivd.log" |
		    sed 's/^rivd [^ ]* //' | sort | uniq -c | sort -rn |
		    head -3 | tr '\n' ';')" "(descriptors: ulimit -n $NOFILE)"
		stop_run
		return
	fi
	te=$(now)
	cpu_up="$(ticks "$RIVD_PID") $(ticks "$PUB_PID")"
	# Their first notifications committed, then quiet.
	i=0
	while [ $i -lt 100 ]; do
		c=$($PY -c "import sqlite3; print(sqlite3.connect('$TMP/rivd.db')\
.execute('SELECT count(*) FROM verdicts').fetchone()[0])" 2>/dev/null)
		[ "${c:-0}" -ge "$n" ] && break
		i=$((i + 1))
		sleep 0.1
	done
	sleep 2
	rss=$(rss_kb "$RIVD_PID")
	fds=$(ls "/proc/$RIVD_PID/fd" | wc -l)
	stop_run
	if [ "$n" -eq 0 ]; then
		RSS0=$rss
		echo "  0 attesters: VmRSS $rss kB (the baseline)"
		return
	fi
	$PY - "$n" "$rss" "$RSS0" "$PREV_N" "$PREV_RSS" "$ts" "$te" "$fds" \
	    $cpu_up "$HZ" <<'EOF'
import sys
n, rss, rss0, pn, prss = (int(x) for x in sys.argv[1:6])
ts, te, fds = float(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
rcpu, pcpu = (int(x) / float(sys.argv[11]) for x in sys.argv[9:11])
line = ("  %5d subscriptions: VmRSS %6d kB, %5.1f kB per subscription over "
        "the baseline" % (n, rss, (rss - rss0) / n))
if pn > 0:
    line += ", %5.1f kB each from %d" % ((rss - prss) / (n - pn), pn)
print(line)
print("         all up in %.1f s (CPU: rivd %.1f s, publisher %.1f s), "
      "rivd has %s descriptors" % (te - ts, rcpu, pcpu, fds))
EOF
	PREV_N=$n
	PREV_RSS=$rss
}

make_pki
PORT=$(free_ports 16) || skip "no free ports"
PERF_SYSCALLS=""
perf_ok && PERF_SYSCALLS=1
PERF_CPU=""
[ -n "$PERF_SYSCALLS" ] && [ "${RIV_BENCH_PERF:-1}" != 0 ] && PERF_CPU=1
echo "rivd under load: $NLOAD attesters over TLS on loopback (publisher:" \
    "tests/bench_publisher, TEST-ONLY, software ECDSA P-256 AK)"
echo "  $(nproc) CPUs; load average at start $(cut -d' ' -f1-3 \
/proc/loadavg); store in $TMP ($(df -P "$TMP" | awk 'NR == 2 { print $1 }'))"
echo "  targets: >= 10000 quote notifications/s/core, p99 <= 10 ms," \
    "<= 100 KB per idle subscription, 5000 subscriptions held"

LAST_RATE=""
case " $PHASES " in *" quote "*)
	load_phase quote pcr-trust-evidence 0 full ;;
esac
case " $PHASES " in *" rate "*)
	sat=${LAST_RATE:-1000}
	rate=$($PY -c "print(max(100, int(float('$sat') / 2 / 100) * 100))")
	load_phase "quote @ $rate/s (half of flat out), synchronous=full" \
	    pcr-trust-evidence "$rate" full
	load_phase "quote @ $rate/s, synchronous=normal" pcr-trust-evidence \
	    "$rate" normal ;;
esac
case " $PHASES " in *" ima "*)
	load_phase "ima-log, $ENTRIES raw entries per notification, flat out" \
	    ima-log 0 full ;;
esac
case " $PHASES " in *" idle "*)
	echo "== idle subscriptions (each gets its first notification, then" \
	    "nothing; heartbeat 65535 s)"
	RSS0=0
	PREV_N=0
	PREV_RSS=0
	for n in 0 $IDLE; do
		idle_point "$n"
	done ;;
esac
echo "  load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
