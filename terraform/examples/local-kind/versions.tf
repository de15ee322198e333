terraform {
  # the providers are the root module's (../../versions.tf)
  required_version = ">= 1.9.0"
}
