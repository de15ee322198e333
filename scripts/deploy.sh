#!/usr/bin/env bash
# Deploy VERSION of the showcase to the current cluster without downtime (Demo 2):
#   1. render k8s/overlays/VARIANT with every app image at VERSION: a temporary copy of k8s/ whose
#      overlay gets `kustomize edit` (set image: IMAGE_PREFIX/NAME when IMAGE_PREFIX is set; add
#      component, patch, configmap for the settings below)
#   2. apply namespace, config, secrets, data stores and policies; wait for Redis, MariaDB and
#      the uploads' SeaweedFS
#      (objects an earlier deploy applied that are no longer in the manifests are pruned, see
#      Pruning below)
#   3. run the migrations Job and wait for it: a failure stops here, the old version keeps serving
#   4. apply (and prune) the web tier and the worker, wait for their rollouts; a rollout that fails
#      (crash loop, image pull error, not Ready before LKS_ROLLOUT_TIMEOUT) is rolled back
#      with `kubectl rollout undo` and the script exits 3
#   5. print the timings (and one machine-readable "deploy-timings:" line)
#
# Usage: scripts/deploy.sh VERSION [--variant fpm|swoole|comparison] [--print-manifests | --print-images]
#   --variant          the overlay: fpm (default), swoole, or comparison (both web tiers side by
#                      side, laravel-app-fpm on fpm.localhost and laravel-app-swoole on
#                      swoole.localhost, sharing the data stores and the worker)
#   VERSION            image tag of laravel-k8s-showcase/{fpm,nginx,worker,swoole} (a leading
#                      "v" is dropped: v2.0.0 deploys the tag 2.0.0)
#   --print-manifests  render only: print the manifests step 1 makes and exit (no cluster)
#   --print-images     render only: print each image reference of those manifests, one a line
# Settings (environment):
#   IMAGE_PREFIX         repository prefix the cluster pulls from, e.g. REGISTRY/OWNER/REPO
#                        (default: none = the local names laravel-k8s-showcase/*, as kind loads
#                        them). Set, every laravel-k8s-showcase/NAME of the overlay becomes
#                        IMAGE_PREFIX/NAME: the app images at VERSION, redis/mariadb with their tag
#   KUSTOMIZE            kustomize binary (default: kustomize on PATH, else make setup's
#                        $LKS_CACHE/bin/kustomize)
#   KUBECTL              kubectl command (default: kubectl; honours KUBECONFIG)
#   LKS_LOAD_IMAGE       command that loads a local image into the cluster, called as
#                        `$LKS_LOAD_IMAGE IMAGE` before deploying (default: none = the cluster
#                        pulls the tag from its registry)
#   LKS_INGRESS_CLASS    ingressClassName of the Ingress (default: traefik)
#   LKS_SECRETS          example (committed LOCAL-DEV values, default) or env (the git-ignored
#                        k8s/components/env-secrets/{app,mariadb}/secrets.env). example is refused
#                        outside the local kind cluster: a context kind named (kind-<name>) whose
#                        API server is on this machine's loopback
#   LKS_DB_STORAGE       pvc (default: MariaDB's data on a PersistentVolumeClaim) or ephemeral
#                        (an emptyDir, for clusters whose StorageClass cannot serve a non-root
#                        pod, like kind's legacy kubernetes.io/host-path; see
#                        k8s/components/ephemeral-db)
#   LKS_ROLLOUT_TIMEOUT  seconds a rollout may take before it is rolled back (default: 120)
#   LKS_MIGRATE_TIMEOUT  seconds the migrations Job may take (default: 180)
#   LKS_CONFIG           KEY=VALUE pairs (space-separated) merged into the laravel-config
#                        ConfigMap, e.g. "LOG_LEVEL=debug"; a new content hash rolls the pods
#   LKS_INGRESS_HOST     host name of the Ingress (default: the manifests' localhost)
#   LKS_TLS_CERT, LKS_TLS_KEY  certificate of the Ingress TLS secrets (default: the Ingress's own
#                        certificate signed by the kind cluster's local CA,
#                        $LKS_CACHE/cluster/pki/ingress.{crt,key}, SANs localhost and *.localhost;
#                        not Traefik's default certificate). A secret this script created
#                        (label app.kubernetes.io/component=tls) is replaced when it holds another
#                        certificate; a secret created by someone else is left alone.
# Pruning: every rendered object except the generated config (ConfigMaps/Secrets with a content
# hash in their name, which `rollout undo` still needs) gets the label
# app.kubernetes.io/managed-by=deploy.sh, and each apply runs with `--prune` on that label plus
# app.kubernetes.io/part-of=laravel-k8s-showcase, for the namespaced kinds of PRUNE_ALLOWLIST
# only (never Namespaces or other cluster-scoped kinds, never Jobs), in the laravel namespace:
# an object an earlier deploy applied and the manifests no longer have is deleted. Objects
# without the label (objects applied by hand with kubectl apply -k, the TLS secrets,
# Prometheus in its own namespace, Jobs of the migrations) are never pruned.
# Exit codes: 0 deployed, 1 error before the web rollout, 3 rollout failed and rolled back,
# 4 rollout failed and the rollback failed too.
set -o errexit -o nounset -o pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

