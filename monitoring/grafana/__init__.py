"""The Grafana dashboards: built by board.py and one module per dashboard (php_fpm, swoole,
comparison), written by generate_dashboards.py, read back by panels.py."""
