#!/usr/bin/python3
"""attester_tls.py -- riv-attester over NETCONF/TLS (RFC 7589) and NETCONF
Call Home (RFC 8071), driven by tests/attester_tls.sh in two phases:

  attester_tls.py main --pid PID --work DIR
      1. TLS session: hello, <get>, a dynamic subscription whose quote
         rivctl verifies.
      2. TLS authentication: a certificate of another CA and no certificate
         are refused, a certificate of the right CA with another CN works.
      3. Hostile input on other sessions while a subscription runs.
      4. A configured subscription delivered by call home (first part; a
         second one to the same receiver comes and goes beside it; another
         user must not read its seed, its owner and an admin do).
      5. Bad edits of the configuration change nothing.
      6. yanglint validates every notification received.
  attester_tls.py restarted --pid PID --work DIR
      (the script restarted riv-attester in between, same ports and state
      directory)
      4. The configured subscription calls home again by itself; sequence
         numbers across the restart; reconnection with backoff after the
         receiver closes (and how long a slow receiver stalls the
         attester); deleting the subscription ends it.
      6. yanglint again.

Prints "ok: WHAT" or "FAIL: WHAT: DETAILS" per check, "info: ..." for
figures, and last "N passed, M failed".  Exits 0 unless the script itself
breaks.  Needs the environment of tests/attester_lib.sh (PKI, ATT_TLS_PORT,
ATT_SSH_PORT, ATT_STATE, RIVCTL, RIV_SRCDIR).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True		# no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netconf_tls import (BASE11, BASE_NS, CallHomeListener, Closed,  # noqa: E402
                         NetconfError, Reply, Session, Timeout, child,
                         children, text)
from nc_testlib import YANG, YL_FEATURES, YL_MODS  # noqa: E402

SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
TPM = "urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation"
NCM = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
YANGLIB = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
INTERLEAVE = "urn:ietf:params:netconf:capability:interleave:1.0"
HOST = "127.0.0.1"
BANKS = {"TPM_ALG_SHA1": "sha1", "TPM_ALG_SHA256": "sha256",
         "TPM_ALG_SHA384": "sha384", "TPM_ALG_SHA512": "sha512"}
CONFIGURED_ID = 7
CH_PERIOD_CS = 50		# period of the configured subscription
WATCH_PERIOD_CS = 20		# period of the subscription watched in 3
# Seconds a hostile client (or a slow call-home receiver) stays silent;
# the attester's stall follows it (set ATT_TLS_SILENCE=30 to see the bounds).
SILENCE = float(os.environ.get("ATT_TLS_SILENCE", "1.5"))

ENV = os.environ
PKI = ENV.get("PKI", "")
CA = os.path.join(PKI, "ca.pem")


def pki(name):
    """(certificate, key) of PKI/name.pem and PKI/name.key."""
    return os.path.join(PKI, name + ".pem"), os.path.join(PKI, name + ".key")


class Checks:
    """Counts and prints checks."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, what):
        self.passed += 1
        print("ok: %s" % what, flush=True)

    def fail(self, what, details):
        self.failed += 1
        print("FAIL: %s: %s" % (what, " ".join(str(details).split())[:600]),
              flush=True)

    def check(self, cond, what, details=""):
        if cond:
            self.ok(what)
        else:
            self.fail(what, details or "no")
        return bool(cond)

    @staticmethod
    def info(msg):
        print("info: %s" % msg, flush=True)


C = Checks()


# -- helpers ---------------------------------------------------------------

def connect(name="client", **kw):
    """A TLS session to the attester with PKI/name.pem."""
    cert, key = pki(name) if name else (None, None)
    return Session.connect(HOST, int(ENV["ATT_TLS_PORT"]), CA, cert, key,
                           **kw)


