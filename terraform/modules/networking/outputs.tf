output "namespaces" {
  description = "Names of the application namespaces, keyed like var.namespaces (downstream modules take a namespace from here so they are created after it)."
  value       = { for k, ns in kubernetes_namespace_v1.this : k => ns.metadata[0].name }
}

output "default_deny_policies" {
  description = "namespace/name of every default-deny NetworkPolicy."
  value       = [for p in kubernetes_network_policy_v1.default_deny : "${p.metadata[0].namespace}/${p.metadata[0].name}"]
}

output "ingress_namespace" {
  description = "Namespace of the ingress controller."
  value       = local.ingress_namespace
}

output "ingress_controller_values" {
  description = "Helm values (YAML) of the Traefik chart for this cluster, applied when ingress_controller.install is true."
  value       = yamlencode(local.ingress_values)
}

output "ingress_release" {
  description = "Name, chart version and status of the Traefik Helm release, or null when the controller is installed outside Terraform."
  value = var.ingress_controller.install ? {
    name    = helm_release.this[0].name
    version = helm_release.this[0].version
    status  = helm_release.this[0].status
  } : null
}
