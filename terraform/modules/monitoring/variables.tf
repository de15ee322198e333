variable "k8s_dir" {
  description = "The repository's k8s/ directory (k8s/monitoring is applied)."
  type        = string
}

variable "monitoring_dir" {
  description = "The repository's monitoring/ directory: the Prometheus configuration, rules and alerts k8s/monitoring generates its ConfigMaps from."
  type        = string
}

variable "kubernetes" {
  description = "The cluster and the binaries that apply the trees, as modules/kustomization takes them (kubeconfig_path, kubeconfig_context, kubectl_binary, kustomize_binary)."
  type        = any
}

variable "prometheus_image" {
  description = "Prometheus image instead of the one k8s/monitoring names (laravel-k8s-showcase/prometheus:2.53, scripts/build-prometheus-image.sh), e.g. prom/prometheus:v2.53.x online; null keeps it."
  type        = string
  default     = null

  validation {
    condition     = var.prometheus_image == null || (can(regex(":", var.prometheus_image)) && !endswith(coalesce(var.prometheus_image, "-"), ":latest"))
    error_message = "prometheus_image must carry an explicit tag other than :latest."
  }
}

variable "wait_for_rollout" {
  description = "Wait until the Prometheus Deployment is rolled out (its image must be present on the node or pullable)."
  type        = bool
  default     = true
}
