#!/usr/bin/env bash
# Start PostgreSQL and RabbitMQ when they are not listening. With CI=true a service that cannot be
# started fails the run; locally it only warns (the tests that need it then say why they skip).
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 tries=${2:-60}
  for _ in $(seq "$tries"); do port_open "$port" && return 0; sleep 1; done
  return 1
}

failed=()

if ! port_open 5432; then
  echo "PostgreSQL is not listening on 5432: starting it"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_port 5432 30 || failed+=("PostgreSQL (127.0.0.1:5432)")
fi

if ! port_open 5672; then
  echo "RabbitMQ is not listening on 5672: starting it"
  command -v rabbitmq-server >/dev/null && rabbitmq-server -detached || true
  wait_port 5672 90 || failed+=("RabbitMQ (127.0.0.1:5672)")
fi

if [ ${#failed[@]} -gt 0 ]; then
  printf 'not available: %s\n' "${failed[@]}" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
exit 0
