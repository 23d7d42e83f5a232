#!/bin/bash
# The bash completion of privmemctl: commands, options per command, and pool names and lease ids
# asked of a running privmemd (its own, on a temp socket, stopped by pid whatever happens).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
completion=$here/../../shell-completion/bash/privmemctl
PRIVMEMCTL=$(realpath "${PRIVMEMCTL:?}") PRIVMEMD_BINARY=$(realpath "${PRIVMEMD_BINARY:?}")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

tmp=$(mktemp -d /tmp/privmem-ctl-XXXXXX) pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" || true; rm -rf "$tmp"; }
trap cleanup EXIT
printf '[pool vm]\nsizes = 2M:1\nlimit = 8M\nusers = *\n\n[pool vmbig]\nsizes = 4M:1\nlimit = 8M\nusers = *\n' > "$tmp/conf"
"$PRIVMEMD_BINARY" --socket="$tmp/sock" --config="$tmp/conf" --runtime-dir="$tmp/rt" > "$tmp/log" 2>&1 & pid=$!
for _ in $(seq 100); do [ -S "$tmp/sock" ] && break; sleep 0.05; done

mkdir "$tmp/bin" && ln -s "$PRIVMEMCTL" "$tmp/bin/privmemctl"
export PATH=$tmp/bin:$PATH PRIVMEMD_SOCKET=$tmp/sock
compopt() { :; }       # outside a real completion
. "$completion"

fails=0
expect() {      # expect "WORDS..." "wanted replies (sorted, space-separated)"
        read -ra COMP_WORDS <<< "$1"
        [[ $1 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMPREPLY=()
        _privmemctl || true
        local got
        got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
        if [ "$got" != "$2" ]; then echo "FAIL: '$1' completes to '$got', want '$2'"; fails=1; fi
}

expect "privmemctl " "drain exec lease leases metrics pools release reload set-target status watch"
expect "privmemctl le" "lease leases"
expect "privmemctl --js" "--json"
expect "privmemctl leases --" "--help --json --pool= --socket= --version"
expect "privmemctl exec --n" "--no-wait"
expect "privmemctl drain " "vm vmbig"
expect "privmemctl set-target vmb" "vmbig"
expect "privmemctl exec --pool=vmb" "vmbig"
expect "privmemctl set-target vm 64" "64M="
expect "privmemctl drain vm " ""
"$PRIVMEMCTL" exec --pool=vm --size=2M -- sleep 100 & vmm=$!
for _ in $(seq 100); do id=$("$PRIVMEMCTL" leases --json | sed -n 's/^ *"id": "\(.*\)",$/\1/p'); [ -n "$id" ] && break; sleep 0.05; done
expect "privmemctl lease " "$id"
expect "privmemctl --socket=$tmp/sock release ${id:0:4}" "$id"
kill "$vmm"; wait "$vmm" || true
[ $fails = 0 ] && echo ok
exit $fails
