#!/usr/bin/python3
"""attester_ietf.py — a NETCONF client (python3-ncclient over SSH) that
checks riv-attester's stream `attestation` against
draft-ietf-rats-network-device-subscription-13 (module
ietf-tpm-remote-attestation-stream, patched copy in yang/) and RFC 9684.

Run by tests/attester_ietf.sh with a running attester whose TPMs are rp0 and
lc0 (both active), booted with go-tpm-tools__ubuntu-2104-no-secure-boot.bin,
started with --ietf-heartbeat 6.  Environment (tests/attester_lib.sh):
ATT_SSH_PORT, PKI, ATT_STATE, ATT_CTL, RIVCTL, RIV_ATTESTER, RIV_SRCDIR.
Argument: a scratch directory.

Prints "ok: WHAT" or "FAIL: WHAT: DETAILS" per check and last
"N passed, M failed".

Scenarios:
  a  <get>: /tpm:rats-support-structures with the draft's augments, the
     stream attestation; edit-config of marshalling-period and heartbeat
  b  errors: pcr-unsubscribable (PCR 24, a PCR not in the configured
     tpm20-pcr-index), filter-unsupported, encoding-unsupported, a missing
     nonce-value, delete of an unknown id
  c  a subscription: first quotes (nonce in extraData, every requested
     PCR, both TPMs), pcr-extend of three measured files batched in one
     notification within marshalling-period, the quote after it within
     10 s reproducing the extends, the heartbeat quote, delete
  d  replay since boot: replay-start-time-revision, pcr-extend of every
     extend, replay-completed, then the quotes; the replayed extends give
     the quoted PCRs (hashlib), event details match extended-with
  e  RFC 9684 tpm20-challenge-response-attestation and log-retrieval
  f  hostile modes (test only): wrong-nonce, wrong-extend,
     extend-after-quote, late-quote, no-heartbeat
  g  reboot: subscription-terminated; a new replay after the reboot
  h  yanglint on every notification and reply
"""

import base64
import calendar
import collections
import hashlib
import json
import os
import struct
import sys
import time

from lxml import etree
from ncclient.xml_ import to_ele

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nc_testlib import (NC, NOTIF, SN, TAA, TPM, YL_MODS,  # noqa: E402
                        Quote, R, b64, check_sn_error, child, collect,
                        connect, ctl, err_summary, errors_of, extend, ident,
                        info, notif_job, q, reply_job, run, run_scenario,
                        text, wfile, workdir, yanglint, yanglint_jobs)

TRAS = "urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation-stream"

ENV = os.environ
RIVCTL = ENV["RIVCTL"]
ATT_STATE = ENV["ATT_STATE"]
TPMS = ["lc0", "rp0"]
PCRS = [0, 1, 2, 3, 4, 5, 6, 7, 10]
HEARTBEAT = 6                   # --ietf-heartbeat of attester_ietf.sh
WORK = workdir("attester_ietf.")


class Notif:
    def __init__(self, xml, index):
        self.xml = xml
        self.index = index
        self.received = time.monotonic()
        self.root = etree.fromstring(xml.encode())
        self.body = [c for c in self.root
                     if c.tag != q(NOTIF, "eventTime")][0]
        tag = etree.QName(self.body)
        self.ns, self.name = tag.namespace, tag.localname
        self.quote = self.cert = None
        self.events = []
        self.changed = []
        self.sub = None
        if self.ns == TRAS and self.name == "tpm20-attestation":
            self.quote = Quote(self.body, TRAS)
            self.cert = self.quote.cert
        elif self.ns == TRAS and self.name == "pcr-extend":
            self.cert = text(self.body, TRAS, "certificate-name")
            self.changed = [int(c.text) for c in
                            self.body.findall(q(TRAS, "pcr-index-changed"))]
            for ae in self.body.findall(q(TRAS, "attested-event")):
                c = child(ae, TRAS, "attested-event")
                self.events.append(c)
        elif self.ns == SN:
            v = text(self.body, SN, "id")
            self.sub = int(v) if v is not None else None
            self.reason = ident(child(self.body, SN, "reason"))

    def tpm(self):
        return self.cert[:-3] if self.cert and self.cert.endswith("-ak") \
            else self.cert

    def __repr__(self):
        return "<%s %s>" % (self.name, self.cert or self.sub)


ALL_NOTIFS = []
ALL_REPLIES = []                # (rpc xml, reply xml)


