#!/bin/sh
# The admin's journey with the MiniMost RPM, inside a booted systemd.
#
# e2e_test.go copies this script, the RPM and the unit minimost-e2e.service
# into a throwaway Debian root file system and boots it with systemd-nspawn;
# the unit runs the script once the system is up, then powers off. The
# numbered steps are the acceptance list of issue 5.
#
# Results, one line each, in $RESULTS (read by the test after power-off):
#   step<TAB>ID<TAB>PASS|FAIL<TAB>title<TAB>what failed
#   note<TAB>KEY<TAB>value
#   end
# Every command and its output goes to $LOG.
#
# POSIX sh (dash): no bashisms. Every outside command is bounded by timeout.
set -u

E2E=/var/lib/minimost-e2e
RESULTS=$E2E/results
LOG=$E2E/journey.log
RPM=$E2E/minimost.rpm
CA=$E2E/ca.pem
UNITDIR=/usr/lib/systemd/system
SOCKETS="minimost.socket minimost-stun.socket minimost-admin.socket"
UNITS="minimost.service $SOCKETS"
ADMIN_SOCK=/run/minimost/admin.sock
STATE=/var/lib/private/minimost

: >"$RESULTS"
exec >"$LOG" 2>&1

# ---- helpers ----

# step ID TITLE starts a step; done_step records it.
step() {
	id=$1 title=$2 why=""
	echo
	echo "=== step $id: $title"
}

# fail WHAT marks the current step failed (it goes on, to report more).
fail() {
	echo "FAIL: $*"
	why="${why:+$why; }$*"
}

done_step() {
	why=$(printf '%s' "$why" | tr '\t\n' '  ')
	if [ -z "$why" ]; then
		printf 'step\t%s\tPASS\t%s\t\n' "$id" "$title" >>"$RESULTS"
	else
		printf 'step\t%s\tFAIL\t%s\t%s\n' "$id" "$title" "$why" >>"$RESULTS"
	fi
}

note() {
	echo "note: $1 = $2"
	printf 'note\t%s\t%s\n' "$1" "$(printf '%s' "$2" | tr '\t\n' '  ')" >>"$RESULTS"
}

# run CMD... runs CMD for at most 30 s, logs it; its output (stdout and
# stderr) is left in $out, its status in $rc and returned.
run() {
	echo "\$ $*"
	out=$(timeout 30 "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out"
	echo "[exit $rc]"
	return $rc
}

# expect WHAT CMD... fails the step with WHAT unless CMD succeeds.
expect() {
	what=$1
	shift
	run "$@" || fail "$what: exit $rc: $(printf '%s' "$out" | tail -n 1)"
}

# has TEXT PATTERN: does TEXT contain the fixed string PATTERN?
has() {
	case $1 in *"$2"*) return 0 ;; esac
	return 1
}

# wait_for SECONDS CMD... retries CMD every 0.2 s until it succeeds.
wait_for() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

tcp_listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; }
udp_bound() { [ -n "$(ss -Hlun "sport = :$1")" ]; }
active() { [ "$(systemctl is-active "$1")" = active ]; }
status_text() { systemctl show -p StatusText --value minimost.service; }
status_has() { status_text | grep -q -- "$1"; }
status_lacks() { ! status_has "$1"; }
main_pid() { systemctl show -p MainPID --value minimost.service; }
# journal_count EVENT OUTCOME: how many audit records of that kind.
journal_count() {
	journalctl -q -u minimost.service "MINIMOST_EVENT=$1" "MINIMOST_OUTCOME=$2" -o cat | wc -l
}
journal_more() { [ "$(journal_count "$1" "$2")" -gt "$3" ]; }

# healthz URL: /healthz verified against the served CA.
healthz() {
	run curl -fsS --max-time 15 --cacert "$CA" "$1/healthz"
	[ "$rc" -eq 0 ] && [ "$out" = ok ]
}

# ---- the journey ----

step install "rpm -i installs the package with clean scriptlets, enabling and starting nothing"
run rpm -i --nodeps "$RPM" || fail "rpm -i exited $rc"
for bad in "scriptlet failed" "error:" "warning:"; do
	has "$out" "$bad" && fail "rpm -i said: $(printf '%s\n' "$out" | grep -m 1 -F -- "$bad")"
done
run rpm -q minimost || fail "rpm -q minimost: not installed"
note rpm "$out"
for u in $UNITS; do
	run systemctl is-enabled "$u"
	[ "$out" = disabled ] || fail "$u is '$out' after install, want disabled"
	active "$u" && fail "$u is active after install"
