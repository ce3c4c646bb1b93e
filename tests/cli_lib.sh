# cli_lib.sh — sourced by the tests/cli_*.sh scripts: runs rivctl and checks
# its exit status and output.  Each script ends with `finish`.

: "${RIVCTL:?RIVCTL must name the rivctl binary}"
: "${RIV_CORPUS:=../shared/corpus}"
CORPUS=$RIV_CORPUS
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
npass=0
nfail=0

# expect_status STATUS DESCRIPTION -- rivctl ARGS...: run rivctl, keep its
# output in $TMP/out and $TMP/err, and check the exit status.
expect_status() {
	want=$1; what=$2; shift 3
	"$RIVCTL" "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $what: exit $got, wanted $want (rivctl $*)"
		sed 's/^/  stderr: /' "$TMP/err" | head -5
	fi
}

# expect_output PATTERN DESCRIPTION: the last stdout must match PATTERN
# (grep -E).
expect_output() {
	if grep -Eq -- "$1" "$TMP/out"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: stdout lacks /$1/"
		head -5 "$TMP/out" | sed 's/^/  stdout: /'
	fi
}

# expect_stderr PATTERN DESCRIPTION: the last stderr must match PATTERN.
expect_stderr() {
	if grep -Eq -- "$1" "$TMP/err"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: stderr lacks /$1/"
		head -5 "$TMP/err" | sed 's/^/  stderr: /'
	fi
}

# expect_json PYTHON-EXPRESSION DESCRIPTION: the last stdout must be one JSON
# object for which the expression (over `d`, the parsed object) is true.
expect_json() {
	if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/out" "$1" 2>"$TMP/pyerr"; then
		npass=$((npass + 1))
	else
		nfail=$((nfail + 1))
		echo "FAIL: $2: JSON output does not satisfy: $1"
		head -c 600 "$TMP/out" | sed 's/^/  stdout: /'
		sed 's/^/  python: /' "$TMP/pyerr" | tail -3
	fi
}

# finish: report and exit non-zero if any check failed.
finish() {
	echo "$(basename "$0"): $npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit $?
}
