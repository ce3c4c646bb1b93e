# demo_run.py — the body of contrib/demo (run it through contrib/demo):
# a small network of swtpm-backed riv-attesters on loopback watched by
# rivd, a live view of its verdicts, the scenarios rivd exists for, and a
# summary read back from its store with rivctl.
#
# Every verdict shown comes from rivd's store through rivctl (tail,
# verdicts, status, timeline) or from rivd's own log; the demo only acts
# (device events through riv-attester's control socket, files, signals)
# and says what it did.
#
# The network:
#   edge1  a router, route processors rp0 (active) and rp1 (standby), each
#          with its TPM, booted with a real measured-boot log of the corpus
#   db1    a server with one TPM, another real boot log and an IMA list
#          that grows (a program run every second); rivd reaches it
#          through a relay (demo_relay.py) that can replay a notification
#   edge2  a router of the same model as edge1 running a release the
#          reference values do not list (another corpus boot log)
import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STREAMS = ("pcr-trust-evidence", "bios-log", "ima-log")
RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
COLOR = {"pass": "32", "fail": "31", "error": "33", "stale": "90"}
# Programs db1 runs all the time: its IMA policy allows them.
PROGRAMS = ("/usr/bin/true", "/usr/bin/ls", "/usr/bin/cat", "/usr/bin/date",
            "/usr/bin/env", "/usr/bin/sort", "/usr/bin/uname", "/usr/bin/id")
BOOT = {
    "edge1": "go-tpm-tools__ubuntu-2104-no-secure-boot.bin",
    "edge1-new": "go-tpm-tools__rhel8-uefi.bin",
    "db1": "go-tpm-tools__arch-linux-workstation.bin",
    "edge2": "go-tpm-tools__ubuntu-1804-amd-sev.bin",
}


class SetupError(Exception):
    """Something the demo needs could not be started."""


class Stop(Exception):
    """A signal asked the demo to stop."""


def set_deathsig():
    """In a child: receive SIGTERM when the demo dies, however it dies."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:
        pass


def free_ports(n):
    """The first of n consecutive free loopback ports, below the ephemeral
    range (other tests may run beside the demo)."""
    import random
    for _ in range(200):
        base = random.randrange(10000, 32000 - n)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise SetupError("no free loopback port")


def wait_port(port, secs=10):
    """Wait until something listens on port."""
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def rel(path):
    """path relative to the current directory when it is below it."""
    r = os.path.relpath(path, os.getcwd())
    return r if not r.startswith("..") else path


def ms(secs):
    """A duration for people."""
    return "%.0f ms" % (secs * 1000) if secs < 1 else "%.2f s" % secs


def rfc3339_us(s):
    """Microseconds since the epoch of rivctl's RFC 3339 UTC times."""
    import calendar
    main, frac = s.rstrip("Z").split(".")
    t = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
    return t * 1000000 + int(frac.ljust(6, "0")[:6])


def main_reason(v):
    """The reason of a verdict to show first: for a failure, the first
    that is not an informational note (what triggered it, a reset)."""
    rs = v["reasons"]
    if v["result"] != "pass":
        for r in rs:
            if not r.startswith("trigger:") and "was reset (reboot)" not in r:
                return r
    return rs[0] if rs else ""


def describe(v, width=0):
    """One verdict as rivctl stored it: attester, stream, sequence, result,
    codes and main reason."""
    s = "%s %s #%d %s" % (v["attester"], v["stream"], v["sequence"],
                          v["result"])
    if v["codes"]:
        s += " [%s]" % ",".join(v["codes"])
    if main_reason(v):
        s += ": " + main_reason(v)
    if width and len(s) > width:
        s = s[:width - 3] + "..."
    return s


