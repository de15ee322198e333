# Prometheus on the cluster with the repository's configuration and rule files as ConfigMaps.
# Default: one Prometheus Deployment (plain kubernetes provider, works offline with the
# locally built image). Online alternative: kube-prometheus-stack through Helm, given the
# same scrape configs and rules.

locals {
  plain = !var.kube_prometheus_stack.enabled

  # app.kubernetes.io/name=prometheus is what k8s/base's prometheus-to-web policy admits
  selector = {
    "app.kubernetes.io/name"     = "prometheus"
    "app.kubernetes.io/instance" = var.name
  }
  labels = merge(var.labels, local.selector, {
    "app.kubernetes.io/component"  = "monitoring"
    "app.kubernetes.io/managed-by" = "terraform"
  })

  config_dir = "/etc/prometheus/config"
  rules_dir  = "/etc/prometheus/rules"

  # a changed configuration or rule file rolls the pod (mounted ConfigMaps update lazily)
  config_checksum = sha256(join("\n", concat([var.prometheus_config], [for k in sort(keys(var.rule_files)) : "${k}\n${var.rule_files[k]}"])))

  scrape_configs = yamldecode(var.prometheus_config).scrape_configs

  stack_values = {
    fullnameOverride = var.name
    grafana          = { enabled = var.kube_prometheus_stack.grafana }
    alertmanager     = { enabled = var.kube_prometheus_stack.alertmanager }
    commonLabels     = var.labels
    # the repository's rules replace the chart's defaults
    defaultRules = { create = false }
    additionalPrometheusRulesMap = {
      for file, content in var.rule_files : trimsuffix(trimsuffix(file, ".yml"), ".yaml") => {
        groups = yamldecode(content).groups
      }
    }
    prometheus = {
      prometheusSpec = {
        retention                               = var.retention
        ruleSelectorNilUsesHelmValues           = false
        serviceMonitorSelectorNilUsesHelmValues = false
        podMonitorSelectorNilUsesHelmValues     = false
        # the operator's Prometheus scrapes itself; the repository's other jobs are added
        additionalScrapeConfigs = [for job in local.scrape_configs : job if job.job_name != "prometheus"]
      }
    }
  }
}

resource "kubernetes_config_map_v1" "config" {
  metadata {
    name      = "${var.name}-config"
    namespace = var.namespace
    labels    = local.labels
  }

  data = {
    "config.yml" = var.prometheus_config
  }
}

resource "kubernetes_config_map_v1" "rules" {
  metadata {
    name      = "${var.name}-rules"
    namespace = var.namespace
    labels    = local.labels
  }

  data = var.rule_files
}

resource "kubernetes_service_account_v1" "this" {
  count = local.plain ? 1 : 0

  metadata {
    name      = var.name
    namespace = var.namespace
    labels    = local.labels
  }
}

# Service discovery (pods, nodes, endpoints) and the kubelet's /metrics/* endpoints, which
# the kubelet authorizes as nodes/metrics.
resource "kubernetes_cluster_role_v1" "this" {
  count = local.plain ? 1 : 0

  metadata {
    name   = "${var.namespace}-${var.name}"
    labels = local.labels
  }

  rule {
    api_groups = [""]
    resources  = ["nodes", "nodes/metrics", "pods", "services", "endpoints"]
    verbs      = ["get", "list", "watch"]
  }

  rule {
    api_groups = ["discovery.k8s.io"]
    resources  = ["endpointslices"]
    verbs      = ["get", "list", "watch"]
  }

  rule {
    non_resource_urls = ["/metrics"]
    verbs             = ["get"]
  }
}

resource "kubernetes_cluster_role_binding_v1" "this" {
  count = local.plain ? 1 : 0

  metadata {
    name   = "${var.namespace}-${var.name}"
    labels = local.labels
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.this[0].metadata[0].name
  }

  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.this[0].metadata[0].name
    namespace = var.namespace
  }
}

