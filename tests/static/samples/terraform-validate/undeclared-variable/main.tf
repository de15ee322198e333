terraform {
  required_version = ">= 1.5.0"
}

variable "name" {
  description = "Name of the thing."
  type        = string
  default     = "demo"
}

resource "terraform_data" "this" {
  input = {
    name     = var.name
    replicas = var.replicas
  }
}