done
done_step

step 1 "rpm -ql/-qc list the files, systemd-analyze verify is silent, rpm -V is clean"
run rpm -ql minimost
files=$out
for f in /usr/bin/minimost /usr/bin/minimostctl \
	$UNITDIR/minimost.service $UNITDIR/minimost.socket $UNITDIR/minimost-stun.socket $UNITDIR/minimost-admin.socket \
	/usr/lib/firewalld/services/minimost.xml /usr/share/bash-completion/completions/minimostctl \
	/etc/minimost/settings.json; do
	printf '%s\n' "$files" | grep -qxF "$f" || fail "rpm -ql lacks $f"
done
for m in minimost minimostctl; do
	printf '%s\n' "$files" | grep -qx "/usr/share/man/man8/$m\.8\(\.gz\)\{0,1\}" || fail "rpm -ql lacks the man page $m(8)"
done
run rpm -qc minimost
[ "$out" = /etc/minimost/settings.json ] || fail "rpm -qc lists '$out', want /etc/minimost/settings.json alone"
# man-db is installed, so verify also checks that Documentation=man:... resolves.
run systemd-analyze verify $UNITDIR/minimost.service $UNITDIR/minimost.socket $UNITDIR/minimost-stun.socket $UNITDIR/minimost-admin.socket
{ [ "$rc" -eq 0 ] && [ -z "$out" ]; } || fail "systemd-analyze verify printed: $out"
# --nodeps: Debian's rpm database holds no package to satisfy the
# dependencies; the files, modes, owners and digests are all verified.
run rpm -V --nodeps minimost
{ [ "$rc" -eq 0 ] && [ -z "$out" ]; } || fail "rpm -V after install: $out"
run minimost --version
has "$out" "minimost " || fail "minimost --version printed '$out'"
run minimostctl version
has "$out" "minimostctl " || fail "minimostctl version printed '$out'"
done_step

step 2 "systemctl enable --now minimost: three sockets and the service active; notify, dynamic user, status text"
expect "systemctl enable --now minimost" systemctl enable --now minimost
for u in $UNITS; do
	run systemctl is-enabled "$u"
	[ "$out" = enabled ] || fail "$u is '$out', want enabled"
	active "$u" || fail "$u is $(systemctl is-active "$u"), want active"
done
run systemctl show -p Type --value minimost.service
[ "$out" = notify ] || fail "Type=$out, want notify"
run systemctl show -p DynamicUser --value minimost.service
[ "$out" = yes ] || fail "DynamicUser=$out, want yes"
out=$(status_text)
[ -n "$out" ] || fail "the service has no status text"
note status_text "$out"
wait_for 5 tcp_listening 6767 || fail "nothing listens on TCP 6767"
wait_for 5 udp_bound 3478 || fail "nothing is bound to UDP 3478"
[ -S "$ADMIN_SOCK" ] || fail "$ADMIN_SOCK is not a socket"
# systemd sets ConfigurationDirectory= modes at start: still verified?
run rpm -V --nodeps minimost
{ [ "$rc" -eq 0 ] && [ -z "$out" ]; } || fail "rpm -V once running: $out"
done_step

step 3 "https: /ca.pem is a certificate, /healthz verifies against it, TLS 1.0 and 1.1 clients are refused"
expect "GET /ca.pem" curl -fsS --max-time 15 -k -o "$CA" https://127.0.0.1:6767/ca.pem
run openssl x509 -in "$CA" -noout -subject || fail "/ca.pem is not a certificate"
note ca_subject "$out"
healthz https://127.0.0.1:6767 || fail "/healthz on 127.0.0.1 with only /ca.pem trusted: $out"
healthz https://localhost:6767 || fail "/healthz on localhost with only /ca.pem trusted: $out"
# The control: this very client speaks TLS 1.2 to the server and verifies
# it, so the refusals below are the server's.
run sh -c "openssl s_client -connect 127.0.0.1:6767 -tls1_2 -CAfile '$CA' -verify_return_error </dev/null"
{ [ "$rc" -eq 0 ] && has "$out" "Protocol  : TLSv1.2"; } || fail "openssl s_client -tls1_2 did not connect"
for v in tls1 tls1_1; do
	# SECLEVEL=0 lets Debian's OpenSSL offer the old protocol at all.
	run sh -c "openssl s_client -connect 127.0.0.1:6767 -$v -cipher 'DEFAULT@SECLEVEL=0' </dev/null"
	if [ "$rc" -eq 0 ] || ! has "$out" "alert protocol version"; then
		fail "a -$v client was not refused with a protocol_version alert"
	fi
