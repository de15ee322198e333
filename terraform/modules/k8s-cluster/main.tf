# A local kind cluster (kind v0.30, Kubernetes 1.34), created and deleted through the kind CLI.
#
# The kind Terraform provider (tehcyx/kind) is not served by the Go module proxy, the only
# source of providers on offline machines, so the cluster is a terraform_data resource whose
# provisioners run `kind create cluster` / `kind delete cluster` (scripts/kind.sh). Everything
# kind needs is in the rendered cluster configuration below; the same configuration is what
# k8s/cluster/kind-config.yaml gives scripts/cluster/up.sh.

locals {
  kubeconfig_path = abspath(coalesce(var.kubeconfig_path, "${path.root}/.terraform/kind-${var.cluster_name}.kubeconfig"))

  control_plane = {
    role   = "control-plane"
    labels = var.control_plane_labels
    extraPortMappings = [for m in var.port_mappings : {
      containerPort = m.container_port
      hostPort      = m.host_port
      listenAddress = m.listen_address
      protocol      = m.protocol
    }]
  }

  kind_config = yamlencode({
    kind       = "Cluster"
    apiVersion = "kind.x-k8s.io/v1alpha4"
    networking = {
      # the API server is published on loopback only, like every other port
      apiServerAddress = "127.0.0.1"
      podSubnet        = var.pod_subnet
      serviceSubnet    = var.service_subnet
    }
    nodes = concat([local.control_plane], [for i in range(var.worker_count) : { role = "worker" }])
  })
}

resource "terraform_data" "this" {
  # A new name, node image or node layout is a new cluster.
  triggers_replace = [var.cluster_name, var.node_image, local.kind_config]

  # `output` mirrors this input once the resource exists; it is unknown while the cluster is
  # still to be created, which defers the configuration of providers that read the kubeconfig.
  # The upper-case keys are the environment of scripts/kind.sh, create and delete alike.
  input = {
    name            = var.cluster_name
    node_image      = var.node_image
    kubeconfig_path = local.kubeconfig_path
    env = {
      SCRIPT          = abspath("${path.module}/scripts/kind.sh")
      KIND            = var.kind_binary
      CLUSTER_NAME    = var.cluster_name
      KUBECONFIG_PATH = local.kubeconfig_path
    }
  }

  provisioner "local-exec" {
    command     = "\"$SCRIPT\" create"
    interpreter = ["/bin/bash", "-c"]
    environment = merge(self.input.env, {
      NODE_IMAGE     = var.node_image
      KIND_CONFIG    = local.kind_config
      WAIT           = var.wait_for_ready
      REUSE_EXISTING = tostring(var.reuse_existing)
    })
  }

  provisioner "local-exec" {
    when        = destroy
    command     = "\"$SCRIPT\" delete"
    interpreter = ["/bin/bash", "-c"]
    environment = self.output.env
  }
}
