# rivd_fake.sh — for the tests whose attesters are scripted on
# tests/rivd_fake.py (rivd_ietf.sh, rivd_hostile.sh); sourced after
# attester_lib.sh and rivd_lib.sh (PY, PKI, die, stop_pid).

FAKE_PID=""

# start_fake SCRIPT DIR ARGS...: run tests/SCRIPT serve --pki $PKI --dir DIR
# ARGS in the background (its pid in FAKE_PID, its output in DIR/serve.log)
# and wait until DIR/ports lists the ports of its attesters.
start_fake() {
	sf_script=$1
	sf_dir=$2
	shift 2
	mkdir -p "$sf_dir" || die "mkdir"
	$PY "$RIV_SRCDIR/tests/$sf_script" serve --pki "$PKI" --dir "$sf_dir" \
	    "$@" >"$sf_dir/serve.log" 2>&1 &
	FAKE_PID=$!
	sf_i=0
	while [ ! -s "$sf_dir/ports" ]; do
		kill -0 "$FAKE_PID" 2>/dev/null ||
		    die "$sf_script exited: $(tail -5 "$sf_dir/serve.log")"
		sf_i=$((sf_i + 1))
		[ $sf_i -lt 100 ] || die "$sf_script did not start"
		sleep 0.1
	done
}