class Session:
    def __init__(self):
        self.m = connect()
        self.queue = collections.deque()

    def close(self):
        try:
            self.m.close_session()
        except Exception:           # noqa: BLE001
            pass

    def rpc(self, xml, keep=True):
        reply = self.m.dispatch(to_ele(xml))
        if keep:
            ALL_REPLIES.append((xml, reply.xml))
        return etree.fromstring(reply.xml.encode())

    def pump(self, timeout):
        nt = self.m.take_notification(block=timeout > 0,
                                      timeout=max(timeout, 0.001))
        if nt is None:
            return False
        n = Notif(nt.notification_xml, len(ALL_NOTIFS))
        ALL_NOTIFS.append(n)
        self.queue.append(n)
        return True

    def next(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not self.queue:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.pump(min(left, 0.5))
        return self.queue.popleft()

    def collect(self, seconds):
        """Every notification arriving within seconds."""
        return collect(self.pump, self.queue, seconds)

    def until(self, pred, timeout=15.0):
        """Notifications up to and including the first with pred."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            n = self.next(max(deadline - time.monotonic(), 0))
            if n is None:
                return out, False
            out.append(n)
            if pred(n):
                return out, True

    def establish(self, nonce, pcrs, extra=""):
        body = ('<establish-subscription xmlns="%s"><stream>attestation'
                '</stream>%s<nonce-value xmlns="%s">%s</nonce-value>%s'
                '</establish-subscription>' %
                (SN, extra, TRAS, b64(nonce),
                 "".join('<pcr-index xmlns="%s">%d</pcr-index>' % (TRAS, p)
                         for p in pcrs)))
        root = self.rpc(body)
        sid = text(root, SN, "id")
        return (int(sid) if sid else None), root

    def delete(self, sid):
        root = self.rpc('<delete-subscription xmlns="%s"><id>%d</id>'
                        '</delete-subscription>' % (SN, sid))
        return child(root, NC, "ok") is not None


def pcr_json(pcrs):
    d = {b: {str(i): v.hex() for i, v in vals.items()}
         for b, vals in pcrs.items()}
    return wfile("pcrs.json", json.dumps({"pcrs": d}))


def rivctl_quote(qt, nonce, pcrs=None):
    """Exit status (and stderr) of rivctl quote for this quote."""
    ak = os.path.join(ATT_STATE, "%s.pub" % qt.cert)
    argv = [RIVCTL, "quote", "--attest", wfile("attest", qt.attest),
            "--sig", wfile("sig", qt.sig), "--ak", ak,
            "--nonce", nonce.hex(), "--pcrs",
            pcr_json(qt.pcrs if pcrs is None else pcrs)]
    rc, out, err = run(argv)
    return rc, err.strip()[:300]


def ima_sha256(ie, ns=TRAS):
    """The sha256-bank digest of an ima-event-entry (ima-ng): the template
    data rebuilt from the structured leaves, hashed with SHA-256 (a list
    logged in SHA-1 extends the SHA-256 bank with this)."""
    algo = text(ie, ns, "filedata-hash-algorithm")
    digest = base64.b64decode(text(ie, ns, "filedata-hash") or "")
    path = text(ie, ns, "filename-hint") or ""
    d = algo.encode() + b":\0" + digest
    p = path.encode() + b"\0"
    data = struct.pack("<I", len(d)) + d + struct.pack("<I", len(p)) + p
    return hashlib.sha256(data).digest()


def replay_extends(notifs):
    """{tpm: {pcr: [extended-with, ...]}} from pcr-extend notifications:
    each event's PCR from its details."""
    out = {}
    for n in notifs:
        if n.name != "pcr-extend":
            continue
        for ev in n.events:
            d = base64.b64decode(text(ev, TRAS, "extended-with") or "")
            be = child(ev, TRAS, "bios-event-entry")
            ie = child(ev, TRAS, "ima-event-entry")
            src = be if be is not None else ie
            pcr = int(text(src, TRAS, "pcr-index")) if src is not None \
                else -1
            out.setdefault(n.tpm(), {}).setdefault(pcr, []).append(d)
    return out


def replayed_value(digests, init=b"\0" * 32):
    v = init
    for d in digests:
        v = extend(v, d)
    return v


# ------------------------------------------------------------ scenario a

def get_oper(s):
    root = s.rpc('<get xmlns="%s"/>' % NC, keep=False)
    data = child(root, NC, "data")
    return data


def scenario_a(s):
    w = "a"
    data = get_oper(s)
    if not R.check(data is not None and len(data) > 0,
                   w + " <get> returns data"):
        return None
    xml = "".join(etree.tostring(c).decode() for c in data)
    oper = wfile("oper.xml", xml)
    rs = data.find(q(TPM, "rats-support-structures"))
    R.equal(text(rs, TRAS, "marshalling-period"), "5",
            w + " marshalling-period defaults to 5")
    R.equal(text(rs, TRAS, "tpm20-subscription-heartbeat"), str(HEARTBEAT),
            w + " tpm20-subscription-heartbeat from --ietf-heartbeat")
    tp = child(rs, TPM, "tpms")
    R.equal(sorted(int(p.text) for p in
                   tp.findall(q(TRAS, "tpm20-pcr-index"))),
            list(range(24)), w + " tpms/tpm20-pcr-index: 0 to 23")
    R.equal(ident(child(tp, TRAS, "tpm20-hash-algo")),
            (TAA, "TPM_ALG_SHA256"), w + " tpms/tpm20-hash-algo")
    R.check(text(tp, TRAS, "subscription-aik") in ("rp0-ak", "lc0-ak"),
            w + " tpms/subscription-aik names an AK certificate")
    R.equal(sorted(text(t, TPM, "name") for t in tp.findall(q(TPM, "tpm"))),
            TPMS, w + " tpms: lc0 and rp0")
    R.equal(sorted(text(c, TPM, "name") for c in
                   rs.iter(q(TPM, "certificate"))), ["lc0-ak", "rp0-ak"],
            w + " AK certificates")
    algos = child(rs, TPM, "attester-supported-algos")
    R.check(algos is not None and len(algos.findall(
        q(TPM, "tpm20-hash"))) >= 2 and child(
            algos, TPM, "tpm20-asymmetric-signing") is not None,
        w + " attester-supported-algos (hashes, signing)")
    R.check(text(rs, TRAS, "tpm20-subscribed-signature-scheme") is not None,
            w + " tpm20-subscribed-signature-scheme")
    st = [x for x in data.iter(q(SN, "stream"))
          if text(x, SN, "name") == "attestation"]
    R.check(len(st) == 1 and child(st[0], SN, "replay-support") is not None
            and text(st[0], SN, "replay-log-creation-time"),
            w + " /sn:streams has attestation with replay-support")
    rc, out = yanglint(["-t", "data"] + YL_MODS + [oper])
    R.check(rc == 0, w + " yanglint: the operational data is valid",
            out[:300])

    # edit-config of the draft's parameters.
    root = s.rpc('<edit-config xmlns="%s"><target><running/></target>'
                 '<config><rats-support-structures xmlns="%s">'
                 '<marshalling-period xmlns="%s">2</marshalling-period>'
                 '<tpm20-subscription-heartbeat xmlns="%s">5'
                 '</tpm20-subscription-heartbeat></rats-support-structures>'
                 '</config></edit-config>' % (NC, TPM, TRAS, TRAS))
    R.check(child(root, NC, "ok") is not None, w + " edit-config sets "
            "marshalling-period and tpm20-subscription-heartbeat",
            err_summary(root))
    rs = get_oper(s).find(q(TPM, "rats-support-structures"))
    R.equal((text(rs, TRAS, "marshalling-period"),
             text(rs, TRAS, "tpm20-subscription-heartbeat")), ("2", "5"),
            w + " <get> shows the new values")
    root = s.rpc('<get-config xmlns="%s"><source><running/></source>'
                 '</get-config>' % NC, keep=False)
    rs = child(child(root, NC, "data"), TPM, "rats-support-structures")
    R.equal((text(rs, TRAS, "marshalling-period"),
             text(rs, TRAS, "tpm20-subscription-heartbeat")), ("2", "5"),
            w + " <get-config> shows them")
    return oper


def set_heartbeat(s, hb):
    root = s.rpc('<edit-config xmlns="%s"><target><running/></target>'
                 '<config><rats-support-structures xmlns="%s">'
                 '<tpm20-subscription-heartbeat xmlns="%s">%d'
                 '</tpm20-subscription-heartbeat></rats-support-structures>'
                 '</config></edit-config>' % (NC, TPM, TRAS, hb))
    return child(root, NC, "ok") is not None


# ------------------------------------------------------------ scenario b

def scenario_b(s):
    w = "b"
    sid, root = s.establish(os.urandom(32), [10, 24])
    R.check(sid is None, w + " PCR 24 refused")
    check_sn_error(root, w + " PCR 24", "invalid-value", None,
                   (TRAS, "pcr-unsubscribable"),
                   "establish-subscription-stream-error-info", None)
    root = s.rpc('<edit-config xmlns="%s"><target><running/></target>'
                 '<config><rats-support-structures xmlns="%s"><tpms>%s'
                 '</tpms></rats-support-structures></config></edit-config>'
                 % (NC, TPM, "".join('<tpm20-pcr-index xmlns="%s">%d'
                                     '</tpm20-pcr-index>' % (TRAS, p)
                                     for p in range(11))))
    R.check(child(root, NC, "ok") is not None, w + " edit-config "
            "tpms/tpm20-pcr-index 0-10", err_summary(root))
    sid, root = s.establish(os.urandom(32), [10, 11])
    R.check(sid is None, w + " PCR 11 (not configured) refused")
    check_sn_error(root, w + " PCR 11", "invalid-value", None,
                   (TRAS, "pcr-unsubscribable"),
                   "establish-subscription-stream-error-info", None)
    data = get_oper(s)
    R.equal(sorted(int(p.text) for p in
                   data.iter(q(TRAS, "tpm20-pcr-index"))),
            list(range(11)), w + " <get>: tpm20-pcr-index 0-10")
    root = s.rpc('<edit-config xmlns="%s"><target><running/></target>'
                 '<config><rats-support-structures xmlns="%s"><tpms '
                 'xmlns:nc="%s" nc:operation="replace">%s</tpms>'
                 '</rats-support-structures></config></edit-config>'
                 % (NC, TPM, NC, "".join('<tpm20-pcr-index xmlns="%s">%d'
                                         '</tpm20-pcr-index>' % (TRAS, p)
                                         for p in range(24))))
    R.check(child(root, NC, "ok") is not None, w + " edit-config "
            "tpms/tpm20-pcr-index 0-23 (replace)", err_summary(root))
    sid, root = s.establish(os.urandom(32), [11])
    R.check(sid is not None, w + " PCR 11 accepted again", err_summary(root))
    if sid is not None:
        s.delete(sid)
        s.collect(1.0)
    sid, root = s.establish(os.urandom(32), [10], extra=(
        '<stream-xpath-filter>/pcr-extend</stream-xpath-filter>'))
    check_sn_error(root, w + " a filter", "invalid-value", None,
                   (SN, "filter-unsupported"),
                   "establish-subscription-stream-error-info", None)
    sid, root = s.establish(os.urandom(32), [10], extra=(
        '<encoding>encode-json</encoding>'))
    check_sn_error(root, w + " JSON encoding", "invalid-value", None,
                   (SN, "encoding-unsupported"),
                   "establish-subscription-stream-error-info", None)
    root = s.rpc('<establish-subscription xmlns="%s"><stream>attestation'
                 '</stream><pcr-index xmlns="%s">10</pcr-index>'
                 '</establish-subscription>' % (SN, TRAS), keep=False)
    errs = errors_of(root)
    R.check(text(root, SN, "id") is None and errs and
            errs[0]["tag"] in ("data-missing", "missing-element",
                               "invalid-value"),
            w + " no nonce-value: refused", err_summary(root))
    root = s.rpc('<delete-subscription xmlns="%s"><id>999</id>'
                 '</delete-subscription>' % SN, keep=False)
    check_sn_error(root, w + " delete of an unknown id", "invalid-value",
                   None, (SN, "no-such-subscription"),
                   "delete-subscription-error-info", None)


# ------------------------------------------------------------ scenario c

def quote_ok(qt, nonce, what, pcrs=PCRS):
    """The usual checks of one quote."""
    R.equal(qt.a.get("magic"), 0xff544347, what + ": TPMS_ATTEST magic")
    R.equal(qt.a["extra"].hex(), nonce.hex(),
            what + ": extraData = nonce-value")
    R.equal(qt.a["sel"], {0x000b: sorted(pcrs)},
            what + ": quoted selection = sha256 and every requested PCR")
    R.equal(sorted(qt.pcrs.get("sha256", {})), sorted(pcrs),
            what + ": unsigned-pcr-values of every requested PCR")
    rc, err = rivctl_quote(qt, nonce)
    R.check(rc == 0, what + ": rivctl quote passes with the nonce and the "
            "unsigned PCR values", "exit %d: %s" % (rc, err))
    return rc == 0


def measure_files(n, tag):
    paths = []
    for k in range(n):
        p = wfile("measured-%s.bin" % tag, os.urandom(64))
        ok, out = ctl("measure", p)
        if not ok:
            R.fail("measure %s" % p, out)
        paths.append(p)
    return paths


def scenario_c(s):
    w = "c"
    nonce = os.urandom(32)
    sid, root = s.establish(nonce, PCRS)
    if not R.check(sid is not None, w + " establish", err_summary(root)):
        return
    R.check(child(root, SN, "replay-start-time-revision") is None,
            w + " no replay-start-time-revision without replay")
    first = s.collect(3.0)
    quotes = [n for n in first if n.name == "tpm20-attestation"]
    R.equal(sorted(n.tpm() for n in quotes), TPMS,
            w + " first: one tpm20-attestation per TPM")
    R.check(all(n.name == "tpm20-attestation" for n in first),
            w + " nothing but quotes first", str(first))
    base = {}
    for n in quotes:
        quote_ok(n.quote, nonce, w + " first quote %s" % n.tpm())
        base[n.tpm()] = n.quote
    # Three files measured at once: one pcr-extend per TPM within the
    # marshalling period (2 s), then its quote within 10 s.
    t0 = time.monotonic()
    paths = measure_files(3, "c")
    got, ok = until_quotes(s, len(TPMS), 15)
    got += s.collect(1.5)
    ext = [n for n in got if n.name == "pcr-extend"]
    qs = [n for n in got if n.name == "tpm20-attestation"]
    R.equal(sorted(n.tpm() for n in ext), TPMS,
            w + " one pcr-extend per TPM for three extends (batched)")
    R.equal(sorted(n.tpm() for n in qs), TPMS,
            w + " then one tpm20-attestation per TPM")
    for n in ext:
        dt = n.received - t0
        R.check(1.0 <= dt <= 3.5, w + " pcr-extend %s %.1f s after the "
                "first extend (marshalling-period 2 s)" % (n.tpm(), dt))
        R.equal(n.changed, [10], w + " pcr-extend %s: pcr-index-changed"
                % n.tpm())
        hints = [text(child(e, TRAS, "ima-event-entry"), TRAS,
                      "filename-hint") for e in n.events]
        R.equal(hints, paths, w + " pcr-extend %s: the three IMA entries "
                "in order" % n.tpm())
        bad = [e for e in n.events if b64(ima_sha256(child(
            e, TRAS, "ima-event-entry"))) != text(e, TRAS, "extended-with")]
        R.check(n.events and not bad, w + " %s: extended-with = SHA-256 of "
                "each entry's ima-ng template data" % n.tpm())
    for n in qs:
        tp = n.tpm()
        ex = [m for m in ext if m.tpm() == tp]
        R.check(ex and ex[0].index < n.index, w + " %s: pcr-extend before "
                "the quote that includes it" % tp)
        R.check(n.received - t0 <= 10, w + " %s: quote %.1f s after the "
                "extends (<= 10 s)" % (tp, n.received - t0))
        quote_ok(n.quote, nonce, w + " quote after extends %s" % tp)
        if tp in base and ex:
            want = replayed_value(
                [base64.b64decode(text(e, TRAS, "extended-with"))
                 for e in ex[0].events], base[tp].pcrs["sha256"][10])
            R.equal(n.quote.pcrs["sha256"][10].hex(), want.hex(),
                    w + " %s: PCR 10 = previous quote's PCR 10 extended "
                    "with the reported extends" % tp)
            R.check(n.quote.a["clock"] > base[tp].a["clock"] and
                    n.quote.a["reset"] == base[tp].a["reset"] and
                    n.quote.a["restart"] == base[tp].a["restart"],
                    w + " %s: clock advanced, resetCount and "
                    "restartCount kept" % tp)
    # The heartbeat (5 s, set in scenario a): quotes without extends.
    t1 = time.monotonic()
    hb = s.collect(12.5)
    hq = [n for n in hb if n.name == "tpm20-attestation"]
    R.check(all(n.name == "tpm20-attestation" for n in hb) and
            len(hq) >= 2 * len(TPMS) - 0 and len(hq) <= 3 * len(TPMS),
            w + " heartbeat: %d quotes in 12.5 s with heartbeat 5 s" %
            len(hq), str(hb))
    if hq:
        R.check(hq[0].received - t1 <= 6.5, w + " heartbeat: the first "
                "%.1f s after the last quote" % (hq[0].received - t1))
        quote_ok(hq[0].quote, nonce, w + " heartbeat quote")
    R.check(s.delete(sid), w + " delete-subscription")
    left = s.collect(6.0)
    R.equal(left, [], w + " nothing after delete")


def until_quotes(s, k, timeout):
    """Notifications until the k-th tpm20-attestation; (list, reached)."""
    seen = [0]

    def pred(n):
        seen[0] += n.name == "tpm20-attestation"
        return seen[0] == k
    return s.until(pred, timeout)


# ------------------------------------------------------------ scenario d

def check_replay(got, nonce, what, init0=None):
    """Replay ordering, details and PCR reproduction of a replay
    subscription's first notifications."""
    names = [n.name for n in got]
    if "replay-completed" not in names:
        R.fail(what + ": replay-completed", str(got))
        return None
    rc_at = names.index("replay-completed")
    R.check(all(x == "pcr-extend" for x in names[:rc_at]) and rc_at > 0,
            what + ": only pcr-extend before replay-completed",
            str(got[:rc_at + 1]))
    after = got[rc_at + 1:]
    qs = [n for n in after if n.name == "tpm20-attestation"]
    R.equal(sorted(n.tpm() for n in qs), TPMS,
            what + ": then one tpm20-attestation per TPM")
    ext = replay_extends(got[:rc_at])
    nev = sum(len(n.events) for n in got[:rc_at])
    R.check(nev > 50, what + ": %d extends replayed" % nev)
    # Details: each bios-event-entry's sha256 digest = extended-with.
    bad = []
    for n in got[:rc_at]:
        for ev in n.events:
            d = text(ev, TRAS, "extended-with")
            be = child(ev, TRAS, "bios-event-entry")
            ie = child(ev, TRAS, "ima-event-entry")
            if be is not None:
                digs = {ident(child(dl, TRAS, "hash-algo"))[1]:
                        text(dl, TRAS, "digest")
                        for dl in be.findall(q(TRAS, "digest-list"))}
                if digs.get("TPM_ALG_SHA256") != d:
                    bad.append(("bios", text(be, TRAS, "event-number")))
            elif ie is not None:
                if b64(ima_sha256(ie)) != d:
                    bad.append(("ima", text(ie, TRAS, "event-number")))
            else:
                bad.append(("no details", d))
    R.check(not bad, what + ": every event's details match extended-with",
            str(bad[:3]))
    pcr_ok = True
    for n in qs:
        tp = n.tpm()
        vals = {}
        for p in PCRS:
            ds = ext.get(tp, {}).get(p, [])
            v = replayed_value(ds)
            if p == 0 and v != n.quote.pcrs["sha256"].get(0):
                v3 = replayed_value(ds, b"\0" * 31 + b"\3")
                if v3 == n.quote.pcrs["sha256"].get(0):
                    v = v3      # StartupLocality 3
            vals[p] = v
        diff = [p for p in PCRS if vals[p] != n.quote.pcrs["sha256"].get(p)]
        pcr_ok &= R.check(not diff, what + " %s: the replayed extends give "
                          "every quoted PCR (hashlib)" % tp,
                          "differ: %s" % diff)
        rc, err = rivctl_quote(n.quote, nonce, {"sha256": vals})
        R.check(rc == 0, what + " %s: rivctl quote passes with the "
                "replayed PCRs and the nonce" % tp, err)
        R.equal(n.quote.a["extra"].hex(), nonce.hex(),
                what + " %s: extraData = nonce-value" % tp)
    return qs


def rfc3339_epoch(v):
    v = v.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    main, _, tz = v.partition("+") if "+" in v[10:] else (v, "", "")
    main = main.split(".")[0]
    return calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))


