#!/usr/bin/python3
"""attester_ncclient.py — a NETCONF client (python3-ncclient over SSH) that
checks riv-attester against yang/riv-attestation-streams.

Run by tests/attester_ncclient.sh with a running attester whose TPMs are rp0
(active route processor), rp1 (standby) and lc0 (line card), all booted with
the boot log go-tpm-tools__ubuntu-2104-no-secure-boot.bin.  Environment (from
tests/attester_lib.sh): ATT_SSH_PORT, PKI, ATT_STATE, ATT_CTL, RIVCTL,
RIV_ATTESTER, RIV_SRCDIR, RIV_CORPUS.  Argument: a scratch directory.

Prints "ok: WHAT" or "FAIL: WHAT: DETAILS" per check and last
"N passed, M failed"; exits 0 unless the client itself breaks.

Scenarios, in the order they run (the device events come last because they
change the device for good):
  s1  pcr-trust-evidence: nonce chain and quotes (plus a SHA-384 chain,
      tpm-name, certificate-name)
  s2  bios-log: raw chunks and structured entries (replay-start-time
      ignored)
  s3  ima-log: backlog and a measured file, structured and raw; log-start
  s5  modify-subscription (seed, period, PCR selection, errors) and
      delete-subscription
  s6  several subscriptions on one session, heartbeat, anchor-time,
      stop-time, kill from another session, end of a session
  s7  errors of establish-subscription and malformed RPCs
  s4  device events: switchover, line cards, tamper, reboot, upgrade, with
      a bios-log subscription following them
  s9  RFC 8639 suspend/resume when a subscription's only TPM is removed;
      cert-change (a new AK); structured ima-log refused for an entry it
      cannot carry
  s8  yanglint on every notification and establish reply, and on the
      <get> data; global checks (every sequence, every quote)
"""

import base64
import collections
import hashlib
import hmac
import json
import os
import struct
import sys
import time

from lxml import etree
from ncclient.xml_ import to_ele

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nc_testlib import (BANK_OF_ALG, NC, NOTIF, SN, TAA, TPM,  # noqa: E402
                        YL_MODS, Quote, R, b64, check_sn_error, child,
                        collect, connect, ctl, err_summary, errors_of, extend,
                        ident, info, notif_job, q, reply_job, run,
                        run_scenario, text, wfile, workdir, yanglint,
                        yanglint_jobs)

RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"

HASH_OF_ALG = {"TPM_ALG_SHA1": hashlib.sha1,
               "TPM_ALG_SHA256": hashlib.sha256,
               "TPM_ALG_SHA384": hashlib.sha384,
               "TPM_ALG_SHA512": hashlib.sha512}
TPM_ALG_ID = {"sha1": 0x0004, "sha256": 0x000b, "sha384": 0x000c}

BOOT_LOG = "go-tpm-tools__ubuntu-2104-no-secure-boot.bin"
UPGRADE_LOG = "go-tpm-tools__arch-linux-workstation.bin"

ENV = os.environ
RIVCTL = ENV["RIVCTL"]
ATT_STATE = ENV["ATT_STATE"]
CORPUS = ENV.get("RIV_CORPUS", "../shared/corpus")
WORK = workdir("attester_ncclient.")


# ---------------------------------------------------------------- helpers

def nonce(seed, n, hname="TPM_ALG_SHA256"):
    """nonce_n of the chain: HMAC-H(seed, n as 8-byte big-endian)."""
    return hmac.new(seed, struct.pack(">Q", n), HASH_OF_ALG[hname]).digest()


def seed_id(seed, hname="TPM_ALG_SHA256"):
    return HASH_OF_ALG[hname](seed).digest()[:8]


def le32(v):
    return struct.pack("<I", v)


# ---------------------------------------------------------- notifications

class TpmPart:
    def __init__(self, el):
        self.el = el
        self.name = text(el, RAS, "name")
        qe = child(el, RAS, "quote")
        self.quote = Quote(qe, RAS) if qe is not None else None
        fe = text(el, RAS, "first-event-number")
        self.first = int(fe) if fe is not None else None
        self.more = child(el, RAS, "more-entries") is not None
        self.restarted = child(el, RAS, "log-restarted") is not None
        raw = text(el, RAS, "raw-entries")
        self.raw = base64.b64decode(raw) if raw is not None else None
        self.bios = el.findall(q(RAS, "bios-event-entry"))
        self.ima = el.findall(q(RAS, "ima-event-entry"))


class Notif:
    """One received <notification>."""

    def __init__(self, xml, index):
        self.xml = xml
        self.index = index
        self.received = time.monotonic()
        self.root = etree.fromstring(xml.encode())
        self.event_time = text(self.root, NOTIF, "eventTime")
        self.body = None
        for c in self.root:
            if c.tag != q(NOTIF, "eventTime"):
                self.body = c
                break
        tag = etree.QName(self.body)
        self.ns, self.name = tag.namespace, tag.localname
        self.evidence = self.ns == RAS
        self.sub = None
        self.seq = self.seed_id = self.trigger = self.detail = None
        self.tpms = collections.OrderedDict()
        if self.evidence:
            v = text(self.body, RAS, "subscription-id")
            self.sub = int(v) if v is not None else None
            v = text(self.body, RAS, "sequence-number")
            self.seq = int(v) if v is not None else None
            v = text(self.body, RAS, "seed-id")
            self.seed_id = base64.b64decode(v) if v is not None else None
            self.trigger = ident(child(self.body, RAS, "trigger"))
            self.detail = text(self.body, RAS, "trigger-detail")
            for t in self.body.findall(q(RAS, "tpm")):
                part = TpmPart(t)
                self.tpms[part.name] = part
        elif self.ns == SN:
            v = text(self.body, SN, "id")
            self.sub = int(v) if v is not None else None
            self.reason = ident(child(self.body, SN, "reason"))

    def trig(self):
        return self.trigger[1] if self.trigger and \
            self.trigger[0] == RAS else repr(self.trigger)

    def __repr__(self):
        if self.evidence:
            return "<%s sub %s n=%s %s %s>" % (self.name, self.sub, self.seq,
                                                self.trig(),
                                                list(self.tpms))
        return "<%s sub %s>" % (self.name, self.sub)


class Sub:
    """A subscription this client established."""

    def __init__(self, session, sid, stream, seed, hname):
        self.session = session
        self.id = sid
        self.stream = stream
        self.hname = hname
        self.seeds = {seed_id(seed, hname): seed}
        self.seed = seed
        self.notifs = []                # every notification, in order
        self.queue = collections.deque()
        self.ended = False

    def reseed(self, seed):
        self.seeds[seed_id(seed, self.hname)] = seed
        self.seed = seed

    def nonce(self, n_obj):
        """nonce_n of evidence notification n_obj, from its seed-id."""
        seed = self.seeds.get(n_obj.seed_id)
        return None if seed is None else nonce(seed, n_obj.seq, self.hname)


ALL_NOTIFS = []                 # (session label, Notif), arrival order
ALL_REPLIES = []                # (rpc xml, reply xml) of establish
STRAY = []                      # notifications of unknown subscriptions


class Session:
    """An ncclient session and the notifications it received."""

    def __init__(self, label):
        self.label = label
        self.m = connect()
        self.subs = {}
        self.arrivals = []

    def close(self):
        try:
            self.m.close_session()
        except Exception:           # noqa: BLE001 — best effort
            pass

    def rpc(self, xml):
        """Send one RPC (XML of the operation); return the reply root."""
        reply = self.m.dispatch(to_ele(xml))
        root = etree.fromstring(reply.xml.encode())
        return root

    def _route(self, raw):
        n = Notif(raw, len(ALL_NOTIFS))
        ALL_NOTIFS.append((self.label, n))
        self.arrivals.append(n)
        s = self.subs.get(n.sub)
        if s is None:
            STRAY.append((self.label, n))
            return
        s.notifs.append(n)
        s.queue.append(n)

    def pump(self, timeout):
        """Wait at most timeout s for one notification; route it."""
        nt = self.m.take_notification(block=timeout > 0,
                                      timeout=max(timeout, 0.001))
        if nt is None:
            return False
        self._route(nt.notification_xml)
        return True

    def drain(self):
        """Route every notification already received."""
        while True:
            nt = self.m.take_notification(block=False)
            if nt is None:
                return
            self._route(nt.notification_xml)

    def next(self, sub, timeout=8.0):
        """The next notification of sub, or None after timeout s."""
        deadline = time.monotonic() + timeout
        while not sub.queue:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.pump(min(left, 0.5))
        return sub.queue.popleft()

    def wait(self, sub, pred, timeout=8.0):
        """Skip sub's notifications until pred(n); (n or None, skipped)."""
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            n = self.next(sub, max(deadline - time.monotonic(), 0))
            if n is None or pred(n):
                return n, skipped
            skipped.append(n)

    def quiet(self, sub, seconds):
        """Notifications of sub arriving within seconds (wanted: none)."""
        return collect(self.pump, sub.queue, seconds)

    def establish(self, stream, seed=None, extra="", hname="TPM_ALG_SHA256",
                  what="establish"):
        """Establish a subscription; return (Sub or None, reply root)."""
        seed = os.urandom(32) if seed is None else seed
        body = ('<establish-subscription xmlns="%s">'
                '<stream>%s</stream>'
                '<nonce-seed xmlns="%s">%s</nonce-seed>%s'
                '</establish-subscription>' % (SN, stream, RAS, b64(seed),
                                               extra))
        root = self.rpc(body)
        sid = text(root, SN, "id")
        if sid is None:
            R.fail(what, "no subscription id: " + err_summary(root))
            return None, root
        ALL_REPLIES.append((body, etree.tostring(root).decode()))
        sub = Sub(self, int(sid), stream, seed, hname)
        self.subs[sub.id] = sub
        sid_el = text(root, RAS, "seed-id")
        got = base64.b64decode(sid_el) if sid_el else None
        R.equal(got and got.hex(), seed_id(seed, hname).hex(),
                what + ": reply seed-id = first 8 bytes of H(seed)")
        return sub, root

    def delete(self, sub, what="delete-subscription"):
        root = self.rpc('<delete-subscription xmlns="%s"><id>%d</id>'
                        '</delete-subscription>' % (SN, sub.id))
        ok = child(root, NC, "ok") is not None
        R.check(ok, what + ": ok", err_summary(root))
        if ok:
            sub.ended = True
        return ok


