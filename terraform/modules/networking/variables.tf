variable "k8s_dir" {
  description = "The repository's k8s/ directory, whose kustomize trees this module applies."
  type        = string
}

variable "kubernetes" {
  description = "The cluster and the binaries that apply the trees, as modules/kustomization takes them (kubeconfig_path, kubeconfig_context, kubectl_binary, kustomize_binary)."
  type        = any
}

variable "ingress_controller" {
  description = "The ingress controller (Traefik). mode: kustomize applies k8s/cluster/addons/traefik (offline: its image is in the node image; scripts/cluster/up.sh adds the TLS secret), helm installs the Traefik chart into `namespace` (online: chart and image from their registries), none leaves it to scripts/cluster/up.sh."
  type = object({
    mode             = optional(string, "kustomize")
    namespace        = optional(string, "traefik")
    chart_repository = optional(string, "https://traefik.github.io/charts")
    chart_version    = optional(string, "37.1.1")
    http_host_port   = optional(number, 80)
    https_host_port  = optional(number, 443)
    node_selector    = optional(map(string), { "ingress-ready" = "true" })
    default_class    = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["kustomize", "helm", "none"], var.ingress_controller.mode)
    error_message = "ingress_controller.mode must be kustomize, helm or none."
  }
}

variable "labels" {
  description = "Labels of the objects of the Traefik Helm release (the kustomize trees carry their own)."
  type        = map(string)
  default = {
    "app.kubernetes.io/part-of" = "laravel-k8s-showcase"
  }
}
