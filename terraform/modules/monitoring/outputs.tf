output "namespace" {
  description = "Namespace Prometheus runs in."
  value       = var.namespace
}

output "service_name" {
  description = "Name of the Prometheus Service (port 9090); with kube-prometheus-stack, the chart's <name>-prometheus Service."
  value       = local.plain ? kubernetes_service_v1.this[0].metadata[0].name : "${var.name}-prometheus"
}

output "url" {
  description = "In-cluster URL of Prometheus."
  value       = "http://${local.plain ? kubernetes_service_v1.this[0].metadata[0].name : "${var.name}-prometheus"}.${var.namespace}.svc:9090"
}

output "config_map_names" {
  description = "ConfigMaps holding the Prometheus configuration and the rule files."
  value = {
    config = kubernetes_config_map_v1.config.metadata[0].name
    rules  = kubernetes_config_map_v1.rules.metadata[0].name
  }
}

output "rule_files" {
  description = "Names of the rule files mounted under /etc/prometheus/rules."
  value       = sort(keys(var.rule_files))
}

output "config_checksum" {
  description = "SHA-256 over the configuration and rule files; the pod template carries it, so a change rolls Prometheus."
  value       = local.config_checksum
}

output "deployment_mode" {
  description = "plain (a Prometheus Deployment) or kube-prometheus-stack (Helm)."
  value       = local.plain ? "plain" : "kube-prometheus-stack"
}
