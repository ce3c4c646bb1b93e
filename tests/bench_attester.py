#!/usr/bin/python3
"""bench_attester.py -- figures for riv-attester on swtpm (make bench).

Subscribes over NETCONF/TLS to a running riv-attester and prints:
  - notifications/s the attester serves when many periodic subscriptions
    ask for more than it can quote (the TPM is the limit),
  - the attester's resident memory per idle subscription.
Figures only: nothing is asserted.

Usage: bench_attester.py PORT PKI-DIR ATTESTER-PID SECONDS
"""
import base64
import os
import re
import socket
import ssl
import sys
import time

NS_SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
NS_RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
HELLO = ('<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
         '<capabilities><capability>urn:ietf:params:netconf:base:1.1'
         '</capability></capabilities></hello>]]>]]>')


class Session:
    """A NETCONF 1.1 session over TLS that sends RPCs and counts replies
    and notifications without parsing them."""

    def __init__(self, port, pki):
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
        ctx.load_cert_chain(os.path.join(pki, "client.pem"),
                            os.path.join(pki, "client.key"))
        raw = socket.create_connection(("127.0.0.1", port), 10)
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buf = b""
        self.s.sendall(HELLO.encode())
        while b"]]>]]>" not in self.buf:
            self.buf += self.s.recv(65536)
        self.buf = self.buf.split(b"]]>]]>", 1)[1]
        self.mid = 0
        self.replies = 0
        self.notifs = 0

    def send(self, xml):
        self.mid += 1
        msg = ('<rpc message-id="%d" xmlns="urn:ietf:params:xml:ns:netconf:'
               'base:1.0">%s</rpc>' % (self.mid, xml)).encode()
        self.s.sendall(b"\n#%d\n" % len(msg) + msg + b"\n##\n")

    def drain(self, seconds):
        """Read for the given time; count complete messages."""
        end = time.monotonic() + seconds
        self.s.settimeout(0.2)
        while time.monotonic() < end:
            try:
                data = self.s.recv(262144)
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            if not data:
                break
            self.buf += data
            self.replies += self.buf.count(b"</rpc-reply>")
            self.notifs += self.buf.count(b"</notification>")
            keep = max(self.buf.rfind(b"</rpc-reply>"),
                       self.buf.rfind(b"</notification>"))
            if keep >= 0:
                self.buf = self.buf[keep + 1:]


def establish(sess, trigger):
    seed = base64.b64encode(os.urandom(32)).decode()
    sess.send('<establish-subscription xmlns="%s"><stream>pcr-trust-evidence'
              '</stream><nonce-seed xmlns="%s">%s</nonce-seed><trigger '
              'xmlns="%s">%s</trigger></establish-subscription>'
              % (NS_SN, NS_RAS, seed, NS_RAS, trigger))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main():
    port, pki, pid, secs = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                            float(sys.argv[4]))
    # Memory per idle subscription (on-change, nothing changes).
    idle = Session(port, pki)
    idle.drain(0.5)
    before = rss_kb(pid)
    n_idle = 200
    for _ in range(n_idle):
        establish(idle, "<on-change/>")
    idle.drain(3)
    after = rss_kb(pid)
    print("riv-attester: %d idle subscriptions: RSS %d -> %d KB, "
          "%.1f KB per subscription (first notifications included)"
          % (n_idle, before, after, (after - before) / n_idle))

    # Throughput: 150 subscriptions each asking for a quote every 100 ms
    # (1,500/s), more than one swtpm quotes.
    busy = Session(port, pki)
    for _ in range(150):
        establish(busy, "<period>10</period>")
    busy.drain(1.0)
    start = busy.notifs
    t0 = time.monotonic()
    busy.drain(secs)
    rate = (busy.notifs - start) / (time.monotonic() - t0)
    print("riv-attester: %.0f pcr-trust-evidence notifications/s "
          "(one swtpm TPM, quote of sha256 PCRs 0-9 + PCR read each)" % rate)


if __name__ == "__main__":
    main()
