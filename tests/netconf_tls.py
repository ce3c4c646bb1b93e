"""netconf_tls.py -- a small NETCONF-over-TLS client (RFC 6241, RFC 6242,
RFC 7589) and NETCONF Call Home receiver (RFC 8071) for the riv-attester
tests.

Session.connect() opens TLS (1.2 or later) with a client certificate,
verifies the server against a CA file, exchanges <hello> messages in
end-of-message framing and switches to chunked framing when both sides
advertise base:1.1.  rpc() sends an <rpc> and returns its <rpc-reply>;
notifications that arrive meanwhile are queued for notification().  Every
read has a deadline.

CallHomeListener listens on a loopback port and takes each TCP connection
the publisher opens; it then acts as the TLS client and NETCONF client on it
(RFC 8071: the roles flip back after the TCP connection).

Raw access (send_raw, the framing helpers) lets a test send hostile input.
"""

import collections
import queue
import re
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
NOTIF_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"
BASE10 = "urn:ietf:params:netconf:base:1.0"
BASE11 = "urn:ietf:params:netconf:base:1.1"
EOM = b"]]>]]>"
MAX_MESSAGE = 64 << 20		# the largest message we accept from a peer
_CHUNK_HEADER = re.compile(rb"\n#(#|[1-9][0-9]{0,9})\n")
_CHUNK_PREFIX = re.compile(rb"(\n(#(#|[1-9][0-9]{0,9})?)?)?\Z")


class NetconfError(Exception):
    """A protocol or transport failure."""


class Closed(NetconfError):
    """The peer closed the connection (or it failed)."""


class Timeout(NetconfError):
    """Nothing (or not enough) arrived before the deadline."""


