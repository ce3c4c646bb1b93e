"""rivd_callhome.py -- helpers of tests/rivd_callhome.sh (rivd's delivery
call-home, RFC 8071) that need a NETCONF or TLS peer.  Each mode prints
"ok: ..." and "FAIL: ..." lines and a last line "N passed, M failed"
(run_client in tests/attester_lib.sh adds them to the script's counts).

  configured DEV-PORT CH-PORT SEEDS-FILE
      get-config of the attester on DEV-PORT (TLS, as rivd: client.pem)
      must hold rivd's configured subscriptions (pcr-trust-evidence and
      bios-log, ids 0x52560000 + stream + 1) with transport
      ras:netconf-call-home and one receiver at 127.0.0.1 port CH-PORT;
      their nonce seeds are written to SEEDS-FILE (one "ID SEED" a line).
  none DEV-PORT
      get-config of the attester on DEV-PORT shows no subscription of
      rivd's configured range.
  hostile CH-PORT
      several bad call homes to rivd's listener at once, each of which
      rivd must close without a NETCONF hello: a TLS server certificate
      from another CA (rogue.pem), one from the right CA that names no
      attester (stranger.pem, made by the script), a TCP connection that
      never starts TLS (closed after connect-timeout), and bytes that are
      no TLS at all.
  impostor CH-PORT
      a call home with the attester's own certificate (server.pem) while
      its call-home session is up: rivd must close it without a hello.

PKI is the test's certificate directory ($PKI).
"""

import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netconf_tls as nt  # noqa: E402

SN_NS = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
RAS_NS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
CONFIGURED = 0x52560000
IDS = {"pcr-trust-evidence": CONFIGURED + 1, "bios-log": CONFIGURED + 2,
       "ima-log": CONFIGURED + 3}
PKI = os.environ["PKI"]

npass = 0
nfail = 0
lock = threading.Lock()


def check(cond, what, detail=""):
    global npass, nfail
    with lock:
        if cond:
            npass += 1
            print("ok: %s" % what)
        else:
            nfail += 1
            print("FAIL: %s%s" % (what, ": " + detail if detail else ""))
    return cond


def get_subscriptions(port):
    """The <subscription> entries of the attester's running datastore, as
    dicts (id, stream, transport, receivers, seed, raw)."""
    s = nt.Session.connect("127.0.0.1", port, PKI + "/ca.pem",
                           PKI + "/client.pem", PKI + "/client.key")
    try:
        r = s.get_config()
    finally:
        s.close_session()
    if not r.ok and r.data is None:
        raise nt.NetconfError("get-config: " + r.describe())
    out = []
    subs = nt.child(r.data, "subscriptions", SN_NS)
    for e in nt.children(subs, "subscription", SN_NS):
        d = {"id": int(nt.text(e, "id") or -1),
             "stream": nt.text(e, "stream"),
             "transport": nt.text(e, "transport"),
             "receivers": [], "seed": None}
        tr = nt.child(e, "transport")
        if tr is not None:
            # The prefix of the identity must name riv-attestation-streams.
            pfx, _, name = (tr.text or "").strip().rpartition(":")
            d["transport_ok"] = name == "netconf-call-home" and pfx != ""
        for c in e.iter():
            if nt.local(c.tag) == "nonce-seed":
                d["seed"] = (c.text or "").strip()
        for rcv in e.iter():
            if nt.local(rcv.tag) != "receiver":
                continue
            ch = nt.child(rcv, "call-home", RAS_NS)
            d["receivers"].append({
                "name": nt.text(rcv, "name"),
                "address": nt.text(ch, "address") if ch is not None
                else None,
                "port": nt.text(ch, "port") if ch is not None else None})
        out.append(d)
    return out, r.raw


def mode_configured(dev_port, ch_port, seeds_file):
    subs, raw = get_subscriptions(dev_port)
    mine = {d["stream"]: d for d in subs if d["id"] in IDS.values()}
    check(len(mine) == 2 and set(mine) == {"pcr-trust-evidence",
                                           "bios-log"},
          "the attester holds rivd's two configured subscriptions",
          "found %r" % [(d["id"], d["stream"]) for d in subs])
    for stream, d in sorted(mine.items()):
        check(d["id"] == IDS[stream], "%s has id %u" % (stream, IDS[stream]),
              "id %r" % d["id"])
        check(d.get("transport_ok") and
              b"urn:rivd:params:xml:ns:yang:riv-attestation-streams" in raw,
              "%s: transport ras:netconf-call-home" % stream,
              "transport %r" % d["transport"])
        rc = d["receivers"]
        check(len(rc) == 1 and rc[0]["address"] == "127.0.0.1" and
              rc[0]["port"] == str(ch_port),
              "%s: one receiver, rivd's listener 127.0.0.1 port %s" %
              (stream, ch_port), "receivers %r" % rc)
        check(bool(d["seed"]), "%s: rivd (the owner) sees its nonce seed"
              % stream, "no nonce-seed")
    with open(seeds_file, "w") as f:
        for stream, d in sorted(mine.items()):
            f.write("%u %s\n" % (d["id"], d["seed"]))


