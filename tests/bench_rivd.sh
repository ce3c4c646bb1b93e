#!/bin/sh
# bench_rivd.sh — rivd figures for `make bench`: rivd against N simulated
# attesters over real TLS sessions on loopback.  Figures only, never
# assertions.
#
# The attesters are tests/bench_publisher, a TEST-ONLY publisher whose
# quotes are real TPMS_ATTEST structures signed with a software ECDSA P-256
# key (no TPM), or in quote-rsa an RSA-2048 one: one TLS session per
# attester, one subscription per session.  Every phase runs a fresh
# publisher, rivd (the build's binary) and store:
#
#   quote      pcr-trust-evidence (PCRs 0-9), publisher flat out; then the
#              floor (ECDSA P-256 verify alone, openssl speed, measured in
#              the same run) and, with perf, 3 s of rivd's CPU profile after
#              the window, summed by cost (verify, parse, framing, TLS
#              read, store...) in us per notification
#   quote-rsa  the same with an RSA-2048 AK (RSASSA-PKCS1-v1_5/SHA-256,
#              e = 65537) and the RSA-2048 verify floor.  Signing costs the
#              publisher ~1 ms per quote, so it pre-signs: it fills a pool
#              of quotes per subscription with 2 signer threads before the
#              load starts (RIV_BENCH_RSA_RATE, default 10500/s, sizes it for
#              the window) and refills it at nice 19 during the run;
#              "starved" says when rivd got ahead of it.  The quotes' TPM
#              clock advances at that rate, and they are sent no faster,
#              so rivd's clock rule holds.  With 2 CPUs or more, once the
#              pool is full, rivd (every thread) is confined to CPU 0 and
#              the publisher to the others: what rivd appraises per
#              second there is what one core does
#   quote @R   the same as quote at half its rate, synchronous=full, then
#              normal
#   latency    quote at RIV_BENCH_LAT_RATE/s (default: half of quote's
#              rate, else 1000) with store synchronous / linger / batch of
#              full/0/256, normal/0/256, full/5/256 (the defaults),
#              normal/5/256 and full/0/16: received -> committed p50/p99,
#              the interval between commits and the batch sizes
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
# RIV_BENCH_PHASES (default "quote rate ima idle"; also quote-rsa and
# latency; rate needs quote), RIV_BENCH_RSA_RATE, RIV_BENCH_LAT_RATE,
# RIV_BENCH_PERF=0 (no CPU profile of rivd after the quote window),
# RIV_BENCH_KEEP=1 (keep the work directory).

: "${RIVD:?RIVD must name the rivd binary}"
: "${RIV_BENCH_PUBLISHER:?RIV_BENCH_PUBLISHER must name tests/bench_publisher}"
: "${RIV_SRCDIR:=.}"
# The set-up helpers (TMP, PY, die, free_ports, make_certs, stop_pid) are
# attester_lib.sh's; it names the tests' binaries, which the bench never
# runs.  With BENCH_NAME set, die skips (exit 0): `make bench` goes on.
: "${RIVCTL:=unused}" "${RIV_ATTESTER:=unused}"
. "$RIV_SRCDIR/tests/attester_lib.sh"
BENCH_NAME=bench_rivd
[ -d "$TMP" ] || die "no work directory"
SECS=${RIV_BENCH_SECONDS:-8}
NLOAD=${RIV_BENCH_ATTESTERS:-100}
ENTRIES=${RIV_BENCH_ENTRIES:-100}
IDLE=${RIV_BENCH_IDLE:-100 1000 5000}
PHASES=${RIV_BENCH_PHASES:-quote rate ima idle}
WARM=2
HZ=$(getconf CLK_TCK)
PUB_PID=""
RIVD_PID=""
PERF_PID=""
PERF2_PID=""