def scenario_d(s):
    w = "d replay"
    nonce = os.urandom(20)
    sid, root = s.establish(nonce, PCRS, extra=(
        '<replay-start-time>1970-01-01T00:00:00Z</replay-start-time>'))
    if not R.check(sid is not None, w + ": establish", err_summary(root)):
        return None
    rev = text(root, SN, "replay-start-time-revision")
    try:
        t = rfc3339_epoch(rev)
        R.check(time.time() - 3600 < t <= time.time() + 1,
                w + ": replay-start-time-revision = boot time (%s)" % rev)
    except (ValueError, AttributeError):
        R.fail(w + ": replay-start-time-revision", repr(rev))
    got, ok = until_quotes(s, len(TPMS), 20)
    check_replay(got, nonce, w)
    R.check(s.delete(sid), w + ": delete-subscription")
    s.collect(1.0)
    return rev


# ------------------------------------------------------------ scenario e

def scenario_e(s):
    w = "e"
    nonce = os.urandom(32)
    body = ('<tpm20-challenge-response-attestation xmlns="%s">'
            '<tpm20-attestation-challenge><nonce-value>%s</nonce-value>'
            '<tpm20-pcr-selection><tpm20-hash-algo xmlns:taa="%s">'
            'taa:TPM_ALG_SHA256</tpm20-hash-algo><pcr-index>0</pcr-index>'
            '<pcr-index>10</pcr-index></tpm20-pcr-selection>'
            '<tpm20-pcr-selection><tpm20-hash-algo xmlns:taa="%s">'
            'taa:TPM_ALG_SHA1</tpm20-hash-algo><pcr-index>7</pcr-index>'
            '</tpm20-pcr-selection></tpm20-attestation-challenge>'
            '</tpm20-challenge-response-attestation>' %
            (TPM, b64(nonce), TAA, TAA))
    root = s.rpc(body)
    resp = root.findall(q(TPM, "tpm20-attestation-response"))
    R.equal(sorted((text(r, TPM, "certificate-name") or "")[:-3]
                   for r in resp), TPMS,
            w + " challenge-response: one response per TPM")
    for r in resp:
        qt = Quote(r, TPM)
        what = w + " challenge-response %s" % qt.cert
        R.equal(qt.a["extra"].hex(), nonce.hex(), what + ": extraData")
        R.equal(qt.a["sel"], {0x0004: [7], 0x000b: [0, 10]},
                what + ": selection sha1 [7], sha256 [0, 10]")
        rc, err = rivctl_quote(qt, nonce)
        R.check(rc == 0, what + ": rivctl quote passes", err)
        rc, err = rivctl_quote(qt, os.urandom(32))
        R.equal(rc, 1, what + ": rivctl quote fails with another nonce")
    # log-retrieval
    for typ, minimum in (("ima", 4), ("bios", 50)):
        root = s.rpc('<log-retrieval xmlns="%s"><log-type>%s</log-type>'
                     '</log-retrieval>' % (TPM, typ))
        nds = root.findall(".//" + q(TPM, "node-data"))
        R.equal(sorted(text(n, TPM, "name") for n in nds), TPMS,
                w + " log-retrieval %s: node-data of every TPM" % typ)
        ent = "ima-event-entry" if typ == "ima" else "bios-event-entry"
        counts = [len(n.findall(".//" + q(TPM, ent))) for n in nds]
        R.check(counts and min(counts) >= minimum, w + " log-retrieval "
                "%s: %s entries" % (typ, counts))
    root = s.rpc('<log-retrieval xmlns="%s"><log-type>ima</log-type>'
                 '<log-selector><name>rp0</name><last-index-number>1'
                 '</last-index-number><log-entry-quantity>2'
                 '</log-entry-quantity></log-selector></log-retrieval>'
                 % TPM)
    nds = root.findall(".//" + q(TPM, "node-data"))
    nums = [int(text(e, TPM, "event-number")) for n in nds
            for e in n.findall(".//" + q(TPM, "ima-event-entry"))]
    R.equal(([text(n, TPM, "name") for n in nds], nums), (["rp0"], [2, 3]),
            w + " log-retrieval: name rp0, after index 1, 2 entries")
    # The full IMA list reproduces PCR 10 of the challenge's quote.
    root = s.rpc('<log-retrieval xmlns="%s"><log-type>ima</log-type>'
                 '<log-selector><name>rp0</name></log-selector>'
                 '</log-retrieval>' % TPM)
    hashes = [ima_sha256(e, TPM)
              for e in root.iter(q(TPM, "ima-event-entry"))]
    rp0 = [r for r in resp if text(r, TPM, "certificate-name") == "rp0-ak"]
    if rp0:
        qt = Quote(rp0[0], TPM)
        R.equal(replayed_value(hashes).hex(),
                qt.pcrs.get("sha256", {}).get(10, b"").hex(),
                w + " log-retrieval: the IMA list replays to the quoted "
                "PCR 10")


