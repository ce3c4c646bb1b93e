#!/bin/sh
# bench_attester.sh — riv-attester figures for `make bench`: notifications/s
# one attester serves on one swtpm TPM (RSA and ECC attestation keys) and
# memory per idle subscription.  Figures only; skipped without swtpm.  With
# BENCH_NAME set, attester_lib.sh's die skips (exit 0) when the set-up
# fails: `make bench` goes on.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"
BENCH_NAME=bench_attester
[ -d "$TMP" ] || die "no work directory"
command -v swtpm >/dev/null 2>&1 || die "swtpm not installed"
make_pki
for ak in rsa ecc; do
	start_swtpm "b$ak"
	eval tcti=\$TCTI_b$ak
	ATT_TLS_PORT="" 
	start_attester --tpm "rp0=$tcti" --ak "$ak" \
	    --bios-log "$RIV_CORPUS/bios/go-tpm-tools__ubuntu-2104-no-secure-boot.bin"
	echo "== AK $ak"
	$PY "$RIV_SRCDIR/tests/bench_attester.py" "$ATT_TLS_PORT" "$PKI" \
	    "$ATT_PID" "${BENCH_SECONDS:-5}"
	stop_attester
	: >"$ATT_LOG"
done
