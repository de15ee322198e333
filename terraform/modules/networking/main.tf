# Namespaces with their Pod Security Standard, default-deny NetworkPolicies, DNS egress, and
# the ingress controller's namespace and Helm values. The application's own allow-rules
# (ingress-to-web, prometheus-to-web, app egress...) live with the workloads in k8s/base.

locals {
  ingress_namespace = var.ingress_controller.create_namespace ? kubernetes_namespace_v1.ingress[0].metadata[0].name : var.ingress_controller.namespace

  labels = merge(var.labels, { "app.kubernetes.io/managed-by" = "terraform" })

  default_deny = { for name, ns in var.namespaces : name => ns if ns.default_deny }
  allow_dns    = { for name, ns in var.namespaces : name => ns if ns.allow_dns }

  # Traefik chart values matching the kind cluster: one pod on the node whose ports 80/443 are
  # mapped to 127.0.0.1:18080/18443, bound to them with hostPorts (no LoadBalancer on kind).
  ingress_values = {
    deployment     = { kind = "Deployment", replicas = 1 }
    updateStrategy = { type = "Recreate" } # hostPorts: the old pod must release them first
    nodeSelector   = var.ingress_controller.node_selector
    tolerations = [
      { key = "node-role.kubernetes.io/control-plane", operator = "Exists", effect = "NoSchedule" },
    ]
    ports = {
      web       = { port = 8000, hostPort = var.ingress_controller.http_host_port, exposedPort = 80 }
      websecure = { port = 8443, hostPort = var.ingress_controller.https_host_port, exposedPort = 443 }
    }
    service            = { type = "ClusterIP" }
    ingressClass       = { enabled = true, isDefaultClass = var.ingress_controller.default_class }
    providers          = { kubernetesIngress = { enabled = true }, kubernetesCRD = { enabled = false } }
    metrics            = { prometheus = { entryPoint = "metrics" } }
    globalArguments    = []
    commonLabels       = local.labels
    podSecurityContext = { runAsNonRoot = true, runAsUser = 65532, runAsGroup = 65532, seccompProfile = { type = "RuntimeDefault" } }
  }
}

resource "kubernetes_namespace_v1" "this" {
  for_each = var.namespaces

  metadata {
    name = each.key
    labels = merge(local.labels, each.value.labels, {
      "pod-security.kubernetes.io/enforce"         = each.value.pod_security
      "pod-security.kubernetes.io/enforce-version" = var.pod_security_version
    })
  }
}

resource "kubernetes_network_policy_v1" "default_deny" {
  for_each = local.default_deny

  metadata {
    name      = "default-deny-all"
    namespace = kubernetes_namespace_v1.this[each.key].metadata[0].name
    labels    = local.labels
  }

  spec {
    pod_selector {}
    policy_types = ["Ingress", "Egress"]
  }
}

resource "kubernetes_network_policy_v1" "allow_dns" {
  for_each = local.allow_dns

  metadata {
    name      = "allow-dns-egress"
    namespace = kubernetes_namespace_v1.this[each.key].metadata[0].name
    labels    = local.labels
  }

  spec {
    pod_selector {}
    policy_types = ["Egress"]

    egress {
      to {
        namespace_selector {
          match_labels = { "kubernetes.io/metadata.name" = var.dns_selector.namespace }
        }
        pod_selector {
          match_labels = var.dns_selector.pod_labels
        }
      }
      ports {
        protocol = "UDP"
        port     = "53"
      }
      ports {
        protocol = "TCP"
        port     = "53"
      }
    }
  }
}

# The controller's namespace carries no default-deny: the controller takes traffic from
# outside the cluster on its hostPorts and must reach the API server and every backend.
resource "kubernetes_namespace_v1" "ingress" {
  count = var.ingress_controller.create_namespace ? 1 : 0

  metadata {
    name = var.ingress_controller.namespace
    labels = merge(local.labels, {
      # hostPorts are outside the restricted and baseline standards
      "pod-security.kubernetes.io/enforce"         = "privileged"
      "pod-security.kubernetes.io/enforce-version" = var.pod_security_version
    })
  }
}

resource "helm_release" "this" {
  count = var.ingress_controller.install ? 1 : 0

  name       = "traefik"
  namespace  = local.ingress_namespace
  repository = var.ingress_controller.chart_repository
  chart      = "traefik"
  version    = var.ingress_controller.chart_version
  values     = [yamlencode(local.ingress_values)]
  wait       = true
  timeout    = 600
}
