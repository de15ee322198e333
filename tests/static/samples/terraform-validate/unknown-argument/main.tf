terraform {
  required_version = ">= 1.5.0"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 3.2.0, < 4.0.0"
    }
  }
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name         = "demo"
    pod_security = "restricted"
  }
}
