# demo_relay.py LISTEN-PORT TARGET-PORT PKI-DIR — for contrib/demo: a
# man in the middle between rivd and one riv-attester.  It holds
# certificates of the demo's throw-away CA (the attester's, to face rivd;
# rivd's, to face the attester), so it terminates both TLS sessions and
# relays the NETCONF messages between them unchanged, a whole message at a
# time.  On SIGUSR1 it re-sends to rivd, on the same session, the last
# pcr-trust-evidence notification it relayed: the replay a man in the
# middle with stolen keys could attempt, and which TLS alone cannot stop.
# It prints one line per session and per replay on standard output:
#   session: rivd 127.0.0.1:40000 <-> attester 127.0.0.1:6513
#   replayed: pcr-trust-evidence sequence-number 4 (2411 bytes)
#   replay: nothing to replay yet
import asyncio
import os
import re
import signal
import ssl
import sys

SEQ = re.compile(rb"<sequence-number>(\d+)</sequence-number>")
MAX_MESSAGE = 16 * 1024 * 1024


class Framer:
    """Split one direction of a NETCONF session into whole messages:
    end-of-message framing (]]>]]>) or chunked framing (RFC 6242),
    whichever each message starts with."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        """Add data; return the complete messages now available, each as
        the bytes that carried it (framing included)."""
        self.buf += data
        out = []
        while True:
            n = self.complete()
            if n <= 0:
                break
            out.append(self.buf[:n])
            self.buf = self.buf[n:]
        if len(self.buf) > MAX_MESSAGE:
            raise ValueError("message too large")
        return out

    def complete(self):
        """Length of the first complete message in buf, else 0."""
        b = self.buf
        if b.startswith(b"\n#"):
            i = 0
            while True:
                if len(b) < i + 4:
                    return 0
                if b[i:i + 4] == b"\n##\n":
                    return i + 4
                if b[i:i + 2] != b"\n#":
                    raise ValueError("bad chunk header")
                j = b.find(b"\n", i + 2)
                if j < 0:
                    return 0
                size = int(b[i + 2:j])
                if len(b) < j + 1 + size:
                    return 0
                i = j + 1 + size
        k = b.find(b"]]>]]>")
        return k + 6 if k >= 0 else 0


def payload(msg):
    """The XML a framed message carries."""
    if not msg.startswith(b"\n#"):
        return msg[:-6]
    out, i = [], 0
    while msg[i:i + 4] != b"\n##\n":
        j = msg.find(b"\n", i + 2)
        size = int(msg[i + 2:j])
        out.append(msg[j + 1:j + 1 + size])
        i = j + 1 + size
    return b"".join(out)


class Relay:
    """The relay: sessions, and the last notification to replay."""

    def __init__(self, target, pki):
        self.target = target
        self.server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_ctx.load_cert_chain(os.path.join(pki, "server.pem"),
                                        os.path.join(pki, "server.key"))
        self.client_ctx = ssl.create_default_context(
            cafile=os.path.join(pki, "ca.pem"))
        self.client_ctx.load_cert_chain(os.path.join(pki, "client.pem"),
                                        os.path.join(pki, "client.key"))
        self.last = None        # (writer to rivd, message) to replay
        self.sessions = set()

    async def pump(self, reader, writer, keep):
        """Copy whole messages from reader to writer; keep the last
        pcr-trust-evidence notification when keep."""
        framer = Framer()
        while True:
            data = await reader.read(65536)
            if not data:
                break
            for m in framer.feed(data):
                writer.write(m)
                if keep and b"<pcr-trust-evidence" in payload(m):
                    self.last = (writer, m)
            await writer.drain()

    async def session(self, rreader, rwriter):
        """One rivd session: connect to the attester and relay."""
        peer = rwriter.get_extra_info("peername")
        try:
            areader, awriter = await asyncio.open_connection(
                "127.0.0.1", self.target, ssl=self.client_ctx,
                server_hostname="127.0.0.1")
        except OSError as e:
            print("session: attester unreachable: %s" % e, flush=True)
            rwriter.close()
            return
        print("session: rivd %s:%d <-> attester 127.0.0.1:%d" %
              (peer[0], peer[1], self.target), flush=True)
        tasks = [asyncio.ensure_future(self.pump(rreader, awriter, False)),
                 asyncio.ensure_future(self.pump(areader, rwriter, True))]
        self.sessions.add(rwriter)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except Exception:
            pass
        for t in tasks:
            t.cancel()
        self.sessions.discard(rwriter)
        for w in (rwriter, awriter):
            try:
                w.close()
            except Exception:
                pass
        print("session: closed", flush=True)

    def replay(self):
        """Re-send the last pcr-trust-evidence notification to rivd."""
        if self.last is None or self.last[0] not in self.sessions:
            print("replay: nothing to replay yet", flush=True)
            return
        writer, m = self.last
        seq = SEQ.search(payload(m))
        writer.write(m)
        print("replayed: pcr-trust-evidence sequence-number %s (%d bytes)" %
              (seq.group(1).decode() if seq else "?", len(m)), flush=True)


async def main():
    lport, tport, pki = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    relay = Relay(tport, pki)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, relay.replay)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    server = await asyncio.start_server(relay.session, "127.0.0.1", lport,
                                        ssl=relay.server_ctx)
    print("listening: 127.0.0.1:%d" % lport, flush=True)
    async with server:
        await stop


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
