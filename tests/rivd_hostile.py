#!/usr/bin/env python3
"""rivd_hostile.py -- hostile NETCONF-over-TLS attesters for
tests/rivd_hostile.sh, and the report that checks what rivd made of them.

  rivd_hostile.py serve --pki DIR --dir DIR [--device-port P] SCENARIO...
      One TLS server per scenario on a free loopback port (server.pem and
      server.key of DIR, client certificates required from ca.pem),
      speaking NETCONF as rivd expects from an attester: a hello (base:1.0
      and base:1.1), rivd's hello, then an establish-subscription answered
      with an id and the correct seed-id.  Every scenario's first
      connection behaves and waits until the file DIR/go exists; then the
      scenario misbehaves, step after step, one step per connection (rivd
      reconnects; a step that broke before its hostile part is retried):

        stall-data, stall-header, stall-eom
                  two complete notifications, then half a message and
                  silence (inside chunk data, inside a chunk header, inside
                  an end-of-message framed message): the message deadline
        flood     2000 valid-looking notifications whose quotes carry the
                  right nonce but no valid signature, as fast as rivd takes
                  them, then a steady stream whose every write ends inside
                  a message (never stalling) for longer than message-timeout
        big       messages over max-message-size (one chunk header, many
                  chunks, end-of-message framing), one of exactly the
                  maximum, which must be accepted, and one a byte over
        mal       malformed notifications: not XML, wrong leaf types, bad
                  base64, out-of-range values, unknown elements and
                  identities, missing leaves, unknown subscription, ...
                  on one session that must survive them; then broken chunk
                  headers
        nohello-tls, nohello-tcp, nohello-half
                  no hello (TLS up and silent; no TLS handshake; half a
                  hello): the connect deadline
        badhello  a first message that is not a hello; a hello without
                  base capabilities
        badsub    establish-subscription replies with a wrong seed-id,
                  without an id, and a refusal
        relay     relays the good device's genuine, correctly signed
                  evidence for rivd's own seed (it subscribes to the
                  device at --device-port with rivd's seed), altering the
                  unsigned parts, to reach the appraisal code behind the
                  signature check

      stall-* and nohello-* misbehave only once the flood is over: on two
      cores the flood takes CPU from every process, the good device too.
      DIR/ports gets "SCENARIO PORT" lines once every server listens;
      DIR/events gets "TIME SCENARIO STEP EVENT [DETAIL]" lines (TIME:
      seconds since the epoch); DIR/items gets a JSON line per hostile
      message whose verdict the report checks, with the verdicts that would
      do (the first that matches counts).  Runs until SIGTERM.

  rivd_hostile.py report --dir DIR --verdicts FILE --period SECONDS
                         [--min-verdicts K]
      Checks the verdicts (rivctl verdicts --json) against the events and
      items: each hostile message has a verdict of its own, and the good
      attester got at least K pass verdicts during each hostile period of
      1.5 s or more; prints which verdict each message got and the good
      attester's latency figures (received -> committed) and gaps.  Prints
      "ok: ..." and "FAIL: ..." lines, then "N passed, M failed".
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import ssl
import statistics
import struct
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True		# no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netconf_tls as nt  # noqa: E402
import rivd_fake as rf  # noqa: E402
from rivd_fake import SN, TAA, b64  # noqa: E402

BASE_NS = nt.BASE_NS
NOTIF_NS = nt.NOTIF_NS
RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
MAX_MESSAGE = 65536		# limits/max-message-size in the test's rivd.conf
TPM = "hx0"			# the TPM name of every hostile attester

FLOOD_SECONDS = 2.0		# the burst
FLOOD_MAX = 2000
STEADY_SECONDS = 3.0		# then a steady stream, never stalling
STEADY_TICK = 0.05
HOLD_SECONDS = 600		# a well-behaved connection waits this long


def seed_id(seed):
    """The seed-id of a seed (nonce-hash-algo SHA-256)."""
    return b64(hashlib.sha256(seed).digest()[:8])


def nonce(seed, n):
    """nonce_n = HMAC-SHA256(seed, n as 8-byte big-endian)."""
    return hmac.new(seed, struct.pack(">Q", n), hashlib.sha256).digest()


def fake_quote(seed, n, rng):
    """A TPMS_ATTEST (quote) that a TPM could have made, with nonce_n as
    extraData, and a TPMT_SIGNATURE of random bytes: valid-looking, but
    signed by nobody.  Both base64."""
    att = struct.pack(">IH", 0xff544347, 0x8018)
    att += struct.pack(">HH", 34, 0x000b) + rng.randbytes(32)
    nn = nonce(seed, n)
    att += struct.pack(">H", len(nn)) + nn
    att += struct.pack(">QIIB", (100000 + n * 250) % (1 << 63), 3, 0, 1)
    att += struct.pack(">Q", 0x2019102300163636)
    att += struct.pack(">IHB", 1, 0x000b, 3) + b"\xff\x03\x00"
    att += struct.pack(">H", 32) + rng.randbytes(32)
    sig = struct.pack(">HHH", 0x0014, 0x000b, 256) + rng.randbytes(256)
    return b64(att), b64(sig)


def event_time():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


PCRS = "".join("<pcr-values><pcr-index>%d</pcr-index><pcr-value>%s"
               "</pcr-value></pcr-values>" % (i, b64(bytes(32)))
               for i in range(10))


def notification(sub_id, seq, sid, quote_data="AAAA", quote_sig="AAAA",
                 tpm=TPM, stream="pcr-trust-evidence",
                 trigger="ras:periodic", detail="", extra="", tpm_xml=None,
                 pcrs=PCRS, header=None):
    """The XML of a notification; every part may be replaced by raw text."""
    if tpm_xml is None:
        tpm_xml = ("<tpm><name>%s</name><quote><certificate-name>%s-ak"
                   "</certificate-name><quote-data>%s</quote-data>"
                   "<quote-signature>%s</quote-signature><up-time>0"
                   "</up-time><unsigned-pcr-values><tpm20-hash-algo "
                   "xmlns:taa=\"%s\">taa:TPM_ALG_SHA256</tpm20-hash-algo>"
                   "%s</unsigned-pcr-values></quote></tpm>" %
                   (tpm, tpm, quote_data, quote_sig, TAA, pcrs))
    if header is None:
        header = ("<subscription-id>%s</subscription-id><sequence-number>%s"
                  "</sequence-number><seed-id>%s</seed-id>" %
                  (sub_id, seq, sid))
    return ("<notification xmlns=\"%s\"><eventTime>%s</eventTime>"
            "<%s xmlns=\"%s\">%s<trigger xmlns:ras=\"%s\">%s</trigger>%s%s"
            "%s</%s></notification>" %
            (NOTIF_NS, event_time(), stream, RAS, header, RAS, trigger,
             detail, extra, tpm_xml, stream))


def frame(data, chunk=None):
    return nt.Session.frame(data, chunk)


class Recorder:
    """The events and items files, shared by every thread."""

    def __init__(self, d):
        self.lock = threading.Lock()
        self.events = open(os.path.join(d, "events"), "a")
        self.items = open(os.path.join(d, "items"), "a")
        self.go = os.path.join(d, "go")
        self.flood_done = threading.Event()

    def event(self, scen, n, what, detail=""):
        if scen == "flood" and what == "done":
            self.flood_done.set()
        with self.lock:
            self.events.write("%.6f %s %d %s %s\n" % (time.time(), scen, n,
                                                      what, detail))
            self.events.flush()

    def item(self, **kw):
        kw["time"] = time.time()
        with self.lock:
            self.items.write(json.dumps(kw) + "\n")
            self.items.flush()

    def wait_go(self):
        while not os.path.exists(self.go):
            time.sleep(0.05)

    def wait_flood(self):
        """The long hostile periods (stall, nohello) come after the flood,
        which on 2 cores takes CPU from everyone (the good device too)."""
        self.flood_done.wait(30)


class PeerClosed(Exception):
    pass


class Conn:
    """One connection from rivd to a hostile attester."""

    def __init__(self, server, raw, n, conn):
        self.server = server
        self.rec = server.rec
        self.scen = server.name
        self.raw = raw
        self.n = n		# the scenario's step (retried if it broke)
        self.conn = conn	# the connection's number
        self.s = None		# netconf_tls.Session once TLS is up
        self.sub_id = None
        self.seed = None
        self.sid = None
        self.rng = random.Random("%s-%d" % (self.scen, conn))
        self.done_step = False

    def ev(self, what, detail=""):
        if what in ("go", "stalled", "sent", "silent", "flood-start",
                    "leaving"):
            self.done_step = True	# the hostile part has begun
        self.rec.event(self.scen, self.n, what, detail)

    def tls(self):
        self.raw.settimeout(10)
        tls = self.server.ctx.wrap_socket(self.raw, server_side=True)
        self.s = nt.Session(tls, timeout=10)

    def hello(self, caps=(nt.BASE10, nt.BASE11), send=True):
        """Send our hello (unless send is False), read rivd's."""
        if send:
            c = "".join("<capability>%s</capability>" % x for x in caps)
            self.s.send_raw(("<hello xmlns=\"%s\"><capabilities>%s"
                             "</capabilities><session-id>%d</session-id>"
                             "</hello>" % (BASE_NS, c, self.n)).encode() +
                            nt.EOM)
        raw = self.s.read_raw_message()
        if b"<hello" not in raw:
            raise nt.NetconfError("rivd's first message is not a hello")
        self.s.chunked = nt.BASE11 in caps and nt.BASE11.encode() in raw

    def read_rpc(self):
        """rivd's next RPC: (message-id, operation element)."""
        raw = self.s.read_raw_message(timeout=10)
        elem = ET.fromstring(raw)
        if nt.local(elem.tag) != "rpc":
            raise nt.NetconfError("not an rpc: %r" % raw[:100])
        return elem.get("message-id"), elem[0]

    def subscribe(self, reply=None):
        """Answer rivd's establish-subscription (with the right seed-id
        unless reply gives other contents).  Return its message-id."""
        mid, op = self.read_rpc()
        if nt.local(op.tag) != "establish-subscription":
            raise nt.NetconfError("unexpected rpc %s" % op.tag)
        self.seed = base64.b64decode(nt.text(op, "nonce-seed"))
        self.stream = nt.text(op, "stream")
        self.sid = seed_id(self.seed)
        self.sub_id = 1000 * self.conn + self.server.index
        body = reply if reply is not None else (
            "<id xmlns=\"%s\">%d</id><seed-id xmlns=\"%s\">%s</seed-id>" %
            (SN, self.sub_id, RAS, self.sid))
        self.send("<rpc-reply xmlns=\"%s\" message-id=\"%s\">%s</rpc-reply>"
                  % (BASE_NS, mid, body))
        self.ev("subscribed", "id=%d stream=%s" % (self.sub_id, self.stream))
        return mid

    def send(self, msg, chunk=None):
        if isinstance(msg, str):
            msg = msg.encode()
        self.s.send_message(msg, chunk)

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            self.s.send_raw(data)
        except nt.NetconfError as e:
            raise PeerClosed(str(e))

    def notif(self, seq, **kw):
        """A valid-looking notification of this subscription (fake quote
        with the right nonce)."""
        qd, qs = fake_quote(self.seed, seq if isinstance(seq, int) else 0,
                            self.rng)
        kw.setdefault("quote_data", qd)
        kw.setdefault("quote_sig", qs)
        return notification(self.sub_id, seq, self.sid, **kw)

    def wait_closed(self, limit=30.0, sock=None):
        """Wait until rivd closes the connection; record the time it took.
        Return the seconds, or None after limit."""
        t0 = time.monotonic()
        sock = sock or (self.s.sock if self.s else self.raw)
        sock.settimeout(0.5)
        while time.monotonic() - t0 < limit:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except ssl.SSLWantReadError:
                continue
            except (OSError, ssl.SSLError):
                data = b""
            if not data:
                dt = time.monotonic() - t0
                self.ev("closed-by-rivd", "after=%.3f" % dt)
                return dt
        self.ev("not-closed", "limit=%.0f" % limit)
        return None

    def hold(self, limit=HOLD_SECONDS):
        """Behave: stay connected and silent (between messages)."""
        self.ev("holding")
        self.wait_closed(limit)

    def behave(self):
        """A connection after the scenario: hello, subscription, silence."""
        self.tls()
        self.hello()
        self.subscribe()
        self.hold()

    def close(self):
        for sock in (self.s.sock if self.s else None, self.raw):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass

    def normal_until_go(self, caps=(nt.BASE10, nt.BASE11)):
        """The first connection: behave until the test says go."""
        self.tls()
        self.hello(caps)
        self.subscribe()
        self.ev("ready")
        self.rec.wait_go()
        self.ev("go")

    def item(self, name, length, expect):
        self.done_step = True
        self.rec.item(scenario=self.scen, conn=self.n, name=name,
                      len=length, expect=expect)


