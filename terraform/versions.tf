terraform {
  required_version = ">= 1.9.0" # validation across variables

  # Offline, scripts/terraform-providers.sh builds it from the Go module proxy into a filesystem
  # mirror; online, `terraform init` takes it from the registry. The Kubernetes objects need no
  # provider: modules/kustomization applies the kustomize trees with kubectl.
  required_providers {
    helm = { source = "hashicorp/helm", version = ">= 3.2.0, < 4.0.0" } # Traefik's chart, online
  }
}
