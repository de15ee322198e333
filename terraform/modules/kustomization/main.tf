# One kustomize tree of k8s/ applied onto the cluster: the objects keep a single definition, in
# the tree, and Terraform only decides when it is applied. `kustomize build` renders the tree
# (with var.images set on a scratch kustomization, the tree itself is never edited) and
# `kubectl apply --server-side --field-manager=terraform` applies it; destroy deletes what the
# tree renders. No provider is needed: the offline provider mirror has no kustomize provider,
# so both steps are local-exec provisioners of terraform_data (scripts/kustomization.sh).

locals {
  tree = abspath(var.path)

  # what the tree is made of: every file of its source directories (a hash of the rendered
  # output would need kustomize at plan time); a change to any of them applies the tree again
  sources = [for d in coalescelist(var.sources, [var.path]) : abspath(d)]
  files   = sort(flatten([for d in local.sources : [for f in fileset(d, "**") : "${d}/${f}"]]))
  digest  = sha256(join("\n", [for f in local.files : "${f} ${filesha256(f)}"]))

  settings = {
    TREE            = local.tree
    KUBECTL         = var.kubernetes.kubectl_binary
    KUSTOMIZE       = var.kubernetes.kustomize_binary
    KUBECONFIG_PATH = var.kubernetes.kubeconfig_path
    KUBE_CONTEXT    = coalesce(var.kubernetes.kubeconfig_context, "-")
    IMAGES          = join(" ", [for name, ref in var.images : "${name}=${ref}"])
    SCRIPT          = abspath("${path.module}/scripts/kustomization.sh")
  }
}

# (Re-)applies the tree: on create, and whenever its files, images or cluster change. Replacing
# this resource deletes nothing (it has no destroy-time step).
resource "terraform_data" "apply" {
  triggers_replace = [local.digest, local.settings]

  provisioner "local-exec" {
    command     = "\"$SCRIPT\" apply"
    interpreter = ["/bin/bash", "-c"]
    environment = merge(local.settings, { ROLLOUTS = join(" ", var.wait_for_rollouts) })
  }
}

# Deletes what the tree renders when the module is destroyed (and only then: its input changes
# only with the tree's path or the cluster).
resource "terraform_data" "delete" {
  input = local.settings

  provisioner "local-exec" {
    when        = destroy
    command     = "\"$SCRIPT\" delete"
    interpreter = ["/bin/bash", "-c"]
    environment = self.output
  }

  depends_on = [terraform_data.apply]
}