# -- scenarios ----------------------------------------------------------------

def sc_stall(c, how):
    """Half a message, then silence: in chunk data, in a chunk header, or
    in an end-of-message framed message (base:1.0 only)."""
    if c.n > 1:
        c.behave()
        return
    c.normal_until_go((nt.BASE10,) if how == "eom" else
                      (nt.BASE10, nt.BASE11))
    c.rec.wait_flood()
    for seq in (0, 1):
        c.send(c.notif(seq))
        c.item("complete notification %d before the stall" % seq, 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id,
                 "seq": seq, "result": ["fail"], "code": "signature"}])
    if how == "header":
        c.send_raw(b"\n#12")
    else:
        data = frame(c.notif(2)) if how == "data" else c.notif(2).encode()
        c.send_raw(data[:len(data) // 2])
    c.ev("stalled", "in %s" % {"data": "chunk data",
                               "header": "a chunk header",
                               "eom": "an end-of-message framed message"}[how])
    c.item("half a message, cut off by the message deadline", 0,
           [{"stream": "session", "result": ["error"]},
            {"stream": "pcr-trust-evidence", "result": ["error"]}])
    c.wait_closed()
    c.ev("done")


def sc_flood(c):
    if c.n > 1:
        c.ev("reconnected")
        c.behave()
        return
    c.normal_until_go()
    c.ev("flood-start")
    sent = 0
    t0 = time.monotonic()
    # A few thousand notifications as fast as rivd takes them, some in
    # one chunk, some in many small ones, sent in batches.
    while time.monotonic() - t0 < FLOOD_SECONDS and sent < FLOOD_MAX:
        batch = bytearray()
        for _ in range(20):
            batch += frame(c.notif(sent), 333 if sent % 3 == 0 else None)
            sent += 1
        try:
            c.send_raw(bytes(batch))
        except PeerClosed as e:
            c.ev("flood-broken", "sent=%d %s" % (sent, e))
            c.ev("flood-end", "sent=%d" % sent)
            return
    c.ev("flood-burst-end", "sent=%d after=%.3f" %
         (sent, time.monotonic() - t0))
    # Then a steady stream in which every write ends inside a message, but
    # no message takes longer than a tick to complete: the peer never
    # stalls, so message-timeout must not close it.
    pending = bytearray()
    bounds = []			# where each pending message ends
    t1 = time.monotonic()
    while time.monotonic() - t1 < STEADY_SECONDS:
        while len(pending) < 3000:
            pending += frame(c.notif(sent + len(bounds)))
            bounds.append(len(pending))
        cut = (bounds[0] + bounds[1]) // 2	# ends inside a message
        try:
            c.send_raw(bytes(pending[:cut]))
        except PeerClosed as e:
            c.ev("flood-broken", "sent=%d %s" % (sent, e))
            break
        del pending[:cut]
        sent += 1
        bounds = [b - cut for b in bounds[1:]]
        time.sleep(STEADY_TICK)
    else:
        try:
            c.send_raw(bytes(pending))
            sent += len(bounds)
        except PeerClosed as e:
            c.ev("flood-broken", "sent=%d %s" % (sent, e))
    c.ev("flood-end", "sent=%d" % sent)
    c.ev("done")
    c.hold()


def pad_to(msg, size):
    """msg (a notification) padded to exactly size bytes with
    trigger-detail text."""
    base = msg.replace("</trigger>", "</trigger><trigger-detail>"
                       "</trigger-detail>", 1)
    fill = size - len(base.encode())
    if fill < 0:
        raise ValueError("message too long already")
    return base.replace("<trigger-detail></trigger-detail>",
                        "<trigger-detail>%s</trigger-detail>" % ("x" * fill),
                        1)


def sc_big(c):
    if c.n == 1:
        c.normal_until_go()
        c.item("chunk header announcing 100000 bytes", 0,
               [{"stream": "session", "result": ["error"],
                 "reason": "maximum"}])
        c.send_raw(b"\n#100000\n" + b"<" * 4000)
        c.ev("sent", "one chunk of 100000 bytes announced")
    elif c.n == 2:
        c.tls()
        c.hello()
        c.subscribe()
        c.item("%d bytes in chunks of 4000" % (MAX_MESSAGE + 14000), 0,
               [{"stream": "session", "result": ["error"],
                 "reason": "maximum"}])
        body = pad_to(c.notif(0), MAX_MESSAGE + 14000).encode()
        try:
            c.send_raw(frame(body, 4000)[:-4])
        except PeerClosed:
            pass
        c.ev("sent", "%d bytes in chunks" % len(body))
    elif c.n == 3:
        c.tls()
        c.hello(caps=(nt.BASE10,))
        c.subscribe()
        c.item("%d bytes, end-of-message framing" % (MAX_MESSAGE + 14000),
               0, [{"stream": "session", "result": ["error"],
                    "reason": "maximum"}])
        body = pad_to(c.notif(0), MAX_MESSAGE + 14000).encode()
        try:
            c.send_raw(body)
        except PeerClosed:
            pass
        c.ev("sent", "%d bytes, no delimiter" % len(body))
    elif c.n == 4:
        c.tls()
        c.hello()
        c.subscribe()
        exact = pad_to(c.notif(0), MAX_MESSAGE)
        c.item("a notification of exactly max-message-size", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id, "seq": 0,
                 "result": ["fail"], "code": "signature"}])
        c.send(exact, 5000)
        time.sleep(0.3)
        c.item("a notification of max-message-size + 1 bytes", 0,
               [{"stream": "session", "result": ["error"],
                 "reason": "maximum"}])
        over = pad_to(c.notif(1), MAX_MESSAGE + 1)
        try:
            c.send(over, 5000)
        except nt.NetconfError:
            pass
        c.ev("sent", "exactly the maximum, then one byte more")
        c.wait_closed()
        c.ev("done")
        return
    else:
        c.behave()
        return
    c.wait_closed()


