output "tree" {
  description = "The applied kustomize tree (absolute path) and the digest of its source files."
  value       = { path = local.tree, digest = local.digest }
}
