#!/usr/bin/env python3
"""rivd_replies.py -- scripted NETCONF-over-TLS attesters for
tests/rivd_replies.sh whose hellos and rpc-replies are valid but unusual
XML, or not what they seem to a reader that scans the text.

  rivd_replies.py serve --pki DIR --dir DIR [--max-seconds S] SCENARIO...

    prefixed  a hello of nc:-prefixed elements whose one base capability
              (base:1.1) is surrounded by white space, beside base:1.0 as
              the text of an element of another namespace; then a
              prefixed establish-subscription reply (id 4242, the right
              seed-id), its id and seed-id with prefixes of their own and
              white space around the id
    textcap   a hello whose base:1.0 and base:1.1 URIs are only the text
              of elements of other namespaces and of a comment: no base
              capability
    escaped   a good hello, then an rpc-error whose error-message holds an
              escaped <rpc-reply> with an <id> and a <seed-id>
    noid      a good hello, then an establish-subscription reply without
              a message-id, then (the next connection) the reply again
              with it
    burst     a good hello and reply (id 4545), then two notifications of
              a subscription rivd does not hold (tests/fuzz/seeds/
              pcr_evidence/foreign-id.xml) as two TLS records in one TCP
              segment (TCP_CORK), then silence: both must be read at once
              though the socket announces nothing more
    lastword  a good hello and reply (id 4545), then a notification of a
              subscription rivd does not hold and the TLS close_notify in
              one TCP segment: the notification must be appraised before
              the session ends
    mute      a good hello, then no answer to establish-subscription:
              rivd stops while the RPC awaits its reply (the session
              lingers, and must be freed)
    tls12     TLS 1.2 (the server's Finished is the handshake's last
              message), the socket corked from the handshake until the
              hello is written: the Finished and the hello reach rivd in
              one segment, and the hello must be read although nothing
              more arrives

Each connection writes "SCENARIO CONN EVENT" lines to DIR/events.  Runs
until SIGTERM (or --max-seconds).
"""

import argparse
import base64
import hashlib
import os
import socket
import ssl
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True		# no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netconf_tls as nt  # noqa: E402
import rivd_fake as rf  # noqa: E402
from rivd_fake import SN  # noqa: E402

BASE_NS = nt.BASE_NS
RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
SCENARIOS = ("prefixed", "textcap", "escaped", "noid", "burst", "tls12",
             "lastword", "mute")
FOREIGN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz",
                       "seeds", "pcr_evidence", "foreign-id.xml")
HOLD_SECONDS = 600
LOCK = threading.Lock()

GOOD_HELLO = ("<hello xmlns=\"%s\"><capabilities><capability>%s"
              "</capability><capability>%s</capability></capabilities>"
              "<session-id>1</session-id></hello>" % (BASE_NS, nt.BASE10,
                                                      nt.BASE11))

PREFIXED_HELLO = (
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<nc:hello xmlns:nc=\"%s\">\n <nc:capabilities>\n"
    "  <nc:capability>\n   %s\n  </nc:capability>\n"
    "  <x:capability xmlns:x=\"urn:example:other\">%s</x:capability>\n"
    " </nc:capabilities>\n <nc:session-id>2</nc:session-id>\n"
    "</nc:hello>" % (BASE_NS, nt.BASE11, nt.BASE10))

TEXTCAP_HELLO = (
    "<hello xmlns=\"%s\"><capabilities><capability>urn:example:none"
    "</capability><!-- <capability>%s</capability> --></capabilities>"
    "<x xmlns=\"urn:example:other\"><capability>%s</capability>"
    "<capability>%s</capability></x><session-id>3</session-id></hello>"
    % (BASE_NS, nt.BASE11, nt.BASE10, nt.BASE11))


def seed_id(seed):
    """The seed-id of a seed (nonce-hash-algo SHA-256)."""
    return base64.b64encode(hashlib.sha256(seed).digest()[:8]).decode()


class Events:
    def __init__(self, d):
        self.path = os.path.join(d, "events")

    def event(self, scen, conn, what):
        with LOCK, open(self.path, "a") as f:
            f.write("%s %d %s\n" % (scen, conn, what))


