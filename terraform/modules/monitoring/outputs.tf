output "namespace" {
  description = "Namespace Prometheus runs in (k8s/monitoring)."
  value       = local.namespace
}

output "url" {
  description = "In-cluster URL of Prometheus."
  value       = "http://${local.service.metadata.name}.${local.namespace}.svc:${local.service.spec.ports[0].port}"
}

output "rule_files" {
  description = "Rule files loaded by Prometheus: the keys of the prometheus-rules ConfigMap that monitoring/kustomization.yaml generates."
  value       = sort([for f in local.generated["prometheus-rules"].files : split("=", f)[0]])
}

output "tree" {
  description = "The applied kustomize tree (path and digest of its files)."
  value       = module.tree.tree
}
