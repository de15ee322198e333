# The laravel-k8s-showcase infrastructure on a local kind cluster: the cluster itself, its
# namespaces and network isolation, and Prometheus with the repository's configuration and
# rules. The application (k8s/) is deployed onto it with kustomize: scripts/deploy.sh.

locals {
  monitoring_dir = abspath(coalesce(var.monitoring_dir, "${path.module}/../monitoring"))

  # prometheus/config.yml loads /etc/prometheus/rules/*.yml: every recording rule file of
  # prometheus/ and every alert file of alerts/, keyed <dir>-<file> so names cannot collide.
  rule_paths = concat(
    [for f in fileset(local.monitoring_dir, "prometheus/*.yml") : f if f != "prometheus/config.yml"],
    tolist(fileset(local.monitoring_dir, "alerts/*.yml")),
  )
  rule_files = { for f in local.rule_paths : replace(f, "/", "-") => file("${local.monitoring_dir}/${f}") }

  kubeconfig_path    = var.create_cluster ? module.k8s_cluster[0].kubeconfig_path : var.kubeconfig_path
  kubeconfig_context = var.create_cluster ? module.k8s_cluster[0].kubeconfig_context : var.kubeconfig_context
}

provider "kubernetes" {
  # Unknown until a new cluster exists: the provider is configured once the kubeconfig is written.
  config_path    = local.kubeconfig_path
  config_context = local.kubeconfig_context
}

provider "helm" {
  kubernetes = {
    config_path    = local.kubeconfig_path
    config_context = local.kubeconfig_context
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

  namespaces = {
    (var.app_namespace)        = { pod_security = "restricted" }
    (var.monitoring_namespace) = { pod_security = "restricted" }
  }
  ingress_controller = {
    namespace        = var.ingress_controller.namespace
    create_namespace = var.ingress_controller.create_namespace
    install          = var.ingress_controller.install
    chart_version    = var.ingress_controller.chart_version
    http_host_port   = 80
    https_host_port  = 443
  }

  depends_on = [module.k8s_cluster]
}

module "monitoring" {
  source = "./modules/monitoring"

  namespace         = module.networking.namespaces[var.monitoring_namespace]
  prometheus_config = file("${local.monitoring_dir}/prometheus/config.yml")
  rule_files        = local.rule_files
  prometheus_image  = var.prometheus_image
  wait_for_rollout  = var.wait_for_rollout
  kube_prometheus_stack = {
    enabled       = var.kube_prometheus_stack.enabled
    chart_version = var.kube_prometheus_stack.chart_version
    grafana       = var.kube_prometheus_stack.grafana
  }
}
