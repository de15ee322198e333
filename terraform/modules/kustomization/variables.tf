variable "path" {
  description = "Directory of the kustomize tree to apply (a kustomization.yaml under k8s/)."
  type        = string

  validation {
    condition     = fileexists("${var.path}/kustomization.yaml")
    error_message = "path must be a directory holding a kustomization.yaml."
  }
}

variable "sources" {
  description = "Directories whose files the tree is rendered from (its own and those it pulls in with ../); a change in any of them applies it again. Empty: path only."
  type        = list(string)
  default     = []
}

variable "images" {
  description = "Image overrides, image name in the tree => new reference (kustomize edit set image NAME=REF)."
  type        = map(string)
  default     = {}
}

variable "wait_for_rollouts" {
  description = "NAMESPACE/KIND/NAME of workloads whose rollout the apply waits for (kubectl rollout status)."
  type        = list(string)
  default     = []
}

variable "kubernetes" {
  description = "The cluster the tree is applied to: its kubeconfig and context (null: the kubeconfig's current one), and the kubectl (1.34) and kustomize (v5; make setup installs it in $LKS_CACHE/bin) that apply and render the tree."
  type = object({
    kubeconfig_path    = string
    kubeconfig_context = optional(string)
    kubectl_binary     = optional(string, "kubectl")
    kustomize_binary   = optional(string, "kustomize")
  })
}
