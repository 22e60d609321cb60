#!/usr/bin/env bash
# Private PostgreSQL cluster for the tests, on 127.0.0.1:$PGPORT (data in var/pg, or under /tmp as root).
# Usage: scripts/pg.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
PGPORT="${PGPORT:-54329}"
# The cluster lives outside the checkout when running as root: the postgres user who owns it must
# be able to reach its folder, which a checkout under /root does not allow.
if [ -n "${PARCOURS_PGDATA:-}" ]; then
  PGDATA="$PARCOURS_PGDATA"
elif [ "$(id -u)" = "0" ]; then
  PGDATA="/tmp/parcours-pg-$(printf '%s' "$PWD" | sha1sum | cut -c1-10)/data"
else
  PGDATA="$PWD/var/pg/data"
fi
PGROOT="$(dirname "$PGDATA")"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$PGBIN" ] || { echo "PostgreSQL introuvable : installez le paquet postgresql (.ci/run le fait)." >&2; exit 1; }
RUNAS=()
if [ "$(id -u)" = "0" ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  RUNAS=(runuser -u postgres --)
fi
case "${1:-}" in
  start)
    mkdir -p "$PGROOT"
    if [ "$(id -u)" = "0" ]; then chown postgres: "$PGROOT"; chmod 700 "$PGROOT"; fi
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
      "${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then
      echo "Un serveur PostgreSQL répond déjà sur 127.0.0.1:$PGPORT : il est utilisé tel quel."
    elif ! "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGROOT/server.log" -w \
        -o "-h 127.0.0.1 -p $PGPORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" start >/dev/null
    fi
    "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='parcours'" | grep -q 1 \
      || "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE ROLE parcours LOGIN CREATEDB"
    "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='parcours'" | grep -q 1 \
      || "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE parcours OWNER parcours"
    echo "PostgreSQL prêt sur 127.0.0.1:$PGPORT"
    ;;
  stop)
    if [ -s "$PGDATA/PG_VERSION" ]; then "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true; fi
    ;;
  status)
    "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" status
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