done
done_step

step 4 "sign up bob; minimostctl reset-password bob prints a link that works once; bob logs in with the new password"
BASE=https://127.0.0.1:6767
BOB_PW='Correct-Horse-Battery-9'
NEW_PW='Staple-Battery-Horse-42'
# Bodies go through files so no password is ever on a logged command line.
printf '{"username":"bob","password":"%s"}' "$BOB_PW" >"$E2E/signup.json"
printf '{"new_password":"%s"}' "$NEW_PW" >"$E2E/reset.json"
printf '{"username":"bob","password":"%s"}' "$NEW_PW" >"$E2E/login.json"
# api METHOD PATH [BODYFILE]: the HTTP status in $out, the body in $E2E/answer.
api() {
	if [ -n "${3:-}" ]; then
		run curl -sS --max-time 30 --cacert "$CA" -o "$E2E/answer" -w '%{http_code}' -X "$1" \
			-H 'Content-Type: application/json' --data-binary "@$3" "$BASE$2"
	else
		run curl -sS --max-time 30 --cacert "$CA" -o "$E2E/answer" -w '%{http_code}' -X "$1" "$BASE$2"
	fi
}
api POST /api/v1/signup "$E2E/signup.json"
[ "$out" = 201 ] || fail "signup answered $out: $(cat "$E2E/answer")"
expect "minimostctl reset-password bob" minimostctl reset-password bob
link=$(printf '%s\n' "$out" | head -n 1)
token=${link##*/reset-password/}
case $link in
*/reset-password/?*) ;;
*) fail "reset-password printed no link: $link" ;;
esac
api GET "/api/v1/password-reset/$token"
[ "$out" = 200 ] && grep -q '"username":"bob"' "$E2E/answer" || fail "the link does not show bob: $out $(cat "$E2E/answer")"
api POST "/api/v1/password-reset/$token" "$E2E/reset.json"
[ "$out" = 204 ] || fail "setting the new password answered $out: $(cat "$E2E/answer")"
api POST "/api/v1/password-reset/$token" "$E2E/reset.json"
[ "$out" = 410 ] || fail "the used link answered $out, want 410"
api POST /api/v1/login "$E2E/login.json"
[ "$out" = 200 ] || fail "bob's login with the new password answered $out"
done_step

