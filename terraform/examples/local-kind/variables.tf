variable "node_image" {
  description = "kind node image: the output of scripts/cluster/build-node-image.sh offline (lks/kind-node:<hash>), kindest/node:v1.34.0 online (null: the root module's default)."
  type        = string
  default     = null
}

variable "kind_binary" {
  description = "kind CLI v0.30: \"$(scripts/cluster/build-tools.sh kind)/kind\" offline; null: kind on PATH."
  type        = string
  default     = null
}

variable "online_prometheus_image" {
  description = "Prometheus image of the online profile (offline, k8s/monitoring's own laravel-k8s-showcase/prometheus:2.53 is kept); it must be pullable."
  type        = string
  default     = "prom/prometheus:v2.53.4"
}

variable "online" {
  description = "Online profile (registries reachable): Traefik from its Helm chart instead of k8s/cluster/addons/traefik, and online_prometheus_image."
  type        = bool
  default     = false
}
