#!/bin/sh
# Starts Kamailio with digest authentication (kamailio.cfg beside this file) on
# loopback, in the background, and waits for it to answer OPTIONS.
#
#   KAM_PORT (5090)  KAM_RUN_DIR (/tmp/interop/kamailio-auth)  KAM_ALG ("" = MD5, or SHA-256)
#   KAM_USERS: "user:password user:password ..." (default alice, bob, joe below)
#   KAM_USERS_FILE: a file of user:password lines instead (for load runs)
#   KAM_PERSIST=through|back: registrations and subscriptions written through to the
#   SQLite file, or flushed to it by a timer
#   KAM_TLS_PORT, KAM_TLS_CERT, KAM_TLS_KEY: also listen on TLS there (the tls module)
#   KAM_NOAUTH=1: REGISTER, SUBSCRIBE and PUBLISH without a challenge
#   KAM_PBX=1: also Event: dialog and message-summary (presence_dialoginfo, presence_mwi)
#   KAM_RLS_DOC: an rls-services document (RFC 4826 4) served by the rls module as
#   KAM_RLS_OWNER's (user@127.0.0.1) lists, through the xcap table
# Stop it with ../../../../shared/interop/kamailio/stop.sh and the same KAM_RUN_DIR.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${KAM_PORT:-5090}
RUN=${KAM_RUN_DIR:-/tmp/interop/kamailio-auth}
ALG=${KAM_ALG:-}
USERS=${KAM_USERS:-"alice:alice-pw bob:bob-pw joe:joe-pw"}
DB="$RUN/kamailio.sqlite"
PIDFILE="$RUN/kamailio.pid"
LOG="$RUN/kamailio.log"
SCHEMA=/usr/share/kamailio/db_sqlite
mkdir -p "$RUN"
if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "start.sh: already running, pid $(cat "$PIDFILE")" >&2
    exit 0
fi
rm -f "$PIDFILE" "$DB"
{
    cat "$SCHEMA/standard-create.sql" "$SCHEMA/auth_db-create.sql" "$SCHEMA/presence-create.sql" \
        "$SCHEMA/usrloc-create.sql"
    echo "BEGIN;"
    if [ -n "${KAM_USERS_FILE:-}" ]; then
        awk -F: '{ printf "INSERT INTO subscriber (username, domain, password) VALUES (\x27%s\x27, \x27127.0.0.1\x27, \x27%s\x27);\n", $1, substr($0, length($1) + 2) }' "$KAM_USERS_FILE"
    else
        for u in $USERS; do
            echo "INSERT INTO subscriber (username, domain, password) VALUES ('${u%%:*}', '127.0.0.1', '${u#*:}');"
        done
    fi
    echo "COMMIT;"
} | sqlite3 "$DB"
if [ -n "${KAM_RLS_DOC:-}" ]; then
    # rls's tables in db_text (kamailio.cfg says why), with the document as a row of
    # the xcap table: doc_type 8 is RLS_SERVICE in Kamailio's xcap constants (1<<3).
    mkdir -p "$RUN/dbtext"
    T=/usr/share/kamailio/dbtext/kamailio
    cp "$T/rls_presentity" "$T/rls_watchers" "$T/version" "$RUN/dbtext/"
    python3 - "$KAM_RLS_DOC" "${KAM_RLS_OWNER:-alice}" "$T/xcap" "$RUN/dbtext/xcap" <<'PY'
import sys
doc, owner, header, out = open(sys.argv[1]).read(), sys.argv[2], open(sys.argv[3]).read(), sys.argv[4]
esc = lambda s: s.replace("\\", "\\\\").replace(":", "\\:").replace("\n", "\\n").replace("\r", "\\r")
uri = f"rls-services/users/sip:{owner}@127.0.0.1/index"
with open(out, "w") as f:
    f.write(header + f"1:{owner}:127.0.0.1:{esc(doc)}:8:rls1:0:{esc(uri)}:0\n")
PY
fi
set -- -f "$HERE/kamailio.cfg" -P "$PIDFILE" -w "$RUN" -E -DD -m "${KAM_SHM:-128}" -M 8 \
    -A "SIP_PORT=$PORT" -A "SELF_URI=\"sip:127.0.0.1:$PORT\"" -A "DBURL=\"sqlite:///$DB\"" \
    -A "CTL_SOCK=\"unix:$RUN/kamailio_ctl\"" -A "AUTH_ALG=\"$ALG\"" -A "LOGLEVEL=${KAM_DEBUG:-2}"
if [ -n "${KAM_TLS_PORT:-}" ]; then
    printf '%s\n' '[server:default]' 'method = TLSv1.2+' 'verify_certificate = no' 'require_certificate = no' \
        "certificate = ${KAM_TLS_CERT}" "private_key = ${KAM_TLS_KEY}" '' '[client:default]' 'method = TLSv1.2+' \
        'verify_certificate = no' 'require_certificate = no' >"$RUN/tls.cfg"
    set -- "$@" -A WITH_TLS -A "TLS_PORT=$KAM_TLS_PORT" -A "TLS_CFG=\"$RUN/tls.cfg\""
fi
[ -n "${KAM_NOAUTH:-}" ] && set -- "$@" -A WITH_NOAUTH
[ -n "${KAM_PBX:-}" ] && set -- "$@" -A WITH_PBX
[ -n "${KAM_RLS_DOC:-}" ] && set -- "$@" -A WITH_RLS -A "RLS_DBURL=\"text://$RUN/dbtext\""
case "${KAM_PERSIST:-}" in
    through) set -- "$@" -A WITH_PERSIST ;;
    back) set -- "$@" -A WITH_PERSIST -A WRITE_BACK ;;
esac
kamailio -c "$@" >"$RUN/check.log" 2>&1 || { cat "$RUN/check.log" >&2; exit 1; }
setsid kamailio "$@" >"$LOG" 2>&1 </dev/null &
KPID=$!
# A Kamailio that never answers is not left behind: its whole session goes.
give_up() {
    echo "start.sh: no answer to OPTIONS; see $LOG" >&2
    tail -20 "$LOG" >&2
    kill -KILL -- "-$KPID" 2>/dev/null || kill -KILL "$KPID" 2>/dev/null
    exit 1
}
python3 - "$PORT" <<'PY' || give_up
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.3)
deadline = time.time() + 15
n = 0
while time.time() < deadline:
    n += 1
    cid = "probe-%d" % n
    s.sendto(("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-p%d\r\n"
              "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1>\r\nCall-ID: %s\r\n"
              "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (port, s.getsockname()[1], n, cid)).encode(),
             ("127.0.0.1", port))
    try:
        while True:
            d = s.recv(65535).decode(errors="replace")
            if cid in d and d.startswith("SIP/2.0 200"):
                sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
echo "start.sh: kamailio (auth ${ALG:-MD5}) ready on udp/tcp 127.0.0.1:$PORT, pid $(cat "$PIDFILE")"