settings KUBECTL=kubectl LKS_LOAD_IMAGE= IMAGE_PREFIX= LKS_CONFIG=
settings LKS_INGRESS_CLASS=traefik LKS_INGRESS_HOST= LKS_SECRETS=example LKS_DB_STORAGE=pvc
settings LKS_ROLLOUT_TIMEOUT=120 LKS_MIGRATE_TIMEOUT=180
settings "LKS_TLS_CERT=$LKS_CACHE/cluster/pki/ingress.crt" "LKS_TLS_KEY=$LKS_CACHE/cluster/pki/ingress.key"
settings "KUSTOMIZE=$(find_tool kustomize "$LKS_CACHE/bin/kustomize" || echo "$LKS_CACHE/bin/kustomize")"
LOCAL_REPO=laravel-k8s-showcase
APP_IMAGES=(fpm nginx worker swoole)  # tagged with VERSION; the others keep their tag
NAMESPACE=laravel
PART_OF="app.kubernetes.io/part-of=laravel-k8s-showcase"
MANAGED_BY="app.kubernetes.io/managed-by=deploy.sh"
# namespaced kinds a deploy prunes (group/version/Kind); the migrations Job is replaced by
# run_migrations, the Namespace is never pruned
PRUNE_ALLOWLIST=(
  core/v1/ConfigMap core/v1/Secret core/v1/Service core/v1/ServiceAccount
  apps/v1/Deployment apps/v1/StatefulSet policy/v1/PodDisruptionBudget
  autoscaling/v2/HorizontalPodAutoscaler networking.k8s.io/v1/Ingress networking.k8s.io/v1/NetworkPolicy
)
WORKDIR=""
OVERLAY=""
MANIFESTS=""

