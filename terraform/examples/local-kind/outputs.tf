output "lks" {
  description = "Every output of the root module for the example cluster (kubeconfig_path: export KUBECONFIG=<this>)."
  value       = module.lks
}
