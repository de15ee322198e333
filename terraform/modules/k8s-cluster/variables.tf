variable "cluster_name" {
  description = "Name of the kind cluster (its node containers are <name>-control-plane, <name>-worker...)."
  type        = string
  default     = "lks"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.cluster_name))
    error_message = "cluster_name must be a DNS label: lower-case letters, digits and '-'."
  }
}

variable "node_image" {
  description = "Node image: the offline lks/kind-node:<hash> from scripts/cluster/build-node-image.sh, or kindest/node:v1.34.x online (kind v0.30 supports Kubernetes 1.34)."
  type        = string
  default     = "kindest/node:v1.34.0"
  nullable    = false

  validation {
    condition     = can(regex(":", var.node_image)) && !endswith(var.node_image, ":latest")
    error_message = "node_image must carry an explicit tag other than :latest."
  }
}

variable "kind_binary" {
  description = "kind CLI (v0.30) used to create and delete the cluster; scripts/cluster/build-tools.sh kind prints the directory of the cached build."
  type        = string
  default     = "kind"
  nullable    = false
}

variable "kubeconfig_path" {
  description = "File the cluster's kubeconfig is written to; null means <module>/.kube/<cluster_name>.kubeconfig."
  type        = string
  default     = null
}

variable "worker_count" {
  description = "Number of worker nodes next to the control-plane node (which kind untaints, so 0 still runs workloads)."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.worker_count >= 0 && var.worker_count <= 3 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be an integer between 0 and 3 (2 cores are shared by every node)."
  }
}

variable "pod_subnet" {
  description = "CIDR of the pod network (the CNI's range)."
  type        = string
  default     = "10.244.0.0/16"
}

variable "service_subnet" {
  description = "CIDR of the Service ClusterIP range."
  type        = string
  default     = "10.96.0.0/16"
}

variable "control_plane_labels" {
  description = "Node labels of the control-plane node; ingress-ready=true pins the ingress controller to the node whose ports are mapped."
  type        = map(string)
  default = {
    "ingress-ready" = "true"
  }
}

variable "port_mappings" {
  description = "extraPortMappings of the control-plane node: host ports, reachable on a loopback address only, forwarded to node ports (ingress HTTP/HTTPS and the tests' NodePort)."
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
  nullable = false

  validation {
    condition     = alltrue([for m in var.port_mappings : can(regex("^127\\.", m.listen_address))])
    error_message = "Every port mapping must listen on a loopback address (127.0.0.0/8): the cluster is never exposed beyond this machine."
  }

  validation {
    condition     = alltrue([for m in var.port_mappings : contains(["TCP", "UDP", "SCTP"], m.protocol)])
    error_message = "protocol must be TCP, UDP or SCTP."
  }
}

variable "wait_for_ready" {
  description = "How long `kind create cluster --wait` waits for the control plane to be Ready (a Go duration; 0s returns as soon as the node boots)."
  type        = string
  default     = "300s"

  validation {
    condition     = can(regex("^[0-9]+(s|m)$", var.wait_for_ready))
    error_message = "wait_for_ready must be a duration such as 0s, 300s or 5m."
  }
}

variable "reuse_existing" {
  description = "Adopt a cluster of the same name that already runs (for example one made by scripts/cluster/up.sh) instead of failing; destroy then deletes it."
  type        = bool
  default     = false
}
