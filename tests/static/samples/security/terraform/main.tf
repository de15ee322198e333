# Broken on purpose (tests/static/test_security_scanners.py): a privileged pod running as root.
resource "kubernetes_pod" "this" {
  metadata {
    name = "scanner-bad"
  }
  spec {
    host_network = true
    container {
      name  = "app"
      image = "example/app:latest"
      security_context {
        privileged  = true
        run_as_user = 0
      }
    }
  }
}
