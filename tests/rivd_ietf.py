#!/usr/bin/env python3
"""rivd_ietf.py -- scripted attesters speaking the stream `attestation` of
draft-ietf-rats-network-device-subscription-13 over NETCONF/TLS, for
tests/rivd_ietf.sh.

  rivd_ietf.py serve --pki DIR --dir DIR SCENARIO...
      One TLS server per scenario on a free loopback port (server.pem and
      server.key of DIR, client certificates from ca.pem).  Each plays a
      device with one software TPM ("tpm0", certificate "ak-cert-0"): a
      P-256 AK (its TPM2B_PUBLIC in DIR/SCENARIO-ak.pub), PCRs 0-10 in the
      sha256 bank, a boot history of extends (boot-log events with RFC 9684
      bios-event-entry details in PCRs 0-9, one IMA ima-ng entry in PCR 10),
      and a TPM clock that runs with time.monotonic().  It answers <get>
      (rats-support-structures), establish-subscription (nonce-value,
      pcr-index, replay-start-time: it replays every extend since boot,
      then replay-completed, then a quote over rivd's nonce),
      delete-subscription, tpm20-challenge-response-attestation and any
      other RPC (rivd's probe) with <ok/>.  Then the scenario plays:

        pass      an IMA extend then a quote every second
        late      one good quote, then an extend and its quote 14 s later
        silent    one good quote, then nothing (heartbeat)
        after     one good quote, then a quote over an extend not reported
                  yet, then the pcr-extend
        noreplay  a pcr-extend whose extended-with is not what the TPM
                  extended, then the quote
        nonce     a quote whose extraData is not rivd's nonce
        clockback a quote whose TPM clock went back; answers the challenge
        reset     a quote after a TPM reset (resetCount + 1) on the live
                  subscription; then, subscribed again, replays and passes
        lateread  10 s of good quotes, then one sent 3 s after it was
                  made (read late), then good ones again
        fastclock a quote whose TPM clock is 30 s ahead of time
        slowclock a quote 8 s after the first whose clock moved 1 s

      DIR/ports gets "SCENARIO PORT" lines once every server listens;
      DIR/events gets "TIME SCENARIO EVENT DETAIL" lines; DIR/msgs/ holds
      the messages sent (notif-*.xml, rpc-reply-*.xml with the rpc-*.xml
      they answer, oper-*.xml) for yanglint.
"""

import argparse
import base64
import hashlib
import os
import ssl
import struct
import sys
import threading
import time
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netconf_tls as nt  # noqa: E402
import rivd_fake as rf  # noqa: E402
from rivd_fake import SN, TAA, b64  # noqa: E402

BASE_NS = nt.BASE_NS
NOTIF_NS = nt.NOTIF_NS
TPM = "urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation"
TRAS = "urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation-stream"
CERT = "ak-cert-0"
TPM_NAME = "tpm0"
EV_SEPARATOR = 4
EV_ACTION = 5


def sha256(data):
    return hashlib.sha256(data).digest()


def event_time():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%06dZ" % int((t % 1) * 1e6)


