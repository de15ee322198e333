# The application namespace with its isolation, and the ingress controller. Terraform states
# none of these objects itself: it applies the kustomize trees that define them
# (modules/kustomization), the same trees the application and scripts/cluster/up.sh apply:
#   k8s/base/namespace           the laravel namespace (restricted Pod Security Standard), its
#                                default-deny and DNS egress policies, and the RoleBinding that
#                                lets Traefik read its Ingresses and TLS secrets (there only)
#   k8s/cluster/addons/traefik   Traefik, its namespace and RBAC (ingress_controller.mode =
#                                "kustomize"); or the Traefik Helm chart online ("helm")
# The application's own allow-rules (ingress-to-web, prometheus-to-web, app egress...) come
# with the workloads in k8s/base.

locals {
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
    commonLabels       = var.labels
    podSecurityContext = { runAsNonRoot = true, runAsUser = 65532, runAsGroup = 65532, seccompProfile = { type = "RuntimeDefault" } }
  }

  trees = merge(
    { namespace = { path = "${var.k8s_dir}/base/namespace", sources = ["${var.k8s_dir}/base/namespace", "${var.k8s_dir}/components/namespace-isolation", "${var.k8s_dir}/cluster/ingress-namespace"] } },
    var.ingress_controller.mode == "kustomize" ? { ingress = { path = "${var.k8s_dir}/cluster/addons/traefik", sources = [] } } : {},
  )
}

module "tree" {
  source   = "../kustomization"
  for_each = local.trees

  path       = each.value.path
  sources    = each.value.sources
  kubernetes = var.kubernetes
}

resource "helm_release" "this" {
  count = var.ingress_controller.mode == "helm" ? 1 : 0

  name             = "traefik"
  namespace        = var.ingress_controller.namespace
  create_namespace = true
  repository       = var.ingress_controller.chart_repository
  chart            = "traefik"
  version          = var.ingress_controller.chart_version
  values           = [yamlencode(local.ingress_values)]
  wait             = true
  timeout          = 600
}
