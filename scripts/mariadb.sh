#!/usr/bin/env bash
# Starts a local MariaDB server (no systemd needed) and makes sure a database and a TCP user
# exist. Usage: scripts/mariadb.sh <database> [user] [password]
# Prints the DATABASE_URL to use on stdout.
set -euo pipefail
db=${1:?database name}
user=${2:-kproxy}
pass=${3:-kproxy}
sock=/run/mysqld/mysqld.sock

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1; then
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then
    as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do
    mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1 || { echo "MariaDB did not start" >&2; exit 1; }
fi

as_root mariadb --socket="$sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost';
FLUSH PRIVILEGES;
SQL
echo "mysql://$user:$pass@127.0.0.1:3306/$db"
