#!/usr/bin/env bash
# Makes sure a PostgreSQL server runs on loopback for the journal tests, and prints the URL they use
# (the password is a throwaway one for a test role that can only reach its own database).
#   - Debian: installs `postgresql` with apt-get when missing (root or password-less sudo), starts the
#     release's `main` cluster, and creates the role `tl_test` and the database `tl_test` once.
#   - Elsewhere, or without the rights: set TL_TEST_POSTGRES_URL yourself; this prints it as it is.
# Messages go to stderr; stdout is only the URL.
set -euo pipefail

if [ -n "${TL_TEST_POSTGRES_URL:-}" ]; then echo "$TL_TEST_POSTGRES_URL"; exit 0; fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
    echo "ensure-postgres: not root and no password-less sudo; set TL_TEST_POSTGRES_URL to run the PostgreSQL tests" >&2
    exit 0
  fi
fi
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { echo "ensure-postgres: no apt-get; set TL_TEST_POSTGRES_URL" >&2; exit 0; }
  echo "Installing: postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq postgresql >&2
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$status" != "online" ]; then
  $sudo pg_ctlcluster "$version" "$cluster" start >&2
fi
psql_as_postgres() { $sudo su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtA $*"; }
if [ "$(psql_as_postgres "-c \"SELECT 1 FROM pg_roles WHERE rolname = 'tl_test'\"")" != "1" ]; then
  psql_as_postgres "-c \"CREATE ROLE tl_test LOGIN CREATEDB PASSWORD 'tl_test'\"" >&2
fi
if [ "$(psql_as_postgres "-c \"SELECT 1 FROM pg_database WHERE datname = 'tl_test'\"")" != "1" ]; then
  psql_as_postgres "-c \"CREATE DATABASE tl_test OWNER tl_test\"" >&2
fi
echo "postgres://tl_test:tl_test@127.0.0.1:$port/tl_test?sslmode=disable"