def mode_none(dev_port):
    subs, raw = get_subscriptions(dev_port)
    mine = [d for d in subs if d["id"] in IDS.values()]
    check(not mine, "the attester holds no configured subscription of "
          "rivd's any more", "still there: %r" %
          [(d["id"], d["stream"], d["receivers"]) for d in mine])


def server_ctx(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(PKI + "/" + cert, PKI + "/" + key)
    return ctx


def tls_call(port, cert, key, what, want_handshake):
    """Call rivd home with cert as the TLS server; rivd must close the
    connection without a NETCONF hello.  want_handshake: whether the TLS
    handshake should complete (a certificate from the right CA)."""
    raw = socket.create_connection(("127.0.0.1", port), 5)
    raw.settimeout(10)
    try:
        tls = server_ctx(cert, key).wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as e:
        check(not want_handshake, "%s: rivd refuses the TLS handshake"
              % what, "handshake failed: %s" % e)
        raw.close()
        return
    if not check(want_handshake, "%s: TLS handshake" % what,
                 "rivd completed the handshake"):
        tls.close()
        return
    # RFC 8071: both sides send <hello> at once; rivd must send nothing.
    got = b""
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 10:
            b = tls.recv(4096)
            if not b:
                break
            got += b
    except (ssl.SSLError, OSError):
        pass
    check(b"<hello" not in got and time.monotonic() - t0 < 10,
          "%s: rivd closes the call without a NETCONF hello" % what,
          "received %r" % got[:200])
    tls.close()


def silent(port, what, wait):
    """A TCP connection that never starts TLS: rivd (the TLS client) sends
    its ClientHello and must give up after connect-timeout."""
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(1)
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < wait:
        try:
            b = s.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
        if not b:
            closed = True
            break
    el = time.monotonic() - t0
    check(closed and el > 2, "%s: rivd closes it after its connect-timeout"
          % what, "closed %s after %.1f s" % (closed, el))
    s.close()


def garbage(port, what):
    """Bytes that are no TLS ServerHello."""
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(10)
    try:
        s.recv(4096)		# rivd's ClientHello
        s.sendall(b"SSH-2.0-OpenSSH_9.2\r\n" + os.urandom(2048))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10 and s.recv(4096):
            pass
        ok = time.monotonic() - t0 < 10
    except socket.timeout:
        ok = False
    except OSError:
        ok = True
    check(ok, "%s: rivd closes the connection" % what)
    s.close()


def mode_hostile(port):
    threads = [
        threading.Thread(target=tls_call, args=(
            port, "rogue.pem", "rogue.key", "a certificate of another CA",
            False)),
        threading.Thread(target=tls_call, args=(
            port, "stranger.pem", "stranger.key",
            "a certificate that names no attester", True)),
        threading.Thread(target=silent, args=(
            port, "a call home that never starts TLS", 9)),
        threading.Thread(target=garbage, args=(
            port, "a call home that answers with garbage")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def mode_impostor(port):
    tls_call(port, "server.pem", "server.key",
             "a second call home with the attester's certificate while its "
             "session is up", True)


def main():
    mode = sys.argv[1]
    try:
        if mode == "configured":
            mode_configured(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        elif mode == "none":
            mode_none(int(sys.argv[2]))
        elif mode == "hostile":
            mode_hostile(int(sys.argv[2]))
        elif mode == "impostor":
            mode_impostor(int(sys.argv[2]))
        else:
            check(False, "unknown mode %s" % mode)
    except (nt.NetconfError, OSError) as e:
        check(False, "%s: %s: %s" % (mode, type(e).__name__, e))
    print("%d passed, %d failed" % (npass, nfail))
    sys.exit(1 if nfail else 0)


if __name__ == "__main__":
    main()
