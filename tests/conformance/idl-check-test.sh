# Starts a freshly built server (privmemd or cert-server) and has the reference IDL parser read
# every interface it describes.
# Usage: idl-check-test.sh IDL_CHECK SERVER
. "$(dirname "$0")/lib.sh"

[ -n "$1" ] || skip "idl-check was not built: needs go (golang-go) and the varlink Go sources (golang-github-varlink-go-dev)"
sock=$TMP/server.sock
start_server "$2" --socket="$sock"
wait_listening "$sock"
run "$TMP/idl-check.log" "$1" "unix:$sock" || { cat "$TMP/server.log" >&2; die "idl-check failed"; }
stop_server_cleanly
echo "PASS: every interface of $(basename "$2") parses with the reference IDL parser"
