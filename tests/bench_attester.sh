#!/bin/sh
# bench_attester.sh — riv-attester figures for `make bench`: notifications/s
# one attester serves on one swtpm TPM (RSA and ECC attestation keys) and
# memory per idle subscription.  Figures only; skipped without swtpm.
. "${RIV_SRCDIR:-.}/tests/attester_lib.sh"

if ! command -v swtpm >/dev/null 2>&1; then
	echo "bench_attester: swtpm not installed, skipped"
	exit 0
fi
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
