#!/usr/bin/env bash
# Makes sure the services the tests talk to are up: PostgreSQL and Redis on 127.0.0.1, and Chromium for the
# browser tests. Starts them when installed, installs them with apt-get when missing (needs root).
# With CI=true anything still missing fails the run.
set -euo pipefail

say() { printf 'services: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { as_root apt-get update -q >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}
postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
missing=()

if ! postgres_up; then
  command -v pg_ctlcluster >/dev/null || { say "installing PostgreSQL"; apt_install postgresql || true; }
  if command -v pg_ctlcluster >/dev/null; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba" 2>/dev/null; then
      as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba" || true
    fi
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    for _ in $(seq 1 30); do postgres_up && break; sleep 1; done
  fi
  postgres_up || missing+=("PostgreSQL on 127.0.0.1:5432")
fi

if ! redis_up; then
  command -v redis-server >/dev/null || { say "installing Redis"; apt_install redis-server || true; }
  if command -v redis-server >/dev/null; then
    mkdir -p /tmp/crm-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/crm-redis --logfile /tmp/crm-redis/redis.log || true
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || missing+=("Redis on 127.0.0.1:6379")
fi

if [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium for the browser tests"
  apt_install chromium || true
  [ -x /usr/bin/chromium ] || missing+=("/usr/bin/chromium")
fi

if [ ${#missing[@]} -gt 0 ]; then
  say "missing: ${missing[*]}"
  exit 1
fi
say "PostgreSQL, Redis and Chromium are ready"
