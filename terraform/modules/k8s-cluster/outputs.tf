output "cluster_name" {
  description = "Name of the kind cluster."
  value       = terraform_data.this.output.name
}

output "kubeconfig_path" {
  description = "Path of the kubeconfig written for the cluster (unknown until the cluster exists, so providers configured from it wait for it)."
  value       = terraform_data.this.output.kubeconfig_path
}

output "kubeconfig_context" {
  description = "Context of the cluster in the kubeconfig (kind names it kind-<cluster_name>)."
  value       = "kind-${terraform_data.this.output.name}"
}

output "node_image" {
  description = "Node image the cluster runs."
  value       = terraform_data.this.output.node_image
}

output "kind_config" {
  description = "The rendered kind cluster configuration (YAML) passed to `kind create cluster --config`."
  value       = local.kind_config
}

output "host_endpoints" {
  description = "Loopback address:port on the host for each mapped node port, keyed by node port (80 is the ingress HTTP port, 443 HTTPS)."
  value       = { for m in var.port_mappings : tostring(m.container_port) => "${m.listen_address}:${m.host_port}" }
}
