# MariaDB 11 (Debian trixie's mariadb-server) as laravel-k8s-showcase/mariadb:11, online and offline.
# Non-root (mysql), initialises the data directory and the app's database/user from env on first
# start (MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD, MARIADB_ROOT_PASSWORD), like the
# upstream image; HEALTHCHECK pings over TCP, so it turns healthy only once the real server
# (not the init-time one, which has networking off) accepts connections.
# The only difference between the two sources of packages (scripts/build-images.sh passes it):
#   online  (default) Debian's trixie-slim image, pinned to an exact dated tag
#   offline lks/debian-base:trixie-r1, debootstrap + docker import (scripts/base-image.sh)
# checkov:skip=CKV_DOCKER_7: FROM names a build arg with an exact-tag default, which checkov does not resolve
# (the default debian:trixie-20251117-slim, kept pinned by tests/static/test_image_recipes.py; later FROMs are stages)
ARG BASE_IMAGE=debian:trixie-20251117-slim
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="laravel-k8s-showcase mariadb" \
      org.opencontainers.image.description="MariaDB 11 from Debian trixie"
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends mariadb-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
      /var/lib/mysql/* \
 && install -d -o mysql -g mysql /var/lib/mysql /run/mysqld \
 && printf '[mysqld]\nbind-address = 0.0.0.0\nskip-name-resolve\ncharacter-set-server = utf8mb4\ncollation-server = utf8mb4_unicode_ci\nlog-error = /dev/stderr\ninnodb_buffer_pool_size = 128M\n' \
      > /etc/mysql/mariadb.conf.d/90-lks.cnf
COPY docker/offline/mariadb-entrypoint.sh /usr/local/bin/mariadb-entrypoint
USER mysql
VOLUME ["/var/lib/mysql"]
EXPOSE 3306
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=10 \
  CMD ["sh", "-c", "timeout 2 mariadb-admin --protocol=tcp -h 127.0.0.1 -u healthcheck ping"]
ENTRYPOINT ["mariadb-entrypoint"]
CMD ["mariadbd"]
