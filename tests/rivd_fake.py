"""rivd_fake.py -- what the scripted NETCONF-over-TLS attesters of
tests/rivd_ietf.py and tests/rivd_hostile.py share: their command line
("serve --pki DIR --dir DIR [--max-seconds S] SCENARIO..."), the TLS
server context, one listening socket per scenario on a free loopback port
and the DIR/ports file that tells the test script those ports
(tests/rivd_fake.sh: start_fake waits for it).

A scenario's server is a Listener whose run(raw, nconn) plays one
connection (nconn counts the scenario's connections from 1).
"""

import base64
import os
import socket
import ssl
import threading
import time

SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
TAA = "urn:ietf:params:xml:ns:yang:ietf-tcg-algs"


def b64(data):
    return base64.b64encode(data).decode()


def add_serve(sub, scenarios, max_seconds):
    """Add the command "serve" to the subparsers sub: --pki, --dir,
    --max-seconds (default max_seconds) and the names of scenarios.
    Return its parser."""
    p = sub.add_parser("serve")
    p.add_argument("--pki", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--max-seconds", type=float, default=max_seconds)
    p.add_argument("scenarios", nargs="+", choices=sorted(scenarios))
    return p


def prepare(args):
    """Make the directory args.dir; return the TLS server context:
    server.pem and server.key of args.pki, client certificates required
    from its ca.pem."""
    os.makedirs(args.dir, exist_ok=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(os.path.join(args.pki, "server.pem"),
                        os.path.join(args.pki, "server.key"))
    ctx.load_verify_locations(os.path.join(args.pki, "ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


class Listener:
    """A scenario's listening socket and accept loop."""

    def __init__(self, name, ctx, rec):
        self.name, self.ctx, self.rec = name, ctx, rec
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.nconn = 0

    def serve(self):
        while True:
            raw, _ = self.sock.accept()
            self.nconn += 1
            threading.Thread(target=self.run, args=(raw, self.nconn),
                             daemon=True).start()

    def run(self, raw, nconn):
        raise NotImplementedError


def run(d, servers, max_seconds):
    """Write the "SCENARIO PORT" lines of servers to d/ports (at once,
    once every one listens), serve them all, and exit (1) after
    max_seconds: a safety net, never outlive the test."""
    with open(os.path.join(d, "ports.tmp"), "w") as f:
        for s in servers:
            f.write("%s %d\n" % (s.name, s.port))
    os.rename(os.path.join(d, "ports.tmp"), os.path.join(d, "ports"))
    for s in servers:
        threading.Thread(target=s.serve, daemon=True).start()
    time.sleep(max_seconds)
    os._exit(1)