def tls_client_context(ca, cert=None, key=None):
    """A TLS client context: TLS 1.2 or later, the server verified against
    ca (certificate and host name), our certificate if given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=ca)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    if cert is not None:
        ctx.load_cert_chain(cert, key)
    return ctx


def local(tag):
    """The local name of an ElementTree tag."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag):
    """The namespace of an ElementTree tag ("" if none)."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def child(elem, name, ns=None):
    """The first child of elem with local name (and namespace), or None."""
    if elem is None:
        return None
    for c in elem:
        if local(c.tag) == name and (ns is None or namespace(c.tag) == ns):
            return c
    return None


def children(elem, name, ns=None):
    """Every child of elem with this local name (and namespace)."""
    if elem is None:
        return []
    return [c for c in elem
            if local(c.tag) == name and (ns is None or namespace(c.tag) == ns)]


def text(elem, name=None, ns=None):
    """The stripped text of elem (or of its child name), or None."""
    if name is not None:
        elem = child(elem, name, ns)
    if elem is None:
        return None
    return (elem.text or "").strip()


class Reply:
    """An <rpc-reply>: its element, raw bytes, errors."""

    def __init__(self, elem, raw):
        self.elem = elem
        self.raw = raw
        self.message_id = elem.get("message-id")

    @property
    def ok(self):
        return child(self.elem, "ok", BASE_NS) is not None

    @property
    def data(self):
        return child(self.elem, "data", BASE_NS)

    @property
    def errors(self):
        """A list of dicts: type, tag, severity, app-tag, path, message,
        info (the error-info element)."""
        out = []
        for e in children(self.elem, "rpc-error", BASE_NS):
            d = {}
            for k in ("error-type", "error-tag", "error-severity",
                      "error-app-tag", "error-path", "error-message"):
                d[k[6:]] = text(e, k, BASE_NS)
            d["info"] = child(e, "error-info", BASE_NS)
            out.append(d)
        return out

    def describe(self):
        """One line for a failure message."""
        if self.ok:
            return "ok"
        errs = self.errors
        if errs:
            return "; ".join("%s/%s%s: %s" % (
                e["type"], e["tag"],
                " (%s)" % e["app-tag"] if e["app-tag"] else "",
                e["message"]) for e in errs)
        return self.raw[:300].decode("utf-8", "replace")


class Notification:
    """A <notification>: raw bytes, eventTime, the event element, and when
    it arrived (time.monotonic())."""

    def __init__(self, elem, raw, arrived):
        self.elem = elem
        self.raw = raw
        self.arrived = arrived
        self.event_time = text(elem, "eventTime", NOTIF_NS)
        self.event = None
        for c in elem:
            if local(c.tag) != "eventTime":
                self.event = c
                break
        self.name = local(self.event.tag) if self.event is not None else None
        self.ns = namespace(self.event.tag) if self.event is not None else None

    def get(self, name):
        """The text of a direct child of the event, or None."""
        return text(self.event, name)


class Session:
    """A NETCONF client session over a connected (TLS) socket."""

    def __init__(self, sock, timeout=10.0):
        self.sock = sock
        self.timeout = timeout
        self.buf = bytearray()
        self.chunked = False
        self.capabilities = []
        self.session_id = None
        self.next_id = 100
        self.notifications = collections.deque()
        self.closed = False

    # -- connection ------------------------------------------------------

    @classmethod
    def connect(cls, host, port, ca, cert=None, key=None, timeout=10.0,
                hello=True, server_hostname=None):
        """Open TLS to host:port and (if hello) exchange <hello>s."""
        raw = socket.create_connection((host, port), timeout)
        try:
            ctx = tls_client_context(ca, cert, key)
            tls = ctx.wrap_socket(raw, server_hostname=server_hostname or
                                  host)
        except BaseException:
            raw.close()
            raise
        s = cls(tls, timeout)
        if hello:
            try:
                s.hello()
            except BaseException:
                s.close()
                raise
        return s

    def close(self):
        """Close the connection without <close-session>."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def close_session(self, timeout=None):
        """Send <close-session>, wait for the reply, close.  Return the
        Reply (or None if the session broke)."""
        try:
            r = self.rpc("<close-session/>", timeout)
        except NetconfError:
            r = None
        self.close()
        return r

    # -- bytes -----------------------------------------------------------

    def _deadline(self, timeout):
        return time.monotonic() + (self.timeout if timeout is None
                                   else timeout)

    def _recv(self, deadline):
        """Append what arrives before deadline to the buffer."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("timed out (%d bytes pending)" % len(self.buf))
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise Timeout("timed out (%d bytes pending)" % len(self.buf))
        except (ssl.SSLError, OSError) as e:
            raise Closed("connection failed: %s" % e)
        if not data:
            raise Closed("the peer closed the connection")
        self.buf += data

    def send_raw(self, data):
        """Send bytes as they are."""
        if isinstance(data, str):
            data = data.encode()
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise Timeout("send timed out")
        except (ssl.SSLError, OSError) as e:
            raise Closed("send failed: %s" % e)

    @staticmethod
    def frame(data, chunk=None):
        """data in chunked framing (chunks of at most chunk bytes)."""
        if isinstance(data, str):
            data = data.encode()
        chunk = chunk or max(len(data), 1)
        out = bytearray()
        for i in range(0, len(data), chunk):
            part = data[i:i + chunk]
            out += b"\n#%d\n" % len(part) + part
        return bytes(out + b"\n##\n")

    def send_message(self, data, chunk=None):
        """Send one message in the session's framing."""
        if isinstance(data, str):
            data = data.encode()
        self.send_raw(self.frame(data, chunk) if self.chunked else
                      data + EOM)

    def _read_eom(self, deadline):
        while True:
            i = self.buf.find(EOM)
            if i >= 0:
                msg = bytes(self.buf[:i])
                del self.buf[:i + len(EOM)]
                return msg
            if len(self.buf) > MAX_MESSAGE:
                raise NetconfError("message too long")
            self._recv(deadline)

    def _read_chunked(self, deadline):
        # Parse from the start of the buffer each time and consume only a
        # complete message, so that a read that times out in the middle
        # of a message can be resumed by the next one.
        while True:
            parts, pos, total = [], 0, 0
            while True:
                m = _CHUNK_HEADER.match(self.buf, pos)
                if m is None:
                    if not _CHUNK_PREFIX.match(self.buf, pos):
                        raise NetconfError("bad chunk header %r" %
                                           bytes(self.buf[pos:pos + 24]))
                    break		# incomplete header: read more
                size = bytes(m.group(1))
                if size == b"#":
                    if not parts:
                        raise NetconfError("end of chunks without a chunk")
                    del self.buf[:m.end()]
                    return b"".join(parts)
                n = int(size)
                total += n
                if total > MAX_MESSAGE:
                    raise NetconfError("message too long")
                if len(self.buf) < m.end() + n:
                    break		# incomplete chunk: read more
                parts.append(bytes(self.buf[m.end():m.end() + n]))
                pos = m.end() + n
            self._recv(deadline)

    def read_raw_message(self, timeout=None):
        """The bytes of the next message."""
        deadline = self._deadline(timeout)
        if self.chunked:
            return self._read_chunked(deadline)
        return self._read_eom(deadline)

    # -- messages --------------------------------------------------------

    def hello(self, timeout=None, capabilities=(BASE10, BASE11)):
        """Send our <hello>, read the server's, pick the framing."""
        caps = "".join("<capability>%s</capability>" % c
                       for c in capabilities)
        self.send_raw(('<?xml version="1.0" encoding="UTF-8"?>'
                       '<hello xmlns="%s"><capabilities>%s</capabilities>'
                       '</hello>' % (BASE_NS, caps)).encode() + EOM)
        raw = self._read_eom(self._deadline(timeout))
        try:
            elem = ET.fromstring(raw)
        except ET.ParseError as e:
            raise NetconfError("server hello is not XML: %s" % e)
        if elem.tag != "{%s}hello" % BASE_NS:
            raise NetconfError("not a hello: %s" % elem.tag)
        self.capabilities = [(c.text or "").strip() for c in
                             children(child(elem, "capabilities"),
                                      "capability")]
        self.session_id = text(elem, "session-id")
        self.chunked = BASE11 in capabilities and \
            BASE11 in self.capabilities
        self.hello_raw = raw
        return elem

    def read_message(self, timeout=None):
        """The next message, parsed: a Reply or a Notification (other
        elements raise NetconfError)."""
        raw = self.read_raw_message(timeout)
        arrived = time.monotonic()
        try:
            elem = ET.fromstring(raw)
        except ET.ParseError as e:
            raise NetconfError("message is not XML (%s): %r" % (e, raw[:200]))
        if elem.tag == "{%s}rpc-reply" % BASE_NS:
            return Reply(elem, raw)
        if elem.tag == "{%s}notification" % NOTIF_NS:
            return Notification(elem, raw, arrived)
        raise NetconfError("unexpected message %s" % elem.tag)

    def rpc(self, content, timeout=None, chunk=None):
        """Send <rpc> around content (XML text) and return its Reply;
        notifications arriving meanwhile are queued."""
        self.next_id += 1
        mid = str(self.next_id)
        self.send_message('<rpc message-id="%s" xmlns="%s">%s</rpc>' %
                          (mid, BASE_NS, content), chunk)
        deadline = self._deadline(timeout)
        while True:
            m = self.read_message(max(deadline - time.monotonic(), 0.001))
            if isinstance(m, Notification):
                self.notifications.append(m)
                continue
            if m.message_id != mid:
                raise NetconfError("reply to message-id %s, expected %s" %
                                   (m.message_id, mid))
            return m

    def notification(self, timeout=None):
        """The next notification (queued ones first)."""
        if self.notifications:
            return self.notifications.popleft()
        deadline = self._deadline(timeout)
        while True:
            m = self.read_message(max(deadline - time.monotonic(), 0.001))
            if isinstance(m, Notification):
                return m
            raise NetconfError("unexpected rpc-reply %s" % m.message_id)

    def get(self, filter_xml=None, timeout=None):
        f = "" if filter_xml is None else \
            '<filter type="subtree">%s</filter>' % filter_xml
        return self.rpc("<get>%s</get>" % f, timeout)

    def get_config(self, timeout=None):
        return self.rpc("<get-config><source><running/></source>"
                        "</get-config>", timeout)

    def edit_config(self, config_xml, timeout=None):
        return self.rpc('<edit-config><target><running/></target>'
                        '<config>%s</config></edit-config>' % config_xml,
                        timeout)


