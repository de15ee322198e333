output "cluster_name" {
  description = "Name of the kind cluster Terraform created (null with create_cluster = false)."
  value       = var.create_cluster ? module.k8s_cluster[0].cluster_name : null
}

output "kubeconfig_path" {
  description = "kubeconfig of the cluster: export KUBECONFIG=<this> for kubectl and scripts/deploy.sh."
  value       = local.kubeconfig_path
}

output "kubeconfig_context" {
  description = "Context of the cluster in the kubeconfig (null: its current context)."
  value       = local.kubeconfig_context
}

output "host_endpoints" {
  description = "Loopback address:port on the host for each mapped node port of a cluster Terraform created (80 ingress HTTP, 443 HTTPS, 30080 NodePort)."
  value       = var.create_cluster ? module.k8s_cluster[0].host_endpoints : {}
}

output "namespaces" {
  description = "Application namespaces (each with default-deny and DNS egress policies)."
  value       = module.networking.namespaces
}

output "ingress_namespace" {
  description = "Namespace of the ingress controller."
  value       = module.networking.ingress_namespace
}

output "prometheus_url" {
  description = "In-cluster URL of Prometheus."
  value       = module.monitoring.url
}

output "prometheus_rule_files" {
  description = "Rule files loaded by Prometheus (from monitoring/prometheus and monitoring/alerts)."
  value       = module.monitoring.rule_files
}