def malformed_messages(c):
    """(name, message, expectation) of the malformed messages that must not
    break the session; expectation: where the verdict goes.  Sent in this
    order."""
    sub, sid = c.sub_id, c.sid
    # libyang refuses these: a session verdict naming the message's length.
    s_err = [{"stream": "session", "result": ["error"], "bylen": True}]

    def parse_err(stream="pcr-trust-evidence"):
        # Either libyang refuses it (a session verdict) or rivd's
        # appraisal does (an error or fail verdict on the stream).
        return [{"stream": "session", "result": ["error"]},
                {"stream": stream, "result": ["error", "fail"],
                 "code": "malformed"}]

    qd, qs = fake_quote(c.seed, 0, c.rng)
    ok_tpm = ("<tpm><name>%s</name><quote><certificate-name>x"
              "</certificate-name><quote-data>%s</quote-data>"
              "<quote-signature>%s</quote-signature></quote></tpm>" %
              (TPM, qd, qs))
    m = []
    m.append(("not XML at all", "this is not XML \x01\x02 at all <<<",
              s_err))
    m.append(("truncated XML", notification(sub, 50, sid)[:300], s_err))
    m.append(("sequence-number not a number",
              notification(sub, "abc", sid), s_err))
    m.append(("negative sequence-number", notification(sub, "-1", sid),
              s_err))
    m.append(("sequence-number beyond uint64",
              notification(sub, "18446744073709551616", sid), s_err))
    m.append(("subscription-id beyond uint32",
              notification("4294967296", 50, sid), s_err))
    m.append(("subscription-id not a number",
              notification("twelve", 50, sid), s_err))
    m.append(("bad base64 in quote-data",
              notification(sub, 50, sid, quote_data="@@not*base64!!",
                           quote_sig=qs), s_err))
    m.append(("bad base64 in quote-signature",
              notification(sub, 50, sid, quote_data=qd,
                           quote_sig="QUJD=RA="), s_err))
    m.append(("seed-id of 4 bytes", notification(sub, 50, b64(b"abcd")),
              s_err))
    m.append(("seed-id not base64", notification(sub, 50, "!!!!!!!!!!!="),
              s_err))
    m.append(("PCR index 99",
              notification(sub, 50, sid, quote_data=qd, quote_sig=qs,
                           pcrs="<pcr-values><pcr-index>99</pcr-index>"
                           "<pcr-value>%s</pcr-value></pcr-values>" %
                           b64(bytes(32))), s_err))
    m.append(("unknown hash algorithm identity",
              notification(sub, 50, sid, quote_data=qd, quote_sig=qs,
                           pcrs="").replace("taa:TPM_ALG_SHA256",
                                            "taa:TPM_ALG_NOSUCH"), s_err))
    m.append(("unknown trigger identity",
              notification(sub, 50, sid, trigger="ras:no-such-trigger"),
              s_err))
    m.append(("unknown element in the notification",
              notification(sub, 50, sid, extra="<bogus>1</bogus>"), s_err))
    m.append(("element of an unknown namespace",
              notification(sub, 50, sid,
                           extra="<x xmlns=\"urn:example:nosuch\">1</x>"),
              s_err))
    m.append(("unknown notification",
              notification(sub, 50, sid, stream="no-such-notification"),
              s_err))
    m.append(("no eventTime",
              re.sub("<eventTime>[^<]*</eventTime>", "",
                     notification(sub, 50, sid)), s_err))
    m.append(("DOCTYPE with entities",
              "<?xml version=\"1.0\"?><!DOCTYPE n [<!ENTITY a \"aaaaaaaa\">"
              "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>" +
              notification(sub, 50, sid, detail="<trigger-detail>&b;&b;"
                           "</trigger-detail>"), s_err))
    m.append(("a NUL byte inside",
              notification(sub, 50, sid).replace("<seed-id>",
                                                  "<seed\x00-id>"), s_err))
    m.append(("invalid UTF-8", notification(
        sub, 50, sid, detail="<trigger-detail>\udcff\udcfe</trigger-detail>"),
        s_err))
    m.append(("5000 nested elements",
              "<notification xmlns=\"%s\"><eventTime>%s</eventTime>%s%s"
              "</notification>" % (NOTIF_NS, event_time(), "<a>" * 5000,
                                   "</a>" * 5000), s_err))
    m.append(("unterminated rpc-reply", "<rpc-reply xmlns=\"%s\" "
              "message-id=\"1\"><ok/" % BASE_NS, s_err))
    m.append(("rpc-reply that answers nothing",
              "<rpc-reply xmlns=\"%s\" message-id=\"777\"><ok/></rpc-reply>"
              % BASE_NS, s_err))
    # Well-formed and valid YANG types, but incomplete: mandatory leaves
    # missing (rivd does not validate them with libyang, so its appraisal
    # must refuse them).
    m.append(("no seed-id (sequence-number 1)",
              notification(sub, 1, sid, header="<subscription-id>%d"
                           "</subscription-id><sequence-number>1"
                           "</sequence-number>" % sub),
              [{"stream": "session", "result": ["error"]},
               {"stream": "pcr-trust-evidence", "sub": sub, "seq": 1,
                "result": ["error", "fail"], "code": "malformed"}]))
    m.append(("no sequence-number",
              notification(sub, 0, sid, header="<subscription-id>%d"
                           "</subscription-id><seed-id>%s</seed-id>" %
                           (sub, sid)), parse_err()))
    m.append(("no subscription-id (sequence-number 2)",
              notification(sub, 2, sid, header="<sequence-number>2"
                           "</sequence-number><seed-id>%s</seed-id>" % sid),
              parse_err()))
    m.append(("a quote without quote-signature (sequence-number 3)",
              notification(sub, 3, sid, tpm_xml="<tpm><name>%s</name><quote>"
                           "<certificate-name>x</certificate-name><quote-data>"
                           "%s</quote-data></quote></tpm>" % (TPM, qd)),
              [{"stream": "session", "result": ["error"]},
               {"stream": "pcr-trust-evidence", "sub": sub, "seq": 3,
                "result": ["error", "fail"], "code": "malformed"}]))
    return m, ok_tpm


