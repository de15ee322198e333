output "namespace" {
  description = "The application namespace, as k8s/base/namespace defines it."
  value       = yamldecode(file("${var.k8s_dir}/base/namespace/laravel-namespace.yaml")).metadata.name
}

output "trees" {
  description = "The kustomize trees applied (name => path and digest of their files)."
  value       = { for name, tree in module.tree : name => tree.tree }
}

output "ingress_controller" {
  description = "How the ingress controller is installed (kustomize, helm, none), its namespace, and the Helm values (YAML) of the Traefik chart for this cluster."
  value = {
    mode      = var.ingress_controller.mode
    namespace = var.ingress_controller.namespace
    values    = yamlencode(local.ingress_values)
    release   = var.ingress_controller.mode == "helm" ? { name = helm_release.this[0].name, version = helm_release.this[0].version, status = helm_release.this[0].status } : null
  }
}
