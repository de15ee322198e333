variable "cluster_name" {
  description = "Name of the kind cluster (null: modules/k8s-cluster's default, lks, like the test tier's)."
  type        = string
  default     = null
}

variable "node_image" {
  description = "kind node image: lks/kind-node:<hash> offline (scripts/cluster/build-node-image.sh prints it), kindest/node:v1.34.x online (null: modules/k8s-cluster's default)."
  type        = string
  default     = null
}

variable "kind_binary" {
  description = "kind CLI v0.30 (scripts/cluster/build-tools.sh kind prints the directory of the cached build); null: kind on PATH."
  type        = string
  default     = null
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
  description = "Worker nodes next to the control-plane node (null: none)."
  type        = number
  default     = null
}

variable "port_mappings" {
  description = "Host ports (loopback only) forwarded to node ports, as modules/k8s-cluster takes them (null: its default, the ports of k8s/cluster/kind-config.yaml: 18080, 18443, 30080)."
  type        = list(object({ container_port = number, host_port = number, listen_address = optional(string), protocol = optional(string) }))
  default     = null
}

variable "reuse_existing_cluster" {
  description = "Adopt a running kind cluster of the same name (for example from scripts/cluster/up.sh) instead of failing."
  type        = bool
  default     = false
}

variable "ingress_controller" {
  description = "Traefik: mode kustomize (k8s/cluster/addons/traefik, offline), helm (its chart, online) or none (scripts/cluster/up.sh installed it); the other fields as in modules/networking. null: kustomize."
  type        = any
  default     = null
}

variable "k8s_dir" {
  description = "The k8s/ directory whose kustomize trees are applied; null means the repository's k8s/."
  type        = string
  default     = null
}

variable "monitoring_dir" {
  description = "Directory holding prometheus/config.yml, prometheus/*rules.yml and alerts/*.yml (k8s/monitoring generates its ConfigMaps from it); null means the repository's monitoring/."
  type        = string
  default     = null
}

variable "prometheus_image" {
  description = "Prometheus image instead of k8s/monitoring's laravel-k8s-showcase/prometheus:2.53 (scripts/build-prometheus-image.sh), e.g. prom/prometheus:v2.53.x online; null keeps it."
  type        = string
  default     = null
}

variable "wait_for_rollout" {
  description = "Wait for the Prometheus Deployment to be rolled out."
  type        = bool
  default     = true
}

variable "kubectl_binary" {
  description = "kubectl 1.34 that applies the kustomize trees (scripts/cluster/build-k8s.sh prints the directory of the cached build)."
  type        = string
  default     = "kubectl"
}

variable "kustomize_binary" {
  description = "kustomize v5 that renders the kustomize trees (make setup installs it in $LKS_CACHE/bin)."
  type        = string
  default     = "kustomize"
}