def sc_mal(c):
    if c.n == 1:
        c.normal_until_go()
        # Marker: a valid-looking notification; its fail verdict shows
        # the subscription works.
        c.send(c.notif(0))
        c.item("marker 0 (before the malformed messages)", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id, "seq": 0,
                 "result": ["fail"], "code": "signature"}])
        msgs, ok_tpm = malformed_messages(c)
        used = set()
        for name, msg, expect in msgs:
            data = msg.encode("utf-8", "surrogateescape")
            while len(data) in used:	# lengths tell the verdicts apart
                data += b" "
            used.add(len(data))
            c.item(name, len(data), expect)
            c.send(data)
            time.sleep(0.02)
        # Valid YANG, but not for this subscription or not configured.
        c.send(notification(999, 4, c.sid, *fake_quote(c.seed, 4, c.rng)))
        c.item("unknown subscription id 999 (sequence 4)", 0,
               [{"stream": "pcr-trust-evidence", "sub": 999,
                 "result": ["fail", "error"], "code": "foreign"}])
        c.send(notification(999, 5, c.sid))
        c.item("unknown subscription id 999 again (sequence 5)", 0,
               [{"stream": "pcr-trust-evidence", "sub": 999,
                 "result": ["fail", "error"], "code": "foreign"}])
        c.send(c.notif(6, stream="ima-log"))
        c.item("an ima-log notification on the pcr-trust-evidence "
               "subscription (sequence 6)", 0,
               [{"stream": "ima-log", "result": ["fail", "error"],
                 "code": "foreign"}])
        c.send(c.notif(7, tpm="nosuch"))
        c.item("evidence of a TPM that is not configured (sequence 7)", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id, "seq": 7,
                 "result": ["fail", "error"], "code": "tpm"}])
        c.send(c.notif(8, tpm_xml=""))
        c.item("no TPM evidence at all (sequence 8)", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id, "seq": 8,
                 "result": ["fail", "error"], "code": "malformed"},
                {"stream": "session", "result": ["error"]}])
        c.send(c.notif(9))
        c.item("marker 9 (after the malformed messages: the session "
               "survived)", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id, "seq": 9,
                 "result": ["fail"], "code": "signature"}])
        c.send(c.notif(18446744073709551615))
        c.item("sequence-number 2^64-1", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id,
                 "seq": 18446744073709551615, "result": ["error"],
                 "code": "malformed"}])
        c.send(c.notif(10))
        c.item("sequence-number 10 after 2^64-1", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id, "seq": 10,
                 "result": ["fail", "error"]}])
        time.sleep(0.3)
        c.ev("survived", "every malformed message sent; session still up")
        # Framing: a chunk header that is not one.
        c.item("broken chunk header '\\n#abc\\n'", 0,
               [{"stream": "session", "result": ["error"],
                 "reason": "framing"}])
        c.send_raw(b"\n#abc\n<notification/>\n##\n")
    elif c.n == 2:
        c.tls()
        c.hello()
        c.subscribe()
        c.send(c.notif(0))
        c.item("marker 0 on the second connection", 0,
               [{"stream": "pcr-trust-evidence", "sub": c.sub_id, "seq": 0,
                 "result": ["fail"], "code": "signature"}])
        time.sleep(0.2)
        c.item("chunk-size with a leading zero", 0,
               [{"stream": "session", "result": ["error"],
                 "reason": "framing"}])
        c.send_raw(b"\n#0100\n")
    elif c.n == 3:
        c.tls()
        c.hello()
        c.subscribe()
        c.item("end-of-chunks with no chunk", 0,
               [{"stream": "session", "result": ["error"],
                 "reason": "framing"}])
        c.send_raw(b"\n##\n")
        c.wait_closed()
        c.ev("done")
        return
    else:
        c.behave()
        return
    c.wait_closed()


