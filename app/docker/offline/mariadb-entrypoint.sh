#!/usr/bin/env bash
# First start: create the data directory, the app's database and user, and a passwordless
# `healthcheck` user limited to USAGE from localhost (what HEALTHCHECK logs in as), with the
# server's networking off; then exec mariadbd (PID 1). Later starts skip straight to exec.
# Env: MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD, MARIADB_ROOT_PASSWORD (all required on
# the first start; from a Secret).
set -o errexit -o nounset -o pipefail

DATADIR=/var/lib/mysql

log() { printf '{"time":"%s","level":"info","message":"%s","channel":"mariadb-entrypoint"}\n' "$(date -u +%FT%TZ)" "$1" >&2; }

sql_escape() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }

init_datadir() {
  : "${MARIADB_DATABASE:?MARIADB_DATABASE is required on the first start}"
  : "${MARIADB_USER:?MARIADB_USER is required on the first start}"
  : "${MARIADB_PASSWORD:?MARIADB_PASSWORD is required on the first start}"
  : "${MARIADB_ROOT_PASSWORD:?MARIADB_ROOT_PASSWORD is required on the first start}"
  log "initialising $DATADIR"
  mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  mariadbd --skip-networking --socket=/run/mysqld/init.sock --datadir="$DATADIR" &
  local pid=$! tries=60
  until mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || { echo "mariadb did not start for initialisation" >&2; exit 1; }
    sleep 0.5
  done
  local db user pass root
  db=$(sql_escape "$MARIADB_DATABASE"); user=$(sql_escape "$MARIADB_USER")
  pass=$(sql_escape "$MARIADB_PASSWORD"); root=$(sql_escape "$MARIADB_ROOT_PASSWORD")
  mariadb --socket=/run/mysqld/init.sock -uroot <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '${root}';
CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${pass}';
GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${user}'@'%';
CREATE USER IF NOT EXISTS 'healthcheck'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'healthcheck'@'localhost';
FLUSH PRIVILEGES;
SQL
  if [ -n "${MARIADB_EXTRA_DATABASES:-}" ]; then
    local extra
    for extra in ${MARIADB_EXTRA_DATABASES//,/ }; do
      extra=$(sql_escape "$extra")
      mariadb --socket=/run/mysqld/init.sock -uroot -p"$MARIADB_ROOT_PASSWORD" \
        -e "CREATE DATABASE IF NOT EXISTS \`${extra}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; GRANT ALL PRIVILEGES ON \`${extra}\`.* TO '${user}'@'%';"
    done
  fi
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"$MARIADB_ROOT_PASSWORD" shutdown
  wait "$pid" || true
  log "initialised database ${MARIADB_DATABASE} for user ${MARIADB_USER}"
}

main() {
  if [ "${1:-}" = "mariadbd" ] && [ ! -d "$DATADIR/mysql" ]; then
    init_datadir
  fi
  exec "$@"
}

main "$@"