# ------------------------------------------------------------ scenario f

def hostile(modes):
    ok, out = ctl("ietf-hostile", modes)
    R.check(ok, "f ctl ietf-hostile %s" % modes, out)


def scenario_f(s):
    w = "f hostile"
    # wrong-nonce: the first quotes carry another nonce.
    hostile("wrong-nonce")
    nonce = os.urandom(32)
    sid, root = s.establish(nonce, [10])
    got = s.collect(2.5)
    qs = [n for n in got if n.name == "tpm20-attestation"]
    R.check(qs and all(n.quote.a["extra"] != nonce for n in qs),
            w + " wrong-nonce: extraData is not the nonce-value")
    if qs:
        rc, err = rivctl_quote(qs[0].quote, nonce)
        R.equal(rc, 1, w + " wrong-nonce: rivctl quote fails with the "
                "nonce-value")
    s.delete(sid)
    s.collect(0.5)

    # wrong-extend: the reported extends do not replay to the quote.
    hostile("wrong-extend")
    nonce = os.urandom(32)
    sid, root = s.establish(nonce, [10])
    got = s.collect(2.0)
    base = {n.tpm(): n.quote for n in got if n.name == "tpm20-attestation"}
    measure_files(1, "f")
    got = s.collect(5.0)
    ext = [n for n in got if n.name == "pcr-extend"]
    qs = [n for n in got if n.name == "tpm20-attestation"]
    bad = 0
    for n in qs:
        ex = [m for m in ext if m.tpm() == n.tpm()]
        if ex and n.tpm() in base:
            want = replayed_value(
                [base64.b64decode(text(e, TRAS, "extended-with"))
                 for e in ex[0].events], base[n.tpm()].pcrs["sha256"][10])
            bad += want != n.quote.pcrs["sha256"][10]
    R.check(qs and bad == len(qs), w + " wrong-extend: the extends do not "
            "replay to the quoted PCR 10", str(got))
    s.delete(sid)
    s.collect(0.5)

    # extend-after-quote: the quote comes before its pcr-extend.
    hostile("extend-after-quote")
    sid, root = s.establish(os.urandom(32), [10])
    s.collect(2.0)
    measure_files(1, "f")
    got = s.collect(5.0)
    names = [(n.name, n.tpm()) for n in got]
    order = [n.name for n in got if n.tpm() == "rp0"]
    R.check(order[:2] == ["tpm20-attestation", "pcr-extend"],
            w + " extend-after-quote: the pcr-extend follows its quote",
            str(names))
    s.delete(sid)
    s.collect(0.5)

    # late-quote: the quote comes more than 10 s after the extends.
    hostile("late-quote")
    sid, root = s.establish(os.urandom(32), [10])
    s.collect(2.0)
    t0 = time.monotonic()
    measure_files(1, "f")
    got, ok = s.until(lambda n: n.name == "tpm20-attestation", 20)
    ext = [n for n in got if n.name == "pcr-extend"]
    R.check(ext and ok and got[-1].received - t0 > 10,
            w + " late-quote: pcr-extend, then the quote %.1f s after the "
            "extend" % ((got[-1].received - t0) if got else -1), str(got))
    s.delete(sid)
    s.collect(0.5)

    # no-heartbeat: no quote after the first ones (heartbeat 3 s).
    hostile("no-heartbeat")
    set_heartbeat(s, 3)
    sid, root = s.establish(os.urandom(32), [10])
    first = s.collect(1.5)
    later = s.collect(7.5)
    R.check(len([n for n in first if n.name == "tpm20-attestation"]) == 2
            and not later, w + " no-heartbeat: no quote in 7.5 s with "
            "heartbeat 3 s", str(later))
    s.delete(sid)
    hostile("none")
    set_heartbeat(s, 5)
    sid, root = s.establish(os.urandom(32), [10])
    first = s.collect(1.5)
    later = s.collect(4.5)
    R.check(len([n for n in later if n.name == "tpm20-attestation"]) >= 2,
            w + " none: heartbeat quotes again", str(later))
    s.delete(sid)
    s.collect(0.5)