def sc_nohello(c, how):
    """No hello: after TLS, no TLS handshake at all, or half a hello."""
    if c.n == 1:
        c.normal_until_go()
        c.rec.wait_flood()
        c.close()			# leave, and start over hostile
        return
    if c.n > 2:
        c.behave()
        return
    if how == "tls":
        c.tls()
        c.ev("silent", "TLS up, no hello")
    elif how == "tcp":
        c.ev("silent", "no TLS handshake")
    else:
        c.tls()
        c.send_raw(("<hello xmlns=\"%s\"><capabilities><capability>%s"
                    % (BASE_NS, nt.BASE10)).encode())
        c.ev("silent", "half a hello")
    c.wait_closed(sock=c.raw if how == "tcp" else None)
    c.ev("done")


def sc_silent(c):
    """Answers every RPC but sends no notification: rivd records a stale
    verdict, probes the session, gets an answer, and subscribes again."""
    if c.n > 1:
        c.behave()
        return
    c.tls()
    c.hello()
    c.subscribe()
    c.ev("ready")
    c.ev("silent", "subscribed; sends no notification")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mid, op = c.read_rpc()
        name = nt.local(op.tag)
        if name == "get-config":
            body = "<data/>"
            c.ev("probed")
        elif name == "delete-subscription":
            body = "<ok/>"
            c.ev("deleted", "id=%s" % nt.text(op, "id"))
        elif name == "establish-subscription":
            c.seed = base64.b64decode(nt.text(op, "nonce-seed"))
            c.sid = seed_id(c.seed)
            c.sub_id += 1
            body = ("<id xmlns=\"%s\">%d</id><seed-id xmlns=\"%s\">%s"
                    "</seed-id>" % (SN, c.sub_id, RAS, c.sid))
            c.ev("resubscribed", "id=%d" % c.sub_id)
        else:
            body = "<ok/>"
        c.send("<rpc-reply xmlns=\"%s\" message-id=\"%s\">%s</rpc-reply>"
               % (BASE_NS, mid, body))
        if name == "establish-subscription":
            break
    c.ev("done")
    c.hold()


def sc_badhello(c):
    """A first message that is not a hello; a hello without base
    capabilities."""
    if c.n == 1:
        c.normal_until_go()
        c.close()
        return
    if c.n > 3:
        c.behave()
        return
    c.tls()
    if c.n == 2:
        c.send_raw(("<rpc-reply xmlns=\"%s\" message-id=\"1\"><ok/>"
                    "</rpc-reply>" % BASE_NS).encode() + nt.EOM)
        c.ev("sent", "a first message that is not a hello")
    else:
        c.hello(caps=("urn:example:no-base",))
        c.ev("sent", "a hello without base capabilities")
    c.wait_closed()
    if c.n == 3:
        c.ev("done")