# ----------------------------------------------------------- quote checks

def pcr_json(pcrs, alter=None):
    """rivctl's PCR file for {bank: {index: bytes}}; alter = (bank, i)."""
    d = {}
    for bank, vals in pcrs.items():
        d[bank] = {}
        for i, v in vals.items():
            if alter == (bank, i):
                v = bytes([v[0] ^ 1]) + v[1:]
            d[bank][str(i)] = v.hex()
    return wfile("pcrs", json.dumps({"pcrs": d}))


_verify_cache = {}


def rivctl_quote(quote, nonce_bytes, pcrs=None, alter=None, ak=None):
    """Exit status of rivctl quote for this quote (and stderr)."""
    ak = ak or os.path.join(ATT_STATE, "%s.pub" % quote.cert)
    pcrs = quote.pcrs if pcrs is None else pcrs
    key = (quote.attest, quote.sig, ak, nonce_bytes,
           json.dumps({b: {i: v.hex() for i, v in p.items()}
                       for b, p in pcrs.items()}, sort_keys=True), alter)
    if key in _verify_cache:
        return _verify_cache[key]
    argv = [RIVCTL, "quote", "--attest", wfile("attest", quote.attest),
            "--sig", wfile("sig", quote.sig), "--ak", ak]
    if nonce_bytes is not None:
        argv += ["--nonce", nonce_bytes.hex()]
    if pcrs:
        argv += ["--pcrs", pcr_json(pcrs, alter)]
    rc, out, err = run(argv)
    _verify_cache[key] = (rc, err.strip()[:300])
    return _verify_cache[key]


def check_quote(sub, n, part, what, negative=True):
    """The quote of part verifies with nonce_n, and fails with
    nonce_{n+1} and with one PCR value altered."""
    qt = part.quote
    if not R.check(qt is not None, what + ": has a quote"):
        return False
    want = sub.nonce(n)
    R.equal(qt.a.get("magic"), 0xff544347, what + ": TPMS_ATTEST magic")
    R.equal(qt.a["extra"].hex(), want.hex() if want else None,
            what + ": extraData = nonce_n")
    rc, err = rivctl_quote(qt, want)
    good = R.check(rc == 0, what + ": rivctl quote passes with nonce_n "
                   "and the unsigned PCR values", "exit %d: %s" % (rc, err))
    if negative:
        seed = sub.seeds.get(n.seed_id)
        rc, err = rivctl_quote(qt, nonce(seed, n.seq + 1, sub.hname))
        R.equal(rc, 1, what + ": rivctl quote fails with nonce_{n+1}")
        bank = sorted(qt.pcrs)[0] if qt.pcrs else None
        if bank is not None:
            idx = sorted(qt.pcrs[bank])[0]
            rc, err = rivctl_quote(qt, want, alter=(bank, idx))
            R.equal(rc, 1, what + ": rivctl quote fails with %s PCR %d "
                    "altered" % (bank, idx))
    return good


def check_chain(sub, notifs, what):
    """Consecutive sequence numbers from sub's previous ones."""
    seqs = [n.seq for n in notifs]
    first = seqs[0] if seqs else 0
    R.equal(seqs, list(range(first, first + len(seqs))),
            what + ": consecutive sequence numbers")
    R.check(all(n.sub == sub.id for n in notifs),
            what + ": subscription-id of every notification",
            str([n.sub for n in notifs]))


# ------------------------------------------------------------ scenario 1

def selection_xml(sel):
    """tpm20-pcr-selection entries for {alg name: [pcrs]}."""
    out = ""
    for alg, pcrs in sel.items():
        out += ('<tpm20-pcr-selection xmlns="%s"><tpm20-hash-algo '
                'xmlns:taa="%s">taa:%s</tpm20-hash-algo>%s'
                '</tpm20-pcr-selection>' %
                (RAS, TAA, alg, "".join("<pcr-index>%d</pcr-index>" % p
                                         for p in pcrs)))
    return out


def trigger_xml(period=None, on_change=False, events=(), heartbeat=None,
                anchor=None):
    t = ""
    if period is not None:
        t += "<period>%d</period>" % period
    if anchor is not None:
        t += "<anchor-time>%s</anchor-time>" % anchor
    if on_change:
        t += "<on-change/>"
    for e in events:
        t += "<device-event>ras:%s</device-event>" % e
    out = '<trigger xmlns="%s" xmlns:ras="%s">%s</trigger>' % (RAS, RAS, t)
    if heartbeat is not None:
        out += '<heartbeat xmlns="%s">%d</heartbeat>' % (RAS, heartbeat)
    return out


S = {}          # values shared between scenarios


def scenario1(s1):
    w = "s1 pcr-trust-evidence"
    sel = {"TPM_ALG_SHA256": list(range(10)), "TPM_ALG_SHA1": list(range(8))}
    sub, root = s1.establish("pcr-trust-evidence",
                             extra=selection_xml(sel) + trigger_xml(50),
                             what=w + ": establish")
    if sub is None:
        return
    R.check(sub.id >= 0, w + ": reply has a subscription id")
    S["s1_sub"] = sub
    got = []
    for k in range(3):
        n = s1.next(sub, 5)
        if n is None:
            R.fail(w + ": notification %d" % k, "none within 5 s")
            return
        got.append(n)
    R.equal([n.name for n in got], ["pcr-trust-evidence"] * 3,
            w + ": notification names")
    R.equal([n.seq for n in got], [0, 1, 2], w + ": sequence numbers 0,1,2")
    R.equal([n.trig() for n in got],
            ["subscription-start", "periodic", "periodic"],
            w + ": triggers subscription-start, periodic, periodic")
    R.check(all(n.seed_id == seed_id(sub.seed) for n in got),
            w + ": seed-id in every notification")
    R.equal([sorted(n.tpms) for n in got], [["lc0", "rp0"]] * 3,
            w + ": TPMs rp0 and lc0 (active RP and line card, not the "
            "standby rp1)")
    want_sel = {TPM_ALG_ID["sha256"]: list(range(10)),
                TPM_ALG_ID["sha1"]: list(range(8))}
    want_pcrs = {"sha256": list(range(10)), "sha1": list(range(8))}
    for n in got:
        for name, part in n.tpms.items():
            what = "%s: n=%d %s" % (w, n.seq, name)
            if not check_quote(sub, n, part, what):
                continue
            qt = part.quote
            R.equal(qt.cert, name + "-ak", what + ": certificate-name")
            R.equal(qt.a["sel"], want_sel, what + ": the quote's PCR "
                    "selection is the subscribed one")
            R.equal({b: sorted(v) for b, v in qt.pcrs.items()}, want_pcrs,
                    what + ": unsigned-pcr-values cover the selection")
            R.check(qt.up_time is not None, what + ": up-time present")
            if n.seq == 0:
                R.equal(qt.changed, [], what + ": no pcr-index-changed in "
                        "the TPM's first quote on the subscription")
            else:
                R.equal(qt.changed, [], what + ": no pcr-index-changed "
                        "(nothing changed)")
    # The period: 50 cs between the periodic quotes, by the TPM's clock.
    c1 = got[1].tpms.get("rp0")
    c2 = got[2].tpms.get("rp0")
    if c1 and c2 and c1.quote and c2.quote:
        dt = c2.quote.a["clock"] - c1.quote.a["clock"]
        R.check(300 <= dt <= 1500, w + ": periodic notifications 50 cs "
                "apart (TPM clock)", "%d ms" % dt)
        R.check(c1.quote.a["reset"] == c2.quote.a["reset"] and
                c2.quote.a["clock"] > c1.quote.a["clock"],
                w + ": TPM clock moves forward, same resetCount")
    # The subscription stays for scenario 5 (modify).

    # A SHA-384 nonce chain, on rp0 only (tpm-name).
    w = "s1 nonce-hash-algo SHA-384"
    seed = os.urandom(48)
    extra = ('<nonce-hash-algo xmlns="%s" xmlns:taa="%s">taa:TPM_ALG_SHA384'
             '</nonce-hash-algo><tpm-name xmlns="%s">rp0</tpm-name>'
             % (RAS, TAA, RAS))
    sub, root = s1.establish("pcr-trust-evidence", seed=seed, extra=extra,
                             hname="TPM_ALG_SHA384", what=w + ": establish")
    if sub is None:
        return
    n = s1.next(sub, 5)
    if not R.check(n is not None, w + ": first notification"):
        return
    R.equal(n.seed_id.hex(), seed_id(seed, "TPM_ALG_SHA384").hex(),
            w + ": seed-id = SHA-384(seed)[0:8]")
    R.equal(list(n.tpms), ["rp0"], w + ": tpm-name rp0: only rp0")
    part = n.tpms.get("rp0")
    if part is not None and check_quote(sub, n, part, w + ": n=0 rp0"):
        R.equal(len(part.quote.a["extra"]), 48,
                w + ": the nonce is the full 48-byte HMAC-SHA-384")
        R.equal({b: sorted(v) for b, v in part.quote.pcrs.items()},
                {"sha256": list(range(10))},
                w + ": default selection sha256 PCRs 0-9")
    s1.delete(sub, w + ": delete-subscription")

    # certificate-name picks the key of a TPM, not the TPMs: without
    # tpm-name every operational TPM stays subscribed.
    w = "s1 certificate-name lc0-ak"
    sub, root = s1.establish(
        "pcr-trust-evidence", extra='<certificate-name xmlns="%s">lc0-ak'
        '</certificate-name>' % RAS, what=w + ": establish")
    if sub is None:
        return
    n = s1.next(sub, 5)
    if R.check(n is not None, w + ": first notification"):
        R.equal(sorted(n.tpms), ["lc0", "rp0"], w + ": the subscribed TPMs "
                "are still rp0 and lc0 (tpm-name is absent)")
        p = n.tpms.get("lc0")
        R.check(p is not None and p.quote is not None and
                p.quote.cert == "lc0-ak", w + ": lc0 quotes with lc0-ak")
    s1.delete(sub, w + ": delete-subscription")


