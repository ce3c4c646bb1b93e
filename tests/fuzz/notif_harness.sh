#!/bin/sh
# notif_harness.sh — capture notifications from riv-attester and make the
# seeds of the notification fuzz targets from them (notif_harness.py): two
# software TPMs rp0 and rp1 booted with a small boot log and IMA list, one
# subscription per stream (and structured ones) with the harness's nonce
# seed, a file measured twice.  The seeds replace tests/fuzz/seeds/
# {pcr_evidence,bios_log,ima_log}; the AKs it prints must then replace
# ak_hex in notif_harness.c (each swtpm makes a new AK).
#
#   RIVCTL, RIV_ATTESTER  the built programs (as for make check)
#   RIV_CORPUS            evidence corpus (default ../shared/corpus)
#   CAPTURE_SECONDS       how long to listen (default 10)
#
# Usage: sh tests/fuzz/notif_harness.sh [DIR]  (DIR keeps the capture)
RIV_SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
: "${RIV_CORPUS:=$RIV_SRCDIR/../shared/corpus}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/notif_harness.XXXXXX")
export RIV_SRCDIR RIV_CORPUS TMP
. "$RIV_SRCDIR/tests/attester_lib.sh"
need_tools
OUT=${1:-$TMP/capture}
make_pki
start_swtpm rp0 rp1
start_attester --tpm "rp0=$TCTI_rp0" --tpm "rp1=$TCTI_rp1" \
    --bios-log "$RIV_CORPUS/bios/go-attestation__crypto_agile_eventlog.bin" \
    --ima-log "$RIV_CORPUS/ima/tpm2-tss__sml-ima-ng-sha1.bin"
rm -rf "$OUT"
mkdir -p "$OUT" || die "mkdir $OUT"
(sleep 4; ctl measure /usr/bin/ls; sleep 2; ctl measure /usr/bin/cat) \
    >/dev/null &
measure=$!
$PY "$RIV_SRCDIR/tests/fuzz/notif_harness.py" capture "$OUT" ||
    die "capture failed"
wait "$measure"
cp "$ATT_STATE/rp0-ak.pub" "$ATT_STATE/rp1-ak.pub" "$OUT/" || die "no AKs"
$PY "$RIV_SRCDIR/tests/fuzz/notif_harness.py" seeds "$OUT"
