resource "terraform_data" "cluster" {
  input = var.name
}