def alive(pid):
    """Whether process pid runs (a zombie, a crashed child of the shell
    that has not been waited for, does not count)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def nonce(seed, n):
    return hmac.new(seed, n.to_bytes(8, "big"), hashlib.sha256).digest()


def seed_id(seed):
    return hashlib.sha256(seed).digest()[:8]


def b64(data):
    return base64.b64encode(data).decode()


def establish_xml(seed, period_cs=None, stream="pcr-trust-evidence"):
    trig = "" if period_cs is None else \
        '<trigger xmlns="%s"><period>%d</period></trigger>' % (RAS, period_cs)
    return ('<establish-subscription xmlns="%s"><stream>%s</stream>'
            '<nonce-seed xmlns="%s">%s</nonce-seed>%s'
            '</establish-subscription>' % (SN, stream, RAS, b64(seed), trig))


def subscription_xml(sid=CONFIGURED_ID, stream="pcr-trust-evidence",
                     transport="ras:netconf-call-home", seed=None,
                     address="127.0.0.1", port=4335, op=None):
    """A /sn:subscriptions edit with one configured subscription."""
    attr = ' nc:operation="%s"' % op if op else ""
    addr = "" if address is None else "<address>%s</address>" % address
    return (
        '<subscriptions xmlns="%s" xmlns:nc="%s"><subscription%s>'
        '<id>%s</id><stream>%s</stream>'
        '<transport xmlns:ras="%s" xmlns:ncm="%s">%s</transport>'
        '<nonce-seed xmlns="%s">%s</nonce-seed>'
        '<trigger xmlns="%s"><period>%d</period></trigger>'
        '<receivers><receiver><name>rivd</name>'
        '<call-home xmlns="%s">%s<port>%d</port></call-home>'
        '</receiver></receivers></subscription></subscriptions>' % (
            SN, BASE_NS, attr, sid, stream, RAS, NCM, transport, RAS,
            b64(seed if seed is not None else os.urandom(32)), RAS,
            CH_PERIOD_CS, RAS, addr, port))


def delete_xml(sid):
    return ('<subscriptions xmlns="%s" xmlns:nc="%s">'
            '<subscription nc:operation="delete"><id>%s</id></subscription>'
            '</subscriptions>' % (SN, BASE_NS, sid))


def data_xml(reply):
    """The raw XML inside <data> of a reply ("" for <data/>), namespace
    declarations intact (ElementTree would rename prefixes that identityref
    values need)."""
    raw = reply.raw.decode()
    i = raw.find("<data")
    if i < 0:
        return None
    j = raw.index(">", i)
    if raw[j - 1] == "/":
        return ""
    return raw[j + 1:raw.rindex("</data>")]


def configured_ids(reply):
    """The ids of the subscriptions in a get-config reply."""
    subs = child(reply.data, "subscriptions", SN)
    return [text(s, "id") for s in children(subs, "subscription", SN)]


def tpm_quotes(n):
    """[(tpm name, quote element)] of an evidence notification."""
    return [(text(t, "name"), child(t, "quote"))
            for t in children(n.event, "tpm", RAS)]


def verify_quote(n, seed, work, ak=None, seq=None):
    """Run rivctl quote on every TPM quote of evidence notification n with
    nonce_seq (seq defaults to the notification's own sequence number).
    Return None if rivctl accepts all, else the reason."""
    ak = ak or os.path.join(ENV["ATT_STATE"], "rp0-ak.pub")
    if seq is None:
        seq = int(n.get("sequence-number"))
    quotes = tpm_quotes(n)
    if not quotes:
        return "no tpm entry"
    for name, q in quotes:
        if q is None:
            return "TPM %s has no quote" % name
        if text(q, "certificate-name") != "%s-ak" % name:
            return "TPM %s: certificate-name %s" % (
                name, text(q, "certificate-name"))
        pcrs = {}
        for u in children(q, "unsigned-pcr-values"):
            bank = BANKS.get(text(u, "tpm20-hash-algo").split(":")[-1])
            if bank is None:
                return "unknown bank %s" % text(u, "tpm20-hash-algo")
            pcrs[bank] = {text(v, "pcr-index"): base64.b64decode(
                text(v, "pcr-value")).hex() for v in children(u, "pcr-values")}
        base = os.path.join(work, "quote")
        files = {}
        for k, data in (("attest", base64.b64decode(text(q, "quote-data"))),
                        ("sig", base64.b64decode(text(q, "quote-signature"))),
                        ("pcrs", json.dumps({"pcrs": pcrs}).encode())):
            files[k] = "%s.%s" % (base, k)
            with open(files[k], "wb") as f:
                f.write(data)
        cmd = [ENV["RIVCTL"], "quote", "--attest", files["attest"], "--sig",
               files["sig"], "--ak", ak, "--nonce", nonce(seed, seq).hex(),
               "--pcrs", files["pcrs"]]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        if r.returncode != 0:
            return "rivctl quote exit %d: %s %s" % (
                r.returncode, r.stderr.decode()[-300:],
                r.stdout.decode()[-300:])
    return None


def check_evidence(ns, seed, sid, what, work, first_seq=None,
                   first_trigger=None):
    """Check a run of evidence notifications of one subscription:
    stream notification, subscription id, consecutive sequence numbers,
    seed-id, quotes verified by rivctl."""
    problems = []
    seqs = []
    for n in ns:
        if n.name != "pcr-trust-evidence" or n.ns != RAS:
            problems.append("unexpected %s (%s)" % (n.name, n.ns))
            continue
        if n.get("subscription-id") != str(sid):
            problems.append("subscription-id %s" % n.get("subscription-id"))
        seqs.append(int(n.get("sequence-number")))
        if base64.b64decode(n.get("seed-id") or "") != seed_id(seed):
            problems.append("seed-id %s" % n.get("seed-id"))
    C.check(not problems and seqs, "%s: %d pcr-trust-evidence notifications "
            "of subscription %s with the seed's seed-id" % (what, len(seqs),
                                                            sid),
            "; ".join(problems[:3]))
    C.check(seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else
            False, "%s: consecutive sequence numbers" % what, seqs)
    if first_seq is not None:
        C.check(seqs and seqs[0] == first_seq, "%s: the first sequence "
                "number is %d" % (what, first_seq), seqs[:1])
    if first_trigger is not None and ns:
        C.check(ns[0].get("trigger") == first_trigger, "%s: the first "
                "trigger is %s" % (what, first_trigger), ns[0].get("trigger"))
    bad = [(n.get("sequence-number"), verify_quote(n, seed, work))
           for n in ns if n.name == "pcr-trust-evidence"]
    bad = [b for b in bad if b[1] is not None]
    C.check(ns and not bad, "%s: rivctl verifies every quote with nonce_n "
            "= HMAC-SHA256(seed, n)" % what,
            "; ".join("n=%s: %s" % b for b in bad[:2]))
    return seqs


def read_notifications(s, count, timeout):
    """count notifications from s (within timeout seconds in all)."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        out.append(s.notification(max(deadline - time.monotonic(), 0.01)))
    return out


def wait_for(s, name, timeout):
    """Read from s until a notification called name: (it, the others)."""
    others = []
    deadline = time.monotonic() + timeout
    while True:
        n = s.notification(max(deadline - time.monotonic(), 0.01))
        if n.name == name:
            return n, others
        others.append(n)


class Saved:
    """The notifications to validate with yanglint, by label."""

    def __init__(self, work):
        self.work = work
        self.items = []

    def add(self, label, notifications):
        for n in notifications:
            self.items.append((label, n.raw))

    def validate(self, oper, check_oper):
        """6: yanglint every saved notification against the modules and
        the attester's operational data (and that data itself if
        check_oper)."""
        mods = YL_MODS
        # -y: the <get> data holds the YANG library (RFC 8525, and the
        # modules-state of RFC 7895), which RFC 7950 5.6.4 requires.
        base = ["yanglint", "-D", "-y", "-p", YANG] + YL_FEATURES
        if check_oper:
            r = subprocess.run(base + ["-t", "data"] + mods + [oper],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=self.work,
                               timeout=60)
            C.check(r.returncode == 0, "6: yanglint: the <get> data is "
                    "valid operational data", r.stdout.decode()[-400:])
        labels = []
        for label, _ in self.items:
            if label not in labels:
                labels.append(label)
        for label in labels:
            bad, count = [], 0
            for i, (lab, raw) in enumerate(self.items):
                if lab != label:
                    continue
                count += 1
                path = os.path.join(self.work, "notif-%s-%d.xml" % (
                    label.replace(" ", "_"), i))
                with open(path, "wb") as f:
                    f.write(raw)
                r = subprocess.run(base + ["-t", "nc-notif", "-O", oper] +
                                   mods + [path], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, cwd=self.work,
                                   timeout=60)
                if r.returncode != 0:
                    bad.append("%s: %s" % (os.path.basename(path),
                                           r.stdout.decode()[-300:]))
            C.check(count and not bad, "6: yanglint validates all %d "
                    "notifications (%s)" % (count, label), "; ".join(bad[:2]))


def run_scenario(name, func, *args):
    """Run one scenario; an unexpected exception is one failure."""
    try:
        return func(*args)
    except Exception as e:		# report, go on with the next scenario
        tb = traceback.format_exc().strip().splitlines()
        C.fail("%s: stopped by %s" % (name, type(e).__name__),
               "%s | %s" % (e, " | ".join(tb[-4:])))
        return None


# -- 1. TLS ----------------------------------------------------------------

def scenario_tls(work, saved):
    s = connect()
    C.check(BASE11 in s.capabilities and s.chunked, "1: hello advertises "
            "base:1.1 and the session uses chunked framing",
            s.capabilities[:4])
    C.check(INTERLEAVE in s.capabilities, "1: hello advertises interleave "
            "(RFC 8640)", s.capabilities)
    C.check(s.session_id and s.session_id.isdigit(), "1: hello carries a "
            "session-id", s.session_id)

    r = s.get()
    C.check(r.data is not None, "1: <get> returns data", r.describe())
    oper = os.path.join(work, "oper.xml")
    with open(oper, "w") as f:
        f.write(data_xml(r) or "")
    streams = {text(x, "name"): x for x in
               children(child(r.data, "streams", SN), "stream", SN)}
    C.check(set(streams) >= {"pcr-trust-evidence", "bios-log", "ima-log"},
            "1: /sn:streams lists pcr-trust-evidence, bios-log and ima-log",
            sorted(streams))
    C.check(all(child(streams.get(x), "replay-support") is not None
                for x in ("bios-log", "ima-log")),
            "1: bios-log and ima-log have replay-support")
    tpms = {text(t, "name"): t for t in children(child(child(
        r.data, "rats-support-structures", TPM), "tpms"), "tpm")}
    certs = [text(c, "name") for c in children(child(tpms.get("rp0"),
             "certificates"), "certificate")]
    C.check("rp0" in tpms and "rp0-ak" in certs, "1: /tpm:rats-support-"
            "structures has tpm rp0 with certificate rp0-ak",
            "tpms %s certificates %s" % (sorted(tpms), certs))

    # RFC 7950 5.6.4: a YANG 1.1 module is not in the hello; it is in the
    # YANG library, which the yang-library:1.1 capability promises.
    in_hello = any("module=riv-attestation-streams" in c
                   for c in s.capabilities)
    lib = s.get('<yang-library xmlns="%s"/><modules-state xmlns="%s"/>' %
                (YANGLIB, YANGLIB))
    mods = [text(m, "name") for ms in children(child(
        lib.data, "yang-library", YANGLIB), "module-set", YANGLIB)
        for m in children(ms, "module", YANGLIB)]
    mods += [text(m, "name") for m in children(child(
        lib.data, "modules-state", YANGLIB), "module", YANGLIB)]
    yl = [c.split("?")[0] for c in s.capabilities if "yang-library" in c]
    C.check(in_hello or "riv-attestation-streams" in mods, "1: the module "
            "riv-attestation-streams is advertised (in the hello, or in "
            "/yanglib:yang-library, which the hello's %s capability "
            "promises: RFC 7950 5.6.4, RFC 8526)" % (
                yl[0] if yl else "yang-library"),
            "not in the hello, and <get> has no YANG library (modules "
            "listed: %s)" % (mods or "none"))

    # RFC 6241 6: a subtree filter selects.
    f = s.get('<streams xmlns="%s"/>' % SN)
    C.check(f.data is not None and child(f.data, "streams", SN) is not None
            and child(f.data, "rats-support-structures", TPM) is None,
            "1: <get> with a subtree filter on /sn:streams returns only "
            "/sn:streams", "the filter is ignored: %s" % sorted(
                c.tag.split("}")[1] for c in (f.data if f.data is not None
                                              else [])))

    # RFC 6241 6.2.5: a content match node selects the list entries that
    # match, whole; the other entries are left out.
    f = s.get('<streams xmlns="%s"><stream><name>ima-log</name></stream>'
              '</streams>' % SN)
    got = [(text(x, "name"), child(x, "replay-support") is not None)
           for x in children(child(f.data, "streams", SN), "stream", SN)]
    C.check(got == [("ima-log", True)] and len(f.data) == 1, "1: <get> "
            "with a content match node selects that stream only, whole "
            "(RFC 6241 6.2.5)", got)

    # RFC 6241 8.9: an XPath filter selects the nodes, with their
    # ancestors and list keys; prefixes are the filter's XML prefixes.
    f = s.rpc('<get><filter type="xpath" xmlns:sn="%s" select="/sn:streams'
              '/sn:stream[sn:name=\'bios-log\']/sn:replay-support"/></get>'
              % SN)
    st = children(child(f.data, "streams", SN), "stream", SN) \
        if f.data is not None else []
    got = [sorted(c.tag.split("}")[1] for c in x) for x in st]
    C.check(f.data is not None and len(f.data) == 1 and
            [text(x, "name") for x in st] == ["bios-log"] and
            got == [["name", "replay-support"]], "1: <get> with an XPath "
            "filter returns the selected leaf, its ancestors and the list "
            "key only (RFC 6241 8.9)", f.describe() if f.data is None else
            f.raw[:400])

    seed = os.urandom(32)
    r = s.rpc(establish_xml(seed))
    sid = text(r.elem, "id", SN)
    C.check(sid is not None and sid.isdigit() and int(sid) >= 1 << 31,
            "1: establish-subscription to pcr-trust-evidence over TLS "
            "returns a dynamic id", r.describe())
    rsid = text(r.elem, "seed-id", RAS)
    C.check(rsid is not None and base64.b64decode(rsid) == seed_id(seed),
            "1: the reply's seed-id is SHA-256(seed)[0..7]", rsid)
    n = s.notification(10)
    saved.add("dynamic TLS subscription", [n])
    check_evidence([n], seed, sid, "1: TLS subscription", work, first_seq=0,
                   first_trigger="ras:subscription-start")
    wrong = verify_quote(n, seed, work, seq=1)
    C.check(wrong is not None and "exit 1" in wrong, "1: rivctl refuses the "
            "same quote with nonce_1 (the check has teeth)", wrong)
    r = s.rpc('<delete-subscription xmlns="%s"><id>%s</id>'
              '</delete-subscription>' % (SN, sid))
    C.check(r.ok, "1: delete-subscription", r.describe())
    r = s.close_session()
    C.check(r is not None and r.ok, "1: close-session",
            r.describe() if r else "no reply")
    return oper


# -- 2. TLS authentication ---------------------------------------------------

def refused(name, what):
    """None if a session with PKI/name (None: no certificate) is refused,
    else what happened."""
    try:
        s = connect(name, timeout=5)
    except (ssl.SSLError, OSError) as e:
        C.info("2: %s: the TLS handshake fails (%s)" % (what, e))
        return None
    except NetconfError as e:
        C.info("2: %s: no hello (%s)" % (what, e))
        return None
    sid = s.session_id
    try:
        r = s.get(timeout=3)
        got = "a session (id %s) that answers <get>: %s" % (sid,
                                                          r.describe())
    except NetconfError:
        got = "a hello (session-id %s)" % sid
    s.close()
    return got


def scenario_auth():
    what = "a client certificate of another CA (CN rivd)"
    got = refused("rogue", what)
    C.check(got is None, "2: %s is refused" % what, got)
    what = "a client without a certificate"
    got = refused(None, what)
    C.check(got is None, "2: %s is refused" % what, got)
    s = connect("other")
    r = s.get()
    C.check(r.data is not None, "2: a certificate of the right CA with CN "
            "intruder connects and gets a session", r.describe())
    s.close_session()
    try:
        with open(ENV["ATT_LOG"]) as f:
            if "(intruder)" in f.read():
                C.info("2: the attester log names the session's user "
                       "'intruder' (cert-to-name: the CN)")
    except OSError:
        pass


# -- 3. hostile input --------------------------------------------------------

class Watcher:
    """A subscription on its own session whose notifications a thread
    records (sequence number, arrival time)."""

    def __init__(self):
        self.seed = os.urandom(32)
        self.s = connect()
        r = self.s.rpc(establish_xml(self.seed, WATCH_PERIOD_CS))
        self.sid = text(r.elem, "id", SN)
        if self.sid is None:
            raise NetconfError("establish-subscription: %s" % r.describe())
        self.got = []			# (seq, arrived)
        self.notifs = []
        self.error = None
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                n = self.s.notification(0.5)
            except Timeout:
                continue
            except NetconfError as e:
                self.error = e
                return
            self.notifs.append(n)
            self.got.append((int(n.get("sequence-number") or -1), n.arrived))

    def wait_after(self, t, timeout=5.0):
        """Wait until a notification arrived after t; return it or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            later = [g for g in self.got if g[1] > t]
            if later:
                return later[0]
            time.sleep(0.05)
        return None

    def largest_interval(self, t0, t1):
        """The largest interval between consecutive notifications that
        ends within [t0, t1] (seconds)."""
        got = list(self.got)
        gaps = [b[1] - a[1] for a, b in zip(got, got[1:]) if t0 <= b[1] <= t1]
        return max(gaps) if gaps else 0.0

    def seqs(self):
        return [g[0] for g in self.got]

    def finish(self):
        self.stop = True
        self.t.join(3)


def abuse_silent_tcp():
    """An unauthenticated TCP connection that never starts TLS."""
    sock = socket.create_connection((HOST, int(ENV["ATT_TLS_PORT"])), 5)
    time.sleep(SILENCE)
    sock.close()
    return "held %.1f s, closed" % SILENCE


def abuse_tls_no_hello():
    """TLS, then no <hello>."""
    s = connect(hello=False)
    time.sleep(SILENCE)
    s.close()
    return "held %.1f s, closed" % SILENCE


def answer(s, timeout):
    """What the server does next: 'closed', 'nothing' or the reply."""
    try:
        m = s.read_message(timeout)
    except Closed:
        return "closed"
    except Timeout:
        return "nothing"
    except NetconfError as e:
        return "unreadable answer: %s" % e
    return m


def abuse_malformed():
    """A malformed XML RPC: rpc-error or the session closed."""
    s = connect()
    s.send_message('<rpc message-id="1" xmlns="%s"><get></rpc>' % BASE_NS)
    a = answer(s, 5)
    s.close()
    if a == "closed":
        return "closed", True
    if isinstance(a, Reply):
        tags = [e["tag"] for e in a.errors]
        return "rpc-error %s" % tags, any(
            t in ("malformed-message", "operation-failed") for t in tags)
    return str(a), False


def abuse_huge_chunk():
    """A chunk header announcing ~4 GB, a little data, then close."""
    s = connect()
    data = b'<rpc message-id="2" xmlns="%s">' % BASE_NS.encode()
    s.send_raw(b"\n#4000000000\n" + data)
    time.sleep(0.2)
    s.close()
    return "closed after %d bytes of the chunk" % len(data)


def abuse_half_message():
    """Half a message, silence, close."""
    s = connect()
    s.send_raw(b'\n#400\n<rpc message-id="3" xmlns="%s"><get>' %
               BASE_NS.encode())
    time.sleep(SILENCE)
    s.close()
    return "held %.1f s, closed" % SILENCE


def abuse_big_rpc():
    """A 1+ MB RPC in 64 KiB chunks: an rpc-reply or the session closed."""
    s = connect()
    pad = "x" * (1 << 20)
    try:
        r = s.rpc('<get><filter type="subtree"><streams xmlns="%s"><stream>'
                  '<name>%s</name></stream></streams></filter></get>' %
                  (SN, pad), timeout=15, chunk=1 << 16)
        out = "rpc-reply: %s" % ("data" if r.data is not None else
                                 r.describe())
    except Closed:
        out = "closed"
    s.close()
    return out, True


def abuse_random_bytes():
    """4 KiB of (fixed) random bytes after the hello."""
    junk = random.Random(8071).randbytes(4096)
    s = connect()
    s.send_raw(junk)
    a = answer(s, SILENCE)
    s.close()
    desc = a if isinstance(a, str) else "rpc-error %s" % [
        e["tag"] for e in a.errors]
    return "%s within %.1f s (the bytes %s a chunk start \\n#)" % (
        desc, SILENCE, "contain" if b"\n#" in junk else "do not contain")


def abuse_unknown_element():
    """An RPC with an unknown element: rpc-error, the session goes on."""
    s = connect()
    r = s.rpc('<frobnicate xmlns="urn:example:unknown"><x/></frobnicate>',
              timeout=5)
    g = s.get(timeout=5)
    s.close_session()
    return ("rpc-error %s; then <get> %s" % (
        [e["tag"] for e in r.errors], "answers" if g.data is not None else
        g.describe()), bool(r.errors) and g.data is not None)


def scenario_hostile(pid, work, saved):
    w = Watcher()
    if w.wait_after(0, 5) is None:
        C.fail("3: the watched subscription sends notifications", "none")
    abuses = [
        ("silent TCP connection (no TLS)", abuse_silent_tcp),
        ("TLS without a hello", abuse_tls_no_hello),
        ("malformed XML RPC", abuse_malformed),
        ("chunk header of 4000000000 bytes", abuse_huge_chunk),
        ("half a message then silence", abuse_half_message),
        ("1 MB RPC", abuse_big_rpc),
        ("random bytes after hello", abuse_random_bytes),
        ("unknown element", abuse_unknown_element),
    ]
    t_first = time.monotonic()
    figures = []
    for name, f in abuses:
        t0 = time.monotonic()
        try:
            res = f()
        except (OSError, NetconfError) as e:
            res = ("%s: %s" % (type(e).__name__, e), False)
        t1 = time.monotonic()
        desc, good = res if isinstance(res, tuple) else (res, True)
        C.check(good, "3: %s: the attester answers sensibly" % name, desc)
        C.info("3: %s: %s" % (name, desc))
        C.check(alive(pid), "3: %s: riv-attester is alive" % name)
        later = w.wait_after(t1, 5)
        C.check(later is not None, "3: %s: the other session's subscription "
                "delivers after it" % name, "nothing within 5 s")
        iv = w.largest_interval(t0, (later[1] if later else t1) + 0.01)
        figures.append((iv, name))
        C.info("3: %s: largest interval between the other session's "
               "notifications: %.0f ms (period %d ms)" % (
                   name, iv * 1000, WATCH_PERIOD_CS * 10))
        try:
            s = connect(timeout=10)
            r = s.get(timeout=10)
            s.close_session(5)
            works = r.data is not None
        except (OSError, NetconfError) as e:
            works = False
            r = e
        C.check(works, "3: %s: a new session works afterwards" % name,
                r.describe() if isinstance(r, Reply) else r)
    seqs = w.seqs()
    C.check(w.error is None, "3: the watched session stayed up",
            w.error)
    C.check(seqs and seqs == list(range(seqs[0], seqs[0] + len(seqs))),
            "3: no gap in the watched subscription's sequence numbers "
            "(%d notifications)" % len(seqs), seqs)
    worst = max(figures) if figures else (0, "-")
    C.info("3: largest interval between notifications during the abuse: "
           "%.0f ms (%s); overall %.0f ms over %.1f s, period %d ms" % (
               worst[0] * 1000, worst[1],
               w.largest_interval(t_first, time.monotonic()) * 1000,
               time.monotonic() - t_first, WATCH_PERIOD_CS * 10))
    w.finish()
    # Check a sample of the quotes too (every quote costs a rivctl run).
    sample = w.notifs[:2] + w.notifs[-2:]
    bad = [verify_quote(n, w.seed, work) for n in sample]
    C.check(sample and not any(bad), "3: the watched subscription's quotes "
            "verify (first and last two)", [b for b in bad if b][:1])
    saved.add("hostile-input watcher", w.notifs)
    try:
        r = w.s.rpc('<delete-subscription xmlns="%s"><id>%s</id>'
                    '</delete-subscription>' % (SN, w.sid), timeout=5)
        C.check(r.ok, "3: delete-subscription of the watched subscription",
                r.describe())
    finally:
        w.s.close()


# -- 4 and 5. configured subscription and call home --------------------------

def ncclient_session():
    from ncclient import manager
    return manager.connect(
        host=HOST, port=int(ENV["ATT_SSH_PORT"]), username="rivd",
        key_filename=os.path.join(PKI, "client_ssh_key"),
        hostkey_verify=False, allow_agent=False, look_for_keys=False,
        timeout=10)


def drain(s, seconds):
    """Every notification s receives in the next seconds."""
    out = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        try:
            out.append(s.notification(left))
        except Timeout:
            return out


def check_started(n, what):
    C.check(n.name == "subscription-started" and n.ns == SN and
            n.get("id") == str(CONFIGURED_ID) and
            n.get("stream") == "pcr-trust-evidence" and
            (n.get("transport") or "").endswith(":netconf-call-home"),
            "%s: subscription-started (id %d, stream pcr-trust-evidence, "
            "transport ras:netconf-call-home) comes first" % (
                what, CONFIGURED_ID),
            n.raw[:300].decode(errors="replace"))


def scenario_callhome_first(work, saved, state):
    cert, key = pki("client")
    listener = CallHomeListener(CA, cert, key)
    seed = os.urandom(32)
    state.update(port=listener.port, seed=b64(seed), pairs=[])
    cfg = subscription_xml(seed=seed, port=listener.port)
    m = ncclient_session()
    try:
        t_edit = time.monotonic()
        r = m.edit_config(target="running", config='<config xmlns="%s">%s'
                          '</config>' % (BASE_NS, cfg))
        C.check(r.ok, "4: <edit-config> of configured subscription %d "
                "(call home to 127.0.0.1:%d) over SSH with ncclient" % (
                    CONFIGURED_ID, listener.port), r.xml[:300])
        data = m.get_config(source="running").data_xml
        C.check("<id>%d</id>" % CONFIGURED_ID in data and
                "<stream>pcr-trust-evidence</stream>" in data and
                "<port>%d</port>" % listener.port in data,
                "4: <get-config> shows it", data[:300])
    finally:
        m.close_session()
    s = listener.next_session(15)
    peer = dict(x[0] for x in s.sock.getpeercert()["subject"])
    C.check(peer.get("commonName") == "attester", "4: the attester calls "
            "home; as the TLS client we verify its certificate (CN "
            "attester) and exchange hellos", peer)
    C.info("4: call home %.2f s after the <edit-config> (attempts: %d)" % (
        s.accepted - t_edit, len(listener.attempts)))
    ns = read_notifications(s, 5, 10)
    saved.add("call home", ns)
    check_started(ns[0], "4")
    seqs = check_evidence(ns[1:], seed, CONFIGURED_ID, "4: call home", work,
                          first_seq=0, first_trigger="ras:subscription-start")
    state["pairs"] += [[seed_id(seed).hex(), q] for q in seqs]

    # 5: bad edits change nothing, not even the running subscription.
    c = connect()
    before = data_xml(c.get_config())
    bad_edits = [
        ("unknown stream", subscription_xml(8, stream="no-such-stream",
                                            port=listener.port), None),
        ("a seed of 8 bytes", subscription_xml(
            CONFIGURED_ID, seed=os.urandom(8), port=listener.port), None),
        ("a missing call-home address", subscription_xml(
            8, address=None, port=listener.port), None),
        ("subscription id 2147483648", subscription_xml(
            2147483648, port=listener.port), None),
        ("transport ncm:netconf-tls (not ras:netconf-call-home)",
         subscription_xml(8, transport="ncm:netconf-tls",
                          port=listener.port), None),
        ("delete of non-existing subscription 99", delete_xml(99),
         "data-missing"),
        ("create of existing subscription %d" % CONFIGURED_ID,
         subscription_xml(CONFIGURED_ID, port=listener.port, op="create"),
         "data-exists"),
    ]
    for what, edit, tag in bad_edits:
        r = c.edit_config(edit)
        C.check(r.errors and not r.ok, "5: <edit-config> with %s is an "
                "rpc-error" % what, r.describe())
        C.info("5: %s: %s" % (what, r.describe()))
        if tag is not None and r.errors:
            C.check(r.errors[0]["tag"] == tag, "5: %s: error-tag %s "
                    "(RFC 6241 7.2)" % (what, tag), r.errors[0]["tag"])
    after = data_xml(c.get_config())
    C.check(before == after and "<id>%d</id>" % CONFIGURED_ID in after,
            "5: <get-config> is unchanged after the bad edits",
            "before %s after %s" % (before[:200], after[:200]))
    ns = drain(s, 1.6)
    saved.add("call home", ns)
    others = [n.name for n in ns if n.name != "pcr-trust-evidence"]
    C.check(not others, "5: the receiver saw no state change during the "
            "bad edits", others)
    more = check_evidence([n for n in ns if n.name == "pcr-trust-evidence"],
                          seed, CONFIGURED_ID, "5: call home after the bad "
                          "edits", work, first_seq=seqs[-1] + 1 if seqs
                          else None)
    state["pairs"] += [[seed_id(seed).hex(), q] for q in more]
    last = state["last_seq"] = (more or seqs or [-1])[-1]

    # A second configured subscription to the same receiver starts on the
    # same session; subscription 7 goes on undisturbed.
    seed8 = os.urandom(32)
    r = c.edit_config(subscription_xml(8, seed=seed8, port=listener.port))
    C.check(r.ok, "4: <edit-config> adding configured subscription 8 to the "
            "same receiver", r.describe())
    ns = drain(s, 1.6)
    saved.add("call home", ns)
    started = [n.get("id") for n in ns if n.name == "subscription-started"]
    C.check(started == ["8"], "4: subscription-started for 8 only (7 runs "
            "already)", "subscription-started for %s" % started)
    e7 = [n for n in ns if n.name == "pcr-trust-evidence" and
          n.get("subscription-id") == str(CONFIGURED_ID)]
    e8 = [n for n in ns if n.name == "pcr-trust-evidence" and
          n.get("subscription-id") == "8"]
    more = check_evidence(e7, seed, CONFIGURED_ID, "4: subscription 7 "
                          "beside 8", work, first_seq=last + 1)
    restarted = [n.get("sequence-number") for n in e7 if n.get("trigger") ==
                 "ras:subscription-start"]
    C.check(not restarted, "4: adding 8 does not start 7 over (no trigger "
            "subscription-start on 7)", "subscription-start on 7 at n=%s" %
            restarted)
    state["pairs"] += [[seed_id(seed).hex(), q] for q in more]
    last = state["last_seq"] = (more or [last])[-1]
    check_evidence(e8, seed8, 8, "4: subscription 8 on the same session",
                   work, first_seq=0, first_trigger="ras:subscription-start")
    r = c.edit_config(delete_xml(8))
    C.check(r.ok, "4: <edit-config> deleting subscription 8", r.describe())
    term, before = wait_for(s, "subscription-terminated", 5)
    C.check(term.get("id") == "8", "4: subscription-terminated for 8",
            term.get("id"))
    ns = before + [term] + drain(s, 1.2)
    saved.add("call home", ns)
    e7 = [n for n in ns if n.name == "pcr-trust-evidence" and
          n.get("subscription-id") == str(CONFIGURED_ID)]
    C.check(e7 and int(e7[-1].get("sequence-number")) > last, "4: the "
            "session stays up for subscription 7 after 8 is deleted",
            [n.name for n in ns])
    more = [int(n.get("sequence-number")) for n in e7]
    state["pairs"] += [[seed_id(seed).hex(), q] for q in more]
    state["last_seq"] = (more or [last])[-1]

    # The seed is nacm:default-deny-all: not for other clients.
    i = connect("other")
    leaks = []
    for what, r in (("get-config", i.get_config()), ("get", i.get())):
        if b"nonce-seed" in r.raw or b64(seed).encode() in r.raw:
            leaks.append(what)
    C.check(not leaks, "4: another user (CN intruder) cannot read the "
            "configured subscription's nonce-seed (nacm:default-deny-all)",
            "user intruder reads it with %s" % " and ".join(leaks))
    # Not even through a filter that matches the seed (a guessing oracle).
    r = i.get('<subscriptions xmlns="%s"><subscription><nonce-seed '
              'xmlns="%s">%s</nonce-seed></subscription></subscriptions>' %
              (SN, RAS, b64(seed)))
    C.check(r.data is not None and len(r.data) == 0, "4: a subtree filter "
            "on the seed's value selects nothing for user intruder",
            r.raw[:300])
    # The user who wrote the seed (rivd: over SSH, now over TLS) reads it,
    # and so does the --admin-user (CN admin).
    a = connect("admin")
    for who, x in (("rivd", c), ("admin", a)):
        got = [w for w, r in (("get-config", x.get_config()),
                              ("get", x.get())) if b64(seed).encode() in r.raw]
        C.check(got == ["get-config", "get"], "4: user %s reads the seed "
                "of subscription %d with get-config and get" % (
                    who, CONFIGURED_ID), "only with %s" % got)
    # A seed another user writes is his: user intruder configures
    # subscription 9 (to a receiver that is not there) and reads its seed,
    # not 7's; user rivd does not read 9's; the admin reads both.
    seed9 = os.urandom(32)
    r = i.edit_config(subscription_xml(9, seed=seed9, port=1))
    C.check(r.ok, "4: user intruder configures subscription 9",
            r.describe())
    want = {"intruder": (i, [b64(seed9)]), "rivd": (c, [b64(seed)]),
            "admin": (a, [b64(seed), b64(seed9)])}
    for who, (x, seeds) in want.items():
        raw = x.get_config().raw
        got = [v for v in (b64(seed), b64(seed9)) if v.encode() in raw]
        C.check(got == seeds, "4: user %s reads the seeds of %s only" % (
            who, " and ".join("subscription %d" % (
                CONFIGURED_ID if v == b64(seed) else 9) for v in seeds)),
            "reads %d seed(s)" % len(got))
    r = i.edit_config(delete_xml(9))
    C.check(r.ok, "4: user intruder deletes subscription 9", r.describe())
    a.close_session()
    i.close_session()
    c.close_session()
    with open(os.path.join(ENV["ATT_STATE"], "rp0-ak.pub"), "rb") as f:
        state["ak"] = hashlib.sha256(f.read()).hexdigest()
    s.close()
    listener.close()


def scenario_callhome_restarted(work, saved, state):
    cert, key = pki("client")
    seed = base64.b64decode(state["seed"])
    sid8 = seed_id(seed).hex()
    seen = {(p[0], p[1]) for p in state["pairs"]}
    t0 = time.monotonic()
    listener = CallHomeListener(CA, cert, key, port=state["port"])
    s = listener.next_session(20)
    C.ok("4: after the restart the attester calls home by itself "
         "(the configuration survived in STATE-DIR/subscriptions.xml)")
    C.info("4: after the restart: call home %.2f s after the receiver "
           "listened (%d attempt(s) seen)" % (s.accepted - t0,
                                               len(listener.attempts)))
    with open(os.path.join(ENV["ATT_STATE"], "rp0-ak.pub"), "rb") as f:
        same_ak = hashlib.sha256(f.read()).hexdigest() == state.get("ak")
    C.info("4: the AK is %s across the restart" % (
        "the same" if same_ak else "a new one"))
    ns = read_notifications(s, 4, 10)
    saved.add("call home after restart", ns)
    check_started(ns[0], "4 (restart)")
    seqs = check_evidence(ns[1:], seed, CONFIGURED_ID, "4 (restart)", work,
                          first_trigger="ras:subscription-start")
    last = state["last_seq"]
    C.info("4: sequence numbers across the restart: last before %d, first "
           "after %s (%s)" % (last, seqs[0] if seqs else "-", (
               "continuing" if seqs and seqs[0] == last + 1 else
               "restarted at 0: nonces repeat with the same seed"
               if seqs and seqs[0] == 0 else "a gap of %d" % (
                   seqs[0] - last - 1) if seqs and seqs[0] > last else
               "going back")))
    dup = [q for q in seqs if (sid8, q) in seen]
    C.check(seqs and not dup, "4: no (seed-id, sequence-number) pair is "
            "delivered twice across the restart (no nonce is reused)",
            "repeated: %s" % dup[:10])
    C.check(seqs and seqs[0] > last, "4: sequence numbers do not restart "
            "after a reboot (they go on after %d)" % last, seqs[:3])
    seen |= {(sid8, q) for q in seqs}
    last = seqs[-1] if seqs else last

    # The receiver closes: the attester calls again, with backoff.  The
    # first two calls fail (TCP accepted, closed at once); the receiver
    # waits SILENCE seconds before the TLS handshake of the third, and
    # meanwhile a <get> on another session measures whether the attester
    # serves anything else.
    c = connect()
    listener.reject = 2
    listener.delay = SILENCE
    t_close = time.monotonic()
    s.close()
    if listener.holding.wait(20):
        t_get = time.monotonic()
        try:
            r = c.get(timeout=SILENCE + 15)
            C.info("4: while a call-home receiver waits %.1f s before its "
                   "TLS handshake, a <get> on another session takes %.0f "
                   "ms" % (SILENCE, (time.monotonic() - t_get) * 1000))
        except NetconfError as e:
            C.fail("4: a <get> while a call-home receiver is slow", e)
    s = listener.next_session(20)
    tries = [t - t_close for t in listener.attempts if t > t_close]
    gaps = [b - a for a, b in zip([0.0] + tries, tries)]
    C.info("4: reconnection after the receiver closed: attempts at %s s "
           "(waits %s s; the first two refused by the receiver)" % (
               ", ".join("%.2f" % t for t in tries),
               ", ".join("%.2f" % g for g in gaps)))
    C.check(len(gaps) >= 3 and gaps[0] >= 0.5, "4: the attester does not "
            "redial at once after the receiver closed (backoff)",
            "first attempt after %.2f s" % (gaps[0] if gaps else -1))
    C.check(len(gaps) >= 3 and gaps[0] < gaps[1] < gaps[2], "4: the waits "
            "between failed calls grow (exponential backoff)", gaps)
    ns = read_notifications(s, 3, 10)
    saved.add("call home after reconnect", ns)
    check_started(ns[0], "4 (reconnect)")
    more = check_evidence(ns[1:], seed, CONFIGURED_ID, "4 (reconnect)",
                          work, first_trigger="ras:subscription-start")
    C.check(more and more[0] > last and not [
        q for q in more if (sid8, q) in seen], "4: sequence numbers go on "
        "after the reconnection (after %d), none repeated" % last, more[:3])
    C.info("4: sequence numbers across the reconnection: last before %d, "
           "first after %s" % (last, more[0] if more else "-"))

    # The owners survive the restart (STATE-DIR/owners).
    i = connect("other")
    C.check(b64(seed).encode() in c.get_config().raw and
            b64(seed).encode() not in i.get_config().raw, "4: after the "
            "restart user rivd still reads the seed of subscription %d, "
            "user intruder still does not" % CONFIGURED_ID)
    i.close_session()

    # Deleting the subscription ends it on the receiver's session.
    r = c.edit_config(delete_xml(CONFIGURED_ID))
    C.check(r.ok, "4: <edit-config> deleting subscription %d (operation="
            "delete)" % CONFIGURED_ID, r.describe())
    t_del = time.monotonic()
    try:
        term, before = wait_for(s, "subscription-terminated", 5)
        saved.add("call home after reconnect", before + [term])
        C.check(term.ns == SN and term.get("id") == str(CONFIGURED_ID),
                "4: the receiver gets subscription-terminated (id %d)" %
                CONFIGURED_ID, term.raw[:300])
        C.info("4: subscription-terminated reason: %s" % term.get("reason"))
        late = [n for n in before if n.name == "pcr-trust-evidence" and
                n.arrived > t_del + 0.5]
        C.check(not late, "4: no evidence after the deletion was accepted",
                [n.get("sequence-number") for n in late])
    except NetconfError as e:
        C.fail("4: the receiver gets subscription-terminated (id %d)" %
               CONFIGURED_ID, e)
    try:
        extra = drain(s, 5)
        C.fail("4: the attester closes the call-home session",
               "still open after 5 s (%d more notifications)" % len(extra))
    except Closed:
        C.ok("4: the attester closes the call-home session")
    r = c.get_config()
    C.check(r.data is not None and str(CONFIGURED_ID) not in
            configured_ids(r), "4: <get-config> no longer shows "
            "subscription %d" % CONFIGURED_ID, data_xml(r))
    n_try = len(listener.attempts)
    time.sleep(2.5)
    C.check(len(listener.attempts) == n_try, "4: no call home after the "
            "deletion", "%d more" % (len(listener.attempts) - n_try))
    c.close_session()
    listener.close()


# -- main ------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("phase", choices=("main", "restarted"))
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    state_file = os.path.join(a.work, "state.json")
    saved = Saved(a.work)
    oper = os.path.join(a.work, "oper.xml")
    if a.phase == "main":
        state = {}
        oper = run_scenario("1: TLS", scenario_tls, a.work, saved) or oper
        run_scenario("2: TLS authentication", scenario_auth)
        run_scenario("3: hostile input", scenario_hostile, a.pid, a.work,
                     saved)
        run_scenario("4: call home", scenario_callhome_first, a.work, saved,
                     state)
        with open(state_file, "w") as f:
            json.dump(state, f)
    else:
        with open(state_file) as f:
            state = json.load(f)
        if "last_seq" not in state:
            C.fail("4: after the restart", "the first phase did not get "
                   "that far")
        else:
            run_scenario("4: call home after the restart",
                         scenario_callhome_restarted, a.work, saved, state)
    C.check(alive(a.pid), "riv-attester is alive at the end of phase %s" %
            a.phase)
    if os.path.exists(oper):
        run_scenario("6: yanglint", saved.validate, oper,
                     a.phase == "main")
    else:
        C.fail("6: yanglint", "no operational data from <get>")
    print("%d passed, %d failed" % (C.passed, C.failed))


if __name__ == "__main__":
    main()
