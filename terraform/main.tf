# The laravel-k8s-showcase infrastructure on a local kind cluster: the cluster itself, the
# application namespace with its isolation, the ingress controller and Prometheus with the
# repository's configuration and rules. Every Kubernetes object has one definition, in a
# kustomize tree of k8s/; the modules apply those trees (modules/kustomization) instead of
# re-stating them in HCL. The application (k8s/overlays/*) is deployed onto the cluster with
# scripts/deploy.sh, which applies the same k8s/base/namespace again as part of k8s/base.

locals {
  k8s_dir        = abspath(coalesce(var.k8s_dir, "${path.module}/../k8s"))
  monitoring_dir = abspath(coalesce(var.monitoring_dir, "${path.module}/../monitoring"))

  kubernetes = {
    kubeconfig_path    = var.create_cluster ? module.k8s_cluster[0].kubeconfig_path : var.kubeconfig_path
    kubeconfig_context = var.create_cluster ? module.k8s_cluster[0].kubeconfig_context : var.kubeconfig_context
    kubectl_binary     = var.kubectl_binary
    kustomize_binary   = var.kustomize_binary
  }
}

provider "helm" {
  # Unknown until a new cluster exists: the provider is configured once the kubeconfig is written.
  kubernetes = {
    config_path    = local.kubernetes.kubeconfig_path
    config_context = local.kubernetes.kubeconfig_context
  }
}

module "k8s_cluster" {
  source = "./modules/k8s-cluster"
  count  = var.create_cluster ? 1 : 0

  cluster_name    = var.cluster_name
  node_image      = var.node_image
  kind_binary     = var.kind_binary
  kubeconfig_path = var.kubeconfig_path
  worker_count    = var.worker_count
  port_mappings   = var.port_mappings
  reuse_existing  = var.reuse_existing_cluster
}

module "networking" {
  source = "./modules/networking"

  k8s_dir            = local.k8s_dir
  kubernetes         = local.kubernetes
  ingress_controller = var.ingress_controller

  depends_on = [module.k8s_cluster]
}

module "monitoring" {
  source = "./modules/monitoring"

  k8s_dir          = local.k8s_dir
  monitoring_dir   = local.monitoring_dir
  kubernetes       = local.kubernetes
  prometheus_image = var.prometheus_image
  wait_for_rollout = var.wait_for_rollout

  depends_on = [module.k8s_cluster]
}