# ------------------------------------------------------------ scenario g

def scenario_g(s, rev_before):
    w = "g reboot"
    nonce = os.urandom(32)
    sid, root = s.establish(nonce, PCRS)
    s.collect(2.0)
    ok, out = ctl("reboot")
    R.check(ok, w + ": ctl reboot", out)
    got, ok = s.until(lambda n: n.name == "subscription-terminated", 10)
    R.check(ok, w + ": subscription-terminated", str(got))
    if ok:
        R.equal(got[-1].sub, sid, w + ": terminated id")
        R.check(got[-1].reason is not None, w + ": with a reason (%r)" %
                (got[-1].reason,))
    R.check(not [n for n in got if n.name == "tpm20-attestation"],
            w + ": no quote of the new boot on the old subscription")
    R.equal(s.collect(3.0), [], w + ": nothing after the termination")
    # A new replay subscription after the reboot.
    nonce = os.urandom(32)
    sid, root = s.establish(nonce, PCRS, extra=(
        '<replay-start-time>1970-01-01T00:00:00Z</replay-start-time>'))
    rev = text(root, SN, "replay-start-time-revision")
    R.check(rev and rev_before and rfc3339_epoch(rev) >=
            rfc3339_epoch(rev_before), w + ": replay-start-time-revision "
            "is the new boot time (%s, was %s)" % (rev, rev_before))
    got, ok = until_quotes(s, len(TPMS), 20)
    check_replay(got, nonce, w + " replay after reboot")
    s.delete(sid)


