"""nc_testlib.py — what the Python clients of the NETCONF tests
(attester_ncclient.py, attester_ietf.py, attester_tls.py,
attester_stall.py, rivd_manage.py) share: the check counter R, which
prints "ok: WHAT" or "FAIL: WHAT: DETAILS" per check and R.summary() the
last line "N passed, M failed" that tests/attester_lib.sh (run_client)
adds up; info(); q() for a qualified element name and child(), text(),
ident() to read one; run() for a command and ctl() for the attester's
control socket; workdir() and wfile() for scratch files; parse_attest()
and Quote for a TPM quote; and the yanglint features and modules of the
attestation streams, the project's and the IETF draft's (YANG,
YL_FEATURES, YL_MODS, yanglint()).
"""

import base64
import collections
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from lxml import etree

SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
TPM = "urn:ietf:params:xml:ns:yang:ietf-tpm-remote-attestation"
TAA = "urn:ietf:params:xml:ns:yang:ietf-tcg-algs"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
NOTIF = "urn:ietf:params:xml:ns:netconf:notification:1.0"


class Results:
    """Counts checks and prints one line per check."""

    def __init__(self):
        self.npass = 0
        self.nfail = 0

    def ok(self, what):
        self.npass += 1
        print("ok: " + what, flush=True)

    def fail(self, what, details=""):
        self.nfail += 1
        print("FAIL: %s: %s" % (what, details), flush=True)

    def check(self, cond, what, details=""):
        if cond:
            self.ok(what)
        else:
            self.fail(what, details)
        return bool(cond)

    def equal(self, got, want, what):
        return self.check(got == want, what,
                          "got %r, wanted %r" % (got, want))

    def summary(self):
        print("%d passed, %d failed" % (self.npass, self.nfail), flush=True)


R = Results()


def info(msg):
    print("info: " + msg, flush=True)


def q(ns, name):
    """The element name {ns}name, as lxml and ElementTree spell it."""
    return "{%s}%s" % (ns, name)


def child(el, ns, name):
    return el.find(q(ns, name)) if el is not None else None


def text(el, ns, name):
    c = child(el, ns, name)
    return c.text.strip() if c is not None and c.text is not None else None


def ident(el):
    """An identityref element's value as (namespace, name), or None."""
    if el is None or el.text is None:
        return None
    t = el.text.strip()
    if ":" not in t:
        return (None, t)
    prefix, name = t.split(":", 1)
    return (el.nsmap.get(prefix, prefix), name)


def b64(data):
    return base64.b64encode(data).decode()


WORK = None
_files = collections.Counter()


def workdir(prefix):
    """The scratch directory: the first argument, or a new one."""
    global WORK
    if len(sys.argv) > 1:
        WORK = sys.argv[1]
        os.makedirs(WORK, exist_ok=True)
    else:
        WORK = tempfile.mkdtemp(prefix=prefix)
    return WORK


def wfile(stem, data):
    """Write data (bytes or str) to a new file in WORK; return its path
    (stem "notif.xml" gives notif-1.xml, notif-2.xml, ...)."""
    _files[stem] += 1
    base, ext = os.path.splitext(stem)
    path = os.path.join(WORK, "%s-%d%s" % (base, _files[stem], ext))
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def run(argv, timeout=30):
    """(exit status, stdout, stderr) of argv."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def connect():
    """An ncclient session to the attester over SSH as user rivd, errors
    returned as replies."""
    from ncclient import manager
    from ncclient.operations import RaiseMode
    m = manager.connect(
        host="127.0.0.1", port=int(os.environ["ATT_SSH_PORT"]),
        username="rivd",
        key_filename=os.path.join(os.environ["PKI"], "client_ssh_key"),
        hostkey_verify=False, allow_agent=False, look_for_keys=False,
        timeout=30)
    m.raise_mode = RaiseMode.NONE
    return m


def collect(pump, queue, seconds):
    """What queue (a deque) holds and what pump(timeout) adds to it
    within seconds; queue is left empty."""
    deadline = time.monotonic() + seconds
    got = list(queue)
    queue.clear()
    while time.monotonic() < deadline:
        pump(min(deadline - time.monotonic(), 0.2))
        got.extend(queue)
        queue.clear()
    return got


def ctl(*args):
    """Drive the attester's control socket; (ok, output)."""
    rc, out, err = run([os.environ["RIV_ATTESTER"], "ctl",
                        os.environ["ATT_CTL"]] + list(args), 120)
    return rc == 0 and out.rstrip().endswith("ok"), (out + err).strip()


