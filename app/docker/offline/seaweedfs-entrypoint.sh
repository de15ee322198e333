#!/usr/bin/env bash
# SeaweedFS as the uploads' S3 store, in one process tree: writes the S3 identity from the
# environment (S3_ACCESS_KEY, S3_SECRET_KEY: a Secret in k8s; the identity may only read, write
# and list S3_BUCKET), starts `weed server -s3`, creates S3_BUCKET once the S3 gateway answers,
# then waits on the server (SIGTERM is passed on). `--healthcheck`: the bucket was created and
# the S3 port accepts connections (the image's HEALTHCHECK and the k8s probes).
#   S3_BUCKET (uploads)  S3_PORT (8333)  SEAWEEDFS_METRICS_PORT (9324)  SEAWEEDFS_DIR (/data)
#   SEAWEEDFS_VOLUME_SIZE_LIMIT_MB (64: small volumes, small disk and memory)
set -o errexit -o nounset -o pipefail

: "${S3_BUCKET:=uploads}" "${S3_PORT:=8333}" "${SEAWEEDFS_METRICS_PORT:=9324}" "${SEAWEEDFS_DIR:=/data}"
: "${SEAWEEDFS_VOLUME_SIZE_LIMIT_MB:=64}"
RUN_DIR=/tmp/seaweedfs
READY="$RUN_DIR/bucket-ready"

log() { printf '{"level":"info","channel":"seaweedfs-entrypoint","message":"%s"}\n' "$*" >&2; }
die() { printf '{"level":"error","channel":"seaweedfs-entrypoint","message":"%s"}\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

healthcheck() {
  [ -f "$READY" ] || { echo "bucket $S3_BUCKET not created yet"; exit 1; }
  port_open "$S3_PORT" || { echo "S3 port $S3_PORT closed"; exit 1; }
}

s3_config() {
  [ -n "${S3_ACCESS_KEY:-}" ] && [ -n "${S3_SECRET_KEY:-}" ] || die "S3_ACCESS_KEY and S3_SECRET_KEY must be set (the app's credentials)"
  [[ "$S3_ACCESS_KEY$S3_SECRET_KEY$S3_BUCKET" =~ ^[A-Za-z0-9._/+=-]+$ ]] || die "S3_ACCESS_KEY, S3_SECRET_KEY and S3_BUCKET: letters, digits and ._/+=- only"
  umask 077
  cat >"$RUN_DIR/s3.json" <<JSON
{"identities": [{"name": "app",
  "credentials": [{"accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY"}],
  "actions": ["Read:$S3_BUCKET", "Write:$S3_BUCKET", "List:$S3_BUCKET", "Tagging:$S3_BUCKET"]}]}
JSON
}

shell() { printf '%s\n' "$1" | weed shell -master=127.0.0.1:9333 >"$RUN_DIR/shell.log" 2>&1; }

# create the bucket (an error when it exists already: a restart on the same volume), then
# check that the store lists it
create_bucket() {
  local _
  for _ in $(seq 1 120); do
    if port_open "$S3_PORT"; then
      shell "s3.bucket.create -name $S3_BUCKET" || true
      if shell "s3.bucket.list" && grep -qE "^[[:space:]]*${S3_BUCKET}[[:space:]]" "$RUN_DIR/shell.log"; then
        touch "$READY"; log "bucket $S3_BUCKET ready"; return 0
      fi
    fi
    sleep 0.5
  done
  cat "$RUN_DIR/shell.log" >&2
  die "bucket $S3_BUCKET not created after 60 s"
}

main() {
  if [ "${1:-}" = --healthcheck ]; then healthcheck; return; fi
  mkdir -p "$RUN_DIR" "$SEAWEEDFS_DIR"
  rm -f "$READY"
  s3_config
  weed server -dir="$SEAWEEDFS_DIR" -ip=127.0.0.1 -ip.bind=0.0.0.0 \
    -master.volumeSizeLimitMB="$SEAWEEDFS_VOLUME_SIZE_LIMIT_MB" -volume.max=0 \
    -s3 -s3.port="$S3_PORT" -s3.config="$RUN_DIR/s3.json" \
    -metricsPort="$SEAWEEDFS_METRICS_PORT" "$@" &
  local pid=$!
  trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
  create_bucket
  local code=0
  wait "$pid" || code=$?
  # a trapped signal interrupts the first wait: wait for the server to finish
  if kill -0 "$pid" 2>/dev/null; then wait "$pid" || code=$?; fi
  exit "$code"
}

main "$@"
