#!/bin/sh
# yang_check.sh — compile the YANG modules under yang/ with yanglint and
# validate the example instances under yang/examples/: every valid example
# must pass, every file under yang/examples/invalid/ must fail with the error
# its "<!-- EXPECT: regex -->" line names.  Runs twice: with and without the
# ietf-tpm-remote-attestation feature mtpm.  Exits 77 (skip) without yanglint.
#
#   RIV_SRCDIR   the source tree (default: the parent of this script's
#                directory)
#   YANGLINT     the yanglint binary (default: yanglint)

: "${RIV_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${YANGLINT:=yanglint}"
me=$(basename "$0")

if ! command -v "$YANGLINT" >/dev/null 2>&1; then
	echo "$me: $YANGLINT not found, skipping (install libyang2-tools)"
	exit 77
fi

YANG=$RIV_SRCDIR/yang
EX=$YANG/examples
if [ ! -f "$YANG/riv-attestation-streams@2026-12-01.yang" ]; then
	echo "$me: no yang/riv-attestation-streams@2026-12-01.yang under" \
	    "$RIV_SRCDIR (set RIV_SRCDIR)"
	exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# yanglint looks for modules in its working directory too: run it where
# there are none, and with -D, so that only yang/ is searched.
cd "$TMP" || exit 1
npass=0
nfail=0

pass() {
	npass=$((npass + 1))
}

fail() {
	nfail=$((nfail + 1))
	echo "FAIL: $1"
	sed 's/^/  yanglint: /' "$TMP/err" | head -5
}

# The modules every context loads, in this order: ietf-tcg-algs must be
# implemented before ietf-tpm-remote-attestation (libyang 2.1.30 crashes when
# it implements ietf-tpm-remote-attestation on demand from a leafref while
# ietf-tcg-algs is only imported), and both before riv-attestation-streams
# (whose default taa:TPM_ALG_SHA256 needs ietf-tcg-algs implemented).
MODS="$YANG/ietf-tcg-algs@2024-12-05.yang
$YANG/ietf-tpm-remote-attestation@2024-12-05.yang
$YANG/ietf-subscribed-notifications@2019-09-09.yang
$YANG/ietf-tpm-remote-attestation-stream@2026-06-16.yang
$YANG/riv-attestation-streams@2026-12-01.yang"
SN_FEATURES=ietf-subscribed-notifications:configured,replay,subtree,xpath,encode-xml
TAA_FEATURES=ietf-tcg-algs:tpm20

# lint ARGS...: yanglint with the search path and features of this run;
# stdout and stderr go to $TMP/out and $TMP/err.
lint() {
	# shellcheck disable=SC2086
	"$YANGLINT" -D -p "$YANG" -F "$SN_FEATURES" -F "$TAA_FEATURES" \
	    -F "$TPM_FEATURES" "$@" >"$TMP/out" 2>"$TMP/err"
}

# compile DESCRIPTION FILE...: the modules must compile without a message.
compile() {
	what=$1
	shift
	if lint "$@" && [ ! -s "$TMP/err" ]; then
		pass
	else
		fail "$what"
	fi
}

# type_of FILE: the yanglint -t arguments for an example, by its name.
# mgmt-* are rivd's management messages (riv-verifier, extra_of), checked
# against the data of <get> in mgmt-oper-verifier.xml.
type_of() {
	b=$(basename "$1")
	case $b in
	mgmt-rpc-reply-*)
		echo "-t nc-reply -R $(dirname "$1")/mgmt-rpc-${b#mgmt-rpc-reply-}" \
		    "-O $EX/mgmt-oper-verifier.xml" ;;
	mgmt-rpc-*)	echo "-t nc-rpc -O $EX/mgmt-oper-verifier.xml" ;;
	mgmt-notif-*)	echo "-t nc-notif -O $EX/mgmt-oper-verifier.xml" ;;
	mgmt-edit-*)	echo "-t edit" ;;
	mgmt-config-*)	echo "-t config" ;;
	mgmt-oper-*)	echo "-t data" ;;
	rpc-reply-*)
		echo "-t nc-reply -R $(dirname "$1")/rpc-${b#rpc-reply-} -O $OPER" ;;
	rpc-*)		echo "-t nc-rpc -O $OPER" ;;
	notif-*)	echo "-t nc-notif -O $OPER" ;;
	config-*)	echo "-t config" ;;
	oper-*)		echo "-t data" ;;
	*)		echo "" ;;
	esac
}

