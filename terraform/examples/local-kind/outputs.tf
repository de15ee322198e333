output "kubeconfig_path" {
  description = "kubeconfig of the example cluster (export KUBECONFIG=<this>)."
  value       = module.lks.kubeconfig_path
}

output "host_endpoints" {
  description = "Loopback endpoints on the host, keyed by node port."
  value       = module.lks.host_endpoints
}

output "namespaces" {
  description = "Namespaces created with default-deny policies."
  value       = module.lks.namespaces
}

output "prometheus_url" {
  description = "In-cluster URL of Prometheus."
  value       = module.lks.prometheus_url
}