# ------------------------------------------------------------ scenario 2

def bios_json(path):
    rc, out, err = run([RIVCTL, "bios-log", path, "--json"])
    if rc != 0:
        return rc, None
    return rc, json.loads(out)


def replayed_pcrs(d, bank, pcrs):
    """The replayed values of pcrs; a PCR the log never extends keeps its
    reset value, zeros (the PCRs here are below 16)."""
    vals = d["pcrs"].get(bank, {})
    size = {"sha1": 20, "sha256": 32, "sha384": 48}[bank]
    return {i: bytes.fromhex(vals[str(i)]) if str(i) in vals else
            b"\0" * size for i in pcrs}


def pcr_diff(got, want):
    """Which PCRs differ between two {index: bytes}."""
    got, want = got or {}, want or {}
    return "PCRs differing: %s" % sorted(
        i for i in set(got) | set(want) if got.get(i) != want.get(i))


def take_backlog(s, sub, what, nchunks_max=20):
    """The backlog notifications of a log subscription up to its
    replay-completed; (chunks, replay-completed notification)."""
    chunks = []
    while len(chunks) <= nchunks_max:
        n = s.next(sub, 8)
        if n is None:
            R.fail(what + ": backlog", "no notification within 8 s after "
                   "%d chunks" % len(chunks))
            return chunks, None
        if n.name == "replay-completed":
            return chunks, n
        chunks.append(n)
    R.fail(what + ": backlog", "no replay-completed after %d notifications"
           % len(chunks))
    return chunks, None


def scenario2(s1):
    w = "s2 bios-log raw"
    with open(os.path.join(CORPUS, "bios", BOOT_LOG), "rb") as f:
        log = f.read()
    rc, ref = bios_json(os.path.join(CORPUS, "bios", BOOT_LOG))
    if not R.check(rc == 0 and len(ref["events"]) == 106,
                   "s2 rivctl reads the corpus boot log (106 events)"):
        return
    extra = ('<log-entry-encoding xmlns="%s" xmlns:ras="%s">ras:raw'
             '</log-entry-encoding><max-entries xmlns="%s">40</max-entries>'
             % (RAS, RAS, RAS))
    sub, root = s1.establish("bios-log", extra=extra, what=w + ": establish")
    if sub is None:
        return
    chunks, done = take_backlog(s1, sub, w)
    R.equal([n.seq for n in chunks], [0, 1, 2],
            w + ": 106 events in chunks of 40: sequence numbers 0,1,2")
    R.check(done is not None and done.sub == sub.id, w + ": then "
            "replay-completed with the subscription id")
    R.check(all(n.trig() == "subscription-start" for n in chunks),
            w + ": every chunk has trigger subscription-start")
    R.check(all(sorted(n.tpms) == ["lc0", "rp0"] for n in chunks),
            w + ": every chunk carries rp0 and lc0")
    for name in ("rp0", "lc0"):
        parts = [n.tpms.get(name) for n in chunks]
        if None in parts or len(parts) != 3:
            R.fail(w + ": %s in every chunk" % name)
            continue
        R.equal([p.first for p in parts], [0, 40, 80],
                w + ": %s first-event-number 0,40,80" % name)
        R.equal([p.more for p in parts], [True, True, False],
                w + ": %s more-entries on the first two chunks" % name)
        R.equal([p.quote is not None for p in parts], [False, False, True],
                w + ": %s quote only with the last chunk" % name)
        R.check(all(p.raw is not None and not p.bios for p in parts),
                w + ": %s entries are raw-entries" % name)
        raw = b"".join(p.raw or b"" for p in parts)
        R.check(raw == log, w + ": %s raw entries concatenated are the "
                "boot log, byte for byte" % name,
                "%d bytes, log %d" % (len(raw), len(log)))
        path = wfile("bios-%s" % name, raw)
        rc, d = bios_json(path)
        if not R.equal(rc, 0, w + ": %s rivctl bios-log parses the "
                       "entries" % name):
            continue
        R.equal(len(d["events"]), 106, w + ": %s 106 events" % name)
        last = chunks[-1]
        qt = parts[2].quote
        if qt is None:
            continue
        rep = replayed_pcrs(d, "sha256", range(10))
        R.check(rep == qt.pcrs.get("sha256"),
                w + ": %s replayed sha256 PCRs 0-9 = the quote's unsigned "
                "values" % name, pcr_diff(qt.pcrs.get("sha256"), rep))
        if name == "rp0":
            S["pcr0_9"] = rep
        rc, err = rivctl_quote(qt, sub.nonce(last), pcrs={"sha256": rep})
        R.check(rc == 0, w + ": %s rivctl quote with the replayed PCRs and "
                "nonce_%d passes" % (name, last.seq), "exit %d: %s"
                % (rc, err))
        rc, err = rivctl_quote(qt, nonce(sub.seed, 1), pcrs={"sha256": rep})
        R.equal(rc, 1, w + ": %s the last chunk's quote fails with nonce_1"
                % name)
    s1.delete(sub, w + ": delete-subscription")

    w = "s2 bios-log structured"
    sub, root = s1.establish(
        "bios-log", extra="<replay-start-time>2020-01-01T00:00:00Z"
        "</replay-start-time>", what=w + ": establish (with a "
        "replay-start-time, which must be ignored)")
    if sub is None:
        return
    R.check(child(root, SN, "replay-start-time-revision") is None,
            w + ": no replay-start-time-revision in the reply")
    chunks, done = take_backlog(s1, sub, w)
    R.equal([n.seq for n in chunks], [0],
            w + ": default max-entries 1000: one notification")
    R.check(done is not None and done.sub == sub.id,
            w + ": then replay-completed")
    if not chunks:
        return
    n = chunks[0]
    part = n.tpms.get("rp0")
    if not R.check(part is not None, w + ": rp0 present"):
        return
    R.check(part.first == 0 and not part.more and part.raw is None,
            w + ": first-event-number 0, no more-entries, no raw-entries")
    nums = [int(text(e, RAS, "event-number")) for e in part.bios]
    R.equal(nums, list(range(106)), w + ": bios-event-entry event-number "
            "0..105")
    bad = []
    for e, ev in zip(part.bios, ref["events"]):
        num = int(text(e, RAS, "event-number"))
        etype = text(e, RAS, "event-type")
        pcr = text(e, RAS, "pcr-index")
        digests = {}
        for dl in e.findall(q(RAS, "digest-list")):
            alg = ident(child(dl, RAS, "hash-algo"))
            ds = [base64.b64decode(d.text).hex()
                  for d in dl.findall(q(RAS, "digest"))]
            digests[BANK_OF_ALG.get(alg[1] if alg else "", str(alg))] = \
                ds[0] if len(ds) == 1 else ds
        size = text(e, RAS, "event-size")
        data = e.findall(q(RAS, "event-data"))
        if (etype is None or int(etype) != ev["type_id"] or pcr is None or
                int(pcr) != ev["pcr"] or digests != ev["digests"] or
                size is None or int(size) != ev["data_size"] or
                len(data) != 1 or
                len(base64.b64decode(data[0].text or "")) != int(size)):
            bad.append(num)
    R.check(not bad and len(part.bios) == 106, w + ": every entry has the "
            "log's event-type, pcr-index, digest-list, event-size and "
            "event-data", "entries differing: %s" % bad[:10])
    check_quote(sub, n, part, w + ": n=0 rp0", negative=False)
    s1.delete(sub, w + ": delete-subscription")


# ------------------------------------------------------------ scenario 3

def ima_ng_data(algo, digest, path):
    """ima-ng template data rebuilt from the structured leaves."""
    d = algo.encode() + b":\0" + digest
    p = path.encode() + b"\0"
    return le32(len(d)) + d + le32(len(p)) + p


def parse_ima_raw(raw):
    """Kernel binary records (SHA-1 template digests): list of dicts."""
    out = []
    off = 0
    while off < len(raw):
        pcr, = struct.unpack_from("<I", raw, off)
        digest = raw[off + 4:off + 24]
        nlen, = struct.unpack_from("<I", raw, off + 24)
        name = raw[off + 28:off + 28 + nlen].decode()
        dlen, = struct.unpack_from("<I", raw, off + 28 + nlen)
        data = raw[off + 32 + nlen:off + 32 + nlen + dlen]
        rec = raw[off:off + 32 + nlen + dlen]
        out.append({"pcr": pcr, "digest": digest, "name": name,
                    "data": data, "record": rec})
        off += 32 + nlen + dlen
    return out


def check_ima_entry(e, num, path, algo, digest, what):
    """One structured ima-event-entry; return its template data."""
    got = (int(text(e, RAS, "event-number") or -1),
           text(e, RAS, "ima-template"), text(e, RAS, "filename-hint"),
           text(e, RAS, "filedata-hash-algorithm"),
           int(text(e, RAS, "pcr-index") or -1))
    R.equal(got, (num, "ima-ng", path, algo, 10), what + ": event-number, "
            "ima-template, filename-hint, filedata-hash-algorithm, "
            "pcr-index")
    fd = base64.b64decode(text(e, RAS, "filedata-hash") or "")
    if digest is not None:
        R.equal(fd.hex(), digest.hex(), what + ": filedata-hash")
    td = ima_ng_data(algo, fd, path)
    th = base64.b64decode(text(e, RAS, "template-hash") or "")
    R.check(th == hashlib.sha1(td).digest() and
            text(e, RAS, "template-hash-algorithm") == "sha1",
            what + ": template-hash = SHA-1 of the template data rebuilt "
            "from the leaves")
    return td


