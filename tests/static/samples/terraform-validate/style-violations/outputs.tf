output "id" {
  value = terraform_data.cluster.id
}