class CallHomeListener:
    """A NETCONF Call Home (RFC 8071) listener on a loopback TCP port.

    A thread accepts each TCP connection the publisher opens and at once
    acts as the TLS client and NETCONF client on it (verifying the
    publisher's certificate against ca), as a real receiver must: a
    publisher may wait for the handshake before it serves anything else.
    The sessions are queued for next_session().  While reject > 0, a
    connection is closed right after the TCP accept instead (a failed
    call); when delay > 0, the next connection waits that many seconds
    between the TCP accept and the TLS handshake (a slow receiver; event
    holding is set meanwhile).  attempts lists the monotonic time of every
    TCP accept."""

    def __init__(self, ca, cert, key, host="127.0.0.1", port=0,
                 session_timeout=10.0):
        self.ca, self.cert, self.key = ca, cert, key
        self.host = host
        self.session_timeout = session_timeout
        self.reject = 0
        self.delay = 0.0
        self.holding = threading.Event()
        self.attempts = []
        self.errors = []
        self.sessions = queue.Queue()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.attempts.append(time.monotonic())
            if self.reject > 0:
                self.reject -= 1
                conn.close()
                continue
            if self.delay > 0:
                self.holding.set()
                time.sleep(self.delay)
                self.delay = 0.0
            try:
                conn.settimeout(self.session_timeout)
                ctx = tls_client_context(self.ca, self.cert, self.key)
                tls = ctx.wrap_socket(conn, server_hostname=self.host)
                s = Session(tls, self.session_timeout)
                s.accepted = self.attempts[-1]
                s.hello()
            except (OSError, NetconfError) as e:
                self.errors.append("%s: %s" % (type(e).__name__, e))
                conn.close()
                continue
            self.sessions.put(s)

    def next_session(self, timeout):
        """The next call-home session (TLS and hello done)."""
        try:
            return self.sessions.get(timeout=timeout)
        except queue.Empty:
            raise Timeout("no call home within %.1f s%s" % (
                timeout, " (%s)" % "; ".join(self.errors[-3:])
                if self.errors else ""))

    def close(self):
        self.stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.thread.join(2)
