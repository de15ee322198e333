variable "namespaces" {
  description = "Application namespaces to create. Each gets a Pod Security Standard, a default-deny NetworkPolicy (no ingress, no egress) and, unless disabled, an egress policy that lets every pod resolve names through the cluster DNS."
  type = map(object({
    labels       = optional(map(string), {})
    pod_security = optional(string, "restricted")
    default_deny = optional(bool, true)
    allow_dns    = optional(bool, true)
  }))
  default = {
    laravel    = {}
    monitoring = {}
  }

  validation {
    condition     = alltrue([for ns in values(var.namespaces) : contains(["privileged", "baseline", "restricted"], ns.pod_security)])
    error_message = "pod_security must be privileged, baseline or restricted."
  }

  validation {
    condition     = alltrue([for name in keys(var.namespaces) : can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name)) && length(name) <= 63])
    error_message = "Namespace names must be DNS labels (lower-case letters, digits and '-', at most 63 characters)."
  }
}

variable "pod_security_version" {
  description = "Kubernetes version whose Pod Security Standards the namespaces enforce."
  type        = string
  default     = "v1.34"
}

variable "dns_selector" {
  description = "Namespace and pod labels of the cluster DNS that the allow-dns egress policies open port 53 to."
  type = object({
    namespace  = string
    pod_labels = map(string)
  })
  default = {
    namespace  = "kube-system"
    pod_labels = { "k8s-app" = "kube-dns" }
  }
}

variable "ingress_controller" {
  description = "The ingress controller (Traefik): its namespace is created here unless `create_namespace` is false (scripts/cluster/up.sh already made it); `install` deploys it with the Traefik Helm chart (online: the chart and the image come from their registries). Offline, scripts/cluster/up.sh installs the same controller from k8s/cluster/addons into this namespace."
  type = object({
    namespace        = optional(string, "traefik")
    create_namespace = optional(bool, true)
    install          = optional(bool, false)
    chart_repository = optional(string, "https://traefik.github.io/charts")
    chart_version    = optional(string, "37.1.1")
    http_host_port   = optional(number, 80)
    https_host_port  = optional(number, 443)
    node_selector    = optional(map(string), { "ingress-ready" = "true" })
    default_class    = optional(bool, true)
  })
  default = {}
}

variable "labels" {
  description = "Labels added to every object this module creates."
  type        = map(string)
  default = {
    "app.kubernetes.io/part-of" = "laravel-k8s-showcase"
  }
}
