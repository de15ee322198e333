terraform {
  # the objects come from k8s/monitoring through modules/kustomization: no provider
  required_version = ">= 1.5.0"
}
