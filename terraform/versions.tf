terraform {
  required_version = ">= 1.9.0" # validation across variables

  # Offline, scripts/terraform-providers.sh builds these versions from the Go module proxy into
  # a filesystem mirror; online, `terraform init` takes them from the registry.
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 3.2.0, < 4.0.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = ">= 3.2.0, < 4.0.0"
    }
  }
}
