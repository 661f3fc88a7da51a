#!/usr/bin/env bash
# A cluster-shaped environment on this machine (loopback only):
#   S3 (moto_server) on 127.0.0.1:9000 and GCS (fake-gcs-server) on 127.0.0.1:4443, each with a
#   bucket "thresher"; the Prism job server on :8073 (UI :8074); a Beam SDK worker pool on :50000
#   whose processes live in their own mount namespace with a private /tmp (tmpfs) and a working
#   directory outside the repository, so driver and workers share no local disk.
# Usage: .ci/cluster.sh up|down|status|env      (make cluster-up / make cluster-down)
# Idempotent: "up" starts only what is not running; "down" stops exactly what "up" started (pid files).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${THRESHER_CLUSTER_DIR:-$ROOT/.cache/cluster}"
LOGS="$STATE/logs"
BIN="$ROOT/.cache/bin"
PY="$ROOT/.venv/bin/python"
S3_PORT="${S3_PORT:-9000}"; GCS_PORT="${GCS_PORT:-4443}"
JOB_PORT="${JOB_PORT:-8073}"; UI_PORT="${UI_PORT:-8074}"; POOL_PORT="${POOL_PORT:-50000}"
BUCKET=thresher
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export STORAGE_EMULATOR_HOST="http://127.0.0.1:$GCS_PORT"

die() { echo "cluster: $*" >&2; exit 1; }
alive() {  # the pid file's process exists and is not a zombie (a killed service nobody reaped yet)
  local pid
  [ -f "$STATE/$1.pid" ] || return 1
  pid=$(cat "$STATE/$1.pid")
  kill -0 "$pid" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
wait_port() {  # name port seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    if "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $2), 0.2)" 2>/dev/null; then return 0; fi
    alive "$1" || die "$1 exited during start-up; see $LOGS/$1.log"
    sleep 0.1
  done
  die "$1 not listening on port $2 after $3 s; see $LOGS/$1.log"
}
start() {  # name port command...: own session (process group) so "down" stops its children too
  local name=$1 port=$2; shift 2
  if alive "$name"; then echo "cluster: $name already running (pid $(cat "$STATE/$name.pid"))"; return; fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/$name.pid"
  wait_port "$name" "$port" 60
  echo "cluster: $name started (pid $(cat "$STATE/$name.pid"), port $port)"
}
stop() {
  local name=$1 pid
  [ -f "$STATE/$name.pid" ] || return 0
  pid=$(cat "$STATE/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "cluster: $name stopped (pid $pid)"
  fi
  rm -f "$STATE/$name.pid"
}
flags() {
  cat <<FLAGS
--runner=PortableRunner --job_endpoint=localhost:$JOB_PORT --environment_type=EXTERNAL --environment_config=localhost:$POOL_PORT --s3_endpoint_url=http://127.0.0.1:$S3_PORT --s3_access_key_id=testing --s3_secret_access_key=testing --s3_region_name=us-east-1
FLAGS
}

up() {
  [ -x "$PY" ] || die "no $PY: run 'make setup' first"
  [ -x "$BIN/prism" ] && [ -x "$BIN/fake-gcs-server" ] || \
    { command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "Go is not installed (needed once to build prism and fake-gcs-server: 'make go-tools')"; \
      die "missing $BIN/prism or $BIN/fake-gcs-server: run 'make go-tools'"; }
  command -v unshare >/dev/null || die "unshare (util-linux) is missing: the worker pool needs its own mount namespace"
  [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null || die "unshare -m needs root or user namespaces"
  mkdir -p "$LOGS"
  start s3 "$S3_PORT" "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT"
  "$PY" - "$S3_PORT" "$BUCKET" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1")
if sys.argv[2] not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=sys.argv[2])
PY
  start gcs "$GCS_PORT" "$BIN/fake-gcs-server" -scheme http -host 127.0.0.1 -port "$GCS_PORT" \
    -backend memory -public-host "127.0.0.1:$GCS_PORT" -external-url "http://127.0.0.1:$GCS_PORT"
  "$PY" - "$GCS_PORT" "$BUCKET" <<'PY'
import json, sys, urllib.request, urllib.error
base = f"http://127.0.0.1:{sys.argv[1]}/storage/v1/b"
try:
    urllib.request.urlopen(f"{base}/{sys.argv[2]}")
except urllib.error.HTTPError:
    req = urllib.request.Request(f"{base}?project=test", data=json.dumps({"name": sys.argv[2]}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req)
PY
  start prism "$JOB_PORT" "$BIN/prism" --job_port "$JOB_PORT" --web_port "$UI_PORT"
  # Worker pool: own mount namespace, tmpfs on /tmp, working directory inside that private /tmp.
  # A checkout that itself lives under /tmp (CI clones may) is bind-mounted back over the tmpfs so
  # the pool still finds the project's environment; nothing else of the driver's /tmp is visible.
  start workers "$POOL_PORT" unshare -m --propagation private sh -c \
    "keep=''; case '$ROOT' in /tmp/*) keep=/dev/shm/thresher-keep-\$\$; mkdir -p \$keep && \
       mount --bind '$ROOT' \$keep;; esac; \
     mount -t tmpfs -o size=4g tmpfs /tmp && \
     if [ -n \"\$keep\" ]; then mkdir -p '$ROOT' && mount --bind \$keep '$ROOT' && umount \$keep && rmdir \$keep; fi && \
     mkdir -p /tmp/work && cd /tmp/work && \
     exec env PATH='$ROOT/.venv/bin':\"\$PATH\" '$PY' -m apache_beam.runners.worker.worker_pool_main \
       --service_port=$POOL_PORT"
  echo "cluster: logs in $LOGS"
  echo "cluster: environment: export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing STORAGE_EMULATOR_HOST=$STORAGE_EMULATOR_HOST"
  echo "cluster: submit with: $(flags)"
  echo "cluster: buckets: s3://$BUCKET (--s3_endpoint_url above), gs://$BUCKET (STORAGE_EMULATOR_HOST)"
}

down() {
  for name in workers prism gcs s3; do stop "$name"; done
  echo "cluster: down (logs kept in $LOGS)"
}

status() {
  for name in s3 gcs prism workers; do
    if alive "$name"; then echo "$name running (pid $(cat "$STATE/$name.pid"))"; else echo "$name stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  flags) flags ;;
  *) echo "usage: $0 up|down|status|flags" >&2; exit 2 ;;
esac