def scenario3(s1):
    w = "s3 ima-log structured"
    sub, root = s1.establish("ima-log", what=w + ": establish")
    if sub is None:
        return
    chunks, done = take_backlog(s1, sub, w)
    R.equal([(n.seq, n.trig()) for n in chunks], [(0, "subscription-start")],
            w + ": backlog is one notification")
    R.check(done is not None and done.sub == sub.id,
            w + ": then replay-completed")
    agg = None
    if "pcr0_9" in S:
        agg = hashlib.sha256(b"".join(S["pcr0_9"][i]
                                      for i in range(10))).digest()
    tds = {}
    for n in chunks:
        R.equal(sorted(n.tpms), ["lc0", "rp0"], w + ": rp0 and lc0")
        for name, part in n.tpms.items():
            what = "%s: %s" % (w, name)
            if not R.equal((part.first, len(part.ima), part.raw),
                           (0, 1, None), what + ": one structured entry "
                           "from 0"):
                continue
            tds[name] = [check_ima_entry(part.ima[0], 0, "boot_aggregate",
                                         "sha256", agg, what +
                                         " boot_aggregate")]
            check_quote(sub, n, part, what + " n=0", negative=False)
            qt = part.quote
            if qt:
                pcr = extend(b"\0" * 32, hashlib.sha256(tds[name][0])
                             .digest())
                R.equal({b: sorted(v) for b, v in qt.pcrs.items()},
                        {"sha256": [10]}, what + ": default selection "
                        "sha256 PCR 10")
                R.equal(qt.pcrs.get("sha256", {}).get(10, b"").hex(),
                        pcr.hex(), what + ": quoted PCR 10 = replay of "
                        "boot_aggregate")

    w2 = "s3 ima-log raw"
    extra = ('<log-entry-encoding xmlns="%s" xmlns:ras="%s">ras:raw'
             '</log-entry-encoding>' % (RAS, RAS))
    rsub, root = s1.establish("ima-log", extra=extra, what=w2 + ": establish")
    raw_parts = []
    if rsub is not None:
        rchunks, rdone = take_backlog(s1, rsub, w2)
        R.equal([n.seq for n in rchunks], [0], w2 + ": backlog is one "
                "notification")
        R.check(rdone is not None, w2 + ": then replay-completed")
        p = rchunks[0].tpms.get("rp0") if rchunks else None
        if R.check(p is not None and p.raw is not None and p.first == 0,
                   w2 + ": rp0 raw-entries from 0"):
            raw_parts.append(p.raw)
            recs = parse_ima_raw(p.raw)
            R.check(len(recs) == 1 and "rp0" in tds and
                    recs[0]["data"] == tds["rp0"][0] and
                    recs[0]["digest"] == hashlib.sha1(recs[0]["data"])
                    .digest() and recs[0]["name"] == "ima-ng",
                    w2 + ": the raw record is the structured entry's "
                    "(same template data and digest)")

    with open("/bin/true", "rb") as f:
        true_hash = hashlib.sha256(f.read()).digest()
    ok, out = ctl("measure", "/bin/true")
    R.check(ok, "s3 ctl measure /bin/true", out)

    n = s1.next(sub, 8)
    if R.check(n is not None, w + ": a notification after measure"):
        R.equal((n.seq, n.trig()), (1, "on-change"),
                w + ": sequence 1, trigger on-change")
        for name in ("rp0", "lc0"):
            part = n.tpms.get(name)
            what = "%s: measure %s" % (w, name)
            if not R.check(part is not None and len(part.ima) == 1 and
                           part.first == 1, what + ": one entry, "
                           "first-event-number 1"):
                continue
            td = check_ima_entry(part.ima[0], 1, "/bin/true", "sha256",
                                 true_hash, what)
            check_quote(sub, n, part, what, negative=(name == "rp0"))
            if part.quote and name in tds:
                pcr = b"\0" * 32
                for t in tds[name] + [td]:
                    pcr = extend(pcr, hashlib.sha256(t).digest())
                R.equal(part.quote.pcrs.get("sha256", {}).get(10, b"")
                        .hex(), pcr.hex(), what + ": quoted PCR 10 = "
                        "replay of entries 0 and 1")
                R.equal(part.quote.changed, [10],
                        what + ": pcr-index-changed 10")
    s1.delete(sub, w + ": delete-subscription")

    if rsub is None:
        return
    n = s1.next(rsub, 8)
    if not R.check(n is not None, w2 + ": a notification after measure"):
        return
    R.equal((n.seq, n.trig()), (1, "on-change"), w2 + ": sequence 1, "
            "on-change")
    part = n.tpms.get("rp0")
    if not R.check(part is not None and part.raw is not None and
                   part.first == 1 and part.quote is not None,
                   w2 + ": rp0 raw entry from 1 with a quote"):
        return
    check_quote(rsub, n, part, w2 + ": measure rp0", negative=False)
    full = wfile("ima", b"".join(raw_parts) + part.raw)
    pcrs = pcr_json({"sha256": part.quote.pcrs.get("sha256", {})})
    rc, out, err = run([RIVCTL, "ima-log", full, "--pcrs", pcrs])
    R.check(rc == 0, w2 + ": rivctl ima-log on backlog + new entry with "
            "the quoted PCR 10 passes", "exit %d: %s" % (rc,
                                                       err.strip()[:200]))
    if raw_parts:
        rc, out, err = run([RIVCTL, "ima-log", wfile("ima", raw_parts[0]),
                            "--pcrs", pcrs])
        R.equal(rc, 1, w2 + ": rivctl ima-log without the new entry does "
                "not cover the quote")
    s1.delete(rsub, w2 + ": delete-subscription")
    if not raw_parts:
        return

    # log-start: rp0 after its last entry (an empty backlog), lc0 after
    # entry 0; both named by number and by the raw record.
    w3 = "s3 ima-log log-start"
    extra = ('<log-entry-encoding xmlns="%s" xmlns:ras="%s">ras:raw'
             '</log-entry-encoding>' % (RAS, RAS))
    for name, last, rec in (("rp0", 1, part.raw), ("lc0", 0, raw_parts[0])):
        extra += ('<log-start xmlns="%s"><tpm-name>%s</tpm-name>'
                  '<last-index-number>%d</last-index-number>'
                  '<last-entry-value>%s</last-entry-value></log-start>'
                  % (RAS, name, last, b64(rec)))
    lsub, root = s1.establish("ima-log", extra=extra, what=w3 + ": establish")
    if lsub is None:
        return
    chunks, done = take_backlog(s1, lsub, w3)
    R.check(len(chunks) == 1 and done is not None, w3 + ": one backlog "
            "notification, then replay-completed", str(chunks))
    if chunks:
        n = chunks[0]
        p, l = n.tpms.get("rp0"), n.tpms.get("lc0")
        R.check(p is not None and p.quote is not None and p.first is None
                and p.raw is None, w3 + ": rp0 after its last entry: an "
                "empty backlog, with a quote")
        R.check(l is not None and l.first == 1 and l.raw == part.raw and
                l.quote is not None, w3 + ": lc0 after entry 0: entry 1 "
                "only, with a quote")
        for name, tp in n.tpms.items():
            check_quote(lsub, n, tp, w3 + ": " + name, negative=False)
    s1.delete(lsub, w3 + ": delete-subscription")


# ------------------------------------------------------------ scenario 5

def scenario5(s1):
    w = "s5 modify-subscription"
    sub = S.get("s1_sub")
    if sub is None:
        R.fail(w, "no subscription from scenario 1")
        return
    s1.drain()
    # Errors first: each leaves the subscription unchanged.
    root = s1.rpc('<modify-subscription xmlns="%s"><id>%d</id><nonce-seed '
                  'xmlns="%s">%s</nonce-seed></modify-subscription>'
                  % (SN, sub.id, RAS, b64(os.urandom(8))))
    check_sn_error(root, w + " with an 8-byte seed", "invalid-value",
                   "riv-attestation-streams:seed-invalid",
                   (RAS, "seed-invalid"),
                   "modify-subscription-stream-error-info")
    root = s1.rpc('<modify-subscription xmlns="%s"><id>%d</id><max-entries '
                  'xmlns="%s">5</max-entries></modify-subscription>'
                  % (SN, sub.id, RAS))
    errs = errors_of(root)
    R.check(len(errs) == 1 and errs[0]["tag"] == "unknown-element" and
            errs[0]["bad_element"] == "max-entries", w + " with max-entries "
            "on pcr-trust-evidence: unknown-element, bad-element "
            "max-entries", err_summary(root))
    root = s1.rpc('<modify-subscription xmlns="%s"><id>%d</id><nonce-seed '
                  'xmlns="%s">%s</nonce-seed></modify-subscription>'
                  % (SN, 0x7ffffff0, RAS, b64(os.urandom(32))))
    check_sn_error(root, w + " of an unknown id", "invalid-value",
                   "ietf-subscribed-notifications:no-such-subscription",
                   (SN, "no-such-subscription"),
                   "modify-subscription-stream-error-info")

    old_sid = seed_id(sub.seed)
    new = os.urandom(32)
    root = s1.rpc('<modify-subscription xmlns="%s"><id>%d</id><nonce-seed '
                  'xmlns="%s">%s</nonce-seed>%s</modify-subscription>'
                  % (SN, sub.id, RAS, b64(new), trigger_xml(120)))
    if not R.check(child(root, NC, "ok") is not None,
                   w + ": new seed and period 120 cs: ok",
                   err_summary(root)):
        return
    # Whatever arrived before the reply was generated before the modify.
    s1.drain()
    before = list(sub.queue)
    sub.queue.clear()
    R.check(all(n.seed_id == old_sid and n.trig() in ("periodic",)
                for n in before),
            w + ": notifications sent before the reply use the old seed",
            str(before))
    sub.reseed(new)
    mod = s1.next(sub, 5)
    if not R.check(mod is not None, w + ": a notification after the "
                   "modify"):
        return
    prev = sub.notifs[sub.notifs.index(mod) - 1]
    R.equal(mod.trig(), "modified", w + ": the next notification has "
            "trigger modified")
    R.equal(mod.seed_id.hex(), seed_id(new).hex(), w + ": its seed-id is "
            "the new seed's")
    R.equal(mod.seq, prev.seq + 1, w + ": the sequence number goes on "
            "(no restart)")
    for name, part in mod.tpms.items():
        what = "%s: n=%d %s" % (w, mod.seq, name)
        if check_quote(sub, mod, part, what, negative=False):
            rc, err = rivctl_quote(part.quote, nonce(sub.seeds[old_sid],
                                                     mod.seq))
            R.equal(rc, 1, what + ": fails with the old seed's nonce_n")
    nxt = s1.next(sub, 5)
    if R.check(nxt is not None, w + ": a periodic notification after the "
               "modified one"):
        R.equal((nxt.trig(), nxt.seq, nxt.seed_id.hex()),
                ("periodic", mod.seq + 1, seed_id(new).hex()),
                w + ": then periodic, next sequence number, new seed")
        a, b = mod.tpms.get("rp0"), nxt.tpms.get("rp0")
        if a and b and a.quote and b.quote:
            dt = b.quote.a["clock"] - a.quote.a["clock"]
            R.check(900 <= dt <= 2600, w + ": the new period (120 cs) "
                    "applies", "%d ms between modified and periodic" % dt)
    # A new PCR selection.
    s1.drain()
    root = s1.rpc('<modify-subscription xmlns="%s"><id>%d</id>%s'
                  '</modify-subscription>' % (
                      SN, sub.id, selection_xml({"TPM_ALG_SHA256": [0, 7]})))
    if R.check(child(root, NC, "ok") is not None, w + ": new PCR selection "
               "sha256 0 and 7: ok", err_summary(root)):
        s1.drain()
        sub.queue.clear()
        mod2 = s1.next(sub, 5)
        if R.check(mod2 is not None and mod2.trig() == "modified",
                   w + ": selection: the next notification has trigger "
                   "modified", repr(mod2)):
            for name, part in mod2.tpms.items():
                what = "%s: selection: %s" % (w, name)
                if check_quote(sub, mod2, part, what, negative=False):
                    R.equal(part.quote.a["sel"], {TPM_ALG_ID["sha256"]:
                                                  [0, 7]},
                            what + ": the quote covers sha256 PCRs 0 and 7")
                    R.equal({b: sorted(v) for b, v in
                             part.quote.pcrs.items()}, {"sha256": [0, 7]},
                            what + ": unsigned-pcr-values of PCRs 0 and 7")
    # An invalid modify leaves it unchanged.
    root = s1.rpc('<modify-subscription xmlns="%s"><id>%d</id><nonce-seed '
                  'xmlns="%s">%s</nonce-seed></modify-subscription>'
                  % (SN, sub.id, RAS, b64(os.urandom(70))))
    check_sn_error(root, w + " with a 70-byte seed", "invalid-value",
                   "riv-attestation-streams:seed-invalid",
                   (RAS, "seed-invalid"),
                   "modify-subscription-stream-error-info")
    # delete-subscription
    s1.drain()
    if not s1.delete(sub, "s5 delete-subscription"):
        return
    s1.drain()
    sub.queue.clear()
    late = s1.quiet(sub, 1.0)
    R.equal(late, [], "s5 delete-subscription: no notification of it "
            "within 1 s")
    root = s1.rpc('<delete-subscription xmlns="%s"><id>%d</id>'
                  '</delete-subscription>' % (SN, sub.id))
    check_sn_error(root, "s5 delete-subscription again", "invalid-value",
                   "ietf-subscribed-notifications:no-such-subscription",
                   (SN, "no-such-subscription"),
                   "delete-subscription-error-info")