def sc_badsub(c):
    """Bad establish-subscription replies: a wrong seed-id, no id, a
    refusal; each on its own connection."""
    if c.n == 1:
        c.normal_until_go()
        c.close()
        return
    if c.n > 4:
        c.behave()
        return
    c.tls()
    c.hello()
    if c.n == 2:
        c.subscribe(reply="<id xmlns=\"%s\">%d</id><seed-id xmlns=\"%s\">"
                    "%s</seed-id>" % (SN, 1000 * c.conn + c.server.index,
                                      RAS, b64(b"wrongid!")))
        c.item("establish-subscription reply with a wrong seed-id", 0,
               [{"stream": "pcr-trust-evidence", "result": ["error"],
                 "code": "seed"}])
    elif c.n == 3:
        c.subscribe(reply="<seed-id xmlns=\"%s\">%s</seed-id>" %
                    (RAS, b64(b"whatever")))
        c.item("establish-subscription reply without an id", 0,
               [{"stream": "pcr-trust-evidence", "result": ["error"],
                 "code": "subscription"}])
    else:
        c.subscribe(reply="<rpc-error><error-type>application"
                    "</error-type><error-tag>invalid-value</error-tag>"
                    "<error-severity>error</error-severity>"
                    "<error-app-tag>riv-attestation-streams:seed-invalid"
                    "</error-app-tag><error-message>no</error-message>"
                    "</rpc-error>")
        c.item("establish-subscription refused", 0,
               [{"stream": "pcr-trust-evidence", "result": ["error"],
                 "code": "subscription"}])
    time.sleep(0.5)
    c.ev("leaving")
    c.close()			# rivd reconnects: the next case
    if c.n == 4:
        c.ev("done")


# relay: genuine quotes from the good device, for rivd's own seed.

def relay_mutations(seq):
    """What the relay does to the device's notification seq (text in,
    text out), its name and the expected verdict; None: relay as is."""
    sha1_vals = "".join("<pcr-values><pcr-index>%d</pcr-index><pcr-value>"
                        "%s</pcr-value></pcr-values>" % (i, b64(bytes(20)))
                        for i in range(10))
    table = {
        1: ("a PCR value of 16 bytes in the SHA-256 bank",
            lambda x: re.sub("(<pcr-index>3</pcr-index><pcr-value>)[^<]*",
                             r"\g<1>" + b64(bytes(16)), x, count=1),
            [{"result": ["fail", "error"], "code": "malformed"}]),
        2: ("a PCR value that does not match the quoted digest",
            lambda x: re.sub("(<pcr-index>4</pcr-index><pcr-value>)[^<]*",
                             r"\g<1>" + b64(b"\x01" * 32), x, count=1),
            [{"result": ["fail"], "code": "pcr-digest"}]),
        3: ("no unsigned PCR values",
            lambda x: re.sub("<unsigned-pcr-values>.*</unsigned-pcr-values>",
                             "", x),
            [{"result": ["fail", "error"]}]),
        4: ("a second bank (SHA-1) the quote does not cover",
            lambda x: x.replace("</unsigned-pcr-values>",
                                "</unsigned-pcr-values><unsigned-pcr-values>"
                                "<tpm20-hash-algo xmlns:taa=\"%s\">"
                                "taa:TPM_ALG_SHA1</tpm20-hash-algo>%s"
                                "</unsigned-pcr-values>" % (TAA, sha1_vals),
                                1),
            [{"result": ["fail", "error"]}]),
        5: ("PCR 23 reported but not quoted",
            lambda x: x.replace("</unsigned-pcr-values>",
                                "<pcr-values><pcr-index>23</pcr-index>"
                                "<pcr-value>%s</pcr-value></pcr-values>"
                                "</unsigned-pcr-values>" % b64(bytes(32)), 1),
            [{"result": ["fail", "error"]}]),
        6: ("the quote's signature cut short by 10 bytes",
            lambda x: re.sub("<quote-signature>([^<]*)</quote-signature>",
                             lambda mm: "<quote-signature>%s"
                             "</quote-signature>" %
                             b64(base64.b64decode(mm.group(1))[:-10]), x),
            [{"result": ["fail", "error"], "code": "signature"}]),
        7: ("the quote-data cut short by 10 bytes",
            lambda x: re.sub("<quote-data>([^<]*)</quote-data>",
                             lambda mm: "<quote-data>%s</quote-data>" %
                             b64(base64.b64decode(mm.group(1))[:-10]), x),
            [{"result": ["fail", "error"]}]),
        8: ("quote-data with 4096 bytes of trailing garbage",
            lambda x: re.sub("<quote-data>([^<]*)</quote-data>",
                             lambda mm: "<quote-data>%s</quote-data>" %
                             b64(base64.b64decode(mm.group(1)) +
                                 b"\xff" * 4096), x),
            [{"result": ["fail", "error"]}]),
        9: ("the same genuine quote for two configured TPMs (hx0, hx1)",
            lambda x: re.sub("(<tpm><name>%s</name>(.*)</tpm>)" % TPM,
                             r"\1<tpm><name>hx1</name>\2</tpm>", x),
            [{"result": ["pass"]}]),
        10: ("the quote of sequence 9 again (replayed quote, right header)",
             None, [{"result": ["fail"], "code": "nonce"}]),
        11: ("the same TPM twice (a duplicate list key)",
             lambda x: re.sub("(<tpm>.*</tpm>)", r"\1\1", x),
             [{"stream": "session", "result": ["error"]},
              {"result": ["fail", "error"], "code": "malformed"}]),
        12: ("the PCR values without their quote",
             lambda x: re.sub("<quote>.*</quote>", "", x, flags=re.S),
             [{"result": ["fail"], "code": "quote"}]),
    }
    return table.get(seq)