class Server(rf.Listener):
    def run(self, raw, nconn):
        s = None
        try:
            raw.settimeout(10)
            if self.name == "tls12":
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            s = nt.Session(self.ctx.wrap_socket(raw, server_side=True),
                           timeout=10)
            self.play(s, nconn)
        except Exception as e:		# rivd closed, as it may
            self.rec.event(self.name, nconn, "ended %s" %
                           str(e).replace("\n", " ")[:80])
        finally:
            try:
                (s.sock if s else raw).close()
            except OSError:
                pass

    def hello(self, s, text):
        s.send_raw(text.encode() + nt.EOM)
        if self.name == "tls12":
            s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        rivd_hello = s.read_raw_message()
        s.chunked = nt.BASE11 in text and nt.BASE11.encode() in rivd_hello

    def establish(self, s):
        raw = s.read_raw_message(timeout=10)
        elem = ET.fromstring(raw)
        op = elem[0]
        if nt.local(op.tag) != "establish-subscription":
            raise nt.NetconfError("unexpected rpc %s" % op.tag)
        seed = base64.b64decode(nt.text(op, "nonce-seed"))
        return elem.get("message-id"), seed

    def hold(self, s):
        deadline = time.monotonic() + HOLD_SECONDS
        while time.monotonic() < deadline:
            try:
                s.read_raw_message(timeout=5)
            except nt.Timeout:
                pass

    def burst(self, s):
        """Send two notifications as two TLS records held back by
        TCP_CORK until both are written: one segment, then silence."""
        with open(FOREIGN, "rb") as f:
            msg = f.read().strip()
        s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        s.send_message(msg)
        s.send_message(msg)
        s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)

    def last_word(self, s):
        """Send a notification and close (close_notify) in one segment:
        TCP_CORK holds both until the kernel's 200 ms cork limit."""
        with open(FOREIGN, "rb") as f:
            msg = f.read().strip()
        s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        s.send_message(msg)
        try:
            s.sock.unwrap()
        except (OSError, ValueError):
            pass

    def play(self, s, nconn):
        ev = self.rec.event
        name = self.name
        if name == "textcap":
            self.hello(s, TEXTCAP_HELLO)
            ev(name, nconn, "hello")
            self.hold(s)
            return
        self.hello(s, PREFIXED_HELLO if name == "prefixed" else GOOD_HELLO)
        mid, seed = self.establish(s)
        if name == "mute":
            ev(name, nconn, "asked")
            self.hold(s)
            return
        if name == "prefixed":
            body = ("<nc:rpc-reply xmlns:nc=\"%s\" message-id=\"%s\">"
                    "<sn:id xmlns:sn=\"%s\">\n 4242 \n</sn:id>"
                    "<ras:seed-id xmlns:ras=\"%s\">%s</ras:seed-id>"
                    "</nc:rpc-reply>" % (BASE_NS, mid, SN, RAS,
                                         seed_id(seed)))
        elif name == "escaped":
            body = ("<rpc-reply xmlns=\"%s\" message-id=\"%s\"><rpc-error>"
                    "<error-type>application</error-type><error-tag>"
                    "invalid-value</error-tag><error-severity>error"
                    "</error-severity><error-app-tag>"
                    "riv-attestation-streams:seed-invalid</error-app-tag>"
                    "<error-message>not &lt;rpc-reply&gt;&lt;id xmlns="
                    "&quot;%s&quot;&gt;7&lt;/id&gt;&lt;seed-id&gt;%s"
                    "&lt;/seed-id&gt;</error-message></rpc-error>"
                    "</rpc-reply>" % (BASE_NS, mid, SN, seed_id(seed)))
        elif name in ("burst", "tls12", "lastword"):
            body = ("<rpc-reply xmlns=\"%s\" message-id=\"%s\"><id xmlns="
                    "\"%s\">4545</id><seed-id xmlns=\"%s\">%s</seed-id>"
                    "</rpc-reply>" % (BASE_NS, mid, SN, RAS,
                                      seed_id(seed)))
        elif nconn == 1:	# noid
            body = ("<rpc-reply xmlns=\"%s\"><id xmlns=\"%s\">4343</id>"
                    "<seed-id xmlns=\"%s\">%s</seed-id></rpc-reply>"
                    % (BASE_NS, SN, RAS, seed_id(seed)))
        else:
            body = ("<rpc-reply xmlns=\"%s\" message-id=\"%s\"><id xmlns="
                    "\"%s\">4343</id><seed-id xmlns=\"%s\">%s</seed-id>"
                    "</rpc-reply>" % (BASE_NS, mid, SN, RAS,
                                      seed_id(seed)))
        s.send_message(body)
        ev(name, nconn, "replied")
        if name == "noid" and nconn == 1:
            time.sleep(0.5)
            return		# rivd reconnects: the reply with a message-id
        if name == "burst":
            time.sleep(0.5)
            self.burst(s)
            ev(name, nconn, "burst")
        if name == "lastword" and nconn == 1:
            time.sleep(0.5)
            self.last_word(s)
            ev(name, nconn, "closed")
            return
        self.hold(s)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    rf.add_serve(sub, SCENARIOS, 120)
    args = ap.parse_args()
    ctx = rf.prepare(args)
    rec = Events(args.dir)
    servers = []
    for name in args.scenarios:
        srv = Server(name, ctx, rec)
        if name == "tls12":
            srv.ctx = rf.prepare(args)
            srv.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        servers.append(srv)
    rf.run(args.dir, servers, args.max_seconds)


if __name__ == "__main__":
    main()