# ------------------------------------------------------------ scenario 6

def event_epoch(event_time):
    """An eventTime (RFC 3339, any number of second digits) in seconds
    since the epoch."""
    import calendar
    date, clock = event_time.split("T", 1)
    zone = 0
    for sign in ("+", "-"):
        if sign in clock:
            clock, off = clock.split(sign, 1)
            zone = (int(off[:2]) * 3600 + int(off[3:5]) * 60) * \
                (1 if sign == "+" else -1)
    clock = clock.rstrip("Z")
    y, mo, d = (int(x) for x in date.split("-"))
    h, mi = int(clock[:2]), int(clock[3:5])
    sec = float(clock[6:])
    return calendar.timegm((y, mo, d, h, mi, 0, 0, 0, 0)) + sec - zone


def event_phase(event_time):
    """The fraction of a second of an eventTime (UTC offset ignored)."""
    sec = event_time.split("T", 1)[1][6:]
    frac = ""
    if sec[2:3] == ".":
        frac = sec[3:]
        for k, ch in enumerate(frac):
            if not ch.isdigit():
                frac = frac[:k]
                break
    return float("0." + frac) if frac else 0.0


def scenario6(s1):
    w = "s6 several subscriptions on one session"
    # E: periodic every 100 cs from an anchor at .5 s past a second,
    # established near a whole second so that ignoring the anchor shows.
    while time.time() % 1.0 > 0.1:
        time.sleep(0.02)
    anchor = time.strftime("%Y-%m-%dT%H:%M:%S.50Z",
                           time.gmtime(int(time.time()) - 100))
    e, _ = s1.establish("pcr-trust-evidence",
                        extra='<tpm-name xmlns="%s">rp0</tpm-name>' % RAS +
                        trigger_xml(100, anchor=anchor),
                        what="s6 anchor-time: establish E")
    # F: periodic, with a stop-time 2 s ahead.
    stop = int(time.time()) + 2
    f, _ = s1.establish("pcr-trust-evidence", extra=trigger_xml(30) +
                        "<stop-time>%s</stop-time>" % time.strftime(
                            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(stop)),
                        what="s6 stop-time: establish F")
    a, _ = s1.establish("pcr-trust-evidence", extra=trigger_xml(30),
                        what=w + ": establish A (period 30 cs)")
    b, _ = s1.establish("pcr-trust-evidence",
                        extra='<tpm-name xmlns="%s">lc0</tpm-name>' % RAS +
                        trigger_xml(40), what=w + ": establish B (lc0, "
                        "period 40 cs)")
    c, _ = s1.establish("pcr-trust-evidence",
                        extra=trigger_xml(on_change=True, heartbeat=1),
                        what=w + ": establish C (on-change, heartbeat 1 s)")
    subs = [x for x in (a, b, c, e) if x is not None]
    if len(subs) != 4:
        return
    R.check(len({x.id for x in subs}) == 4, w + ": distinct ids")
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and (
            len(a.notifs) < 5 or len(b.notifs) < 4 or len(c.notifs) < 3 or
            len(e.notifs) < 3):
        s1.pump(0.3)
    we = "s6 anchor-time"
    got = e.notifs[1:3]
    if R.check(len(got) == 2 and all(n.trig() == "periodic" for n in got),
               we + ": two periodic notifications", str(e.notifs)):
        phases = [event_phase(n.event_time) for n in got]
        R.check(all(0.45 <= ph <= 0.95 for ph in phases),
                we + ": periodic notifications at anchor-time + k * period "
                "(0.5 s past the second)", "eventTime %s" %
                [n.event_time for n in got])
    s1.delete(e, we + ": delete-subscription")
    for x, want, label in ((a, 5, "A"), (b, 4, "B"), (c, 3, "C")):
        got = x.notifs[:want]
        if not R.check(len(got) == want, w + ": %s: %d notifications"
                       % (label, want), "got %d" % len(x.notifs)):
            continue
        R.equal([n.seq for n in got], list(range(want)),
                w + ": %s: its own sequence numbers 0..%d"
                % (label, want - 1))
        R.check(all(n.sub == x.id and n.seed_id == seed_id(x.seed)
                    for n in got), w + ": %s: its own id and seed-id"
                % label)
        for n in got:
            for name, part in n.tpms.items():
                check_quote(x, n, part, "%s: %s n=%d %s" %
                            (w, label, n.seq, name), negative=False)
    R.check(all(list(n.tpms) == ["lc0"] for n in b.notifs),
            w + ": B quotes lc0 only")
    order = [n.sub for n in s1.arrivals if n.sub in (a.id, b.id, c.id)]
    switches = sum(1 for i in range(1, len(order)) if order[i] != order[i - 1])
    R.check(switches >= 4 and {a.id, b.id} <= set(order[:6]),
            w + ": notifications of the subscriptions interleave",
            "arrival order %s" % order)
    R.equal([n.trig() for n in c.notifs[:3]],
            ["subscription-start", "heartbeat", "heartbeat"],
            w + ": C: subscription-start, then heartbeats")
    if len(c.notifs) >= 3:
        c1, c2 = c.notifs[1].tpms.get("rp0"), c.notifs[2].tpms.get("rp0")
        if c1 and c2 and c1.quote and c2.quote:
            dt = c2.quote.a["clock"] - c1.quote.a["clock"]
            R.check(800 <= dt <= 2500, w + ": C: heartbeats 1 s apart",
                    "%d ms" % dt)

    w = "s6 kill-subscription"
    s2 = Session("s2")
    try:
        root = s2.rpc('<delete-subscription xmlns="%s"><id>%d</id>'
                      '</delete-subscription>' % (SN, a.id))
        check_sn_error(root, w + ": delete-subscription from another "
                       "session", "invalid-value",
                       "ietf-subscribed-notifications:no-such-subscription",
                       (SN, "no-such-subscription"),
                       "delete-subscription-error-info")
        root = s2.rpc('<kill-subscription xmlns="%s"><id>%d</id>'
                      '</kill-subscription>' % (SN, a.id))
        if R.check(child(root, NC, "ok") is not None,
                   w + ": kill-subscription of A from a second session: ok",
                   err_summary(root)):
            term, skipped = s1.wait(a, lambda n: not n.evidence, 5)
            if R.check(term is not None and
                       term.name == "subscription-terminated",
                       w + ": the first session receives "
                       "subscription-terminated", repr(term)):
                R.equal(term.sub, a.id, w + ": with A's id")
                R.check(term.reason is not None, w + ": with a reason",
                        repr(term.reason))
            late = s1.quiet(a, 0.8)
            R.equal(late, [], w + ": no notification of A after it")
            b.queue.clear()
            n = s1.next(b, 3)
            R.check(n is not None and n.seq == b.notifs[-2].seq + 1,
                    w + ": B goes on", repr(n))
        root = s2.rpc('<kill-subscription xmlns="%s"><id>%d</id>'
                      '</kill-subscription>' % (SN, a.id))
        check_sn_error(root, w + ": kill-subscription again",
                       "invalid-value",
                       "ietf-subscribed-notifications:no-such-subscription",
                       (SN, "no-such-subscription"),
                       "delete-subscription-error-info")
        R.equal(len(s2.arrivals), 0, w + ": the second session receives "
                "no notification")
        # A session that ends takes its subscriptions with it.
        x, _ = s2.establish("pcr-trust-evidence", extra=trigger_xml(50),
                            what="s6 session end: establish on session 2")
        if x is not None:
            R.check(s2.next(x, 5) is not None, "s6 session end: session 2 "
                    "receives its notification")
            s2.close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                ok, out = ctl("status")
                if "subscription %d " % x.id not in out:
                    break
                time.sleep(0.1)
            R.check("subscription %d " % x.id not in out, "s6 session end: "
                    "its subscription is gone (ctl status)", out)
            root = s1.rpc('<kill-subscription xmlns="%s"><id>%d</id>'
                          '</kill-subscription>' % (SN, x.id))
            check_sn_error(root, "s6 session end: kill-subscription of it",
                           "invalid-value", "ietf-subscribed-notifications:"
                           "no-such-subscription",
                           (SN, "no-such-subscription"),
                           "delete-subscription-error-info")
    finally:
        s2.close()
    s1.delete(b, "s6 delete-subscription B")
    if f is not None:
        wf = "s6 stop-time"
        s1.drain()
        while time.time() < stop + 1.5:
            s1.pump(0.2)
        ev = [n for n in f.notifs if n.evidence]
        late = [n.event_time for n in ev if event_epoch(n.event_time) >=
                stop]
        R.check(len(ev) >= 3 and not late, wf + ": notifications until "
                "stop-time, none after", "%d notifications, after "
                "stop-time: %s" % (len(ev), late))
        root = s1.rpc('<delete-subscription xmlns="%s"><id>%d</id>'
                      '</delete-subscription>' % (SN, f.id))
        check_sn_error(root, wf + ": the subscription is gone after it",
                       "invalid-value", "ietf-subscribed-notifications:"
                       "no-such-subscription", (SN, "no-such-subscription"),
                       "delete-subscription-error-info")
    s1.delete(c, "s6 delete-subscription C")