step 5 "a STUN Binding request to UDP 3478 gets XOR-MAPPED-ADDRESS"
# A Binding request: type 0x0001, length 0, the magic cookie 0x2112A442 and
# a 12-byte transaction id, sent from a known port.
txid=minimost-e2e
port=40123
printf '\000\001\000\000\041\022\244\102%s' "$txid" >"$E2E/stun-request"
run sh -c "nc -u -w 2 -p $port 127.0.0.1 3478 <'$E2E/stun-request' >'$E2E/stun-answer'"
run od -An -v -tx1 "$E2E/stun-answer"
mapped=$(od -An -v -tu1 "$E2E/stun-answer" | awk -v tx="$(printf '%s' "$txid" | od -An -v -tu1)" '
	function xor(a, b,   r, bit) {
		r = 0; bit = 1
		while (a > 0 || b > 0) {
			if (a % 2 != b % 2) r += bit
			a = int(a / 2); b = int(b / 2); bit *= 2
		}
		return r
	}
	{ for (i = 1; i <= NF; i++) b[n++] = $i + 0 }
	END {
		if (n < 20 || b[0] != 1 || b[1] != 1) { print "not a Binding success response"; exit }
		if (b[4] != 33 || b[5] != 18 || b[6] != 164 || b[7] != 66) { print "no magic cookie"; exit }
		split(tx, t, " ")
		for (i = 0; i < 12; i++) if (b[8 + i] != t[i + 1]) { print "transaction id differs"; exit }
		for (i = 20; i + 4 <= n; i += 4 + len + (4 - len % 4) % 4) {
			type = b[i] * 256 + b[i + 1]; len = b[i + 2] * 256 + b[i + 3]
			if (type == 32 && b[i + 5] == 1) {
				printf "%d.%d.%d.%d:%d\n", xor(b[i + 8], 33), xor(b[i + 9], 18), xor(b[i + 10], 164), xor(b[i + 11], 66), xor(b[i + 6] * 256 + b[i + 7], 8466)
				exit
			}
		}
		print "no IPv4 XOR-MAPPED-ADDRESS"
	}')
note stun_mapped "$mapped"
[ "$mapped" = "127.0.0.1:$port" ] || fail "XOR-MAPPED-ADDRESS: $mapped, want 127.0.0.1:$port"
done_step

step 6 "admin socket 0600 root; minimostctl status works as root and exits 3 with permission denied as nobody"
run stat -c '%a %U %G %F' "$ADMIN_SOCK"
[ "$out" = "600 root root socket" ] || fail "$ADMIN_SOCK is '$out', want '600 root root socket'"
expect "minimostctl status as root" minimostctl status
has "$out" "admin $ADMIN_SOCK" || fail "minimostctl status does not list the admin socket"
run minimostctl status --json
printf '%s' "$out" | grep -q '"socket_activated": *true' || fail "status --json lacks socket_activated true"
run setpriv --reuid=65534 --regid=65534 --clear-groups minimostctl status
[ "$rc" -eq 3 ] || fail "minimostctl status as nobody exited $rc, want 3"
has "$out" "permission denied" || fail "minimostctl status as nobody said '$out'"
done_step

step 7 "reload and restart keep it active, a refused settings file keeps the old settings, state in $STATE (0700)"
pid=$(main_pid)
before=$(journal_count settings_reload success)
expect "systemctl reload" systemctl reload minimost
wait_for 10 journal_more settings_reload success "$before" || fail "the reload left no settings_reload record in the journal"
active minimost.service || fail "not active after reload"
[ "$(main_pid)" = "$pid" ] || fail "reload changed the main PID"
# A broken file: the daemon refuses it, says so, and keeps serving.
cp -p /etc/minimost/settings.json "$E2E/settings.json"
before=$(journal_count settings_reload failure)
printf '{"max_login_attempts": "five"}\n' >/etc/minimost/settings.json
expect "systemctl reload with a broken settings.json" systemctl reload minimost
wait_for 10 journal_more settings_reload failure "$before" || fail "the refused reload left no failure record in the journal"
wait_for 10 status_has "old settings kept" || fail "status text after a refused reload: $(status_text)"
run journalctl -q -u minimost.service MINIMOST_EVENT=settings_reload MINIMOST_OUTCOME=failure -o cat
has "$out" max_login_attempts || fail "the failure record does not name the key"
active minimost.service || fail "not active after a refused reload"
[ "$(main_pid)" = "$pid" ] || fail "a refused reload changed the main PID"
cp -p "$E2E/settings.json" /etc/minimost/settings.json
expect "systemctl reload after repair" systemctl reload minimost
wait_for 10 status_lacks "old settings kept" || fail "status text after the repair: $(status_text)"
# Restart: a new process on the same state (the same CA).
expect "systemctl restart" systemctl restart minimost
active minimost.service || fail "not active after restart"
[ "$(main_pid)" != "$pid" ] || fail "restart kept the main PID $pid"
run curl -fsS --max-time 15 -k -o "$E2E/ca-after-restart.pem" https://127.0.0.1:6767/ca.pem
cmp -s "$CA" "$E2E/ca-after-restart.pem" || fail "the CA changed across the restart"
healthz https://127.0.0.1:6767 || fail "/healthz after restart: $out"
run stat -c '%a %u %F' "$STATE"
set -- $out
[ "${1:-}" = 700 ] || fail "$STATE has mode ${1:-?}, want 700"
[ "${2:-0}" != 0 ] || fail "$STATE belongs to root, want the dynamic user"
run readlink /var/lib/minimost
[ "$out" = private/minimost ] || fail "/var/lib/minimost links to '$out', want private/minimost"
[ -f "$STATE/minimost.db" ] || fail "no $STATE/minimost.db"
api POST /api/v1/login "$E2E/login.json"
[ "$out" = 200 ] || fail "bob's password did not survive the restart: login answered $out"
done_step

step 8 "stopping the service alone leaves the sockets listening; the next HTTPS connection starts it"
expect "systemctl stop minimost.service" systemctl stop minimost.service
active minimost.service && fail "the service is still active after stop"
run pgrep -x minimost && fail "a minimost process survived the stop: $out"
for s in $SOCKETS; do
	active "$s" || fail "$s is $(systemctl is-active "$s") after stopping the service"
done
tcp_listening 6767 || fail "TCP 6767 no longer listens"
udp_bound 3478 || fail "UDP 3478 is no longer bound"
[ -S "$ADMIN_SOCK" ] || fail "$ADMIN_SOCK is gone"
# The first connection waits in the socket's queue while systemd starts the
# daemon, which then answers it. (/healthz may still say 503 "starting" to
# a request that arrives before READY=1, so the first request is /ca.pem.)
run curl -fsS --max-time 15 --cacert "$CA" -o "$E2E/ca-activated.pem" https://127.0.0.1:6767/ca.pem
[ "$rc" -eq 0 ] || fail "GET /ca.pem through the idle socket: $out"
cmp -s "$CA" "$E2E/ca-activated.pem" || fail "the socket-activated daemon serves another CA"
wait_for 10 active minimost.service || fail "the connection did not start the service"
wait_for 10 healthz https://127.0.0.1:6767 || fail "/healthz after socket activation: $out"
done_step

step creds "an operator TLS pair given as the credentials tls.crt and tls.key is served instead of the local CA's"
mkdir -p /etc/credstore
chmod 0700 /etc/credstore
expect "making an operator certificate" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj /CN=operator.example -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout /etc/credstore/tls.key -out /etc/credstore/tls.crt
expect "systemctl restart with credentials" systemctl restart minimost
run sh -c "openssl s_client -connect 127.0.0.1:6767 </dev/null 2>/dev/null | openssl x509 -noout -subject"
has "$out" operator.example || fail "served certificate: $out, want the operator's"
run curl -fsS --max-time 15 --cacert /etc/credstore/tls.crt https://127.0.0.1:6767/healthz
[ "$out" = ok ] || fail "/healthz with the operator certificate trusted: $out"
rm -rf /etc/credstore
expect "systemctl restart without credentials" systemctl restart minimost
healthz https://127.0.0.1:6767 || fail "back to the local CA: $out"
done_step

step 9 "journalctl -u minimost MINIMOST_EVENT=login lists bob's login; no password in the journal or audit.log"
run journalctl -q -u minimost.service MINIMOST_EVENT=login MINIMOST_USER=bob MINIMOST_OUTCOME=success -o cat
[ -n "$out" ] || fail "no successful login of bob in the journal"
journalctl -q -b -o cat >"$E2E/journal.txt" 2>&1
for pw in "$BOB_PW" "$NEW_PW"; do
	grep -qF -- "$pw" "$E2E/journal.txt" && fail "a password appears in the journal"
	grep -qF -- "$pw" "$STATE/audit.log" && fail "a password appears in audit.log"
done
grep -q 'event=login outcome=success user=bob' "$STATE/audit.log" || fail "audit.log lacks bob's login"
done_step

step 10 "systemd-analyze security minimost.service: exposure at most 1.5"
run systemd-analyze security --no-pager minimost.service
exposure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for minimost.service: \([0-9.]*\).*/\1/p')
note exposure "${exposure:-none}"
note exposure_points "$(printf '%s\n' "$out" | grep '^✗' | awk '{print $2 "=" $NF}' | tr '\n' ' ')"
if [ -z "$exposure" ]; then
	fail "no exposure figure in the output"
elif ! awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }'; then
	fail "exposure $exposure is above 1.5"
