"""nc_testlib.py — what the Python clients of the NETCONF tests
(attester_ncclient.py, attester_stall.py, rivd_manage.py) share: the check
counter R, which prints "ok: WHAT" or "FAIL: WHAT: DETAILS" per check and
R.summary() the last line "N passed, M failed" that tests/attester_lib.sh
(run_client) adds up; info(); q() for a qualified element name; run() for
a command; and the yanglint features and modules of the attestation
streams (YANG, YL_FEATURES, YL_MODS).
"""

import os
import subprocess


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


def run(argv, timeout=30):
    """(exit status, stdout, stderr) of argv."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


YANG = os.path.join(os.environ.get("RIV_SRCDIR", "."), "yang")
YL_FEATURES = ["-F", "ietf-subscribed-notifications:configured,replay,"
               "subtree,xpath,encode-xml", "-F", "ietf-tcg-algs:tpm20",
               "-F", "ietf-tpm-remote-attestation:bios,ima"]
YL_MODS = [os.path.join(YANG, m) for m in (
    "ietf-tcg-algs@2024-12-05.yang",
    "ietf-tpm-remote-attestation@2024-12-05.yang",
    "ietf-subscribed-notifications@2019-09-09.yang",
    "riv-attestation-streams@2026-12-01.yang")]
