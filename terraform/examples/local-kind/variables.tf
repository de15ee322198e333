variable "cluster_name" {
  description = "Name of the example's kind cluster (distinct from the test tier's `lks`, so both can run)."
  type        = string
  default     = "lks-tf"
}

variable "node_image" {
  description = "kind node image: the output of scripts/cluster/build-node-image.sh offline (lks/kind-node:<hash>), kindest/node:v1.34.0 online."
  type        = string
  default     = "kindest/node:v1.34.0"
}

variable "kind_binary" {
  description = "kind CLI v0.30: \"$(scripts/cluster/build-tools.sh kind)/kind\" offline, or kind on PATH."
  type        = string
  default     = "kind"
}

variable "prometheus_image" {
  description = "Prometheus image (laravel-k8s-showcase/prometheus:2.53 offline, prom/prometheus:v2.53.x online); it must be on the node or pullable."
  type        = string
  default     = "laravel-k8s-showcase/prometheus:2.53"
}

variable "online" {
  description = "Online profile: Terraform also installs Traefik with its Helm chart (registries reachable)."
  type        = bool
  default     = false
}
