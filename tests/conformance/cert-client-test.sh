# Our cert-client against a certification server: the reference one, or our cert-server.
# Usage: cert-client-test.sh reference|CERT_SERVER CERT_CLIENT [--break-test11]
. "$(dirname "$0")/lib.sh"

server=$1 client=$2
shift 2
sock=$TMP/cert.sock
if [ "$server" = reference ]; then
        need varlink-go-certification "the Debian package varlink-go"
        start_server varlink-go-certification --varlink="unix:$sock"
else
        start_server "$server" --socket="$sock"
fi
wait_listening "$sock"
run "$TMP/client.log" "$client" --socket="$sock" "$@" || { cat "$TMP/server.log" >&2; die "cert-client failed"; }
if [ "$server" = reference ]; then
        # A oneway Test11 can kill the reference server (see run_test11() in cert-client.c): it must not have.
        server_must_be_alive
else
        stop_server_cleanly
fi
echo "PASS: cert-client against $server $*"