resource "kubernetes_deployment_v1" "this" {
  count = local.plain ? 1 : 0

  wait_for_rollout = var.wait_for_rollout

  metadata {
    name      = var.name
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    replicas = 1

    strategy {
      type = "Recreate" # one TSDB: never two writers
    }

    selector {
      match_labels = local.selector
    }

    template {
      metadata {
        labels = local.labels
        annotations = {
          "checksum/config" = local.config_checksum
        }
      }

      spec {
        service_account_name             = kubernetes_service_account_v1.this[0].metadata[0].name
        automount_service_account_token  = true
        termination_grace_period_seconds = 30

        security_context {
          run_as_non_root = true
          run_as_user     = 65534
          run_as_group    = 65534
          fs_group        = 65534
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "prometheus"
          image             = var.prometheus_image
          image_pull_policy = "IfNotPresent"
          args = [
            "--config.file=${local.config_dir}/config.yml",
            "--storage.tsdb.path=/prometheus",
            "--storage.tsdb.retention.time=${var.retention}",
            "--web.listen-address=:9090",
            "--web.enable-lifecycle",
          ]

          port {
            name           = "http"
            container_port = 9090
            protocol       = "TCP"
          }

          readiness_probe {
            http_get {
              path = "/-/ready"
              port = "http"
            }
            period_seconds    = 5
            failure_threshold = 3
          }

          liveness_probe {
            http_get {
              path = "/-/healthy"
              port = "http"
            }
            initial_delay_seconds = 30
            period_seconds        = 15
          }

          resources {
            requests = {
              cpu    = var.resources.cpu_request
              memory = var.resources.memory_request
            }
            limits = {
              memory = var.resources.memory_limit
            }
          }

          # the provider sends runAsNonRoot=false unless set: the restricted standard rejects that
          security_context {
            run_as_non_root            = true
            run_as_user                = 65534
            run_as_group               = 65534
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }

          volume_mount {
            name       = "config"
            mount_path = local.config_dir
            read_only  = true
          }

          volume_mount {
            name       = "rules"
            mount_path = local.rules_dir
            read_only  = true
          }

          volume_mount {
            name       = "data"
            mount_path = "/prometheus"
          }
        }

        volume {
          name = "config"
          config_map {
            name = kubernetes_config_map_v1.config.metadata[0].name
          }
        }

        volume {
          name = "rules"
          config_map {
            name = kubernetes_config_map_v1.rules.metadata[0].name
          }
        }

        volume {
          name = "data"
          empty_dir {
            size_limit = var.storage_size_limit
          }
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "this" {
  count = local.plain ? 1 : 0

  metadata {
    name      = var.name
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    type     = var.service_type
    selector = local.selector

    port {
      name        = "http"
      port        = 9090
      target_port = "http"
      protocol    = "TCP"
      node_port   = var.service_type == "NodePort" ? var.node_port : null
    }
  }
}

# The namespace denies everything by default (networking module). Prometheus scrapes pods in
# every namespace, each node's kubelet and the API server, whose addresses are not known
# ahead: egress is open; ingress is its own namespace and the listed ones, on 9090 only.
resource "kubernetes_network_policy_v1" "this" {
  count = local.plain ? 1 : 0

  metadata {
    name      = var.name
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    pod_selector {
      match_labels = local.selector
    }
    policy_types = ["Ingress", "Egress"]

    ingress {
      from {
        pod_selector {}
      }
      dynamic "from" {
        for_each = var.allowed_ingress_namespaces
        content {
          namespace_selector {
            match_labels = { "kubernetes.io/metadata.name" = from.value }
          }
        }
      }
      ports {
        port     = "9090"
        protocol = "TCP"
      }
    }

    egress {
      to {
        ip_block {
          cidr = "0.0.0.0/0"
        }
      }
    }
  }
}

resource "helm_release" "this" {
  count = local.plain ? 0 : 1

  name       = var.name
  namespace  = var.namespace
  repository = var.kube_prometheus_stack.chart_repository
  chart      = "kube-prometheus-stack"
  version    = var.kube_prometheus_stack.chart_version
  values     = [yamlencode(local.stack_values)]
  wait       = true
  timeout    = 900
}