# extra_of FILE: the modules an example needs after MODS.
extra_of() {
	case $(basename "$1") in
	mgmt-*)	echo "$YANG/ietf-netconf@2013-09-29.yang" \
		    "$YANG/riv-verifier@2026-12-01.yang" ;;
	esac
}

# valid FILE: the example must validate.
valid() {
	t=$(type_of "$1")
	if [ -z "$t" ]; then
		: >"$TMP/err"
		fail "$(basename "$1"): no validation type for this file name"
		return
	fi
	# shellcheck disable=SC2086
	if lint $t $MODS $(extra_of "$1") "$1"; then
		pass
	else
		fail "$(basename "$1") ($RUN): does not validate"
	fi
}

# invalid FILE: the example must fail, with the error its EXPECT line names.
invalid() {
	b=$(basename "$1")
	want=$(sed -n 's/^<!-- EXPECT: \(.*\) -->$/\1/p' "$1")
	t=$(type_of "$1")
	if [ -z "$want" ] || [ -z "$t" ]; then
		: >"$TMP/err"
		fail "invalid/$b: no EXPECT line or no validation type"
		return
	fi
	# shellcheck disable=SC2086
	if lint $t $MODS $(extra_of "$1") "$1"; then
		: >"$TMP/err"
		fail "invalid/$b ($RUN): validates, but must fail"
	elif grep -Eq -- "$want" "$TMP/err"; then
		pass
	else
		fail "invalid/$b ($RUN): failed without /$want/"
	fi
}

for RUN in no-mtpm mtpm; do
	if [ "$RUN" = mtpm ]; then
		TPM_FEATURES=ietf-tpm-remote-attestation:bios,ima,mtpm
		OPER=$EX/oper-rats-support-structures-mtpm.xml
	else
		TPM_FEATURES=ietf-tpm-remote-attestation:bios,ima
		OPER=$EX/oper-rats-support-structures.xml
	fi

	# Every module, each in a context with the feature-carrying modules.
	for m in "$YANG"/*.yang; do
		# shellcheck disable=SC2086
		compile "$(basename "$m") ($RUN): does not compile cleanly" \
		    $MODS "$m"
	done
	# shellcheck disable=SC2086
	compile "all modules together ($RUN)" $MODS "$YANG"/*.yang

	for f in "$EX"/*.xml; do
		# Operational data is complete data only for its feature set.
		case $f in
		*/mgmt-oper-*)		[ "$RUN" = mtpm ] && continue ;;
		*/oper-*-mtpm.xml)	[ "$RUN" = mtpm ] || continue ;;
		*/oper-*)		[ "$RUN" = mtpm ] && continue ;;
		esac
		valid "$f"
	done
	for f in "$EX"/invalid/*.xml; do
		invalid "$f"
	done
done

# The vendored draft module is kept as published: it must still fail (the
# doubled 'reference'), and the patched copy must differ from it in exactly
# the two lines PROVENANCE describes.
orig=$YANG/draft-original/ietf-tpm-remote-attestation-stream@2026-06-16.yang
patched=$YANG/ietf-tpm-remote-attestation-stream@2026-06-16.yang
TPM_FEATURES=ietf-tpm-remote-attestation:bios,ima
if lint "$YANG/ietf-tcg-algs@2024-12-05.yang" \
    "$YANG/ietf-tpm-remote-attestation@2024-12-05.yang" "$orig"; then
	fail "draft-original/$(basename "$orig") compiles: is it the original?"
else
	pass
fi
diff "$orig" "$patched" >"$TMP/diff"
if [ "$(grep -c '^<' "$TMP/diff")" -eq 2 ] &&
    [ "$(grep -c '^>' "$TMP/diff")" -eq 2 ] &&
    grep -q "^> *when \"sn:stream = 'attestation'\";" "$TMP/diff"; then
	pass
else
	cp "$TMP/diff" "$TMP/err"
	fail "the patched draft module differs from the original in more than the two documented lines"
fi

echo "$me: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
exit $?