class SoftTPM:
    """A TPM 2.0 in software: sha256 PCRs, a clock, a P-256 AK."""

    def __init__(self, akpath):
        self.key = ec.generate_private_key(ec.SECP256R1())
        nums = self.key.public_key().public_numbers()
        x, y = nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big")
        tpmt = struct.pack(">HHI", 0x0023, 0x000B, 0x00050072) + \
            struct.pack(">H", 0) + \
            struct.pack(">HHHHH", 0x0010, 0x0018, 0x000B, 0x0003, 0x0010) + \
            struct.pack(">H", 32) + x + struct.pack(">H", 32) + y
        self.name = struct.pack(">H", 0x000B) + sha256(tpmt)
        with open(akpath, "wb") as f:
            f.write(struct.pack(">H", len(tpmt)) + tpmt)
        self.pcrs = {p: bytes(32) for p in range(24)}
        self.t0 = time.monotonic()
        self.clock_base = 500000
        self.reset_count = 3
        self.restart_count = 0
        self.safe = 1

    def clock(self):
        return self.clock_base + int((time.monotonic() - self.t0) * 1000)

    def extend(self, pcr, digest):
        self.pcrs[pcr] = sha256(self.pcrs[pcr] + digest)

    def quote(self, nonce, pcrs, clock=None, values=None):
        """TPMS_ATTEST and TPMT_SIGNATURE over the sha256 PCRs pcrs."""
        values = values or self.pcrs
        mask = sum(1 << p for p in pcrs)
        digest = sha256(b"".join(values[p] for p in sorted(pcrs)))
        att = struct.pack(">IH", 0xff544347, 0x8018) + \
            struct.pack(">H", len(self.name)) + self.name + \
            struct.pack(">H", len(nonce)) + nonce + \
            struct.pack(">QIIB", self.clock() if clock is None else clock,
                        self.reset_count, self.restart_count, self.safe) + \
            struct.pack(">Q", 0x2023) + \
            struct.pack(">IHB", 1, 0x000B, 3) + mask.to_bytes(3, "little") + \
            struct.pack(">H", 32) + digest
        der = self.key.sign(att, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = struct.pack(">HH", 0x0018, 0x000B) + \
            struct.pack(">H", 32) + r.to_bytes(32, "big") + \
            struct.pack(">H", 32) + s.to_bytes(32, "big")
        return att, sig


def bios_event(n, pcr, etype, data):
    """An attested event with RFC 9684 bios-event-entry details."""
    d = sha256(data)
    return d, pcr, (
        "<attested-event><attested-event><extended-with>%s</extended-with>"
        "<bios-event-entry><event-number>%d</event-number>"
        "<event-type>%d</event-type><pcr-index>%d</pcr-index>"
        "<digest-list><hash-algo xmlns:taa=\"%s\">taa:TPM_ALG_SHA256"
        "</hash-algo><digest>%s</digest></digest-list>"
        "<event-size>%d</event-size><event-data>%s</event-data>"
        "</bios-event-entry></attested-event></attested-event>" %
        (b64(d), n, etype, pcr, TAA, b64(d), len(data), b64(data)))


def ima_event(n, path, content):
    """An attested event with an RFC 9684 ima-event-entry (ima-ng) whose
    extended-with is the template hash the kernel extends."""
    fd = sha256(content)
    dng = b"sha256:\0" + fd
    name = path.encode() + b"\0"
    tdata = struct.pack("<I", len(dng)) + dng + \
        struct.pack("<I", len(name)) + name
    th = sha256(tdata)
    return th, 10, (
        "<attested-event><attested-event><extended-with>%s</extended-with>"
        "<ima-event-entry><event-number>%d</event-number>"
        "<ima-template>ima-ng</ima-template>"
        "<filename-hint>%s</filename-hint>"
        "<filedata-hash>%s</filedata-hash>"
        "<filedata-hash-algorithm>sha256</filedata-hash-algorithm>"
        "<template-hash-algorithm>sha256</template-hash-algorithm>"
        "<template-hash>%s</template-hash><pcr-index>10</pcr-index>"
        "</ima-event-entry></attested-event></attested-event>" %
        (b64(th), n, path, b64(fd), b64(th)))


class Recorder:
    def __init__(self, d):
        self.d = d
        self.lock = threading.Lock()
        self.n = 0
        os.makedirs(os.path.join(d, "msgs"), exist_ok=True)

    def event(self, scen, what, detail=""):
        with self.lock, open(os.path.join(self.d, "events"), "a") as f:
            f.write("%.3f %s %s %s\n" % (time.time(), scen, what, detail))

    def save(self, kind, text, rpc=None):
        """Keep a message for yanglint (a few of each kind)."""
        with self.lock:
            self.n += 1
            n = self.n
        if n > 400:
            return
        base = os.path.join(self.d, "msgs")
        with open(os.path.join(base, "%s-%04d.xml" % (kind, n)), "w") as f:
            f.write(text)
        if rpc is not None:
            with open(os.path.join(base, "rpc-%04d.xml" % n), "w") as f:
                f.write(rpc)


class Device:
    """One connection from rivd to a scripted attester."""

    def __init__(self, server, tls):
        self.server = server
        self.scen = server.name
        self.rec = server.rec
        self.tpm = server.tpm
        self.s = nt.Session(tls, timeout=60)
        self.lock = threading.Lock()
        self.sub = None		# (id, nonce, pcrs) of the live subscription
        self.sub_event = threading.Condition()
        self.history = server.history
        self.closed = False
        self.nevent = server.nevent

    def send(self, text):
        with self.lock:
            self.s.send_message(text.encode())

    def notify(self, body):
        text = ("<notification xmlns=\"%s\"><eventTime>%s</eventTime>%s"
                "</notification>" % (NOTIF_NS, event_time(), body))
        self.rec.save("notif", text)
        self.send(text)

    def reply(self, mid, body, rpc_text=None):
        text = "<rpc-reply xmlns=\"%s\" message-id=\"%s\">%s</rpc-reply>" % (
            BASE_NS, mid, body)
        if rpc_text is not None:
            self.rec.save("rpc-reply", text, rpc_text)
        self.send(text)

    def support(self):
        return ("<rats-support-structures xmlns=\"%s\"><tpms><tpm>"
                "<name>%s</name><certificates><certificate><name>%s</name>"
                "<type>initial-attestation-certificate</type></certificate>"
                "</certificates></tpm>"
                "<tpm20-hash-algo xmlns=\"%s\" xmlns:taa=\"%s\">"
                "taa:TPM_ALG_SHA256</tpm20-hash-algo></tpms>"
                "<attester-supported-algos><tpm20-hash xmlns:taa=\"%s\">"
                "taa:TPM_ALG_SHA256</tpm20-hash></attester-supported-algos>"
                "<marshalling-period xmlns=\"%s\">1</marshalling-period>"
                "<tpm20-subscription-heartbeat xmlns=\"%s\">%d"
                "</tpm20-subscription-heartbeat></rats-support-structures>"
                % (TPM, TPM_NAME, CERT, TRAS, TAA, TAA, TRAS, TRAS,
                   self.server.heartbeat))

    # -- rivd's RPCs -------------------------------------------------------

    def serve_rpcs(self):
        """Answer rivd's RPCs until the session ends."""
        try:
            while True:
                raw = self.s.read_raw_message(timeout=3600)
                elem = ET.fromstring(raw)
                mid = elem.get("message-id")
                op = elem[0]
                name = nt.local(op.tag)
                self.rec.event(self.scen, "rpc", name)
                if name == "get":
                    self.reply(mid, "<data xmlns=\"%s\">%s</data>" %
                               (BASE_NS, self.support()))
                    oper = os.path.join(self.rec.d, "msgs", "oper.xml")
                    if not os.path.exists(oper):
                        with open(oper, "w") as f:
                            f.write(self.support())
                elif name == "establish-subscription":
                    self.establish(mid, op, raw.decode())
                elif name == "tpm20-challenge-response-attestation":
                    self.challenge(mid, op, raw.decode())
                elif name == "delete-subscription":
                    with self.sub_event:
                        self.sub = None
                        self.sub_event.notify_all()
                    self.reply(mid, "<ok/>")
                else:
                    self.reply(mid, "<ok/>")
        except (nt.NetconfError, OSError, ET.ParseError, ssl.SSLError) as e:
            self.rec.event(self.scen, "closed", str(e)[:60])
        self.closed = True
        with self.sub_event:
            self.sub_event.notify_all()

    def establish(self, mid, op, rpc_text):
        nonce = base64.b64decode(nt.text(op, "nonce-value", TRAS))
        pcrs = sorted(int(e.text) for e in
                      nt.children(op, "pcr-index", TRAS))
        sid = self.server.next_id()
        self.reply(mid, "<id xmlns=\"%s\">%d</id>"
                   "<replay-start-time-revision xmlns=\"%s\">%s"
                   "</replay-start-time-revision>" %
                   (SN, sid, SN, "2026-01-01T00:00:00Z"), rpc_text)
        self.rec.event(self.scen, "subscribed", "id=%d nonce=%s pcrs=%s" % (
            sid, nonce.hex()[:16], ",".join(map(str, pcrs))))
        with self.sub_event:
            self.sub = (sid, nonce, pcrs)
            self.sub_event.notify_all()

    def challenge(self, mid, op, rpc_text):
        c = nt.child(op, "tpm20-attestation-challenge", TPM)
        nonce = base64.b64decode(nt.text(c, "nonce-value", TPM))
        pcrs = [int(e.text) for e in nt.children(
            nt.child(c, "tpm20-pcr-selection", TPM), "pcr-index", TPM)]
        att, sig = self.tpm.quote(nonce, pcrs)
        self.reply(mid, "<tpm20-attestation-response xmlns=\"%s\">"
                   "<certificate-name>%s</certificate-name>"
                   "<quote-data>%s</quote-data><quote-signature>%s"
                   "</quote-signature>%s</tpm20-attestation-response>" %
                   (TPM, CERT, b64(att), b64(sig),
                    self.unsigned(pcrs, TPM)), rpc_text)
        self.rec.event(self.scen, "challenged", "nonce=%s" % nonce.hex()[:16])

    # -- the stream --------------------------------------------------------

    def wait_sub(self, old=None, limit=60):
        """The live subscription (another than old)."""
        end = time.monotonic() + limit
        with self.sub_event:
            while (self.sub is None or self.sub == old) and not self.closed:
                if not self.sub_event.wait(end - time.monotonic()):
                    break
            return self.sub

    def unsigned(self, pcrs, ns=None, values=None):
        values = values or self.tpm.pcrs
        x = "" if ns is None else " xmlns=\"%s\"" % ns
        return ("<unsigned-pcr-values%s><tpm20-hash-algo xmlns:taa=\"%s\">"
                "taa:TPM_ALG_SHA256</tpm20-hash-algo>%s"
                "</unsigned-pcr-values>" % (x, TAA, "".join(
                    "<pcr-values><pcr-index>%d</pcr-index><pcr-value>%s"
                    "</pcr-value></pcr-values>" % (p, b64(values[p]))
                    for p in pcrs)))

    def send_extend(self, events):
        """One pcr-extend notification of events (digest, pcr, xml)."""
        pcrs = sorted({p for _, p, _ in events})
        self.notify("<pcr-extend xmlns=\"%s\"><certificate-name>%s"
                    "</certificate-name>%s%s</pcr-extend>" % (
                        TRAS, CERT, "".join(
                            "<pcr-index-changed>%d</pcr-index-changed>" % p
                            for p in pcrs),
                        "".join(x for _, _, x in events)))

    def send_quote(self, sub, nonce=None, clock=None, pcrs=None, hold=0):
        """A quote; made now, sent hold seconds later (a late read)."""
        pcrs = pcrs or sub[2]
        att, sig = self.tpm.quote(nonce or sub[1], pcrs, clock)
        time.sleep(hold)
        self.notify("<tpm20-attestation xmlns=\"%s\"><certificate-name>%s"
                    "</certificate-name><quote-data>%s</quote-data>"
                    "<quote-signature>%s</quote-signature>"
                    "<up-time>%d</up-time>%s</tpm20-attestation>" % (
                        TRAS, CERT, b64(att), b64(sig),
                        int(time.monotonic() - self.tpm.t0),
                        self.unsigned(pcrs)))
        self.rec.event(self.scen, "quote", "clock=%d" % self.tpm.clock())

    def replay(self, sub):
        """Every extend since boot of the subscribed PCRs, a few per
        notification, then replay-completed, then the quote."""
        evs = [e for e in self.history if e[1] in sub[2]]
        for i in range(0, len(evs), 4):
            self.send_extend(evs[i:i + 4])
        self.notify("<replay-completed xmlns=\"%s\"><id>%d</id>"
                    "</replay-completed>" % (SN, sub[0]))
        self.send_quote(sub)

    def live_extend(self, path, report=True):
        """A new IMA measurement: extend PCR 10, report it unless not."""
        ev = ima_event(self.nevent(), path, path.encode() * 3)
        self.tpm.extend(10, ev[0])
        self.history.append(ev)
        if report:
            self.send_extend([ev])
        return ev

    def play(self):
        sub = self.wait_sub()
        if sub is None:
            return
        self.replay(sub)
        SCENARIOS[self.scen](self, sub)
        self.rec.event(self.scen, "played", "")


def sc_pass(d, sub):
    for i in range(8):
        time.sleep(0.7)
        d.live_extend("/usr/bin/pass-%d" % i)
        time.sleep(0.2)
        d.send_quote(sub)
    d.rec.event(d.scen, "done", "")


def sc_late(d, sub):
    time.sleep(1)
    d.live_extend("/usr/bin/late")
    d.rec.event(d.scen, "extended", "")
    time.sleep(14)
    d.send_quote(sub)
    d.rec.event(d.scen, "done", "")


def sc_silent(d, sub):
    d.rec.event(d.scen, "silent", "")
    sub2 = d.wait_sub(old=sub, limit=120)
    if sub2 is not None and sub2 != sub:
        d.rec.event(d.scen, "resubscribed", "")
        d.replay(sub2)
        d.rec.event(d.scen, "done", "")


def sc_after(d, sub):
    time.sleep(1)
    ev = d.live_extend("/usr/bin/after", report=False)
    d.send_quote(sub)		# includes the extend not reported yet
    time.sleep(0.5)
    d.send_extend([ev])
    time.sleep(0.5)
    d.send_quote(sub)
    d.rec.event(d.scen, "done", "")


def sc_noreplay(d, sub):
    time.sleep(1)
    ev = d.live_extend("/usr/bin/real", report=False)
    fake = ima_event(d.nevent(), "/usr/bin/claimed", b"other")
    d.send_extend([fake])
    time.sleep(0.2)
    d.send_quote(sub)
    d.rec.event(d.scen, "done", "")


def sc_nonce(d, sub):
    time.sleep(1)
    d.send_quote(sub, nonce=bytes(32))
    d.rec.event(d.scen, "done", "")


def sc_clockback(d, sub):
    time.sleep(1)
    d.send_quote(sub, clock=d.tpm.clock() - 60000)
    d.rec.event(d.scen, "done", "")


def sc_lateread(d, sub):
    # 10 s of quotes a second, then one that reaches rivd 3 s after the
    # TPM made it, then the next one at once: no clock failure.
    for i in range(10):
        time.sleep(1)
        d.send_quote(sub)
    d.rec.event(d.scen, "held", "")
    d.send_quote(sub, hold=3)
    time.sleep(0.5)
    d.send_quote(sub)
    time.sleep(1)
    d.send_quote(sub)
    d.rec.event(d.scen, "done", "")


def sc_fastclock(d, sub):
    time.sleep(1)
    d.send_quote(sub, clock=d.tpm.clock() + 30000)
    d.rec.event(d.scen, "done", "")


def sc_slowclock(d, sub):
    first = d.tpm.clock()
    time.sleep(8)
    d.send_quote(sub, clock=first + 1000)
    d.rec.event(d.scen, "done", "")


def sc_reset(d, sub):
    time.sleep(1)
    # A reboot: PCRs back to zero, the boot history again, resetCount + 1.
    d.tpm.reset_count += 1
    d.tpm.t0 = time.monotonic()
    d.tpm.pcrs = {p: bytes(32) for p in range(24)}
    for e in d.history:
        d.tpm.extend(e[1], e[0])
    d.send_quote(sub)
    d.rec.event(d.scen, "reset", "")
    sub2 = d.wait_sub(old=sub, limit=60)
    if sub2 is None or sub2 == sub:
        return
    d.rec.event(d.scen, "resubscribed", "nonce-differs=%d" %
                (sub2[1] != sub[1]))
    d.replay(sub2)
    time.sleep(1)
    d.send_quote(sub2)
    d.rec.event(d.scen, "done", "")


SCENARIOS = {
    "pass": sc_pass, "late": sc_late, "silent": sc_silent,
    "after": sc_after, "noreplay": sc_noreplay, "nonce": sc_nonce,
    "clockback": sc_clockback, "reset": sc_reset,
    "lateread": sc_lateread, "fastclock": sc_fastclock,
    "slowclock": sc_slowclock,
}


class Server(rf.Listener):
    """A scenario's device: its TPM, its history and its listener."""

    def __init__(self, name, ctx, rec, heartbeat):
        rf.Listener.__init__(self, name, ctx, rec)
        self.heartbeat = heartbeat
        self.tpm = SoftTPM(os.path.join(rec.d, "%s-ak.pub" % name))
        self.ids = 100
        self.nev = 0
        self.history = []
        for pcr in range(10):
            for k, data in enumerate((b"firmware %d" % pcr,
                                      b"\0\0\0\0")):
                ev = bios_event(self.nevent(), pcr,
                                EV_SEPARATOR if k else EV_ACTION, data)
                self.history.append(ev)
        self.history.append(ima_event(self.nevent(), "boot_aggregate",
                                      b"boot"))
        for e in self.history:
            self.tpm.extend(e[1], e[0])

    def nevent(self):
        self.nev += 1
        return self.nev

    def next_id(self):
        self.ids += 1
        return self.ids

    def run(self, raw, nconn):
        try:
            raw.settimeout(10)
            tls = self.ctx.wrap_socket(raw, server_side=True)
            d = Device(self, tls)
            d.s.send_raw(("<hello xmlns=\"%s\"><capabilities><capability>"
                          "%s</capability><capability>%s</capability>"
                          "</capabilities><session-id>1</session-id>"
                          "</hello>" % (BASE_NS, nt.BASE10, nt.BASE11))
                         .encode() + nt.EOM)
            hello = d.s.read_raw_message()
            d.s.chunked = nt.BASE11.encode() in hello
            tls.settimeout(None)
            self.rec.event(self.name, "connected", "")
        except (nt.NetconfError, OSError, ssl.SSLError) as e:
            self.rec.event(self.name, "failed", str(e)[:60])
            return
        threading.Thread(target=d.serve_rpcs, daemon=True).start()
        try:
            d.play()
        except (nt.NetconfError, OSError, ssl.SSLError) as e:
            self.rec.event(self.name, "ended", str(e)[:60])


def serve(args):
    ctx = rf.prepare(args)
    rec = Recorder(args.dir)
    rf.run(args.dir, [Server(n, ctx, rec, 300) for n in args.scenarios],
           args.max_seconds)


def main():
    ap = argparse.ArgumentParser()
    rf.add_serve(ap.add_subparsers(dest="cmd", required=True), SCENARIOS,
                 600)
    serve(ap.parse_args())


if __name__ == "__main__":
    main()
