variable "name" {
  type    = string
  default = "demo"
}

variable "size" {
  description = "How big."
  default     = 1
}
