#!/usr/bin/python3
"""notif_harness.py — make the seeds of the notification fuzz targets
(tests/fuzz/seeds/{pcr_evidence,bios_log,ima_log}); run by
tests/fuzz/notif_harness.sh, which starts the software TPMs and
riv-attester.

  notif_harness.py capture DIR   subscribe to every stream over SSH (the
                                 attester of tests/attester_lib.sh) with the
                                 harness's nonce seed and save the raw
                                 notifications in DIR/<stream>/nNNN.xml
  notif_harness.py seeds DIR     write the seeds from the capture in DIR,
                                 and print the AKs (DIR/rpN-ak.pub) as
                                 notif_harness.c's ak_hex wants them
"""

import base64
import os
import re
import struct
import sys
import time

RAS = "urn:rivd:params:xml:ns:yang:riv-attestation-streams"
SN = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
SEED = bytes(range(32))         # notif_harness.c's h_seed
ENV = os.environ
M = None


def capture(OUT):
    global M
    from ncclient import manager
    from ncclient.operations import RaiseMode
    from ncclient.xml_ import to_ele
    M = manager.connect(host="127.0.0.1", port=int(ENV["ATT_SSH_PORT"]),
                        username="rivd",
                        key_filename=os.path.join(ENV["PKI"],
                                                  "client_ssh_key"),
                        hostkey_verify=False, allow_agent=False,
                        look_for_keys=False, timeout=30)
    M.raise_mode = RaiseMode.NONE
    def establish(stream, extra):
        body = ('<establish-subscription xmlns="%s"><stream>%s</stream>'
                '<nonce-seed xmlns="%s">%s</nonce-seed>%s'
                '</establish-subscription>' % (SN, stream, RAS,
                                               base64.b64encode(SEED).decode(),
                                               extra))
        r = M.dispatch(to_ele(body))
        sid = re.search(r"<(?:\w+:)?id[^>]*>(\d+)<", r.xml)
        return int(sid.group(1)), r.xml

    def trig(period):
        return ('<trigger xmlns="%s"><period>%d</period></trigger>'
                % (RAS, period))

    RAW = ('<log-entry-encoding xmlns="%s" xmlns:ras="%s">ras:raw'
           '</log-entry-encoding>' % (RAS, RAS))
    def maxe(n):
        return '<max-entries xmlns="%s">%d</max-entries>' % (RAS, n)
    def sel(n):
        return ('<tpm20-pcr-selection xmlns="%s" xmlns:taa="urn:ietf:params:xml:'
                'ns:yang:ietf-tcg-algs"><tpm20-hash-algo>taa:TPM_ALG_SHA256'
                '</tpm20-hash-algo>%s</tpm20-pcr-selection>'
                % (RAS, "".join("<pcr-index>%d</pcr-index>" % i
                                for i in range(n))))
    SEL = sel(10)

    subs = {}
    specs = [("pcr-trust-evidence", SEL + trig(50), "pcr"),
             ("bios-log", RAW + maxe(4) + SEL + trig(50), "bios"),
             ("ima-log", RAW + maxe(4) + sel(11) + trig(50), "ima"),
             ("bios-log", maxe(2) + SEL + trig(50), "bios-structured"),
             ("ima-log", maxe(3) + sel(11) + trig(50), "ima-structured")]
    for stream, extra, label in specs:
        sid, reply = establish(stream, extra)
        subs[sid] = label
        os.makedirs(os.path.join(OUT, label), exist_ok=True)
        with open(os.path.join(OUT, label, "reply.xml"), "w") as f:
            f.write(reply)
        print("subscribed", label, sid, flush=True)

    count = {}
    deadline = time.monotonic() + float(ENV.get("CAPTURE_SECONDS", "12"))
    while time.monotonic() < deadline:
        nt = M.take_notification(block=True, timeout=0.5)
        if nt is None:
            continue
        x = nt.notification_xml
        mm = re.search(r"<(?:\w+:)?subscription-id>(\d+)<", x) or \
            re.search(r"<(?:\w+:)?id>(\d+)<", x)
        label = subs.get(int(mm.group(1))) if mm else None
        if label is None:
            label = "other"
            os.makedirs(os.path.join(OUT, label), exist_ok=True)
        count[label] = count.get(label, 0) + 1
        with open(os.path.join(OUT, label, "n%03d.xml" % count[label]), "w") as f:
            f.write(x)
    print(count)
    M.close_session()


