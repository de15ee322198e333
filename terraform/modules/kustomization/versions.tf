terraform {
  # terraform_data (1.4) and the built-in local-exec provisioner: no provider.
  required_version = ">= 1.5.0"
}
