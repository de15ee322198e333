output "kubeconfig_path" {
  description = "kubeconfig of the cluster: export KUBECONFIG=<this> for kubectl and scripts/deploy.sh."
  value       = local.kubernetes.kubeconfig_path
}

output "cluster" {
  description = "The kind cluster Terraform created: its name, kubeconfig context and the loopback address:port on the host of each mapped node port (80 ingress HTTP, 443 HTTPS, 30080 NodePort); null with create_cluster = false."
  value = var.create_cluster ? {
    name           = module.k8s_cluster[0].cluster_name
    context        = module.k8s_cluster[0].kubeconfig_context
    host_endpoints = module.k8s_cluster[0].host_endpoints
  } : null
}

output "namespaces" {
  description = "The application and monitoring namespaces, as k8s/base/namespace and k8s/monitoring define them (restricted Pod Security Standard, default deny, DNS egress)."
  value       = [module.networking.namespace, module.monitoring.namespace]
}

output "kustomize_trees" {
  description = "Every kustomize tree Terraform applies (name => path and digest of its files): the one definition of the objects it manages."
  value       = merge(module.networking.trees, { monitoring = module.monitoring.tree })
}

output "prometheus" {
  description = "In-cluster URL of Prometheus and the rule files it loads (from monitoring/prometheus and monitoring/alerts)."
  value       = { url = module.monitoring.url, rule_files = module.monitoring.rule_files }
}
