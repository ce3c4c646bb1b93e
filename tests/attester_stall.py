#!/usr/bin/python3
"""attester_stall.py — a client that stops reading must not stall the
other subscribers of riv-attester for more than --send-timeout.

Run by tests/attester_stall.sh with an attester started with
--send-timeout 1000 and one TPM rp0.  A raw SSH client (paramiko, the
smallest channel window paramiko allows, 32 KiB) subscribes to
pcr-trust-evidence every 10 cs and then never reads again, so the
attester's SSH window runs out; meanwhile an ncclient session subscribed
with a period of 100 cs must keep receiving its notifications: one delay
of at most the send timeout, then every period again; the stalled
session is closed.  Environment as for attester_ncclient.py.  Prints
"ok: WHAT" / "FAIL: WHAT: DETAILS" and "N passed, M failed".
"""

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import time

import paramiko
from lxml import etree
from ncclient import manager
from ncclient.operations import RaiseMode
from ncclient.xml_ import to_ele

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nc_testlib import R  # noqa: E402

RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
NOTIF = "urn:ietf:params:xml:ns:netconf:notification:1.0"
ENV = os.environ
PORT = int(ENV["ATT_SSH_PORT"])
KEY = os.path.join(ENV["PKI"], "client_ssh_key")
SEND_TIMEOUT = 1.0      # --send-timeout of the attester, seconds
PERIOD = 1.0            # the reading subscriber's period
WORK = sys.argv[1] if len(sys.argv) > 1 else "."

def establish_xml(period_cs, seed):
    return ('<establish-subscription xmlns="%s"><stream>pcr-trust-evidence'
            '</stream><nonce-seed xmlns="%s">%s</nonce-seed>'
            '<trigger xmlns="%s"><period>%d</period></trigger>'
            '</establish-subscription>' % (SN, RAS,
                                           base64.b64encode(seed).decode(),
                                           RAS, period_cs))


def chunk(msg):
    data = msg.encode()
    return b"\n#%d\n" % len(data) + data + b"\n##\n"


class Stalled:
    """A NETCONF 1.1 client over paramiko that subscribes and stops
    reading."""

    def __init__(self):
        self.t = paramiko.Transport(("127.0.0.1", PORT))
        self.t.connect(username="rivd",
                       pkey=paramiko.ECDSAKey.from_private_key_file(KEY))
        self.ch = self.t.open_session(window_size=32768,
                                      max_packet_size=4096)
        self.ch.invoke_subsystem("netconf")
        self.buf = b""

    def read_until(self, token, timeout=10):
        deadline = time.monotonic() + timeout
        self.ch.settimeout(0.5)
        while token not in self.buf and time.monotonic() < deadline:
            try:
                d = self.ch.recv(65536)
            except Exception:       # noqa: BLE001 — socket.timeout
                continue
            if not d:
                break
            self.buf += d
        return token in self.buf

    def start(self):
        hello = ('<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
                 '<capabilities><capability>urn:ietf:params:netconf:base:'
                 '1.1</capability></capabilities></hello>]]>]]>')
        if not self.read_until(b"]]>]]>"):
            return False
        self.buf = b""
        self.ch.sendall(hello.encode())
        self.ch.sendall(chunk('<rpc xmlns="urn:ietf:params:xml:ns:netconf:'
                              'base:1.0" message-id="1">%s</rpc>' %
                              establish_xml(10, os.urandom(32))))
        return self.read_until(b"</rpc-reply>") and b"<id" in self.buf

    def alive(self):
        return self.t.is_active() and not self.ch.closed and \
            not self.ch.eof_received


def status():
    p = subprocess.run([ENV["RIV_ATTESTER"], "ctl", ENV["ATT_CTL"],
                        "status"], stdout=subprocess.PIPE, timeout=30)
    return p.stdout.decode()


def main():
    m = manager.connect(host="127.0.0.1", port=PORT, username="rivd",
                        key_filename=KEY, hostkey_verify=False,
                        allow_agent=False, look_for_keys=False, timeout=30)
    m.raise_mode = RaiseMode.NONE
    seed = os.urandom(32)
    reply = m.dispatch(to_ele(establish_xml(int(PERIOD * 100), seed)))
    root = etree.fromstring(reply.xml.encode())
    sid = root.find("{%s}id" % SN)
    if not R.check(sid is not None, "ncclient: establish-subscription",
                   reply.xml[:300]):
        return
    sid = int(sid.text)
    arrivals = []           # (monotonic time, sequence number, nonce ok)

    def take(until):
        while time.monotonic() < until:
            nt = m.take_notification(block=True, timeout=0.2)
            if nt is None:
                continue
            r = etree.fromstring(nt.notification_xml.encode())
            body = r[1] if len(r) > 1 else r[0]
            seq = body.find("{%s}sequence-number" % RAS)
            if seq is None or int(body.find("{%s}subscription-id" %
                                            RAS).text) != sid:
                continue
            n = int(seq.text)
            want = hmac.new(seed, n.to_bytes(8, "big"),
                            hashlib.sha256).digest()
            q = body.find("{%s}tpm/{%s}quote/{%s}quote-data" %
                          (RAS, RAS, RAS))
            attest = base64.b64decode(q.text) if q is not None else b""
            arrivals.append((time.monotonic(), n, want in attest))

    take(time.monotonic() + 2.5)
    stalled = Stalled()
    if not R.check(stalled.start(), "stalled client: hello and "
                   "establish-subscription (period 10 cs) answered"):
        return
    t_stall = time.monotonic()
    before = status()
    R.check(before.count("subscription ") == 2, "ctl status: two "
            "subscriptions", before)
    take(t_stall + 8)
    gone = not stalled.alive()
    R.check(gone, "the attester closed the session that stopped reading")
    after = status()
    R.check(after.count("subscription ") == 1 and
            ("subscription %d " % sid) in after,
            "only the reading client's subscription is left", after)
    take(time.monotonic() + 3)
    seqs = [a[1] for a in arrivals]
    R.check(seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else
            False, "ncclient: consecutive sequence numbers, no loss",
            str(seqs))
    R.check(all(a[2] for a in arrivals), "ncclient: every quote carries "
            "nonce_n as extraData")
    times = [a[0] for a in arrivals]
    gaps = [b - a for a, b in zip(times, times[1:])]
    R.check(gaps and max(gaps) <= PERIOD + SEND_TIMEOUT + 0.5,
            "ncclient: no gap longer than the period plus the send timeout "
            "(+0.5 s)", "max gap %.2f s" % max(gaps or [0]))
    late = [g for a, g in zip(times, gaps) if a > t_stall + 4]
    R.check(late and max(late) <= PERIOD + 0.3, "ncclient: after the "
            "stalled session is gone, one notification per period again",
            "gaps %s" % ["%.2f" % g for g in late])
    R.check(len(arrivals) >= 11, "ncclient: %d notifications in ~13.5 s "
            "at a 1 s period" % len(arrivals))
    try:
        m.close_session()
    except Exception:               # noqa: BLE001 — best effort
        pass


if __name__ == "__main__":
    try:
        main()
    except Exception as e:          # noqa: BLE001 — report
        import traceback
        traceback.print_exc(file=sys.stdout)
        R.check(False, "client", "exception %s: %s" % (type(e).__name__, e))
    R.summary()
    sys.exit(0)