# ------------------------------------------------------------ yanglint

def scenario_h(oper):
    w = "h yanglint"
    if oper is None:
        return
    jobs = [notif_job(k, n, oper) for k, n in enumerate(ALL_NOTIFS)]
    for k, (rpc, reply) in enumerate(ALL_REPLIES):
        if etree.fromstring(reply.encode()).find(q(NC, "rpc-error")) is \
                not None or "<edit-config" in rpc or \
                "<delete-subscription" in rpc:
            continue
        rpcf, job = reply_job("reply %d" % k, rpc, reply, oper)
        jobs.append(("rpc %d" % k, ["-t", "nc-rpc", "-O", oper] + YL_MODS +
                     [rpcf]))
        jobs.append(job)
    bad = yanglint_jobs(jobs)
    nn = len(ALL_NOTIFS)
    R.check(nn >= 30 and not [b for b in bad if b[0].startswith("notif")],
            "%s: all %d notifications validate against the patched module"
            % (w, nn), "; ".join("%s: %s" % b for b in bad[:3]))
    nr = len([j for j in jobs if not j[0].startswith("notif")])
    R.check(nr > 0 and not [b for b in bad if not b[0].startswith("notif")],
            "%s: all %d RPCs and replies validate" % (w, nr),
            "; ".join("%s: %s" % b for b in bad[:3]))
    kinds = collections.Counter(n.name for n in ALL_NOTIFS)
    R.check(all(kinds[k] > 0 for k in ("pcr-extend", "tpm20-attestation",
                                        "replay-completed",
                                        "subscription-terminated")),
            "%s: pcr-extend, tpm20-attestation, replay-completed and "
            "subscription-terminated were all checked (%s)" %
            (w, dict(kinds)))


def main():
    t0 = time.monotonic()
    s = Session()
    oper = run_scenario("scenario a", scenario_a, s)
    run_scenario("scenario b", scenario_b, s)
    run_scenario("scenario c", scenario_c, s)
    rev = run_scenario("scenario d", scenario_d, s)
    run_scenario("scenario e", scenario_e, s)
    run_scenario("scenario f", scenario_f, s)
    run_scenario("scenario g", scenario_g, s, rev)
    scenario_h(oper)
    s.close()
    info("client ran %.1f s" % (time.monotonic() - t0))
    R.summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