def errors_of(root):
    """The rpc-errors of a reply, each as a dict."""
    out = []
    for e in root.findall(q(NC, "rpc-error")):
        d = {"type": text(e, NC, "error-type"),
             "tag": text(e, NC, "error-tag"),
             "app_tag": text(e, NC, "error-app-tag"),
             "path": text(e, NC, "error-path"),
             "message": text(e, NC, "error-message"),
             "info": child(e, NC, "error-info"),
             "bad_element": None, "reason": None, "info_name": None}
        if d["info"] is not None:
            d["bad_element"] = text(d["info"], NC, "bad-element")
            for c in d["info"]:
                if etree.QName(c).namespace == SN:
                    d["info_name"] = etree.QName(c).localname
                    d["reason"] = ident(child(c, SN, "reason"))
        out.append(d)
    return out


def err_summary(root):
    errs = errors_of(root)
    if not errs:
        return etree.tostring(root).decode()[:300]
    return "; ".join("%s/%s app-tag %s info %s reason %s bad-element %s "
                     "(%s)" % (e["type"], e["tag"], e["app_tag"],
                               e["info_name"], e["reason"], e["bad_element"],
                               e["message"]) for e in errs)


def check_sn_error(root, what, tag, app_tag, reason, info_name,
                   etype="application"):
    """The reply must be one rpc-error with this tag, app-tag and reason
    (reason: (namespace, identity)) in error-info info_name, and of error
    type etype; None: any app-tag, reason or type."""
    errs = errors_of(root)
    if not R.check(len(errs) == 1, what + ": one rpc-error",
                   err_summary(root)):
        return
    e = errs[0]
    if etype is not None:
        R.equal(e["type"], etype, what + ": error-type")
    R.equal(e["tag"], tag, what + ": error-tag")
    if app_tag is not None:
        R.equal(e["app_tag"], app_tag, what + ": error-app-tag")
    if reason is not None:
        R.equal((e["info_name"], e["reason"]), (info_name, reason),
                what + ": error-info reason")


def extend(pcr, data_hash, h=hashlib.sha256):
    return h(pcr + data_hash).digest()


