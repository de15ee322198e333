variable "namespace" {
  description = "Namespace Prometheus runs in (created by the networking module, with its default-deny policy)."
  type        = string
  default     = "monitoring"
}

variable "name" {
  description = "Name of the Prometheus objects (Deployment, Service, ServiceAccount, ConfigMaps are <name>-config / <name>-rules)."
  type        = string
  default     = "prometheus"
}

variable "prometheus_config" {
  description = "Prometheus configuration (YAML), normally monitoring/prometheus/config.yml; its rule_files must match /etc/prometheus/rules/*.yml, where the rule files are mounted."
  type        = string

  validation {
    condition     = can(yamldecode(var.prometheus_config).scrape_configs[0].job_name)
    error_message = "prometheus_config must be YAML with at least one scrape_configs entry."
  }
}

variable "rule_files" {
  description = "Prometheus rule files (recording and alerting rules), file name => YAML content; mounted as /etc/prometheus/rules/<file name>."
  type        = map(string)

  validation {
    condition     = length(var.rule_files) > 0 && alltrue([for content in values(var.rule_files) : can(yamldecode(content).groups[0].name)])
    error_message = "rule_files must hold at least one file, each YAML with a non-empty groups list."
  }

  validation {
    condition     = alltrue([for name in keys(var.rule_files) : can(regex("^[-._a-zA-Z0-9]+\\.ya?ml$", name))])
    error_message = "Rule file names must be valid ConfigMap keys ending in .yml or .yaml."
  }
}

variable "prometheus_image" {
  description = "Prometheus image: offline laravel-k8s-showcase/prometheus:2.53 (scripts/build-prometheus-image.sh, loaded into the kind node), online prom/prometheus:v2.53.x."
  type        = string
  default     = "laravel-k8s-showcase/prometheus:2.53"

  validation {
    condition     = can(regex(":", var.prometheus_image)) && !endswith(var.prometheus_image, ":latest")
    error_message = "prometheus_image must carry an explicit tag other than :latest."
  }
}

variable "retention" {
  description = "How long Prometheus keeps samples (--storage.tsdb.retention.time)."
  type        = string
  default     = "2d"
}

variable "storage_size_limit" {
  description = "Size limit of the emptyDir that holds the TSDB."
  type        = string
  default     = "2Gi"
}

variable "resources" {
  description = "CPU and memory requests and the memory limit of the Prometheus container."
  type = object({
    cpu_request    = optional(string, "100m")
    memory_request = optional(string, "256Mi")
    memory_limit   = optional(string, "1Gi")
  })
  default = {}
}

variable "service_type" {
  description = "Type of the Prometheus Service: ClusterIP (reach it with kubectl port-forward) or NodePort."
  type        = string
  default     = "ClusterIP"

  validation {
    condition     = contains(["ClusterIP", "NodePort"], var.service_type)
    error_message = "service_type must be ClusterIP or NodePort (kind has no LoadBalancer)."
  }
}

variable "node_port" {
  description = "NodePort of the Service when service_type is NodePort (30000-32767); null lets Kubernetes choose."
  type        = number
  default     = null
}

variable "allowed_ingress_namespaces" {
  description = "Namespaces whose pods may reach Prometheus on 9090 besides its own (for example Grafana's)."
  type        = list(string)
  default     = []
}

variable "wait_for_rollout" {
  description = "Wait until the Prometheus Deployment is rolled out (its image must be present on the node or pullable)."
  type        = bool
  default     = true
}

variable "kube_prometheus_stack" {
  description = "Online alternative: deploy kube-prometheus-stack with Helm instead of the plain Deployment, fed the same scrape configs (additionalScrapeConfigs) and rule files (PrometheusRules). Its chart and images come from public registries."
  type = object({
    enabled          = optional(bool, false)
    chart_repository = optional(string, "https://prometheus-community.github.io/helm-charts")
    chart_version    = optional(string, "75.0.0")
    grafana          = optional(bool, false)
    alertmanager     = optional(bool, true)
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