def sc_relay(c):
    """Relay the device's evidence for rivd's seed, altering unsigned parts."""
    c.tls()
    c.hello()
    # Take rivd's subscription; after go, subscribe to the device with the
    # same seed and answer rivd with the device's id and seed-id.
    mid, op = c.read_rpc()
    c.seed = base64.b64decode(nt.text(op, "nonce-seed"))
    c.sid = seed_id(c.seed)
    if c.n == 1:
        c.ev("ready")
        c.rec.wait_go()
        c.ev("go")
    pki = c.server.pki
    dev = nt.Session.connect("127.0.0.1", c.server.device_port,
                             pki + "/ca.pem", pki + "/client.pem",
                             pki + "/client.key", timeout=10)
    trig = "<trigger xmlns=\"%s\"><period>%d</period></trigger>" % (
        RAS, 25 if c.n == 1 else 1000)
    r = dev.rpc("<establish-subscription xmlns=\"%s\"><stream>"
                "pcr-trust-evidence</stream><nonce-seed xmlns=\"%s\">%s"
                "</nonce-seed>%s</establish-subscription>" %
                (SN, RAS, b64(c.seed), trig))
    if nt.child(r.elem, "id", SN) is None:
        c.ev("device-refused", r.describe())
        dev.close()
        return
    dev_id = nt.text(r.elem, "id", SN)
    c.sub_id = int(dev_id)
    c.send("<rpc-reply xmlns=\"%s\" message-id=\"%s\"><id xmlns=\"%s\">%s"
           "</id><seed-id xmlns=\"%s\">%s</seed-id></rpc-reply>" %
           (BASE_NS, mid, SN, dev_id, RAS, c.sid))
    c.ev("subscribed", "id=%s via the device" % dev_id)
    if c.n > 1:
        c.ev("done")
        c.hold()
        dev.close()
        return
    last_quote = None
    try:
        for _ in range(40):
            n = dev.notification(10)
            orig = n.raw.decode()
            seq = int(n.get("sequence-number"))
            raw = orig.replace("<name>rp0</name>", "<name>%s</name>" % TPM)
            mut = relay_mutations(seq)
            if seq == 10 and last_quote is not None:
                raw = re.sub("<quote-data>[^<]*</quote-data>", last_quote[0],
                             raw)
                raw = re.sub("<quote-signature>[^<]*</quote-signature>",
                             last_quote[1], raw)
            elif mut is not None:
                raw = mut[1](raw)
            qd = re.search("<quote-data>[^<]*</quote-data>", orig)
            qs = re.search("<quote-signature>[^<]*</quote-signature>", orig)
            if qd and qs:
                last_quote = (qd.group(0), qs.group(0))
            name = "genuine evidence, relayed unchanged" if mut is None \
                else mut[0]
            expect = [{"result": ["pass"]}] if mut is None else mut[2]
            for e in expect:
                e.setdefault("stream", "pcr-trust-evidence")
                if e["stream"] != "session":
                    e["sub"] = c.sub_id
                    e["seq"] = seq
            c.item("relay %d: %s" % (seq, name), 0, expect)
            c.send(raw)
            if seq >= 13:
                break
    except nt.NetconfError as e:
        c.ev("relay-broken", str(e))
    dev.close()
    c.ev("done")
    c.hold()


SCENARIOS = {
    "stall-data": lambda c: sc_stall(c, "data"),
    "stall-header": lambda c: sc_stall(c, "header"),
    "stall-eom": lambda c: sc_stall(c, "eom"),
    "flood": sc_flood, "big": sc_big, "mal": sc_mal,
    "nohello-tls": lambda c: sc_nohello(c, "tls"),
    "nohello-tcp": lambda c: sc_nohello(c, "tcp"),
    "nohello-half": lambda c: sc_nohello(c, "half"),
    "badhello": sc_badhello, "badsub": sc_badsub, "relay": sc_relay,
    "silent": sc_silent,
}


class Server(rf.Listener):
    """A scenario's listener, and the step its next connection plays."""

    def __init__(self, name, index, ctx, rec, pki, device_port):
        rf.Listener.__init__(self, name, ctx, rec)
        self.index, self.pki, self.device_port = index, pki, device_port
        self.step = 1
        self.lock = threading.Lock()

    def run(self, raw, nconn):
        """Run the scenario's current step on this connection; the next
        connection gets the next step, unless this one broke before the
        step was done (a loaded machine can make rivd's connect deadline
        pass first): then it gets the same step again."""
        with self.lock:
            step = self.step
        c = Conn(self, raw, step, nconn)
        c.ev("connected", "connection=%d" % nconn)
        ok = False
        try:
            SCENARIOS[self.name](c)
            ok = True
        except (nt.NetconfError, PeerClosed, OSError, ssl.SSLError,
                ET.ParseError) as e:
            c.ev("ended", "%s: %s" % (type(e).__name__, e))
        except Exception as e:  # noqa: BLE001 -- report, never die
            c.ev("crashed", "%s: %s" % (type(e).__name__, e))
            raise
        finally:
            c.close()
            with self.lock:
                if ok or c.done_step:
                    self.step = max(self.step, step + 1)


def serve(args):
    ctx = rf.prepare(args)
    rec = Recorder(args.dir)
    servers = [Server(n, i + 1, ctx, rec, args.pki, args.device_port)
               for i, n in enumerate(args.scenarios)]
    if "flood" not in args.scenarios:
        rec.flood_done.set()
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    rf.run(args.dir, servers, args.max_seconds)


# -- report -------------------------------------------------------------------

class Report:
    def __init__(self):
        self.npass = 0
        self.nfail = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.npass += 1
            print("ok: %s" % what)
        else:
            self.nfail += 1
            print("FAIL: %s%s" % (what, (": " + detail) if detail else ""))

    def info(self, line):
        print("  " + line)


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def read_events(d):
    ev = []
    with open(os.path.join(d, "events")) as f:
        for line in f:
            p = line.rstrip("\n").split(" ", 4)
            ev.append({"t": float(p[0]), "scen": p[1], "conn": int(p[2]),
                       "what": p[3], "detail": p[4] if len(p) > 4 else ""})
    return ev