# ------------------------------------------------------------ scenario 7

def scenario7(s1):
    w = "s7 errors"

    def est(stream, seed, extra="", with_seed=True):
        body = '<establish-subscription xmlns="%s"><stream>%s</stream>' % (
            SN, stream)
        if with_seed:
            body += '<nonce-seed xmlns="%s">%s</nonce-seed>' % (RAS,
                                                                b64(seed))
        body += extra + '</establish-subscription>'
        root = s1.rpc(body)
        sid = text(root, SN, "id")
        if sid is not None:
            # It should have been refused; take it as a subscription of
            # this session all the same, and end it.
            s1.subs[int(sid)] = Sub(s1, int(sid), stream, seed,
                                    "TPM_ALG_SHA256")
            s1.rpc('<delete-subscription xmlns="%s"><id>%s</id>'
                   '</delete-subscription>' % (SN, sid))
            s1.subs[int(sid)].ended = True
        return root

    ES = "establish-subscription-stream-error-info"
    seed = os.urandom(32)
    cases = [
        ("seed of 8 bytes", "pcr-trust-evidence", os.urandom(8), "",
         "invalid-value", "seed-invalid", RAS),
        ("seed of 65 bytes", "pcr-trust-evidence", os.urandom(65), "",
         "invalid-value", "seed-invalid", RAS),
        ("PCR bank sha384 (not allocated)", "pcr-trust-evidence", seed,
         selection_xml({"TPM_ALG_SHA384": [0]}),
         "operation-not-supported", "hash-algo-unsupported", RAS),
        ("nonce-hash-algo SHA3-256", "pcr-trust-evidence", seed,
         '<nonce-hash-algo xmlns="%s" xmlns:taa="%s">taa:TPM_ALG_SHA3_256'
         '</nonce-hash-algo>' % (RAS, TAA),
         "operation-not-supported", "hash-algo-unsupported", RAS),
        ("unknown tpm-name", "pcr-trust-evidence", seed,
         '<tpm-name xmlns="%s">rp9</tpm-name>' % RAS,
         "invalid-value", "unknown-tpm", RAS),
        ("unknown certificate-name", "pcr-trust-evidence", seed,
         '<certificate-name xmlns="%s">rp9-ak</certificate-name>' % RAS,
         "invalid-value", "unknown-tpm", RAS),
        ("certificate-name of a TPM not subscribed", "pcr-trust-evidence",
         seed, '<tpm-name xmlns="%s">rp0</tpm-name><certificate-name '
         'xmlns="%s">lc0-ak</certificate-name>' % (RAS, RAS),
         "invalid-value", "unknown-tpm", RAS),
        ("PCR 24", "pcr-trust-evidence", seed,
         selection_xml({"TPM_ALG_SHA256": [0, 24]}),
         "invalid-value", "pcr-unsubscribable", RAS),
        ("PCR 31", "ima-log", seed, selection_xml({"TPM_ALG_SHA256": [31]}),
         "invalid-value", "pcr-unsubscribable", RAS),
        ("period 5 cs", "pcr-trust-evidence", seed, trigger_xml(5),
         "operation-not-supported", "trigger-unsupported", RAS),
        ("xpath filter", "pcr-trust-evidence", seed,
         "<stream-xpath-filter>/ras:pcr-trust-evidence"
         "</stream-xpath-filter>".replace(
             "<stream-xpath-filter>",
             '<stream-xpath-filter xmlns:ras="%s">' % RAS),
         "invalid-value", "filter-unsupported", SN),
        ("subtree filter", "bios-log", seed,
         '<stream-subtree-filter><bios-log xmlns="%s"/>'
         '</stream-subtree-filter>' % RAS,
         "invalid-value", "filter-unsupported", SN),
        ("encoding encode-json", "pcr-trust-evidence", seed,
         "<encoding>encode-json</encoding>",
         "invalid-value", "encoding-unsupported", SN),
        ("log-start beyond the log", "bios-log", seed,
         '<log-start xmlns="%s"><tpm-name>rp0</tpm-name>'
         '<last-index-number>106</last-index-number></log-start>' % RAS,
         "invalid-value", "log-position-unavailable", RAS),
        ("log-start with a last-entry-value that differs", "ima-log", seed,
         '<log-start xmlns="%s"><tpm-name>rp0</tpm-name>'
         '<last-index-number>0</last-index-number><last-entry-value>%s'
         '</last-entry-value></log-start>' % (RAS, b64(b"not an entry")),
         "invalid-value", "log-position-unavailable", RAS),
        ("log-start of an unknown TPM", "ima-log", seed,
         '<log-start xmlns="%s"><tpm-name>rp9</tpm-name></log-start>' % RAS,
         "invalid-value", "unknown-tpm", RAS),
    ]
    for label, stream, sd, extra, tag, reason, ns in cases:
        root = est(stream, sd, extra)
        mod = "riv-attestation-streams" if ns == RAS else \
            "ietf-subscribed-notifications"
        check_sn_error(root, "%s: %s" % (w, label), tag,
                       "%s:%s" % (mod, reason), (ns, reason), ES)
        m = errors_of(root)
        if m:
            R.check(m[0]["message"], "%s: %s: error-message says why"
                    % (w, label))

    root = est("no-such-stream", seed)
    errs = errors_of(root)

    R.check(len(errs) == 1 and errs[0]["tag"] == "invalid-value" and
            errs[0]["type"] == "application",
            w + ": unknown stream: invalid-value", err_summary(root))
    root = est("pcr-trust-evidence", seed, with_seed=False)
    errs = errors_of(root)
    R.check(len(errs) == 1 and errs[0]["tag"] == "missing-element" and
            errs[0]["bad_element"] == "nonce-seed",
            w + ": missing nonce-seed: missing-element, bad-element "
            "nonce-seed", err_summary(root))
    root = est("pcr-trust-evidence", seed,
               '<bogus xmlns="%s">1</bogus>' % SN)
    errs = errors_of(root)
    R.check(len(errs) == 1 and "bogus" in "%s %s" % (
        errs[0]["message"], errs[0]["bad_element"]),
        w + ": an unknown element in establish-subscription: an rpc-error "
        "naming it", err_summary(root))
    root = s1.rpc('<frobnicate xmlns="urn:example:no-such-module">'
                  '<x>1</x></frobnicate>')
    errs = errors_of(root)
    R.check(len(errs) == 1, w + ": an RPC of an unknown namespace: "
            "rpc-error", err_summary(root))

    # The session still works.
    sub, root = s1.establish("pcr-trust-evidence",
                             what=w + ": establish after the errors")
    if sub is not None:
        n = s1.next(sub, 5)
        R.check(n is not None and n.seq == 0, w + ": the session still "
                "works: first notification of a new subscription")
        s1.delete(sub, w + ": delete-subscription")
    R.check(not STRAY, w + ": no notification of an unknown subscription",
            str(STRAY[:3]))


# ------------------------------------------------------------ scenario 4