# bench_cleanup: stop what this script started (up to 10 s each: rivd
# commits what it queued), remove the work directory.
bench_cleanup() {
	stop_pid "$PERF_PID" 10
	stop_pid "$PERF2_PID" 10
	stop_pid "$RIVD_PID" 10
	stop_pid "$PUB_PID" 10
	if [ -n "${RIV_BENCH_KEEP:-}" ]; then
		echo "bench_rivd: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap bench_cleanup EXIT

[ -x "$RIVD" ] || die "no rivd at $RIVD"
[ -x "$RIV_BENCH_PUBLISHER" ] || die "no publisher at $RIV_BENCH_PUBLISHER"
[ -x "$PY" ] || die "no $PY"
command -v openssl >/dev/null 2>&1 || die "no openssl"

# Sessions need a descriptor each, in rivd and in the publisher.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=65536
[ "$hard" -gt 65536 ] && hard=65536
ulimit -n "$hard" 2>/dev/null
NOFILE=$(ulimit -n)

# write_conf FILE N NPORTS STREAM SYNC [LINGER BATCH]: N attesters spread
# over the ports, one subscription each, no heartbeat to speak of, no
# re-seeding; the store's linger and batch when given (else the defaults).
write_conf() {
	$PY - "$1" "$2" "$3" "$4" "$5" "$TMP" "$PORT" "${6:-}" "${7:-}" <<'EOF'
import sys
path, n, nports, stream, sync, tmp, port, linger, batch = sys.argv[1:10]
n, nports, port = int(n), int(nports), int(port)
extra = ""
if linger:
    extra += "<linger>%s</linger>" % linger
if batch:
    extra += "<batch>%s</batch>" % batch
with open(path, "w") as f:
    f.write('<verifier xmlns="urn:rivd:params:xml:ns:yang:riv-verifier">\n'
            '  <store><path>%s/rivd.db</path><synchronous>%s</synchronous>'
            '%s</store>\n'
            '  <limits><connect-timeout>120</connect-timeout></limits>\n'
            '  <tls><certificate>%s/pki/client.pem</certificate>'
            '<key>%s/pki/client.key</key><ca>%s/pki/ca.pem</ca></tls>\n'
            % (tmp, sync, extra, tmp, tmp, tmp))
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

# start_pub NPORTS RATE [OPTION...]: the publisher (its AK in $TMP/ak.pub),
# with more options of its own (the AK's algorithm, pre-signing).
start_pub() {
	np=$1 r=$2
	shift 2
	echo "$r" >"$TMP/rate"
	rm -f "$TMP/status"
	"$RIV_BENCH_PUBLISHER" -A "$TMP/ak.pub" -c "$PKI/server.pem" \
	    -k "$PKI/server.key" -C "$PKI/ca.pem" -p "$PORT" -P "$np" \
	    -R "$TMP/rate" -S "$TMP/status" -b 32768 -e "$ENTRIES" "$@" \
	    >"$TMP/pub.log" 2>&1 &
	PUB_PID=$!
	i=0
	while ! grep -q "ready:" "$TMP/pub.log" 2>/dev/null; do
		kill -0 "$PUB_PID" 2>/dev/null || die "publisher: \
$(tail -2 "$TMP/pub.log")"
		i=$((i + 1))
		[ $i -lt 100 ] || die "the publisher did not start"
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
		kill -0 "$RIVD_PID" 2>/dev/null || die "rivd: \
$(tail -2 "$TMP/rivd.log")"
		i=$((i + 1))
		[ $i -lt 600 ] || die "rivd did not start"
		sleep 0.1
	done
}

# stop_run: stop rivd (it commits what it queued) and the publisher.
stop_run() {
	stop_pid "$RIVD_PID" 10
	RIVD_PID=""
	stop_pid "$PUB_PID" 10
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
sizes = sorted(batches.values())
ts = sorted(batches)
gaps = sorted((b - a) / 1e3 for a, b in zip(ts, ts[1:])) or [0]
print("  commits     %8.1f /s (%d transactions, %.1f verdicts each: p50 %d"
      " p99 %d max %d); between commits p50 %.2f ms p99 %.2f ms"
      % (len(batches) / secs, len(batches), n / len(batches),
         pct(sizes, .5), pct(sizes, .99), sizes[-1], pct(gaps, .5),
         pct(gaps, .99)))
with open(db + ".fig", "w") as f:
    f.write("%d %f %f %f %f %f\n" % (n, cpu, loop, writer, pct(lat, .5),
                                    pct(lat, .99)))
res = collections.Counter(r[2] + (" (%s)" % r[3] if r[3] else "")
                          for r in rows)
print("  verdicts    " + ", ".join("%d %s" % (k, v) for v, k in
                                   res.most_common()))
EOF
}

# The functions of rivd's hot path, in the perf summary.
HOT='appraise|quote_|lyd_|digest_verify|EVP_Digest|writer_|sqlite3_step'
HOT="$HOT|SSL_read|read_pcr|nonce_derive|leaf_|ima_|store_submit|sub_record"

# floor ALG: openssl speed's verifications per second of one core for the
# AK's algorithm (ecdsa: P-256, rsa: RSA-2048), now, on this machine, and
# how far rivd's figure of the window (FIG) is from it.
floor() {
	if [ "$1" = rsa ]; then
		vps=$(openssl speed -seconds 2 rsa2048 2>/dev/null |
		    awk '/^rsa 2048 bits/ { print $NF }')
		what="RSA-2048 (e = 65537) verify"
	else
		vps=$(openssl speed -seconds 2 ecdsap256 2>/dev/null |
		    awk '/ecdsa \(nistp256\)/ { print $NF }')
		what="ECDSA P-256 verify"
	fi
	[ -n "$vps" ] || return 0
	$PY - "$vps" "$what" "$TMP/rivd.db.fig" <<'EOF'
import sys, os
vps, what, fig = float(sys.argv[1]), sys.argv[2], sys.argv[3]
print("  floor       %s alone: %.0f/s per CPU second (openssl speed "
      "-seconds 2, this run), %.1f us" % (what, vps, 1e6 / vps))
if os.path.exists(fig):
    n, cpu, loop = (float(x) for x in open(fig).read().split()[:3])
    if n and cpu:
        each = cpu / n * 1e6
        print("              rivd: %.0f/s per core = %.0f%% of that floor; "
              "verify is %.0f%% of rivd's %.0f us per notification"
              % (n / cpu, 100 * n / cpu / vps, 100 * 1e6 / vps / each, each))
EOF
}

# breakdown PERFDATA FIG PID: rivd's CPU profile summed by cost, leaf to
# root (a sample counts for the first frame of its stack that names a
# cost: a malloc under libyang's parser is parse; libyang's own internals
# count for the entry point rivd called), scaled to us per
# notification with the window's CPU per notification of each thread (FIG).
breakdown() {
	perf script -i "$1" -F tid,ip,sym >"$TMP/perf.txt" 2>/dev/null
	$PY - "$2" "$3" "$TMP/perf.txt" <<'EOF'
import sys, re, collections
fig, pid, script = sys.argv[1:4]
try:
    n, cpu, loop, writer = (float(x) for x in open(fig).read().split()[:4])
except (OSError, ValueError):
    n = cpu = loop = writer = 0
cats = [
    ("verify (signature)", r"EVP_DigestVerify|EVP_PKEY_verify|digest_verify"
     r"|verify_rsa|verify_ecdsa|ossl_ecdsa|ecdsa_|ECDSA_|rsa_verify|"
     r"RSA_verify|ossl_rsa_verify|rsa_ossl_public|^quote_verify"),
    ("TPMS_ATTEST unmarshal", r"^Tss2_MU|^quote_parse|^parse_clock|"
     r"^check_tpm2b|^quote_load"),
    ("hashing (nonce, PCR digest)", r"^nonce_|^pcr_digest|^bank_hash|"
     r"^hasher_|^EVP_MAC|^HMAC|^pcrset_"),
    ("base64", r"EVP_Decode|^b64|^unb64|base64"),
    # libyang by its entry point (its internals, lydict_* or lyplg_*,
    # serve all of them): the parser, lookups of the tree, freeing it.
    ("libyang parse (XML -> tree)", r"^lyd_parse"),
    ("libyang free (tree)", r"^lyd_free"),
    ("libyang lookups (lyd_find_*, leaves)", r"^lyd_find|^leaf_text|"
     r"^leaf_bin|^has_child|^read_pcr_values|^lyd_child|^lyd_get_value"),
    ("framing (chunks)", r"^framer_|^framing_"),
    # xdoc.c: the notification's XML read and checked against the schema.
    ("XML reading (xdoc)", r"^xdoc_|^read_elements|^read_start_tag|"
     r"^read_end_tag|^read_text|^read_qname|^read_attributes|^name_len|"
     r"^read_entity|^put_utf8|^utf8_char|^skip_space|^skip_declaration|"
     r"^find_ns|^has_data|^check_child|^check_envelope|^check_value|"
     r"^check_identity|^check_binary|^check_integer|^check_string|"
     r"^check_keys|^is_derived|^is_event_time|^module_of|^find_identity|"
     r"^make_room|^end_strings"),
    ("TLS read (SSL_read, decrypt, recv)", r"SSL_read|ssl3_read|ssl_read|"
     r"tls1_|tls13_|^BIO_read|aesni_gcm|gcm_|^tcp_recvmsg|sock_read|"
     r"^__libc_read|^read$|bufferevent_openssl|be_openssl"),
    ("store (queue, record)", r"^store_|^sub_record|^verdict_"),
    ("appraisal logic", r"^appraise|^check_clock|^chain_|^check_quote|"
     r"^read_pcr|^appraisal_|^message_take|^keep_quoted|^pcr_check"),
    ("event loop, epoll, timers", r"^event_|^evbuffer|^bufferevent|"
     r"epoll|^evmap|^evutil|^session_"),
]
cats = [(k, re.compile(v)) for k, v in cats]
loopc = collections.Counter()
other = collections.Counter()
tid, stack = None, []
def done():
    if tid is None:
        return
    if tid != pid:
        other[stack[0] if stack else "?"] += 1
        return
    for f in stack:
        for k, r in cats:
            if r.search(f):
                loopc[k] += 1
                return
    loopc["other: " + (stack[0] if stack else "?")] += 1
for l in open(script, errors="replace"):
    if not l.strip():
        continue
    if not l.startswith("\t"):
        done()
        tid, stack = l.split()[0], []
    else:
        w = l.split(None, 1)
        stack.append(w[1].strip() if len(w) > 1 else w[0])
done()
tot_loop = sum(loopc.values())
tot_other = sum(other.values())
if not tot_loop:
    print("    (no samples of rivd's loop)")
    sys.exit(0)
us_loop = loop / n * 1e6 if n else 0
us_writer = writer / n * 1e6 if n else 0
print("    where rivd's loop thread spends its CPU (%d samples; %.0f us per "
      "notification in the window):" % (tot_loop, us_loop))
print("      %-40s %6s %8s" % ("cost", "share", "us/notif"))
small = 0
for k, c in sorted(loopc.items(), key=lambda x: -x[1]):
    if k.startswith("other: ") and c < tot_loop * 0.01:
        small += c
        continue
    print("      %-40s %5.1f%% %8.1f" % (k[:40], 100 * c / tot_loop,
                                        us_loop * c / tot_loop))
if small:
    print("      %-40s %5.1f%% %8.1f" % ("other (each < 1 %)",
                                        100 * small / tot_loop,
                                        us_loop * small / tot_loop))
print("    other threads (the store writer, SQLite): %d samples, %.0f us per"
      " notification in the window; top: %s" % (tot_other, us_writer,
      ", ".join("%s %.0f%%" % (k, 100 * c / tot_other)
                for k, c in other.most_common(4)) if tot_other else "-"))
EOF
}

# load_phase NAME STREAM RATE SYNC [ALG [LINGER [BATCH [PROFILE]]]]: one
# measured window under load; ALG ecdsa (the default) or rsa (pre-signed);
# the store's linger and batch (else the defaults); PROFILE 1: the floor
# and, with perf, rivd's CPU profile after the window.
load_phase() {
	name=$1 stream=$2 rate=$3 sync=$4 alg=${5:-ecdsa} linger=${6:-}
	batch=${7:-} profile=${8:-0}
	echo "== $name"
	write_conf "$TMP/conf.xml" "$NLOAD" 1 "$stream" "$sync" "$linger" \
	    "$batch"
	if [ "$alg" = rsa ]; then
		# The pool: the warm-up and the window at RSA_RATE, refilled
		# by the signers (nice 19) as it drains.
		depth=$(( (RSA_RATE * (SECS + WARM + 1) + NLOAD - 1) / NLOAD ))
		# Their TPM clock, and the pace they are sent at: RSA_RATE.
		step=$(( 1000 * NLOAD / RSA_RATE ))
		start_pub 1 -1 -a rsa -M 3 -Q "$depth" -j 2 -T "$step"
	else
		start_pub 1 -1
	fi
	start_rivd "$TMP/conf.xml"
	if ! wait_subs "$NLOAD" 60; then
		echo "  only $(status_field subscriptions) of $NLOAD " \
		    "subscriptions came up: $(grep -v 'session up\|subscribed' \
		    "$TMP/rivd.log" | tail -1)"
		stop_run
		return
	fi
	if [ "$alg" = rsa ]; then
		ts=$(now)
		i=0
		while :; do
			got=$(status_field presigned)
			want=$(status_field pool)
			[ -n "$want" ] && [ "${got:-0}" -ge "$want" ] && break
			i=$((i + 1))
			[ $i -lt 3000 ] || break
			sleep 0.1
		done
		echo "  publisher: ${got:-0} of ${want:-?} quotes pre-signed" \
		    "($depth per subscription) in $($PY -c "print('%.0f' % \
($(now) - $ts))") s: 2 signer threads, 3-prime RSA-2048"
		if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
			taskset -a -p -c 0 "$RIVD_PID" >/dev/null &&
			    taskset -a -p -c "1-$(($(nproc) - 1))" \
			    "$PUB_PID" >/dev/null &&
			    echo "  one core    rivd (all its threads) on CPU 0," \
			    "the publisher on CPUs 1-$(($(nproc) - 1))"
		fi
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
	s0=$(status_field starved)
	sleep "$SECS"
	t1=$(now)
	b1=$(busy_ticks)
	c1=$(ticks "$RIVD_PID")
	w1=$(writer_ticks "$RIVD_PID")
	l1=$(ticks "$RIVD_PID" "$RIVD_PID")
	p1=$(ticks "$PUB_PID")
	s1=$(status_field starved)
	rss=$(rss_kb "$RIVD_PID")
	pid=$RIVD_PID
	if [ "$profile" = 1 ] && [ -n "$PERF_CPU" ]; then
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
	rm -f "$TMP/rivd.db.fig"
	report "$TMP/rivd.db" "$t0" "$t1" $((c1 - c0)) $((l1 - l0)) \
	    $((w1 - w0)) $((p1 - p0)) $((b1 - b0)) "$sync" $trace
	echo "  rivd VmRSS  $((rss / 1024)) MB"
	if [ "$alg" = rsa ] && [ -n "$s0" ] && [ -n "$s1" ]; then
		if [ "$s1" -gt "$s0" ]; then
			echo "  publisher   starved $((s1 - s0)) times in the" \
			    "window: its signers fell behind, rivd was not" \
			    "flat out all the time (raise RIV_BENCH_RSA_RATE)"
		else
			echo "  publisher   never starved in the window: rivd" \
			    "flat out on pre-signed quotes"
		fi
	fi
	LAST_RATE=$($PY -c "import sqlite3; print(sqlite3.connect('$TMP/rivd.db')\
.execute('SELECT count(*) FROM verdicts WHERE received_us >= ? AND \
received_us < ?', ($t0 * 1e6, $t1 * 1e6)).fetchone()[0] / ($t1 - $t0))")
	[ "$profile" = 1 ] && floor "$alg"
	if [ -f "$TMP/perf.cpu" ]; then
		echo "  perf (3 s after the window): rivd's hottest symbols, then" \
		    "its hot path with callees, then the costs summed"
		perf report -i "$TMP/perf.cpu" --no-children --sort dso,sym \
		    -g none 2>/dev/null | grep -v '^#' | grep -v '^$' |
		    head -12 | sed 's/^/    /'
		perf report -i "$TMP/perf.cpu" --children --sort sym -g none \
		    2>/dev/null | grep -v '^#' | grep -v '^$' | grep -E "$HOT" |
		    head -25 | sed 's/^/    /'
		breakdown "$TMP/perf.cpu" "$TMP/rivd.db.fig" "$pid"
		[ -n "${RIV_BENCH_KEEP:-}" ] ||
		    rm -f "$TMP/perf.cpu" "$TMP/perf.txt"
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

make_certs
PORT=$(free_ports 16) || die "no free ports"
PERF_SYSCALLS=""
perf_ok && PERF_SYSCALLS=1
PERF_CPU=""
[ -n "$PERF_SYSCALLS" ] && [ "${RIV_BENCH_PERF:-1}" != 0 ] && PERF_CPU=1
echo "rivd under load: $NLOAD attesters over TLS on loopback (publisher:" \
    "tests/bench_publisher, TEST-ONLY, software ECDSA P-256 AK, RSA-2048 in" \
    "quote-rsa)"
echo "  $(nproc) CPUs; load average at start $(cut -d' ' -f1-3 \
/proc/loadavg); store in $TMP ($(df -P "$TMP" | awk 'NR == 2 { print $1 }'))"
echo "  targets: >= 10000 quote notifications/s/core, p99 <= 10 ms," \
    "<= 100 KB per idle subscription, 5000 subscriptions held"

LAST_RATE=""
RSA_RATE=${RIV_BENCH_RSA_RATE:-10500}
case " $PHASES " in *" quote "*)
	load_phase quote pcr-trust-evidence 0 full ecdsa "" "" 1 ;;
esac
QUOTE_RATE=$LAST_RATE
case " $PHASES " in *" quote-rsa "*)
	load_phase "quote-rsa (RSA-2048 AK, pre-signed quotes)" \
	    pcr-trust-evidence 0 full rsa "" "" 1 ;;
esac
case " $PHASES " in *" latency "*)
	if [ -n "${RIV_BENCH_LAT_RATE:-}" ]; then
		lr=$RIV_BENCH_LAT_RATE
	elif [ -n "$QUOTE_RATE" ]; then
		lr=$($PY -c "print(max(100, int(float('$QUOTE_RATE') / 2 / 100) \
* 100))")
	else
		lr=1000
	fi
	for c in full:0:256 normal:0:256 full:5:256 normal:5:256 full:0:16; do
		sy=${c%%:*} li=${c#*:} ba=${li#*:} li=${li%%:*}
		load_phase "latency @ $lr/s: synchronous=$sy linger=$li ms \
batch=$ba" pcr-trust-evidence "$lr" "$sy" ecdsa "$li" "$ba"
	done ;;
esac
case " $PHASES " in *" rate "*)
	sat=${QUOTE_RATE:-1000}
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