def matches(v, scen, e):
    if v["attester"] != scen or v["stream"] != e.get("stream"):
        return False
    if "sub" in e and v["subscription"] != e["sub"]:
        return False
    if "seq" in e and v["sequence"] != e["seq"]:
        return False
    if "result" in e and v["result"] not in e["result"]:
        return False
    if "code" in e and e["code"] not in v["codes"]:
        return False
    if "reason" in e and not any(e["reason"] in r for r in v["reasons"]):
        return False
    if "len" in e and not any(r.startswith("malformed message (%d bytes)"
                                           % e["len"]) for r in v["reasons"]):
        return False
    return True


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def report(args):
    R = Report()
    vs = json.load(open(args.verdicts))
    ev = read_events(args.dir)
    items = []
    if os.path.exists(os.path.join(args.dir, "items")):
        items = [json.loads(x) for x in open(os.path.join(args.dir,
                                                          "items"))]
    for e in ev:
        if e["what"] == "crashed":
            R.check(False, "%s: the hostile attester itself broke" %
                    e["scen"], e["detail"])
    go = min((e["t"] for e in ev if e["what"] == "go"), default=None)
    good = sorted((v for v in vs if v["attester"] == "good"),
                  key=lambda v: v["id"])
    for v in good:
        v["t"] = parse_time(v["time"])
        v["c"] = parse_time(v["committed"])
    # 1. Windows in which a hostile peer held rivd's attention.
    windows = []
    open_w = {}
    for e in ev:
        key = (e["scen"], e["conn"])
        if e["what"] in ("stalled", "silent", "flood-start"):
            open_w[key] = (e["t"], "%s step %d: %s %s" % (
                e["scen"], e["conn"], e["what"], e["detail"]))
        elif e["what"] in ("closed-by-rivd", "not-closed", "flood-end",
                           "ended") and key in open_w:
            t0, name = open_w.pop(key)
            windows.append((t0, e["t"], name))
    print("  good attester's verdicts while a hostile peer misbehaved "
          "(verdict period %.2f s):" % args.period)
    for t0, t1, name in windows:
        n = sum(1 for v in good if t0 <= v["t"] <= t1 and
                v["result"] == "pass")
        lat = [v["c"] - v["t"] for v in good if t0 <= v["t"] <= t1]
        gaps = [b["t"] - a["t"] for a, b in zip(good, good[1:])
                if b["t"] >= t0 and a["t"] <= t1]
        R.info("%-58s %5.2f s: %3d pass verdicts, latency max %s, "
               "longest gap %s" % (
                   name[:58], t1 - t0, n,
                   "%.1f ms" % (max(lat) * 1000) if lat else "-",
                   "%.2f s" % max(gaps) if gaps else "-"))
        if t1 - t0 >= 1.5:
            want = args.min_verdicts
        elif t1 - t0 >= 3 * args.period:
            want = 1
        else:
            continue
        R.check(n >= want, "good keeps getting verdicts during %s (%d in "
                "%.2f s, at least %d)" % (name, n, t1 - t0, want))
    # 2. Latency figures: before go, during the hostile period, after.
    done = max((e["t"] for e in ev if e["what"] == "done"), default=None)
    if go is not None:
        phases = [("before the hostile attesters started", None, go),
                  ("while they misbehaved", go, done),
                  ("after", done, None)]
        R.info("good attester's verdict latency (rivd received -> "
               "committed) and gaps between verdicts:")
        for name, t0, t1 in phases:
            sel = [v for v in good if (t0 is None or v["t"] >= t0) and
                   (t1 is None or v["t"] < t1)]
            if not sel:
                R.info("  %-38s no verdicts" % name)
                continue
            lat = [(v["c"] - v["t"]) * 1000 for v in sel]
            gaps = [b["t"] - a["t"] for a, b in zip(sel, sel[1:])]
            R.info("  %-38s %4d verdicts: latency median %.1f ms, p95 %.1f "
                   "ms, max %.1f ms; gaps median %.2f s, max %.2f s" % (
                       name, len(sel), statistics.median(lat), pct(lat, 95),
                       max(lat), statistics.median(gaps) if gaps else 0,
                       max(gaps) if gaps else 0))
        hostile = [v for v in good if v["t"] >= go and
                   (done is None or v["t"] < done)]
        span = (done or time.time()) - go
        R.check(len(hostile) >= span / args.period / 4,
                "good kept its verdict rate during the whole hostile period "
                "(%d verdicts in %.1f s, period %.2f s)" % (
                    len(hostile), span, args.period))
    # 3. Every hostile message whose verdict is known: one verdict each.
    # Each item is matched to a verdict of its own: the most specific
    # expectations (sequence number, subscription, length) claim theirs
    # first.
    used = set()
    found = {}
    alts = []
    for k, it in enumerate(items):
        for j, e in enumerate(it["expect"]):
            e = dict(e)
            if e.pop("bylen", False):
                e["len"] = it["len"]
            alts.append((-len(e) - 3 * ("seq" in e), j, k, e))
    for _, _, k, e in sorted(alts, key=lambda a: a[:3]):
        if k in found:
            continue
        for v in vs:
            if v["id"] not in used and matches(v, items[k]["scenario"], e):
                found[k] = v
                used.add(v["id"])
                break
    by_cat = {}		# stall-data, stall-eom, ...: one check for stall
    for k, it in enumerate(items):
        by_cat.setdefault(it["scenario"].split("-")[0], []).append(
            (it, found.get(k)))
    for scen, lst in by_cat.items():
        missing = [it for it, f in lst if f is None]
        for it, f in lst:
            R.info("%s %d: %-62s -> %s" % (
                it["scenario"], it["conn"], it["name"][:62],
                "%s %s %s seq %s [%s] %s" % (
                    f["result"], f["stream"], f["subscription"],
                    f["sequence"], ",".join(f["codes"]),
                    (f["reasons"][0] if f["reasons"] else "")[:90])
                if f else "NO VERDICT"))
        R.check(not missing, "%s: each of its %d hostile messages has its "
                "own verdict" % (scen, len(lst)),
                "%d without one: %s" % (len(missing), "; ".join(
                    "%s (%s, step %d%s)" % (it["name"], it["scenario"],
                                            it["conn"], ", %d bytes" %
                                            it["len"] if it["len"] else "")
                    for it in missing)))
    print("%d passed, %d failed" % (R.npass, R.nfail))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = rf.add_serve(sub, SCENARIOS, 300)
    p.add_argument("--device-port", type=int, default=0)
    p = sub.add_parser("report")
    p.add_argument("--dir", required=True)
    p.add_argument("--verdicts", required=True)
    p.add_argument("--period", type=float, required=True)
    p.add_argument("--min-verdicts", type=int, default=3)
    args = ap.parse_args()
    if args.cmd == "serve":
        serve(args)
    else:
        sys.exit(report(args))


if __name__ == "__main__":
    main()
