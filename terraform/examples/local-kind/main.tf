# A second local kind cluster next to the test tier's: own name and own loopback ports
# (38080 HTTP, 38443 HTTPS, 38030 -> NodePort 30080), everything else from the root module.
module "lks" {
  source = "../../"

  cluster_name     = var.cluster_name
  node_image       = var.node_image
  kind_binary      = var.kind_binary
  prometheus_image = var.prometheus_image
  port_mappings = [
    { container_port = 80, host_port = 38080 },
    { container_port = 443, host_port = 38443 },
    { container_port = 30080, host_port = 38030 },
  ]
  ingress_controller = {
    install = var.online
  }
}