def seeds(SRC):
    DST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    EOM = "]]>]]>"
    IDS = {"pcr": "2147483648", "bios": "2147483649", "ima": "2147483650"}

    def rd(d, n):
        with open(os.path.join(SRC, d, "n%03d.xml" % n)) as f:
            return f.read()

    def reply(d):
        with open(os.path.join(SRC, d, "reply.xml")) as f:
            return re.sub(r'message-id="[^"]*"', 'message-id="1"', f.read())

    def setid(x, i):
        x = re.sub(r"<subscription-id>\d+<", "<subscription-id>%s<" % i, x)
        return re.sub(r"<id>\d+<", "<id>%s<" % i, x)

    def only_rp0(x):
        return re.sub(r"<tpm><name>rp1</name>.*?</tpm>", "", x, flags=re.S)

    def sub(x, pat, rep, count=1):
        y = re.sub(pat, rep, x, count=count, flags=re.S)
        assert y != x, pat
        return y

    def b64(b):
        return base64.b64encode(b).decode()

    def first_raw(x):
        return base64.b64decode(re.search(r"<raw-entries>([^<]*)<", x).group(1))

    out = {}

    def put(target, name, text):
        out.setdefault(target, {})[name] = text.encode() if isinstance(text, str) else text

    def common(t, d, first, second):
        """Seeds every stream shares: chain, replay, establish, foreign..."""
        sid = IDS[d]
        put(t, "real-seq0.xml", first)
        put(t, "replay.xml", first + EOM + first)
        put(t, "reordered.xml", second + EOM + first)
        put(t, "establish-then-seq0.xml", reply(d).replace(
            re.search(r"<id[^>]*>(\d+)<", reply(d)).group(1), sid) + EOM + first)
        put(t, "establish-bad-seed-id.xml", re.sub(
            r"(<seed-id[^>]*>)[^<]*<", r"\1AAAAAAAAAAA=<", reply(d)) + EOM + first)
        put(t, "establish-refused.xml",
            '<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
            'message-id="1"><rpc-error><error-type>application</error-type>'
            '<error-tag>operation-failed</error-tag><error-severity>error'
            '</error-severity><error-app-tag>ietf-subscribed-notifications:'
            'stream-unavailable</error-app-tag><error-message>no such stream'
            '</error-message></rpc-error></rpc-reply>' + EOM + first)
        put(t, "terminated-then-seq0.xml",
            '<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:'
            '1.0"><eventTime>2026-12-01T09:35:14Z</eventTime>'
            '<subscription-terminated xmlns="urn:ietf:params:xml:ns:yang:ietf-'
            'subscribed-notifications"><id>%s</id><reason>suspension-timeout'
            '</reason></subscription-terminated></notification>' % sid + EOM +
            first)
        put(t, "foreign-id.xml", setid(first, "7"))
        put(t, "seq-max.xml", sub(first, r"<sequence-number>\d+<",
            "<sequence-number>18446744073709551615<") + EOM + first)
        put(t, "seq-far-then-0.xml", sub(first, r"<sequence-number>\d+<",
            "<sequence-number>1000000<") + EOM + first)
        put(t, "seq-over.xml", sub(first, r"<sequence-number>\d+<",
            "<sequence-number>18446744073709551616<"))
        put(t, "seed-id-short.xml", sub(first, r"<seed-id>[^<]*<",
            "<seed-id>AAAA<"))
        put(t, "seed-id-bad-base64.xml", sub(first, r"<seed-id>[^<]*<",
            "<seed-id>Yw3NKW!EM2Y=<"))
        put(t, "no-tpm.xml", re.sub(r"<tpm>.*</tpm>", "", first, flags=re.S))
        put(t, "tpm-unknown.xml", sub(first, r"<name>rp0</name>",
            "<name>rp9</name>"))
        put(t, "garbage-middle.xml", first + EOM + "<notification><" + EOM +
            "\x00" + EOM + "<rpc-reply message-id='1'><id>1</id>" + EOM + second)
        put(t, "not-xml.xml", "<<<>>>&&&;" + EOM + "<?xml version='1.0'?>")

    # ---------------------------------------------------------------- pcr
    P = [rd("pcr", i) for i in range(1, 5)]
    t = "pcr_evidence"
    common(t, "pcr", P[0], P[1])
    put(t, "real-seq1.xml", P[1])
    put(t, "chain-seq0-3.xml", EOM.join(P))
    put(t, "foreign-stream.xml", setid(rd("bios", 1), IDS["pcr"]))
    put(t, "quote-bad-base64.xml", sub(P[0], r"<quote-data>/1RD", "<quote-data>/1R!"))
    q = re.search(r"<quote-data>([^<]*)<", P[0]).group(1)
    attest = base64.b64decode(q)
    put(t, "quote-truncated.xml", sub(P[0], r"<quote-data>[^<]*<",
        "<quote-data>%s<" % b64(attest[:40])))
    put(t, "quote-longer.xml", sub(P[0], r"<quote-data>[^<]*<",
        "<quote-data>%s<" % b64(attest + b"\xff" * 9)))
    put(t, "sig-empty.xml", sub(P[0], r"<quote-signature>[^<]*<",
        "<quote-signature><"))
    put(t, "sig-swapped.xml", sub(P[0], r"<quote-signature>[^<]*<",
        "<quote-signature>%s<" % re.findall(r"<quote-signature>([^<]*)<",
                                            P[0])[1]))
    put(t, "no-signature.xml", sub(P[0], r"<quote-signature>[^<]*</quote-signature>", ""))
    put(t, "pcr-index-big.xml", sub(P[0], r"<pcr-index>9<", "<pcr-index>4294967295<"))
    put(t, "pcr-index-24.xml", sub(P[0], r"<pcr-index>9<", "<pcr-index>24<"))
    put(t, "pcr-value-short.xml", sub(P[0], r"<pcr-value>[^<]*<",
        "<pcr-value>AAAAAAA=<"))
    put(t, "pcr-value-empty.xml", sub(P[0], r"<pcr-value>[^<]*<", "<pcr-value><"))
    put(t, "pcr-bank-sha1.xml", sub(P[0], r"taa:TPM_ALG_SHA256", "taa:TPM_ALG_SHA1"))
    put(t, "pcr-bank-sm3.xml", sub(P[0], r"taa:TPM_ALG_SHA256", "taa:TPM_ALG_SM3_256"))
    put(t, "pcr-no-algo.xml", sub(P[0], r"<tpm20-hash-algo[^>]*>[^<]*</tpm20-hash-algo>", ""))
    put(t, "clock-back.xml", P[1] + EOM + P[0])
    put(t, "both-tpms-rp0.xml", sub(P[0], r"<name>rp1</name>", "<name>rp0</name>"))

    # ---------------------------------------------------------------- bios
    B = [rd("bios", i) for i in range(1, 10)]
    t = "bios_log"
    common(t, "bios", B[0], B[1][:0] + B[8])
    put(t, "real-seq3.xml", B[3])
    put(t, "real-quote-only.xml", B[8])
    put(t, "chunk-then-quote.xml", B[0] + EOM + B[8])
    put(t, "chain-rp0-full.xml", EOM.join(only_rp0(x) for x in B[:7]))
    put(t, "replay-completed.xml", B[7])
    put(t, "structured.xml", setid(rd("bios-structured", 1), IDS["bios"]))
    put(t, "log-restarted.xml", B[0] + EOM + sub(B[0].replace(
        "<sequence-number>0<", "<sequence-number>1<"), r"<name>rp0</name>",
        "<name>rp0</name><log-restarted/>"))
    put(t, "log-restarted-not-0.xml", sub(B[3], r"<name>rp0</name>",
        "<name>rp0</name><log-restarted/>"))
    raw = first_raw(B[0])
    put(t, "raw-cut.xml", sub(B[0], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(raw[:-5])))
    put(t, "raw-garbage.xml", sub(B[0], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(bytes(range(7, 250, 3)))))
    put(t, "raw-empty.xml", sub(B[0], r"<raw-entries>[^<]*<", "<raw-entries><"))
    # An event whose size field claims 4 GiB.
    ev = struct.pack("<IIH", 0, 3, 0) + b"\0" * 18 + struct.pack("<I", 0xffffffff)
    put(t, "raw-huge-event.xml", sub(B[0], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(raw + ev)))
    put(t, "raw-no-first.xml", sub(B[0], r"<first-event-number>0</first-event-number>", ""))
    put(t, "first-max.xml", sub(B[0], r"<first-event-number>0<",
        "<first-event-number>18446744073709551615<"))
    put(t, "first-32bit.xml", sub(B[0], r"<first-event-number>0<",
        "<first-event-number>4294967296<"))
    put(t, "first-negative.xml", sub(B[0], r"<first-event-number>0<",
        "<first-event-number>-1<"))

    # ---------------------------------------------------------------- ima
    I = {i: rd("ima", i) for i in (1, 2, 3, 4, 10, 14)}
    t = "ima_log"
    common(t, "ima", I[1], I[2])
    put(t, "chain-0-1.xml", I[1] + EOM + I[2])
    put(t, "chain-measured.xml", EOM.join(I[i] for i in (1, 2, 10, 14)))
    put(t, "real-quote-only.xml", I[4])
    put(t, "replay-completed.xml", I[3])
    put(t, "structured.xml", setid(rd("ima-structured", 1), IDS["ima"]))
    put(t, "log-restarted.xml", I[1] + EOM + I[2] + EOM + sub(
        I[1].replace("<sequence-number>0<", "<sequence-number>2<"),
        r"<name>rp0</name>", "<name>rp0</name><log-restarted/>"))
    raw = first_raw(I[1])
    put(t, "raw-cut.xml", sub(I[1], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(raw[:-7])))
    put(t, "raw-garbage.xml", sub(I[1], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(bytes(range(3, 250, 2)))))
    def rec(pcr, name, data, digest=b"\0" * 20):
        return struct.pack("<I", pcr) + digest + struct.pack("<I", len(name)) + \
            name + struct.pack("<I", len(data)) + data
    huge_name = struct.pack("<I", 10) + b"\0" * 20 + struct.pack("<I", 0xfffffff0) + b"ima-ng"
    put(t, "raw-huge-name.xml", sub(I[1], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(raw + huge_name)))
    bad_ng = rec(10, b"ima-ng", struct.pack("<I", 0xffffff00) + b"sha256:\0")
    put(t, "raw-ima-ng-bad-length.xml", sub(I[1], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(raw + bad_ng)))
    sig = rec(10, b"ima-sig", struct.pack("<I", 9) + b"sha1:\0abc" +
              struct.pack("<I", 3) + b"/x\0" + struct.pack("<I", 6) +
              b"\x03\x02\x04\x00\x00\x00")
    put(t, "raw-ima-sig.xml", sub(I[1], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(raw + sig)))
    put(t, "raw-pcr-99.xml", sub(I[1], r"<raw-entries>[^<]*<",
        "<raw-entries>%s<" % b64(raw + rec(99, b"ima-ng", b""))))
    put(t, "raw-no-first.xml", sub(I[1], r"<first-event-number>0</first-event-number>", ""))
    put(t, "first-max.xml", sub(I[1], r"<first-event-number>0<",
        "<first-event-number>18446744073709551615<"))

    for t, files in out.items():
        d = os.path.join(DST, t)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(t, len(files), "files,", max(len(v) for v in files.values()),
              "bytes at most")
    for name in ("rp0", "rp1"):
        with open(os.path.join(SRC, name + "-ak.pub"), "rb") as f:
            h = f.read().hex()
        print("/* %s */" % name)
        for i in range(0, len(h), 64):
            print('\t"%s"' % h[i:i + 64])


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("capture", "seeds"):
        sys.exit("usage: notif_harness.py capture|seeds DIR")
    if sys.argv[1] == "capture":
        capture(sys.argv[2])
    else:
        seeds(sys.argv[2])