class View:
    """The live view: every verdict rivd commits, as `rivctl tail --json`
    prints it, kept in order; one line per attester and stream (result,
    last sequence number, latency from reception to commit), redrawn in
    place on a terminal, posture changes as lines otherwise."""

    def __init__(self, demo, tty):
        self.demo = demo
        self.tty = tty
        self.lock = threading.RLock()
        self.verdicts = []
        self.last = {}
        self.lanes = []
        self.drawn = 0
        self.dirty = False
        self.closed = False
        self.tail = None
        self.status = "starting"

    def color(self, result, text):
        """text in the colour of result, on a terminal."""
        if not self.tty or result not in COLOR:
            return text
        return "\033[%sm%s\033[0m" % (COLOR[result], text)

    def add_lane(self, attester, stream):
        """A line of the view, shown before its first verdict."""
        with self.lock:
            if (attester, stream) not in self.lanes:
                self.lanes.append((attester, stream))

    def start(self, rivctl, db):
        """Follow the store with rivctl tail."""
        self.tail = self.demo.spawn(
            "rivctl tail", [rivctl, "tail", "--db", db, "--json",
                            "--lines", "1000000"], None, pipe=True)
        threading.Thread(target=self.read_tail, daemon=True).start()
        if self.tty:
            threading.Thread(target=self.refresh, daemon=True).start()

    def read_tail(self):
        """Take each verdict rivctl tail prints."""
        for line in self.tail.stdout:
            try:
                v = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.verdicts.append(v)
                key = (v["attester"], v["stream"])
                old = self.last.get(key)
                self.last[key] = v
                if key not in self.lanes:
                    self.lanes.append(key)
                if not self.tty and old is not None and \
                        old["result"] != v["result"]:
                    self.log("  | %s -> %s" % (old["result"],
                                               describe(v, 150)))
                self.dirty = True

    def refresh(self):
        """Redraw the view when something changed (terminal only)."""
        while True:
            time.sleep(0.2)
            with self.lock:
                if self.dirty:
                    self.redraw()

    def lines(self):
        """The view's lines."""
        width = shutil.get_terminal_size((120, 24)).columns - 1
        out = ["  %-8s %-19s %-7s %5s %8s  %s" % (
            "ATTESTER", "STREAM", "VERDICT", "SEQ", "LATENCY",
            "LAST REASON")]
        for a, s in self.lanes:
            v = self.last.get((a, s))
            if v is None:
                out.append("  %-8s %-19s %s" % (a, s, "waiting"))
                continue
            lat = (rfc3339_us(v["committed"]) - rfc3339_us(v["time"])) / 1e3
            why = main_reason(v)
            line = "  %-8s %-19s %-7s %5d %5.1f ms  %s" % (
                a, s, v["result"], v["sequence"], lat, why)
            line = line[:width]
            out.append(line.replace(" %-7s " % v["result"], " %s " %
                       self.color(v["result"], "%-7s" % v["result"]), 1))
        out.append("  %s" % self.status)
        return out

    def erase(self):
        """Take the drawn view off the terminal."""
        if self.drawn:
            sys.stdout.write("\033[%dF\033[J" % self.drawn)
            self.drawn = 0

    def redraw(self):
        """Draw the view below the log (terminal only)."""
        with self.lock:
            if self.closed:
                return
            self.erase()
            ls = self.lines()
            sys.stdout.write("\n".join(ls) + "\n")
            sys.stdout.flush()
            self.drawn = len(ls)
            self.dirty = False

    def close(self):
        """Take the view off the terminal for good."""
        with self.lock:
            self.closed = True
            if self.tty:
                self.erase()

    def log(self, text=""):
        """Print a line above the view."""
        with self.lock:
            if self.tty:
                self.erase()
            print(text, flush=True)
            if self.tty and self.tail is not None:
                self.redraw()

    def show(self):
        """Print the view once (not on a terminal, where it is live)."""
        with self.lock:
            if self.tty:
                self.redraw()
                return
            for line in self.lines()[:-1]:
                print(line)
            sys.stdout.flush()

    def after(self, mark):
        """The verdicts with an id above mark."""
        with self.lock:
            return [v for v in self.verdicts if v["id"] > mark]

    def mark(self):
        """The id of the last verdict seen."""
        with self.lock:
            return self.verdicts[-1]["id"] if self.verdicts else 0


