#!/usr/bin/env bash
# Apply or delete one kustomize tree; run by the local-exec provisioners of the kustomization
# module (`kustomization.sh apply` / `kustomization.sh delete`). Settings (environment):
#   TREE              the kustomize directory
#   KUBECTL           kubectl binary
#   KUSTOMIZE         kustomize binary
#   KUBECONFIG_PATH   kubeconfig of the cluster
#   KUBE_CONTEXT      context of the kubeconfig ("-": its current context)
#   IMAGES            NAME=REF pairs, space-separated, set with `kustomize edit set image`
#   ROLLOUTS          NAMESPACE/KIND/NAME workloads the apply waits for (apply only)
set -o errexit -o nounset -o pipefail

WORK=""

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }

kc() {
  local context=()
  [ "$KUBE_CONTEXT" = - ] || context=(--context "$KUBE_CONTEXT")
  "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "${context[@]}" "$@"
}

# render -> the tree's objects on stdout, with the image overrides applied on a scratch
# kustomization that has the tree as its only resource
render() {
  local image
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: ["%s"]\n' \
    "$(realpath --relative-to="$WORK" "$TREE")" >"$WORK/kustomization.yaml"
  for image in ${IMAGES:-}; do
    (cd "$WORK" && "$KUSTOMIZE" edit set image "$image") || die "kustomize edit set image $image failed"
  done
  "$KUSTOMIZE" build "$WORK" || die "kustomize build $TREE failed"
}

apply() {
  local target
  render >"$WORK/objects.yaml"
  kc apply --server-side --force-conflicts --field-manager=terraform -f "$WORK/objects.yaml" >/dev/null \
    || die "kubectl apply of $TREE failed"
  for target in ${ROLLOUTS:-}; do
    kc -n "${target%%/*}" rollout status "${target#*/}" --timeout=300s >/dev/null \
      || die "${target#*/} in ${target%%/*} did not roll out within 300 s"
  done
}

delete() {
  render >"$WORK/objects.yaml"
  kc delete --ignore-not-found --wait=false -f "$WORK/objects.yaml" >/dev/null || die "kubectl delete of $TREE failed"
}

main() {
  WORK=$(mktemp -d)
  trap cleanup EXIT
  command -v "$KUSTOMIZE" >/dev/null 2>&1 || die "kustomize not found ($KUSTOMIZE): make setup installs it, or set kustomize_binary"
  command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl not found ($KUBECTL): scripts/cluster/build-k8s.sh builds it, or set kubectl_binary"
  case "${1:-}" in
    apply) apply ;;
    delete) delete ;;
    *) die "usage: kustomization.sh apply|delete" ;;
  esac
}

main "$@"
