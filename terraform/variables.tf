variable "cluster_name" {
  description = "Name of the kind cluster."
  type        = string
  default     = "lks"
}

variable "node_image" {
  description = "kind node image: lks/kind-node:<hash> offline (scripts/cluster/build-node-image.sh prints it), kindest/node:v1.34.x online."
  type        = string
  default     = "kindest/node:v1.34.0"
}

variable "kind_binary" {
  description = "kind CLI v0.30 (scripts/cluster/build-tools.sh kind prints the directory of the cached build)."
  type        = string
  default     = "kind"
}

variable "create_cluster" {
  description = "Create the kind cluster (module k8s-cluster); false deploys onto an existing cluster given by kubeconfig_path, such as the one scripts/cluster/up.sh made."
  type        = bool
  default     = true
}

variable "kubeconfig_path" {
  description = "With create_cluster, where the new cluster's kubeconfig is written (null: .terraform/kind-<cluster_name>.kubeconfig in the working directory); without, the existing cluster's kubeconfig."
  type        = string
  default     = null

  validation {
    condition     = var.create_cluster || var.kubeconfig_path != null
    error_message = "kubeconfig_path is required when create_cluster is false."
  }
}

variable "kubeconfig_context" {
  description = "Context of an existing cluster's kubeconfig (create_cluster = false); null uses its current context."
  type        = string
  default     = null
}

variable "worker_count" {
  description = "Worker nodes next to the control-plane node."
  type        = number
  default     = 0
}

variable "port_mappings" {
  description = "Host ports (loopback only) forwarded to node ports: ingress HTTP/HTTPS and the tests' NodePort; the same as k8s/cluster/kind-config.yaml."
  type = list(object({
    container_port = number
    host_port      = number
    listen_address = optional(string, "127.0.0.1")
    protocol       = optional(string, "TCP")
  }))
  default = [
    { container_port = 80, host_port = 18080 },
    { container_port = 443, host_port = 18443 },
    { container_port = 30080, host_port = 30080 },
  ]
}

variable "reuse_existing_cluster" {
  description = "Adopt a running kind cluster of the same name (for example from scripts/cluster/up.sh) instead of failing."
  type        = bool
  default     = false
}

variable "app_namespace" {
  description = "Namespace of the Laravel application (k8s/base deploys into it)."
  type        = string
  default     = "laravel"
}

variable "monitoring_namespace" {
  description = "Namespace of Prometheus."
  type        = string
  default     = "monitoring"
}

variable "ingress_controller" {
  description = "Traefik: its namespace, and whether Terraform installs it with Helm (online) rather than scripts/cluster/up.sh from k8s/cluster/addons (offline)."
  type = object({
    namespace        = optional(string, "traefik")
    create_namespace = optional(bool, true)
    install          = optional(bool, false)
    chart_version    = optional(string, "37.1.1")
  })
  default = {}
}

variable "monitoring_dir" {
  description = "Directory holding prometheus/config.yml, prometheus/*rules.yml and alerts/*.yml; null means the repository's monitoring/."
  type        = string
  default     = null
}

variable "prometheus_image" {
  description = "Prometheus image: laravel-k8s-showcase/prometheus:2.53 offline (scripts/build-prometheus-image.sh), prom/prometheus:v2.53.x online."
  type        = string
  default     = "laravel-k8s-showcase/prometheus:2.53"
}

variable "wait_for_rollout" {
  description = "Wait for the Prometheus Deployment to be rolled out."
  type        = bool
  default     = true
}

variable "kube_prometheus_stack" {
  description = "Online alternative to the plain Prometheus Deployment: kube-prometheus-stack through Helm, fed the same scrape configs and rules."
  type = object({
    enabled       = optional(bool, false)
    chart_version = optional(string, "75.0.0")
    grafana       = optional(bool, false)
  })
  default = {}
}