usage() { sed -n '2,/^set -o/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

cleanup() {
  [ -z "$WORKDIR" ] || rm -rf "$WORKDIR"
  [ -z "$MANIFESTS" ] || rm -f "$MANIFESTS"
}

kc() { $KUBECTL --namespace "$NAMESPACE" "$@"; }

# local_kind_cluster -> 0 when KUBECTL's current context is a kind cluster of this machine: the
# context is kind's (kind-<cluster>) and its API server listens on the loopback
local_kind_cluster() {
  local context server
  context=$($KUBECTL config current-context 2>/dev/null) || return 1
  server=$($KUBECTL config view --minify -o 'jsonpath={.clusters[0].cluster.server}' 2>/dev/null) || return 1
  [[ "$context" == kind-* && "$server" =~ ^https://(127\.[0-9.]+|localhost|\[::1\]):[0-9]+/?$ ]]
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# render VARIANT TAG -> the manifests on stdout. The k8s/ tree is copied to $WORKDIR and the
# copy of k8s/overlays/VARIANT is edited with `kustomize edit` (components, patches, config,
# images): the repository's files are never touched, and the edits are kustomize's own.
render() {
  local variant="$1" tag="$2" pair
  WORKDIR=$(mktemp -d)
  cp -R "$REPO_ROOT/k8s" "$WORKDIR/k8s"
  OVERLAY="$WORKDIR/k8s/overlays/$variant"
  case "$LKS_SECRETS" in
    example) ;;
    env) edit add component ../../components/env-secrets ;;
    *) die "LKS_SECRETS must be example or env, not $LKS_SECRETS" ;;
  esac
  case "$LKS_DB_STORAGE" in
    pvc) ;;
    ephemeral) edit add component ../../components/ephemeral-db; log "MariaDB data on an emptyDir (LKS_DB_STORAGE=ephemeral)" ;;
    *) die "LKS_DB_STORAGE must be pvc or ephemeral, not $LKS_DB_STORAGE" ;;
  esac
  for pair in $LKS_CONFIG; do
    [[ "$pair" =~ ^[A-Z][A-Z0-9_]*=[^\"]*$ ]] || die "LKS_CONFIG: not KEY=VALUE: $pair"
    edit add configmap laravel-config --behavior merge --from-literal "$pair"
  done
  edit add patch --kind Ingress \
    --patch "[{\"op\": \"replace\", \"path\": \"/spec/ingressClassName\", \"value\": \"$LKS_INGRESS_CLASS\"}]"
  if [ -n "$LKS_INGRESS_HOST" ]; then
    [ "$variant" != comparison ] || die "LKS_INGRESS_HOST names one host; the comparison overlay serves two (fpm.localhost, swoole.localhost)"
    edit add patch --kind Ingress --patch "[{\"op\": \"replace\", \"path\": \"/spec/rules/0/host\", \"value\": \"$LKS_INGRESS_HOST\"},
      {\"op\": \"replace\", \"path\": \"/spec/tls/0/hosts/0\", \"value\": \"$LKS_INGRESS_HOST\"}]"
  fi
  edit add patch --label-selector "app.kubernetes.io/component in (web,worker,migrations)" \
    --patch "[{\"op\": \"replace\", \"path\": \"/metadata/labels/app.kubernetes.io~1version\", \"value\": \"$tag\"}]"
  edit add patch --kind "(Deployment|Job)" --label-selector "app.kubernetes.io/component in (web,worker,migrations)" \
    --patch "[{\"op\": \"replace\", \"path\": \"/spec/template/metadata/labels/app.kubernetes.io~1version\", \"value\": \"$tag\"}]"
  # not `edit add label`: the generated config (component=config) must stay unlabelled
  edit add patch --label-selector "app.kubernetes.io/component!=config" \
    --patch '[{"op": "add", "path": "/metadata/labels/app.kubernetes.io~1managed-by", "value": "deploy.sh"}]'
  set_images "$tag"
  "$KUSTOMIZE" build "$OVERLAY"
}

# edit ARGS...: `kustomize edit ARGS` in the copied overlay
edit() { (cd "$OVERLAY" && "$KUSTOMIZE" edit "$@" >/dev/null) || die "kustomize edit $* failed"; }

# image references (one a line) in rendered manifests on stdin
image_refs() { sed -n -E 's/^[[:space:]]*(- )?image:[[:space:]]*"?([^"[:space:]]+)"?.*/\2/p' | sort -u; }

# set_images TAG: `kustomize edit set image` in the copied overlay for every local image it uses
set_images() {
  local tag="$1" ref name app
  while read -r ref; do
    [[ "$ref" == "$LOCAL_REPO"/* ]] || continue
    name="${ref#"$LOCAL_REPO"/}"; name="${name%%[:@]*}"
    app=""
    [[ " ${APP_IMAGES[*]} " == *" $name "* ]] && app=":$tag"
    if [ -n "$IMAGE_PREFIX" ]; then
      edit set image "$LOCAL_REPO/$name=$IMAGE_PREFIX/$name$app"
    elif [ -n "$app" ]; then
      edit set image "$LOCAL_REPO/$name$app"
    fi
  done < <("$KUSTOMIZE" build "$OVERLAY" | image_refs)
}

# apply_pruned SELECTOR: apply the rendered objects matching SELECTOR and delete the objects of
# an earlier deploy (same labels) that are no longer among them
apply_pruned() {
  local kind allow=()
  for kind in "${PRUNE_ALLOWLIST[@]}"; do allow+=(--prune-allowlist "$kind"); done
  $KUBECTL apply -f "$MANIFESTS" --prune "${allow[@]}" -l "$PART_OF,$MANAGED_BY,$1" \
    | { grep ' pruned$' || true; } | sed 's/^/  /' >&2
}

# The Ingress TLS secrets, from the Ingress's local CA-signed certificate (never committed).
ensure_tls() {
  local name current
  for name in laravel-tls laravel-tls-fpm laravel-tls-swoole; do
    if kc get secret "$name" >/dev/null 2>&1; then
      # a secret someone else created is theirs; ours is kept when it holds LKS_TLS_CERT
      [ "$(kc get secret "$name" -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/component}')" = tls ] || continue
      current=$(kc get secret "$name" -o 'jsonpath={.data.tls\.crt}' | base64 -d)
      [ -s "$LKS_TLS_CERT" ] && [ "$current" != "$(cat "$LKS_TLS_CERT")" ] || continue
      log "secret $name holds another certificate: updating it to $LKS_TLS_CERT"
    fi
    [ -s "$LKS_TLS_CERT" ] && [ -s "$LKS_TLS_KEY" ] \
      || die "no certificate for the Ingress: $LKS_TLS_CERT missing (scripts/cluster/pki.sh makes it; or set LKS_TLS_CERT/LKS_TLS_KEY)"
    # no managed-by label: never pruned by apply_pruned
    kc create secret tls "$name" --cert "$LKS_TLS_CERT" --key "$LKS_TLS_KEY" --dry-run=client -o yaml \
      | kc label --local -f - -o yaml app.kubernetes.io/name=laravel-k8s-showcase app.kubernetes.io/component=tls \
        app.kubernetes.io/part-of=laravel-k8s-showcase \
      | kc apply -f - >/dev/null
  done
}

# first bad waiting reason of the pods of VERSION's web/worker, or nothing
broken_pods() {
  kc get pods -l "app.kubernetes.io/component in (web,worker),app.kubernetes.io/version=$1" \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{range .status.initContainerStatuses[*]}{.state.waiting.reason}{" "}{end}{range .status.containerStatuses[*]}{.state.waiting.reason}{" "}{end}{"\n"}{end}' 2>/dev/null \
    | grep -E -m1 'CrashLoopBackOff|ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName|CreateContainerError|CreateContainerConfigError|RunContainerError' || true
}

rolled_out() {
  local out
  out=$(kc rollout status "deployment/$1" --watch=false 2>&1) || return 1
  case "$out" in *"successfully rolled out"*) return 0 ;; *) return 1 ;; esac
}

# wait_rollout TAG DEPLOYMENT... -> 0 when all rolled out; 1 on a broken pod or the timeout
wait_rollout() {
  local tag="$1" deadline bad d pending; shift
  deadline=$(( $(date +%s) + LKS_ROLLOUT_TIMEOUT ))
  while :; do
    pending=0
    for d in "$@"; do rolled_out "$d" || pending=1; done
    [ "$pending" -eq 0 ] && return 0
    bad=$(broken_pods "$tag")
    if [ -n "$bad" ]; then log "rollout failed: pod $bad"; return 1; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then log "rollout failed: not complete after ${LKS_ROLLOUT_TIMEOUT}s"; return 1; fi
    sleep 1
  done
}

run_migrations() {
  local manifests="$1" deadline succeeded failed
  kc delete job laravel-migrate --ignore-not-found --wait=true >/dev/null
  $KUBECTL apply -f "$manifests" -l app.kubernetes.io/component=migrations >/dev/null
  deadline=$(( $(date +%s) + LKS_MIGRATE_TIMEOUT ))
  while :; do
    succeeded=$(kc get job laravel-migrate -o jsonpath='{.status.succeeded}')
    failed=$(kc get job laravel-migrate -o jsonpath='{.status.conditions[?(@.type=="Failed")].status}')
    [ "${succeeded:-0}" -ge 1 ] && break
    if [ "$failed" = True ] || [ "$(date +%s)" -ge "$deadline" ]; then
      kc logs job/laravel-migrate --tail=30 >&2 || true
      die "migrations Job failed; nothing else was changed, the previous version keeps serving"
    fi
    sleep 1
  done
  kc logs job/laravel-migrate --tail=20 2>/dev/null | sed 's/^/  migrate| /' >&2 || true
}

main() {
  local version="" variant=fpm print=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --variant) variant="${2:-}"; shift 2 ;;
      --variant=*) variant="${1#*=}"; shift ;;
      --print-manifests|--print-images) print="${1#--print-}"; shift ;;
      -h|--help) usage; exit 0 ;;
      -*) die "unknown option $1 (see --help)" ;;
      *) [ -z "$version" ] || die "one VERSION only"; version="$1"; shift ;;
    esac
  done
  [ -n "$version" ] || die "usage: scripts/deploy.sh VERSION [--variant fpm|swoole|comparison]"
  case "$variant" in fpm|swoole|comparison) ;; *) die "--variant must be fpm, swoole or comparison, not '$variant'" ;; esac
  local tag="${version#v}"
  [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "not a valid image tag: $tag"
  [ "$tag" != latest ] || die "refusing :latest (kubelet would always pull it)"
  [ -z "$IMAGE_PREFIX" ] || [[ "$IMAGE_PREFIX" =~ ^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$ ]] \
    || die "IMAGE_PREFIX must be a lower-case repository path without a trailing slash, not '$IMAGE_PREFIX'"
  [ -x "$KUSTOMIZE" ] || need "$KUSTOMIZE" "make setup installs kustomize, or set KUSTOMIZE"
  trap cleanup EXIT
  if [ -n "$print" ]; then
    MANIFESTS="$(mktemp)"
    render "$variant" "$tag" >"$MANIFESTS" || die "kustomize could not render k8s/overlays/$variant"
    if [ "$print" = images ]; then image_refs <"$MANIFESTS"; else cat "$MANIFESTS"; fi
    return 0
  fi
  need "${KUBECTL%% *}" "make setup, or set KUBECTL"
  if [ "$LKS_SECRETS" = example ] && ! local_kind_cluster; then
    die "refusing the committed LOCAL-DEV example secrets on '$($KUBECTL config current-context 2>/dev/null || echo '?')', which is not the local kind cluster: set LKS_SECRETS=env (k8s/components/env-secrets)"
  fi

  local t0 t image webs=(laravel-app) images runtimes=("$variant") web
  [ "$variant" != comparison ] || { webs=(laravel-app-fpm laravel-app-swoole); runtimes=(fpm swoole); }
  t0=$(now)
  log "deploy $variant $tag"
  local repo="${IMAGE_PREFIX:-$LOCAL_REPO}"
  images=("$repo/worker:$tag")
  for web in "${runtimes[@]}"; do images+=("$repo/$web:$tag"); done
  [ "${runtimes[0]}" != fpm ] || images+=("$repo/nginx:$tag")
  MANIFESTS="$(mktemp)"
  render "$variant" "$tag" >"$MANIFESTS" || die "kustomize could not render k8s/overlays/$variant"
  # the uploads' store: its tag is its own version's (k8s/dependencies/seaweedfs), not VERSION
  local store
  store=$(image_refs <"$MANIFESTS" | grep -m1 "^$repo/seaweedfs:") || die "the manifests name no seaweedfs image"
  images+=("$store")
  if [ -n "$LKS_LOAD_IMAGE" ]; then
    t=$(now)
    for image in "${images[@]}"; do
      $LKS_LOAD_IMAGE "$image" >/dev/null || die "could not load $image into the cluster"
    done
    log "images loaded in $(since "$t")s"
  fi

  t=$(now)
  # the namespace and the generated config first (never pruned), then the rest of this phase
  $KUBECTL apply -f "$MANIFESTS" -l "$PART_OF,app.kubernetes.io/component in (namespace,config)" >/dev/null
  apply_pruned 'app.kubernetes.io/component notin (web,worker,migrations,config)'
  ensure_tls
  kc rollout status deployment/redis --timeout=180s >/dev/null || die "redis did not become Ready"
  kc rollout status statefulset/mariadb --timeout=300s >/dev/null || die "mariadb did not become Ready"
  kc rollout status statefulset/seaweedfs --timeout=240s >/dev/null || die "seaweedfs (the uploads' store) did not become Ready"
  local t_prepare; t_prepare=$(since "$t")
  log "config and data stores ready in ${t_prepare}s"

  t=$(now)
  run_migrations "$MANIFESTS"
  local t_migrate; t_migrate=$(since "$t")
  log "migrations completed in ${t_migrate}s"

  t=$(now)
  apply_pruned 'app.kubernetes.io/component in (web,worker)'
  if wait_rollout "$tag" "${webs[@]}" laravel-worker; then
    local t_rollout; t_rollout=$(since "$t")
    log "rollout of $tag completed in ${t_rollout}s (total $(since "$t0")s)"
    echo "deploy-timings: result=deployed variant=$variant version=$tag prepare=$t_prepare migrate=$t_migrate rollout=$t_rollout rollback=0 total=$(since "$t0")"
    return 0
  fi

  local t_detect; t_detect=$(since "$t")
  t=$(now)
  log "rolling back ${webs[*]} and laravel-worker (kubectl rollout undo)"
  for web in "${webs[@]}" laravel-worker; do kc rollout undo "deployment/$web" >/dev/null || true; done
  local rc=3 result=rolled-back
  for web in "${webs[@]}" laravel-worker; do
    kc rollout status "deployment/$web" --timeout=120s >/dev/null || { rc=4 result=rollback-failed; }
  done
  local t_rollback; t_rollback=$(since "$t")
  log "rollout of $tag failed after ${t_detect}s; $result in ${t_rollback}s; serving $(kc get deployment "${webs[0]}" -o jsonpath='{.spec.template.metadata.labels.app\.kubernetes\.io/version}')"
  echo "deploy-timings: result=$result variant=$variant version=$tag prepare=$t_prepare migrate=$t_migrate rollout=$t_detect rollback=$t_rollback total=$(since "$t0")"
  return "$rc"
}

main "$@"