def scenario4(s1):
    w = "s4 device events"
    events = ("switchover", "software-upgrade", "line-card-insert",
              "line-card-remove", "startup-complete")
    d, _ = s1.establish("pcr-trust-evidence",
                        extra=trigger_xml(on_change=True, events=events),
                        what=w + ": establish")
    bl, _ = s1.establish("bios-log", what=w + ": establish bios-log")
    # Only line-card-insert, no on-change: the other events are not its.
    d2, _ = s1.establish("pcr-trust-evidence",
                         extra=trigger_xml(events=("line-card-insert",)),
                         what=w + ": establish (line-card-insert only)")
    if d is None or bl is None or d2 is None:
        return
    n0 = s1.next(d, 5)
    if not R.check(n0 is not None and n0.trig() == "subscription-start" and
                   sorted(n0.tpms) == ["lc0", "rp0"],
                   w + ": first notification: rp0 and lc0", repr(n0)):
        return
    take_backlog(s1, bl, w + " bios-log")
    hist = {}           # TPM name -> its quotes on d, in order
    wb = "s4 bios-log"

    def note(n):
        for name, part in n.tpms.items():
            if part.quote:
                hist.setdefault(name, []).append(part.quote)

    note(n0)

    def act(cmd, arg, trig, tpms, what):
        """Act out an event; the notification of d with trigger trig,
        and the next notification of the bios-log subscription."""
        ok, out = ctl(cmd, *([arg] if arg else []))
        if not R.check(ok, "%s: ctl %s %s" % (w, cmd, arg or ""), out):
            return None, None
        n, skipped = s1.wait(d, lambda x: x.trig() == trig, 8)
        if not R.check(n is not None, "%s: %s: a notification with "
                       "trigger %s" % (w, what, trig),
                       "got %s" % skipped):
            return None, None
        R.equal(skipped, [], "%s: %s: it is the next notification"
                % (w, what))
        R.equal(sorted(n.tpms), sorted(tpms), "%s: %s: TPMs" % (w, what))
        for name, part in n.tpms.items():
            check_quote(d, n, part, "%s: %s %s" % (w, what, name),
                        negative=False)
            if part.quote:
                R.equal(part.quote.cert, name + "-ak", "%s: %s %s: "
                        "certificate-name" % (w, what, name))
        note(n)
        b = s1.next(bl, 5)
        if R.check(b is not None, "%s: %s: a notification" % (wb, what)):
            R.equal((b.trig(), sorted(b.tpms)), ("on-change", sorted(tpms)),
                    "%s: %s: on-change with the TPMs" % (wb, what))
            for name, part in b.tpms.items():
                check_quote(bl, b, part, "%s: %s %s" % (wb, what, name),
                            negative=False)
        return n, b

    def entries(b, name):
        """(log-restarted, first-event-number, entries) of TPM name."""
        p = b.tpms.get(name) if b else None
        return (p.restarted, p.first, len(p.bios)) if p else None

    def prev_quote(name, k=-2):
        h = hist.get(name, [])
        return h[k] if len(h) >= -k else None

    n, b = act("switchover", None, "switchover", ["rp1", "lc0"],
               "switchover")
    if n:
        R.check(n.detail and "rp1" in n.detail, w + ": switchover: "
                "trigger-detail names rp1", repr(n.detail))
        p = n.tpms.get("rp1")
        if p and p.quote:
            rc, err = rivctl_quote(p.quote, d.nonce(n), ak=os.path.join(
                ATT_STATE, "rp0-ak.pub"))
            R.equal(rc, 1, w + ": switchover: rp1's quote does not verify "
                    "with rp0's AK")
    if b:
        R.equal((entries(b, "rp1"), entries(b, "lc0")),
                ((False, 0, 106), (False, None, 0)),
                wb + ": switchover: rp1 joins with its whole log, lc0 has "
                "nothing new")
    n, b = act("card-remove", "lc0", "line-card-remove", ["rp1"],
               "card-remove lc0")
    if n:
        R.equal(n.detail, "lc0", w + ": card-remove: trigger-detail lc0")
    before = hist.get("lc0", [None])[-1]
    n, b = act("card-insert", "lc0", "line-card-insert", ["rp1", "lc0"],
               "card-insert lc0")
    if n:
        R.equal(n.detail, "lc0", w + ": card-insert: trigger-detail lc0")
        p = n.tpms.get("lc0")
        if p and p.quote and before:
            R.check(p.quote.a["reset"] > before.a["reset"],
                    w + ": card-insert: lc0 was reset (resetCount up)",
                    "%d -> %d" % (before.a["reset"], p.quote.a["reset"]))
    if b:
        R.equal(entries(b, "lc0"), (True, 0, 106), wb + ": card-insert: "
                "lc0 log-restarted, its log again from 0")
    pcr9 = {name: hist[name][-1].pcrs["sha256"][9]
            for name in ("rp1", "lc0") if hist.get(name)}
    n, b = act("tamper", "9", "on-change", ["rp1", "lc0"], "tamper 9")
    if n:
        for name, part in n.tpms.items():
            if not part.quote:
                continue
            R.equal(part.quote.changed, [9], w + ": tamper 9: %s "
                    "pcr-index-changed 9" % name)
            R.check(part.quote.pcrs["sha256"][9] != pcr9.get(name),
                    w + ": tamper 9: %s PCR 9 changed (and the quote "
                    "verifies, above)" % name)
    if b:
        R.equal((entries(b, "rp1"), entries(b, "lc0")),
                ((False, None, 0), (False, None, 0)),
                wb + ": tamper 9: no entries (tampering logs nothing)")
    n, b = act("reboot", None, "startup-complete", ["rp1", "lc0"], "reboot")
    if n:
        for name, part in n.tpms.items():
            prev = prev_quote(name)
            if part.quote and prev:
                R.check(part.quote.a["reset"] > prev.a["reset"],
                        w + ": reboot: %s resetCount increased" % name,
                        "%d -> %d" % (prev.a["reset"],
                                      part.quote.a["reset"]))
                R.equal(part.quote.pcrs["sha256"][9].hex(),
                        pcr9.get(name, b"").hex(), w + ": reboot: %s PCR 9 "
                        "is the boot log's again" % name)
                if name == "rp1":       # booted with the attester
                    R.check(int(part.quote.up_time) <
                            int(prev.up_time or 0), w + ": reboot: rp1 "
                            "up-time starts again", "%s -> %s" %
                            (prev.up_time, part.quote.up_time))
    if b:
        R.equal((entries(b, "rp1"), entries(b, "lc0")),
                ((True, 0, 106), (True, 0, 106)), wb + ": reboot: "
                "log-restarted, the logs again from 0")
    upg = os.path.join(CORPUS, "bios", UPGRADE_LOG)
    rc, ref = bios_json(upg)
    if not R.check(rc == 0, "s4 rivctl reads %s" % UPGRADE_LOG):
        return
    rep = replayed_pcrs(ref, "sha256", range(10))
    n, b = act("upgrade", upg, "software-upgrade", ["rp1", "lc0"],
               "upgrade to %s" % UPGRADE_LOG)
    if n:
        R.check(n.detail and UPGRADE_LOG in n.detail,
                w + ": upgrade: trigger-detail names the new boot log",
                repr(n.detail))
        for name, part in n.tpms.items():
            if part.quote:
                R.check(part.quote.pcrs.get("sha256") == rep,
                        w + ": upgrade: %s PCRs 0-9 are the new boot "
                        "log's replay" % name,
                        pcr_diff(part.quote.pcrs.get("sha256"), rep))
    if b:
        nev = len(ref["events"])
        R.equal((entries(b, "rp1"), entries(b, "lc0")),
                ((True, 0, nev), (True, 0, nev)), wb + ": upgrade: "
                "log-restarted, first-event-number 0, the new log's %d "
                "events" % nev)
        p = b.tpms.get("rp1")
        if p and p.bios:
            dg = [base64.b64decode(x.text).hex() for x in
                  p.bios[-1].iter(q(RAS, "digest"))]
            R.check(set(dg) == set(ref["events"][-1]["digests"].values()),
                    wb + ": upgrade: the last entry is the new log's")
        if p and p.quote:
            R.check(p.quote.pcrs.get("sha256") == rep,
                    wb + ": upgrade: quoted PCRs = replay of the new log",
                    pcr_diff(p.quote.pcrs.get("sha256"), rep))
    check_chain(d, d.notifs, w)
    check_chain(bl, [x for x in bl.notifs if x.evidence], wb)
    s1.drain()
    R.equal([(x.seq, x.trig(), x.detail) for x in d2.notifs],
            [(0, "subscription-start", None),
             (1, "line-card-insert", "lc0")],
            w + ": a subscription to line-card-insert alone is notified "
            "of that event only")
    s1.delete(d2, w + ": delete-subscription (line-card-insert only)")
    s1.delete(d, w + ": delete-subscription")
    s1.delete(bl, wb + ": delete-subscription")


# ------------------------------------------------------------ scenario 9

AK_CHANGES = {}     # certificate name -> [(ALL_NOTIFS index, old AK file)]


def ak_file(cert, index):
    """The AK file that signed certificate cert's quotes in notification
    number index (ALL_NOTIFS order): the one before the first change
    after it, else the current one."""
    for at, old in AK_CHANGES.get(cert, []):
        if index < at:
            return old
    return os.path.join(ATT_STATE, "%s.pub" % cert)


def scenario9_suspend(s1):
    """A subscription whose only TPM (line card lc0) is removed is
    suspended (RFC 8639 subscription-suspended, sn:insufficient-resources)
    and resumed when the card comes back, then notified."""
    w = "s9 suspend"
    d, _ = s1.establish("pcr-trust-evidence", extra='<tpm-name xmlns="%s">'
                        'lc0</tpm-name>%s' % (RAS, trigger_xml(
                            events=("line-card-insert", "line-card-remove"))),
                        what=w + ": establish (tpm-name lc0)")
    other, _ = s1.establish("pcr-trust-evidence", extra=trigger_xml(
        events=("line-card-remove", "line-card-insert")),
        what=w + ": establish (the active TPMs)")
    if d is None or other is None:
        return
    n0 = s1.next(d, 5)
    R.check(n0 is not None and n0.trig() == "subscription-start" and
            list(n0.tpms) == ["lc0"], w + ": first notification quotes lc0",
            repr(n0))
    s1.next(other, 5)
    ok, out = ctl("card-remove", "lc0")
    R.check(ok, w + ": ctl card-remove lc0", out)
    n = s1.next(d, 5)
    R.check(n is not None and n.name == "subscription-suspended" and
            n.ns == SN and n.sub == d.id, w + ": card-remove of its only "
            "TPM: subscription-suspended", repr(n))
    if n is not None and n.name == "subscription-suspended":
        R.equal(n.reason, (SN, "insufficient-resources"),
                w + ": reason sn:insufficient-resources")
    o = s1.next(other, 5)
    R.check(o is not None and o.trig() == "line-card-remove" and
            list(o.tpms) == ["rp1"], w + ": a subscription to the active "
            "TPMs is notified of the removal, not suspended", repr(o))
    got = s1.quiet(d, 1.5)
    R.equal(got, [], w + ": nothing while suspended")
    ok, out = ctl("card-insert", "lc0")
    R.check(ok, w + ": ctl card-insert lc0", out)
    n = s1.next(d, 5)
    R.check(n is not None and n.name == "subscription-resumed" and
            n.sub == d.id, w + ": card-insert: subscription-resumed", repr(n))
    n = s1.next(d, 5)
    if R.check(n is not None and n.evidence and
               n.trig() == "line-card-insert" and list(n.tpms) == ["lc0"],
               w + ": then a line-card-insert notification quoting lc0",
               repr(n)):
        R.equal(n.seq, 1, w + ": its sequence number follows the last "
                "one sent before the suspension")
        check_quote(d, n, n.tpms["lc0"], w + ": lc0 after resume",
                    negative=False)
    s1.delete(d, w + ": delete-subscription")
    s1.delete(other, w + ": delete-subscription (active TPMs)")