def parse_attest(data):
    """The fields of a TPMS_ATTEST (quote) the checks need."""
    off = 0

    def take(n):
        nonlocal off
        if off + n > len(data):
            raise ValueError("TPMS_ATTEST truncated at %d" % off)
        v = data[off:off + n]
        off += n
        return v

    def tpm2b():
        (size,) = struct.unpack(">H", take(2))
        return take(size)

    a = {}
    (a["magic"],) = struct.unpack(">I", take(4))
    (a["type"],) = struct.unpack(">H", take(2))
    a["signer"] = tpm2b()
    a["extra"] = tpm2b()
    a["clock"], a["reset"], a["restart"], a["safe"] = \
        struct.unpack(">QIIB", take(17))
    take(8)                                     # firmwareVersion
    sel = {}
    if a["type"] == 0x8018:                     # TPM_ST_ATTEST_QUOTE
        (count,) = struct.unpack(">I", take(4))
        for _ in range(count):
            alg, size = struct.unpack(">HB", take(3))
            bits = take(size)
            sel[alg] = sorted(i for i in range(8 * size)
                              if bits[i // 8] & (1 << (i % 8)))
        a["pcr_digest"] = tpm2b()
    a["sel"] = sel
    a["rest"] = len(data) - off
    return a


BANK_OF_ALG = {"TPM_ALG_SHA1": "sha1", "TPM_ALG_SHA256": "sha256",
               "TPM_ALG_SHA384": "sha384", "TPM_ALG_SHA512": "sha512"}


class Quote:
    """A quote with its unsigned PCR values, the leaves in namespace ns:
    riv-attestation-streams' quote, the draft's tpm20-attestation or an
    RFC 9684 challenge response."""

    def __init__(self, el, ns):
        self.el = el
        self.cert = text(el, ns, "certificate-name")
        self.attest = base64.b64decode(text(el, ns, "quote-data") or "")
        self.sig = base64.b64decode(text(el, ns, "quote-signature") or "")
        self.up_time = text(el, ns, "up-time")
        self.pcrs = {}                  # bank name -> {index: bytes}
        for u in el.findall(q(ns, "unsigned-pcr-values")):
            alg = ident(child(u, ns, "tpm20-hash-algo"))
            bank = BANK_OF_ALG.get(alg[1] if alg else "", str(alg))
            vals = self.pcrs.setdefault(bank, {})
            for pv in u.findall(q(ns, "pcr-values")):
                vals[int(text(pv, ns, "pcr-index"))] = \
                    base64.b64decode(text(pv, ns, "pcr-value") or "")
        self.changed = [int(c.text) for c in
                        el.findall(q(ns, "pcr-index-changed"))]
        try:
            self.a = parse_attest(self.attest)
        except (ValueError, struct.error) as e:
            self.a = {"error": str(e), "extra": b"", "sel": {},
                      "reset": -1, "clock": -1, "restart": -1}


YANG = os.path.join(os.environ.get("RIV_SRCDIR", "."), "yang")
YL_FEATURES = ["-F", "ietf-subscribed-notifications:configured,replay,"
               "subtree,xpath,encode-xml", "-F", "ietf-tcg-algs:tpm20",
               "-F", "ietf-tpm-remote-attestation:bios,ima"]
YL_MODS = [os.path.join(YANG, m) for m in (
    "ietf-tcg-algs@2024-12-05.yang",
    "ietf-tpm-remote-attestation@2024-12-05.yang",
    "ietf-subscribed-notifications@2019-09-09.yang",
    "riv-attestation-streams@2026-12-01.yang",
    "ietf-tpm-remote-attestation-stream@2026-06-16.yang")]


def yanglint(args):
    """Run yanglint with YL_FEATURES; (0, "") only if it passed without a
    word (it exits 0 on some errors, an input file of unknown format for
    one)."""
    # -y: the <get> data holds the YANG library (RFC 7950 5.6.4).
    rc, out, err = run(["yanglint", "-D", "-y", "-p", YANG] + YL_FEATURES +
                       args, 60)
    out = (out + err).strip()
    return (rc if rc != 0 or not out else -1), out


def notif_job(k, n, oper):
    """The yanglint job (label, args) of notification n (its .xml), the
    k-th received."""
    return ("notification %d (%r)" % (k, n),
            ["-t", "nc-notif", "-O", oper] + YL_MODS +
            [wfile("notif.xml", n.xml)])


def reply_job(label, rpc, reply, oper):
    """The rpc file of rpc (the operation's XML) with the message-id of
    reply, and the yanglint job (label, args) of reply."""
    mid = etree.fromstring(reply.encode()).get("message-id")
    rpcf = wfile("rpc.xml", '<rpc message-id="%s" xmlns="%s">%s</rpc>'
                 % (mid, NC, rpc))
    return rpcf, (label, ["-t", "nc-reply", "-R", rpcf, "-O", oper] +
                  YL_MODS + [wfile("reply.xml", reply)])


def yanglint_jobs(jobs):
    """Run the yanglint jobs (label, args) four at a time; the (label,
    output) of those that failed."""
    with ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(lambda j: (j[0], yanglint(j[1])), jobs))
    return [(what, out[:300]) for what, (rc, out) in results if rc != 0]


def run_scenario(name, f, *args):
    """f(*args), or None when it raises: the exception is a failed check
    called name.  Its time goes to an info line."""
    ts = time.monotonic()
    try:
        return f(*args)
    except Exception as e:              # noqa: BLE001 — report, go on
        R.fail(name, "exception %s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
        return None
    finally:
        info("%s took %.1f s" % (name, time.monotonic() - ts))
