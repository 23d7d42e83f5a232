# The reference client (varlink-go-certification --client) against our cert-server.
# Usage: cert-server-test.sh CERT_SERVER
. "$(dirname "$0")/lib.sh"

need varlink-go-certification "the Debian package varlink-go"
sock=$TMP/cert.sock
start_server "$1" --socket="$sock"
wait_listening "$sock"
run "$TMP/client.log" varlink-go-certification --client --varlink="unix:$sock" || die "the reference client failed"
stop_server_cleanly
[ "$(tail -n 1 "$TMP/client.log")" = "End: 'true'" ] || { cat "$TMP/server.log" >&2; die "the reference client did not end with End: 'true'"; }
echo "PASS: the reference client went through every step against our server"
