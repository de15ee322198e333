# Prometheus on the cluster: Terraform applies k8s/monitoring (modules/kustomization), the one
# definition of it that the k8s tier deploys too: its namespace (restricted Pod Security
# Standard, default deny), RBAC, the Deployment, Service and NetworkPolicy, and the repository's
# configuration, rules and alerts (monitoring/, generated into ConfigMaps by
# monitoring/kustomization.yaml). Only the image may differ (offline build or upstream image).

locals {
  tree       = "${var.k8s_dir}/monitoring"
  monitoring = yamldecode(file("${var.monitoring_dir}/kustomization.yaml"))
  generated  = { for g in local.monitoring.configMapGenerator : g.name => g }
  deployment = yamldecode(file("${local.tree}/prometheus-deployment.yaml"))
  service    = yamldecode(file("${local.tree}/prometheus-service.yaml"))
  namespace  = yamldecode(file("${local.tree}/kustomization.yaml")).namespace
  # the image the tree names, overridden by var.prometheus_image
  image = one([for c in local.deployment.spec.template.spec.containers : split(":", c.image)[0] if c.name == "prometheus"])
}

module "tree" {
  source = "../kustomization"

  path              = local.tree
  sources           = [local.tree, "${var.k8s_dir}/components/namespace-isolation", var.monitoring_dir]
  images            = var.prometheus_image == null ? {} : { (local.image) = var.prometheus_image }
  wait_for_rollouts = var.wait_for_rollout ? ["${local.namespace}/deployment/${local.deployment.metadata.name}"] : []
  kubernetes        = var.kubernetes
}