fi
done_step

step 11 "rpm -e removes the package, its units and listeners, and keeps the state directory"
run rpm -e minimost || fail "rpm -e exited $rc"
has "$out" "scriptlet failed" && fail "rpm -e: a scriptlet failed"
run rpm -q minimost && fail "rpm -q still finds minimost"
for u in $UNITS; do
	[ -e "$UNITDIR/$u" ] && fail "$UNITDIR/$u is still there"
	active "$u" && fail "$u is still active"
done
wait_for 5 sh -c '! pgrep -x minimost' || fail "a minimost process survived the removal"
wait_for 5 sh -c "[ -z \"\$(ss -Hltnu '( sport = :6767 or sport = :3478 )')\" ]" ||
	fail "still listening: $(ss -Hltnup '( sport = :6767 or sport = :3478 )')"
[ -e "$ADMIN_SOCK" ] && fail "$ADMIN_SOCK is still there"
for f in /usr/bin/minimost /usr/bin/minimostctl; do
	[ -e "$f" ] && fail "$f is still there"
done
[ -f "$STATE/minimost.db" ] || fail "the state was removed: no $STATE/minimost.db"
[ -f "$STATE/tls/ca.pem" ] || fail "the state was removed: no $STATE/tls/ca.pem"
done_step

echo
echo "=== the daemon's journal"
journalctl -q -b -u minimost.service -o short-monotonic --no-pager
printf 'end\n' >>"$RESULTS"
sync
