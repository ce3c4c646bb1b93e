# rivd_proxy.py LISTEN-PORT TARGET-PORT: a TCP relay on loopback for the rivd
# tests; on SIGUSR1 it cuts every connection it relays, as a network failure
# would, and keeps accepting new ones.
import selectors
import signal
import socket
import sys

lport, dport = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport))
ls.listen(64)
sel.register(ls, selectors.EVENT_READ)
pairs = {}
drop = [False]
signal.signal(signal.SIGUSR1, lambda *a: drop.__setitem__(0, True))


def close(s):
    """Close s and its peer."""
    o = pairs.pop(s, None)
    for x in (s, o):
        if x is None:
            continue
        try:
            sel.unregister(x)
        except (KeyError, ValueError):
            pass
        x.close()
        pairs.pop(x, None)


while True:
    try:
        events = sel.select(0.2)
    except InterruptedError:
        events = []
    if drop[0]:
        drop[0] = False
        for s in list(pairs):
            close(s)
        print("dropped", flush=True)
    for key, _ in events:
        s = key.fileobj
        if s is ls:
            c, _ = ls.accept()
            try:
                u = socket.create_connection(("127.0.0.1", dport))
            except OSError:
                c.close()
                continue
            pairs[c], pairs[u] = u, c
            sel.register(c, selectors.EVENT_READ)
            sel.register(u, selectors.EVENT_READ)
            continue
        if s not in pairs:
            continue
        try:
            d = s.recv(65536)
        except OSError:
            d = b""
        if not d:
            close(s)
        else:
            try:
                pairs[s].sendall(d)
            except OSError:
                close(s)