def scenario9_cert(s1):
    """ctl cert-change replaces a TPM's AK: the certificate-change
    notification's quote verifies with the new AK file only."""
    w = "s9 cert-change"
    d, _ = s1.establish("pcr-trust-evidence", extra='<tpm-name xmlns="%s">'
                        'rp1</tpm-name>%s' % (RAS, trigger_xml(
                            events=("certificate-change",))),
                        what=w + ": establish (tpm-name rp1)")
    if d is None:
        return
    n0 = s1.next(d, 5)
    if not R.check(n0 is not None and "rp1" in n0.tpms,
                   w + ": first notification quotes rp1", repr(n0)):
        return
    s1.quiet(d, 0.3)
    s1.drain()
    cur = os.path.join(ATT_STATE, "rp1-ak.pub")
    with open(cur, "rb") as f:
        old_pub = f.read()
    old = wfile("rp1-ak-old.pub", old_pub)
    AK_CHANGES.setdefault("rp1-ak", []).append((len(ALL_NOTIFS), old))
    ok, out = ctl("cert-change", "rp1")
    if not R.check(ok, w + ": ctl cert-change rp1", out):
        return
    with open(cur, "rb") as f:
        new_pub = f.read()
    R.check(new_pub != old_pub, w + ": %s holds a new key" % cur)
    R.check(os.path.exists(os.path.join(ATT_STATE, "rp1-ak.pem")),
            w + ": rp1-ak.pem is there")
    n = s1.next(d, 5)
    if not R.check(n is not None and n.trig() == "certificate-change" and
                   list(n.tpms) == ["rp1"], w + ": a certificate-change "
                   "notification quoting rp1", repr(n)):
        return
    R.check(n.detail is not None and "rp1-ak" in n.detail,
            w + ": trigger-detail names the certificate", repr(n.detail))
    qt = n.tpms["rp1"].quote
    R.equal(qt.cert, "rp1-ak", w + ": certificate-name rp1-ak")
    check_quote(d, n, n.tpms["rp1"], w + ": quote with the new AK")
    rc, err = rivctl_quote(qt, d.nonce(n), ak=old)
    R.equal(rc, 1, w + ": the quote does not verify with the old AK")
    q0 = n0.tpms["rp1"].quote
    rc, err = rivctl_quote(q0, d.nonce(n0), ak=old)
    R.equal(rc, 0, w + ": the quote before the change verifies with the "
            "old AK")
    rc, err = rivctl_quote(q0, d.nonce(n0), ak=cur)
    R.equal(rc, 1, w + ": the quote before the change does not verify "
            "with the new AK")
    s1.delete(d, w + ": delete-subscription")


def scenario9_ima(s1):
    """Structured ima-log entries never fall back to raw: an IMA entry the
    structured form cannot carry makes structured subscriptions fail with
    ras:trigger-unsupported, raw ones carry it."""
    w = "s9 ima structured"
    path = os.path.join(WORK, "tab\there")
    with open(path, "wb") as f:
        f.write(b"a file whose name holds a tab\n")
    sel = '<tpm-name xmlns="%s">rp1</tpm-name>' % RAS
    raw = ('<log-entry-encoding xmlns="%s" xmlns:ras="%s">ras:raw'
           '</log-entry-encoding>' % (RAS, RAS))
    st, _ = s1.establish("ima-log", extra=sel, what=w + ": establish "
                         "structured")
    if st is None:
        return
    take_backlog(s1, st, w)
    ok, out = ctl("measure", path)
    R.check(not ok and "structured" in out, w + ": measure of a name with a "
            "tab is refused while a structured subscription exists", out)
    got = s1.quiet(st, 0.5)
    R.equal(got, [], w + ": and nothing was sent")
    s1.delete(st, w + ": delete-subscription")
    ok, out = ctl("measure", path)
    R.check(ok, w + ": measure of it without such a subscription", out)
    root = s1.rpc('<establish-subscription xmlns="%s"><stream>ima-log'
                  '</stream><nonce-seed xmlns="%s">%s</nonce-seed>%s'
                  '</establish-subscription>' % (SN, RAS,
                                                 b64(os.urandom(32)), sel))
    check_sn_error(root, w + ": establish structured after it",
                   "operation-not-supported",
                   "riv-attestation-streams:trigger-unsupported",
                   (RAS, "trigger-unsupported"),
                   "establish-subscription-stream-error-info")
    rs, _ = s1.establish("ima-log", extra=sel + raw,
                         what=w + ": establish raw")
    if rs is None:
        return
    chunks, done = take_backlog(s1, rs, w + " raw")
    data = b"".join(p.raw or b"" for c in chunks for p in c.tpms.values())
    recs = parse_ima_raw(data) if data else []
    R.check(recs and recs[-1]["name"] == "ima-ng" and
            path.encode() in recs[-1]["data"], w + ": raw backlog ends with "
            "the entry of the file with a tab", repr(recs[-1:])[:200])
    root = s1.rpc('<modify-subscription xmlns="%s"><id>%d</id>'
                  '<log-entry-encoding xmlns="%s" xmlns:ras="%s">'
                  'ras:structured</log-entry-encoding></modify-subscription>'
                  % (SN, rs.id, RAS, RAS))
    check_sn_error(root, w + ": modify to structured",
                   "operation-not-supported",
                   "riv-attestation-streams:trigger-unsupported",
                   (RAS, "trigger-unsupported"),
                   "modify-subscription-stream-error-info")
    s1.delete(rs, w + ": delete-subscription (raw)")


def scenario9(s1):
    scenario9_suspend(s1)
    scenario9_cert(s1)
    scenario9_ima(s1)


# ------------------------------------------------------ scenario 8, global

def fetch_oper(s1):
    """The attester's operational data (<get>) as a yanglint -O file."""
    root = s1.rpc('<get xmlns="%s"/>' % NC)
    data = child(root, NC, "data")
    if not R.check(data is not None and len(data) > 0,
                   "s8 <get> returns operational data", err_summary(root)):
        return None
    xml = "".join(etree.tostring(c).decode() for c in data)
    path = wfile("oper.xml", xml)
    names = [text(t, TPM, "name") for t in
             data.iter(q(TPM, "tpm"))]
    R.equal(sorted(names), ["lc0", "rp0", "rp1"], "s8 <get>: TPMs rp0, "
            "rp1, lc0")
    certs = sorted(text(c, TPM, "name") for c in
                   data.iter(q(TPM, "certificate")))
    R.equal(certs, ["lc0-ak", "rp0-ak", "rp1-ak"], "s8 <get>: AK "
            "certificates")
    streams = {text(st, SN, "name"): child(st, SN, "replay-support")
               is not None for st in data.iter(q(SN, "stream"))}
    R.equal(streams, {"pcr-trust-evidence": False, "bios-log": True,
                      "ima-log": True, "attestation": True},
            "s8 <get>: the three project streams and the draft's "
            "attestation; bios-log, ima-log and attestation with "
            "replay-support")
    rc, out = yanglint(["-t", "data"] + YL_MODS + [path])
    R.check(rc == 0, "s8 yanglint: the operational data is valid",
            out[:300])
    return path


def scenario8(oper):
    w = "s8 yanglint"
    if oper is None:
        return
    jobs = [notif_job(k, n, oper) for k, (_, n) in enumerate(ALL_NOTIFS)]
    for k, (rpc, reply) in enumerate(ALL_REPLIES):
        jobs.append(reply_job("establish reply %d" % k, rpc, reply, oper)[1])
    bad = yanglint_jobs(jobs)
    nn = len(ALL_NOTIFS)
    R.check(nn >= 50 and not [b for b in bad if b[0].startswith("notif")],
            "%s: all %d notifications validate" % (w, nn),
            "; ".join("%s: %s" % b for b in bad[:3]))
    R.check(ALL_REPLIES and not [b for b in bad if b[0].startswith("est")],
            "%s: all %d establish-subscription replies validate"
            % (w, len(ALL_REPLIES)),
            "; ".join("%s: %s" % b for b in bad[:3]))


def global_checks(sessions):
    w = "global"
    R.check(not STRAY, w + ": every notification belongs to a subscription "
            "of its session", str(STRAY[:3]))
    bad_seq, bad_q, nq = [], [], 0
    for s in sessions:
        for sub in s.subs.values():
            ev = [n for n in sub.notifs if n.evidence]
            if [n.seq for n in ev] != list(range(len(ev))):
                bad_seq.append((sub.id, [n.seq for n in ev]))
            for n in ev:
                for name, part in n.tpms.items():
                    if part.quote is None:
                        continue
                    nq += 1
                    want = sub.nonce(n)
                    rc, err = rivctl_quote(part.quote, want, ak=ak_file(
                        part.quote.cert, n.index))
                    if want is None or rc != 0:
                        bad_q.append((sub.id, n.seq, name, rc, err))
    R.check(not bad_seq, w + ": every subscription's sequence numbers run "
            "0, 1, 2, ... without gaps or repeats", str(bad_seq[:3]))
    R.check(nq > 0 and not bad_q, w + ": all %d quotes verify with their "
            "AK, nonce_n of their seed and the unsigned PCR values" % nq,
            str(bad_q[:3]))


# ------------------------------------------------------------------ main

def main():
    t0 = time.monotonic()
    s1 = Session("s1")
    R.check("urn:ietf:params:netconf:capability:interleave:1.0" in
            s1.m.server_capabilities, "the attester announces :interleave")
    oper = fetch_oper(s1)
    for f in (scenario1, scenario2, scenario3, scenario5, scenario6,
              scenario7, scenario4, scenario9):
        run_scenario(f.__name__, f, s1)
    ts = time.monotonic()
    global_checks([s1])
    scenario8(oper)
    info("global checks and yanglint took %.1f s" % (time.monotonic() - ts))
    s1.close()
    info("client ran %.1f s" % (time.monotonic() - t0))
    R.summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
