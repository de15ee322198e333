# A second local kind cluster next to the test tier's: its own name, lks-tf, and its own loopback
# ports (38080 HTTP, 38443 HTTPS, 38030 -> NodePort 30080); everything else from the root module.
module "lks" {
  source = "../../"

  cluster_name = "lks-tf"
  port_mappings = [
    { container_port = 80, host_port = 38080 },
    { container_port = 443, host_port = 38443 },
    { container_port = 30080, host_port = 38030 },
  ]
  node_image         = var.node_image
  kind_binary        = var.kind_binary
  prometheus_image   = var.online ? var.online_prometheus_image : null
  ingress_controller = { mode = var.online ? "helm" : "kustomize" }
}