class Demo:
    """The network, rivd, the scenarios and the summary."""

    def __init__(self, args):
        self.args = args
        self.tmp = args.tmp
        self.out = os.path.abspath(args.out)
        self.db = os.path.join(self.out, "rivd.db")
        self.timeline = os.path.join(self.out, "timeline.html")
        self.procs = []
        self.devices = {}
        self.view = View(self, sys.stdout.isatty() and not args.test)
        self.pace = 2 if self.view.tty else 0
        self.log = self.view.log
        self.results = []
        self.rivd = None
        self.relay = None
        self.measuring = threading.Event()
        self.t0 = time.time()
        build = os.path.abspath(args.build)
        self.rivd_bin = os.environ.get("RIVD") or \
            os.path.join(build, "src", "rivd")
        self.rivctl = os.environ.get("RIVCTL") or \
            os.path.join(build, "src", "rivctl")
        self.attester_bin = os.environ.get("RIV_ATTESTER") or \
            os.path.join(build, "contrib", "riv-attester", "riv-attester")
        self.srcdir = os.environ.get("RIV_SRCDIR") or TOP
        self.corpus = os.path.abspath(os.environ.get("RIV_CORPUS") or
                                      os.path.join(os.path.dirname(TOP),
                                                   "shared", "corpus"))
        self.pki = os.path.join(self.tmp, "pki")

    # --- processes -------------------------------------------------------

    def spawn(self, name, argv, logfile, pipe=False):
        """Start a process of the demo, in a session of its own (Ctrl-C
        reaches the demo only, which stops everything in order); it gets
        SIGTERM if the demo dies."""
        out = subprocess.PIPE if pipe else open(logfile, "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT if not pipe else
                             subprocess.DEVNULL, start_new_session=True,
                             preexec_fn=set_deathsig,
                             text=pipe)
        if not pipe:
            out.close()
        self.procs.append((name, p))
        return p

    def stop_proc(self, p):
        """SIGTERM, then SIGKILL after 5 s."""
        if p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def cleanup(self):
        """Stop every process the demo started, newest first (rivd
        commits what it holds), and remove the temporary files."""
        self.measuring.clear()
        n = len(self.procs)
        for name, p in reversed(self.procs):
            self.stop_proc(p)
        self.procs = []
        if self.rivd_log_path() and os.path.exists(self.rivd_log_path()):
            try:
                shutil.copy(self.rivd_log_path(),
                            os.path.join(self.out, "rivd.log"))
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        return n

    def rivd_log_path(self):
        """Where rivd logs."""
        return os.path.join(self.tmp, "rivd.log")

    def run(self, argv, what):
        """Run a command to its end; its output, or SetupError."""
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            raise SetupError("%s: %s" % (what, (r.stderr or r.stdout)
                                         .strip()[-300:]))
        return r.stdout

    def ctl(self, dev, *cmd):
        """Drive a device through its control socket; its answer."""
        r = subprocess.run([self.attester_bin, "ctl",
                            os.path.join(self.tmp, dev, "ctl")] + list(cmd),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SetupError("%s %s: %s" % (dev, " ".join(cmd),
                                            (r.stdout + r.stderr).strip()))
        return r.stdout

    # --- the network -----------------------------------------------------

    def step(self, n, text):
        """Announce a start-up step."""
        self.log("[%d/6] %s" % (n, text))
        self.view.status = text

    def check_inputs(self):
        """Binaries, tools and corpus files the demo needs."""
        for b in (self.rivd_bin, self.rivctl, self.attester_bin):
            if not os.access(b, os.X_OK):
                raise SetupError("%s is missing: build first "
                                 "(contrib/bootstrap build)" % b)
        for t in ("swtpm", "swtpm_setup", "openssl"):
            if shutil.which(t) is None:
                raise SetupError("%s is not installed (Debian packages "
                                 "swtpm, swtpm-tools, openssl)" % t)
        for f in BOOT.values():
            if not os.path.exists(os.path.join(self.corpus, "bios", f)):
                raise SetupError("no boot log %s in %s (set RIV_CORPUS)" %
                                 (f, self.corpus))

    def make_pki(self):
        """A throw-away CA; certificates for the attesters (CN attester,
        IP 127.0.0.1) and for rivd (CN rivd, its NETCONF user name)."""
        os.makedirs(self.pki)
        log = os.path.join(self.tmp, "pki.log")
        script = """
set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -days 2 -subj "/CN=rivd demo CA"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext
for n in server:attester client:rivd; do
    f=${n%%:*} cn=${n#*:}
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout $f.key -out $f.csr -subj "/CN=$cn"
    openssl x509 -req -in $f.csr -CA ca.pem -CAkey ca.key \
        -CAcreateserial -out $f.pem -days 2 -extfile san.ext
done
"""
        with open(log, "w") as f:
            r = subprocess.run(["sh", "-c", script], cwd=self.pki,
                               stdout=f, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise SetupError("certificates: see %s" % log)

    def setup_tpms(self, names):
        """swtpm_setup for every TPM at once, then a swtpm each; their
        TCTIs."""
        setups = []
        for n in names:
            d = os.path.join(self.tmp, "tpm-" + n)
            os.makedirs(d)
            setups.append(subprocess.Popen(
                ["swtpm_setup", "--tpm2", "--tpmstate", d, "--pcr-banks",
                 "sha1,sha256", "--config", "/dev/null", "--logfile",
                 os.path.join(d, "setup.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for n, p in zip(names, setups):
            if p.wait() != 0:
                raise SetupError("swtpm_setup %s failed" % n)
        tctis = {}
        for n in names:
            d = os.path.join(self.tmp, "tpm-" + n)
            for _ in range(5):
                port = free_ports(2)
                p = self.spawn("swtpm " + n, [
                    "swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + d,
                    "--server", "type=tcp,port=%d,bindaddr=127.0.0.1" % port,
                    "--ctrl", "type=tcp,port=%d,bindaddr=127.0.0.1" %
                    (port + 1), "--flags", "not-need-init,startup-clear"],
                    os.path.join(d, "swtpm.log"))
                if wait_port(port) and p.poll() is None:
                    break
                self.stop_proc(p)
            else:
                raise SetupError("swtpm %s did not start" % n)
            tctis[n] = "swtpm:host=127.0.0.1,port=%d" % port
        return tctis

    def launch_device(self, name, tpms, bios):
        """Start riv-attester NAME on a free port with its TPMs (the first
        active, the others standby)."""
        d = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(d, "state"), exist_ok=True)
        args = []
        for i, t in enumerate(tpms):
            args += ["--tpm", "%s=%s" % (t, self.tctis[name + "-" + t])]
            if i > 0:
                args += ["--standby", t]
        log = os.path.join(d, "log")
        port = free_ports(1)
        p = self.spawn("riv-attester " + name, [
            self.attester_bin, "-v", "--state-dir", os.path.join(d, "state"),
            "--control", os.path.join(d, "ctl"), "--tls-listen",
            "127.0.0.1:%d" % port, "--tls-cert",
            os.path.join(self.pki, "server.pem"), "--tls-key",
            os.path.join(self.pki, "server.key"), "--tls-ca",
            os.path.join(self.pki, "ca.pem"), "--yang-dir",
            os.path.join(self.srcdir, "yang"), "--bios-log", bios] + args,
            log)
        tries = self.devices.get(name, {}).get("tries", -1) + 1
        self.devices[name] = {"port": port, "proc": p, "tpms": tpms,
                              "log": log, "dir": d, "bios": bios,
                              "tries": tries}

    def wait_devices(self):
        """Wait until every device is ready; start one again on another
        port if another program took its port meanwhile."""
        end = time.time() + 60
        pending = set(self.devices)
        while pending:
            for name in sorted(pending):
                dev = self.devices[name]
                with open(dev["log"], errors="replace") as f:
                    text = f.read()
                if "ready:" in text:
                    pending.discard(name)
                elif dev["proc"].poll() is not None:
                    if "Address already in use" not in text or \
                            dev["tries"] >= 4:
                        raise SetupError("riv-attester %s exited: %s" % (
                            name, text.strip()[-300:]))
                    os.rename(dev["log"], dev["log"] + ".old")
                    self.launch_device(name, dev["tpms"], dev["bios"])
            if time.time() > end:
                raise SetupError("riv-attesters did not start: %s" %
                                 ", ".join(sorted(pending)))
            time.sleep(0.1)

    def bios(self, name):
        """A boot log of the corpus."""
        return os.path.join(self.corpus, "bios", name)

    def start_relay(self):
        """The man in the middle between rivd and db1."""
        log = os.path.join(self.tmp, "relay.log")
        for _ in range(5):
            port = free_ports(1)
            p = self.spawn("relay", [sys.executable, os.path.join(
                TOP, "contrib", "demo_relay.py"), str(port),
                str(self.devices["db1"]["port"]), self.pki], log)
            if wait_port(port, 5) and p.poll() is None:
                self.relay = {"proc": p, "port": port, "log": log}
                return
            self.stop_proc(p)
        raise SetupError("the relay did not start: see %s" % log)

    def reference(self, path, bios):
        """Reference values: PCRs 0-7 (SHA-256) as bios replays them."""
        out = self.run([self.rivctl, "bios-log", bios, "--json"],
                       "rivctl bios-log")
        pcrs = json.loads(out)["pcrs"]["sha256"]
        tmp = path + ".new"
        with open(tmp, "w") as f:
            json.dump({"version": 1, "pcrs": {"sha256": {
                p: v for p, v in pcrs.items() if int(p) < 8}}}, f,
                indent=1)
        os.rename(tmp, path)

    def policy(self, path):
        """db1's and edge1's IMA policy: the programs db1 runs."""
        digests = {}
        for p in self.programs:
            with open(p, "rb") as f:
                digests[p] = "sha256:" + hashlib.sha256(f.read()).hexdigest()
        with open(path, "w") as f:
            json.dump({"version": 1, "comment": "rivd demo",
                       "digests": digests}, f, indent=1)

    def write_conf(self):
        """rivd's configuration: on-change PCR subscriptions with device
        events, boot logs on change and at start-up, periodic IMA audits;
        db1 reached through the relay."""
        def sub(stream, *parts):
            return "<subscription><stream>%s</stream>%s</subscription>" % (
                stream, "".join(parts))

        def events(*names):
            return "".join("<device-event>ras:%s</device-event>" % n
                           for n in names)
        subs = {
            "edge1": [
                sub("pcr-trust-evidence", "<on-change/>",
                    events("switchover", "software-upgrade",
                           "startup-complete"), "<heartbeat>3</heartbeat>"),
                sub("bios-log", "<on-change/>",
                    events("startup-complete", "software-upgrade"),
                    "<heartbeat>5</heartbeat>"),
                sub("ima-log", "<period>300</period>")],
            "db1": [
                sub("pcr-trust-evidence", "<on-change/>",
                    events("startup-complete"), "<heartbeat>3</heartbeat>"),
                sub("bios-log", "<on-change/>", events("startup-complete"),
                    "<heartbeat>5</heartbeat>"),
                sub("ima-log", "<period>200</period>")],
            "edge2": [
                sub("pcr-trust-evidence", "<on-change/>",
                    "<heartbeat>5</heartbeat>"),
                sub("bios-log", "<on-change/>",
                    events("startup-complete"), "<heartbeat>10</heartbeat>")],
        }
        conf = ['<verifier xmlns="urn:rivd:params:xml:ns:yang:riv-verifier"'
                ' xmlns:ras="%s">' % RAS,
                "<store><path>%s</path><synchronous>normal</synchronous>"
                "</store>" % self.db,
                "<limits><connect-timeout>5</connect-timeout>"
                "<message-timeout>5</message-timeout></limits>",
                "<tls><certificate>%s/client.pem</certificate>"
                "<key>%s/client.key</key><ca>%s/ca.pem</ca></tls>" %
                (self.pki, self.pki, self.pki)]
        for name in ("edge1", "db1", "edge2"):
            dev = self.devices[name]
            port = self.relay["port"] if name == "db1" else dev["port"]
            conf.append("<attester><name>%s</name><address>127.0.0.1"
                        "</address><port>%d</port>" % (name, port))
            for t in dev["tpms"]:
                conf.append("<tpm><name>%s</name><ak>%s</ak></tpm>" % (
                    t, os.path.join(dev["dir"], "state", t + "-ak.pub")))
            conf.append("<reference-values>%s</reference-values>" %
                        os.path.join(self.tmp, name + "-reference.json"))
            if name != "edge2":
                conf.append("<ima-policy>%s</ima-policy>" %
                            os.path.join(self.tmp, "ima-policy.json"))
            conf += subs[name]
            conf.append("</attester>")
            for s in subs[name]:
                self.view.add_lane(name, s.split("<stream>")[1]
                                   .split("<")[0])
        conf.append("</verifier>")
        self.conf = os.path.join(self.tmp, "rivd.xml")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")

    def start_rivd(self):
        """rivd, until it says it runs."""
        for f in ("", "-wal", "-shm"):
            if os.path.exists(self.db + f):
                os.unlink(self.db + f)
        self.rivd_start = time.time()
        self.rivd = self.spawn("rivd", [self.rivd_bin, "-v", "-y",
                               os.path.join(self.srcdir, "yang"), "-c",
                               self.conf], self.rivd_log_path())
        end = time.time() + 30
        while "running:" not in self.rivd_log():
            if self.rivd.poll() is not None or time.time() > end:
                raise SetupError("rivd did not start: %s" %
                                 self.rivd_log().strip()[-400:])
            time.sleep(0.05)

    def rivd_log(self):
        """What rivd logged so far."""
        try:
            with open(self.rivd_log_path(), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def rivd_says(self, text, after=0):
        """rivd's last log line (after offset after) containing text."""
        lines = [l for l in self.rivd_log()[after:].splitlines()
                 if text in l]
        return lines[-1] if lines else None

    def measure_loop(self):
        """db1 runs one of its programs every second: its IMA list
        grows."""
        i = 0
        while True:
            self.measuring.wait()
            try:
                self.ctl("db1", "measure",
                         self.programs[i % len(self.programs)])
            except SetupError:
                pass
            i += 1
            time.sleep(1)

    def start(self):
        """Bring the network and rivd up, with progress."""
        self.check_inputs()
        self.programs = [p for p in PROGRAMS if os.path.exists(p)]
        os.makedirs(self.out, exist_ok=True)
        t = time.time()
        self.step(1, "a throw-away CA, certificates for the attesters "
                  "and rivd")
        self.make_pki()
        self.step(2, "software TPMs: edge1 rp0 + rp1, db1 tpm0, "
                  "edge2 tpm0 (swtpm)")
        self.tctis = self.setup_tpms(["edge1-rp0", "edge1-rp1", "db1-tpm0",
                                      "edge2-tpm0"])
        self.step(3, "riv-attesters: edge1 (router, rp0 active, rp1 "
                  "standby), db1 (server), edge2 (router)")
        self.launch_device("edge1", ["rp0", "rp1"],
                           self.bios(BOOT["edge1"]))
        self.launch_device("db1", ["tpm0"], self.bios(BOOT["db1"]))
        self.launch_device("edge2", ["tpm0"], self.bios(BOOT["edge2"]))
        self.wait_devices()
        for n in ("edge1", "db1", "edge2"):
            self.log("      %-5s boots %s" % (n, BOOT[n]))
        self.step(4, "a relay between rivd and db1 that can replay a "
                  "notification (certificates of the demo CA)")
        self.start_relay()
        self.step(5, "reference values from edge1's and db1's boot logs "
                  "(rivctl bios-log --json); an IMA policy of %d programs"
                  % len(self.programs))
        self.reference(os.path.join(self.tmp, "edge1-reference.json"),
                       self.bios(BOOT["edge1"]))
        shutil.copy(os.path.join(self.tmp, "edge1-reference.json"),
                    os.path.join(self.tmp, "edge2-reference.json"))
        self.reference(os.path.join(self.tmp, "db1-reference.json"),
                       self.bios(BOOT["db1"]))
        self.policy(os.path.join(self.tmp, "ima-policy.json"))
        self.write_conf()
        self.step(6, "rivd, store %s; the view's LATENCY is from rivd "
                  "receiving a notification to its verdict's commit" %
                  rel(self.db))
        self.start_rivd()
        self.view.start(self.rivctl, self.db)
        self.measuring.set()
        threading.Thread(target=self.measure_loop, daemon=True).start()
        self.view.status = "waiting for the first verdicts"
        self.wait_first()
        self.log("      every stream has a verdict (%s after start)" %
                 ms(time.time() - t))
        self.view.status = "running"
        self.view.show()

    def wait_first(self):
        """Wait until every stream of every attester has a verdict."""
        end = time.time() + 45
        while True:
            with self.view.lock:
                missing = [l for l in self.view.lanes
                           if l not in self.view.last]
            if not missing:
                return
            if time.time() > end:
                raise SetupError("no verdict from %s" % ", ".join(
                    "%s %s" % l for l in missing))
            if self.rivd.poll() is not None:
                raise SetupError("rivd exited: %s" %
                                 self.rivd_log().strip()[-400:])
            time.sleep(0.1)

    # --- scenarios -------------------------------------------------------

    def expect(self, name, attester, text, expected, action, checks,
               forbid=None, posture=None, since=None, ordered=False,
               secs=25):
        """A scenario: announce it, act, then wait until every check
        (a description and a predicate over one verdict) holds for a
        verdict committed after the action (ordered: each after the
        previous check's) and, with posture, until rivctl status reports
        that posture for the attester.  forbid: a predicate no verdict of
        the attester in that window may satisfy.  Show and record the
        outcome."""
        n = len(self.results) + 1
        self.log("")
        self.log("==> %d. %s: %s" % (n, name, text))
        self.view.status = "scenario %d: %s" % (n, name)
        mark = self.view.mark() if since is None else since[0]
        t_act = time.time() if since is None else since[1]
        log_at = len(self.rivd_log())
        if action is not None:
            action()
        found = [None] * len(checks)
        end = time.time() + secs
        while None in found and time.time() < end:
            for v in self.view.after(mark):
                for i, (_, pred) in enumerate(checks):
                    if ordered and i > 0 and (found[i - 1] is None or
                                              v["id"] <= found[i - 1]["id"]):
                        continue
                    if found[i] is None and pred(v):
                        found[i] = v
            if None in found:
                time.sleep(0.1)
        ok = None not in found
        bad = []
        if ok and forbid is not None:
            last = max(v["id"] for v in found)
            bad = [v for v in self.view.after(mark)
                   if v["id"] <= last and v["attester"] == attester and
                   forbid(v)]
            ok = not bad
        # Detection: the verdict of the first check, when it came.
        first = found[0]
        lat = (rfc3339_us(first["committed"]) / 1e6 - t_act) \
            if first is not None else None
        for (desc, _), v in zip(checks, found):
            if v is not None:
                self.log("    rivd: %s" % describe(v, 200))
                continue
            self.log("    MISSED: no stored verdict with %s within %d s" %
                     (desc, secs))
            who = "attester %s " % " ".join(desc.split()[:2])
            said = [l for l in self.rivd_log()[log_at:].splitlines()
                    if who in l and "debug:" not in l]
            for line in said[-2:]:
                self.log("    rivd log: %s" % line.split(" ", 2)[-1][:200])
        for v in bad:
            self.log("    UNEXPECTED: %s" % describe(v, 200))
        got = None
        if posture is not None:
            while time.time() < end:
                got = self.posture(attester)
                if got == posture:
                    break
                time.sleep(0.2)
            self.log("    rivctl status: %s posture %s" % (attester, got))
            ok = ok and got == posture
        self.log("    %s %s%s" % (
            "ok:" if ok else "FAILED:", expected,
            ", detected %s after the event" % ms(lat)
            if lat is not None else ""))
        self.results.append({
            "name": name, "attester": attester, "expected": expected,
            "ok": ok, "latency": lat, "action_time": t_act,
            "posture": got,
            "verdicts": [v["id"] if v else None for v in found]})
        # On a terminal, time to look at the view before the next one.
        time.sleep(self.pace)
        return ok

    def scenarios(self):
        """Act out what rivd exists for, each with the verdict it must
        get."""
        def is_(a, s, result, code=None, reason=None, seq=None):
            return lambda v: (
                v["attester"] == a and v["stream"] == s and
                v["result"] == result and
                (code is None or code in v["codes"]) and
                (reason is None or any(reason in r for r in v["reasons"]))
                and (seq is None or v["sequence"] == seq))

        def failing(v):
            return v["result"] in ("fail", "error")

        self.expect(
            "firmware", "edge2", "edge2 runs a release whose boot PCRs "
            "the reference values do not list", "fail [reference]",
            None, [("edge2 pcr-trust-evidence fail [reference]",
                    is_("edge2", "pcr-trust-evidence", "fail",
                        "reference"))],
            since=(0, self.rivd_start))

        bad = os.path.join(self.tmp, "db1", "backdoor")
        with open(bad, "w") as f:
            f.write("#!/bin/sh\n# %s\nexec nc -l -p 4444\n" %
                    os.urandom(8).hex())
        self.expect(
            "ima-policy", "db1", "db1 runs %s, a program its IMA policy "
            "does not allow" % bad, "fail [policy], file named",
            lambda: self.ctl("db1", "measure", bad),
            [("db1 ima-log fail [policy] naming the file",
              is_("db1", "ima-log", "fail", "policy", bad))])

        self.expect(
            "switchover", "edge1", "edge1's standby route processor rp1 "
            "takes over from rp0", "pass, switchover trigger",
            lambda: self.ctl("edge1", "switchover"),
            [("edge1 pcr-trust-evidence pass, trigger switchover",
              is_("edge1", "pcr-trust-evidence", "pass", None,
                  "trigger: switchover (rp0 -> rp1)"))], forbid=failing)

        new_bios = self.bios(BOOT["edge1-new"])
        self.expect(
            "upgrade", "edge1", "edge1 installs a new release (boot log "
            "%s) before its reference values list it" % BOOT["edge1-new"],
            "fail [reference]",
            lambda: self.ctl("edge1", "upgrade", new_bios),
            [("edge1 pcr-trust-evidence fail [reference]",
              is_("edge1", "pcr-trust-evidence", "fail", "reference"))])

        def approve():
            log_at = len(self.rivd_log())
            self.reference(os.path.join(self.tmp, "edge1-reference.json"),
                           new_bios)
            os.kill(self.rivd.pid, signal.SIGHUP)
            end = time.time() + 5
            while time.time() < end:
                said = self.rivd_says("configuration", log_at)
                if said and "SIGHUP" not in said:
                    self.log("    rivd log: %s" % said.split(" ", 2)[2])
                    return
                time.sleep(0.05)
        self.expect(
            "approve", "edge1", "the operator adds the new release's "
            "reference values and sends rivd SIGHUP",
            "pass again",
            approve,
            [("edge1 %s pass" % s, is_("edge1", s, "pass"))
             for s in STREAMS])

        self.expect(
            "reboot", "edge1", "edge1 reboots", "pass, reset noticed",
            lambda: self.ctl("edge1", "reboot"),
            [("edge1 bios-log pass noting the reset",
              is_("edge1", "bios-log", "pass", None, "was reset")),
             ("edge1 pcr-trust-evidence pass after the reboot",
              is_("edge1", "pcr-trust-evidence", "pass"))],
            forbid=failing)

        def replay():
            size = os.path.getsize(self.relay["log"])
            os.kill(self.relay["proc"].pid, signal.SIGUSR1)
            end = time.time() + 5
            while time.time() < end:
                with open(self.relay["log"]) as f:
                    f.seek(size)
                    said = [l for l in f.read().splitlines()
                            if l.startswith(("replayed:", "replay:"))]
                if said:
                    self.log("    relay: %s" % said[0])
                    if said[0].startswith("replayed:"):
                        self.replayed = int(said[0].split()[3])
                    return
                time.sleep(0.05)
        self.replayed = None
        self.expect(
            "replay", "db1", "a man in the middle holding certificates of "
            "the demo CA re-sends a pcr-trust-evidence notification of db1 "
            "rivd has already received", "fail [replayed], then pass",
            replay,
            [("db1 pcr-trust-evidence fail [replayed]",
              lambda v: is_("db1", "pcr-trust-evidence", "fail",
                            "replayed")(v) and
              (self.replayed is None or v["sequence"] == self.replayed)),
             ("db1 pcr-trust-evidence pass (the next notification)",
              is_("db1", "pcr-trust-evidence", "pass"))], ordered=True)

        self.expect(
            "tamper", "db1", "PCR 7 of db1 is extended behind the logs' "
            "back (riv-attester tamper 7)", "fail [reference], [log]",
            lambda: self.ctl("db1", "tamper", "7"),
            [("db1 pcr-trust-evidence fail [reference]",
              is_("db1", "pcr-trust-evidence", "fail", "reference")),
             ("db1 bios-log fail [log]",
              is_("db1", "bios-log", "fail", "log"))])

        self.expect(
            "recovery", "db1", "db1 is rebooted: a fresh boot, a fresh IMA "
            "list", "pass on all, posture pass",
            lambda: self.ctl("db1", "reboot"),
            [("db1 %s pass" % s, is_("db1", s, "pass")) for s in STREAMS],
            posture="pass")

    def posture(self, attester):
        """An attester's posture, as rivctl status reports it."""
        r = subprocess.run([self.rivctl, "status", "--db", self.db,
                            "--attester", attester, "--json"],
                           capture_output=True, text=True)
        try:
            return json.loads(r.stdout)["attesters"][0]["posture"]
        except (ValueError, IndexError, KeyError):
            return None

    # --- the end ---------------------------------------------------------

    def summary(self):
        """The summary table, read back from the store with rivctl; the
        timeline file.  True if every scenario got its verdict."""
        vs = json.loads(self.run([self.rivctl, "verdicts", "--db", self.db,
                                  "--json"], "rivctl verdicts"))
        st = json.loads(self.run([self.rivctl, "status", "--db", self.db,
                                  "--json"], "rivctl status"))
        by_id = {v["id"]: v for v in vs}
        self.log("")
        self.log("Summary, read back from %s with rivctl status and rivctl "
                 "verdicts:" % rel(self.db))
        self.log("  %-8s %-8s %13s %6s %6s %6s %6s" % (
            "ATTESTER", "POSTURE", "NOTIFICATIONS", "PASS", "FAIL", "ERROR",
            "STALE"))
        for a in st["attesters"]:
            counts = {k: sum(s["counts"][k] for s in a["streams"])
                      for k in ("pass", "fail", "error", "stale")}
            # Verdicts on notifications: those with a nonce, and replays.
            notes = sum(1 for v in vs if v["attester"] == a["name"] and
                        v["stream"] in STREAMS and
                        (v["nonce"] is not None or "replayed" in v["codes"]))
            self.log("  %-8s %-8s %13d %6d %6d %6d %6d" % (
                a["name"], a["posture"], notes, counts["pass"],
                counts["fail"], counts["error"], counts["stale"]))
        self.log("")
        self.log("  %-10s %-6s %-26s %-40s %s" % (
            "SCENARIO", "DEVICE", "EXPECTED", "STORED (rivctl verdicts)",
            "DETECTED IN"))
        for r in self.results:
            got = []
            for i in r["verdicts"]:
                v = by_id.get(i)
                s = "%s [%s]" % (v["result"], ",".join(v["codes"])) \
                    if v and v["codes"] else v["result"] if v else "none"
                if s not in got:
                    got.append(s)
            if r["posture"] is not None:
                got.append("posture " + r["posture"])
            self.log("  %-10s %-6s %-26s %-40s %s" % (
                r["name"], r["attester"], r["expected"],
                " + ".join(got), ms(r["latency"])
                if r["latency"] is not None else "-"))
        self.run([self.rivctl, "timeline", "--db", self.db, "--html",
                  self.timeline], "rivctl timeline")
        ok = all(r["ok"] for r in self.results)
        with open(os.path.join(self.out, "scenarios.json"), "w") as f:
            json.dump({"ok": ok, "db": self.db, "timeline": self.timeline,
                       "scenarios": self.results,
                       "pids": [p.pid for _, p in self.procs]}, f, indent=1)
        self.log("")
        self.log("database: %s   (rivctl verdicts --db %s --json)" %
                 (rel(self.db), rel(self.db)))
        self.log("timeline: %s   (rivctl timeline --db %s --html FILE; "
                 "open it in a browser)" % (rel(self.timeline), rel(self.db)))
        self.log("rivd log: %s" % rel(os.path.join(self.out, "rivd.log")))
        n = sum(1 for r in self.results if r["ok"])
        self.log("%s: %d of %d scenarios got the verdict they should, in "
                 "%s" % ("PASS" if ok else "FAIL", n, len(self.results),
                         ms(time.time() - self.t0)))
        return ok

    def watch(self):
        """Keep the network running and the view live until a signal."""
        self.view.status = "watching: Ctrl-C stops the demo"
        self.log("")
        self.log("Watching (Ctrl-C stops): db1 keeps running programs; "
                 "rivctl tail --db %s follows along" % rel(self.db))
        while True:
            time.sleep(1)


STOPPING = []


def on_signal(sig, frame):
    """Stop the demo, once (Ctrl-C may come with a SIGTERM from
    contrib/demo); its finally clause cleans up."""
    if STOPPING:
        return
    STOPPING.append(sig)
    raise Stop(sig)


def main():
    ap = argparse.ArgumentParser(
        prog="contrib/demo", description="rivd watching a small network of "
        "swtpm-backed riv-attesters on loopback, live, and the scenarios "
        "it exists for.")
    ap.add_argument("--tmp", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--build", default=os.path.join(TOP, "build"),
                    help="the build directory (default build/)")
    ap.add_argument("--out", default=None, help="where the store, the "
                    "timeline and rivd's log go (default BUILD/demo)")
    ap.add_argument("--watch", action="store_true",
                    help="keep running after the summary, until Ctrl-C")
    ap.add_argument("--test", action="store_true",
                    help="no live redrawing, no pauses (tests/"
                    "demo_scenarios.sh)")
    args = ap.parse_args()
    if args.out is None:
        args.out = os.path.join(os.path.abspath(args.build), "demo")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    demo = Demo(args)
    status = 1
    try:
        demo.start()
        demo.scenarios()
        status = 0 if demo.summary() else 1
        if args.watch and not args.test:
            demo.watch()
    except SetupError as e:
        demo.log("demo: %s" % e)
        status = 2
    except Stop as e:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        demo.log("")
        demo.log("demo: interrupted, stopping everything")
        status = 0 if args.watch and demo.results and \
            all(r["ok"] for r in demo.results) else 128 + e.args[0]
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        demo.view.close()
        n = demo.cleanup()
        if STOPPING:
            print("demo: stopped the %d processes it started, removed %s" %
                  (n, demo.tmp), flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
