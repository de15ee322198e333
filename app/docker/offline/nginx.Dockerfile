# nginx for the FPM pod, from Debian trixie's package, online and offline (only BASE_IMAGE differs).
# laravel-k8s-showcase/nginx:<version>. Context: app/.
# The only difference between the two sources of packages (scripts/build-images.sh passes it):
#   online  (default) Debian's trixie-slim image, pinned to an exact dated tag
#   offline lks/debian-base:trixie-r1, debootstrap + docker import (scripts/base-image.sh)
# checkov:skip=CKV_DOCKER_7: FROM names a build arg with an exact-tag default, which checkov does not resolve
# (the default debian:trixie-20251117-slim, kept pinned by tests/static/test_image_recipes.py; later FROMs are stages)
ARG BASE_IMAGE=debian:trixie-20251117-slim
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="laravel-k8s-showcase nginx" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.description="nginx in front of PHP-FPM (Debian trixie)"
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends nginx gettext-base curl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log \
      /etc/nginx/sites-enabled /etc/nginx/conf.d /var/www/html \
 && groupadd --gid 1000 app && useradd --uid 1000 --gid 1000 --no-create-home --shell /usr/sbin/nologin app \
 && chown -R 1000:1000 /var/lib/nginx /var/log/nginx
COPY nginx.conf /etc/nginx/templates/nginx.conf
# the entrypoint keeps its 0755 mode from git (legacy builder: no COPY --chmod)
COPY nginx/entrypoint.sh /usr/local/bin/nginx-entrypoint
COPY docker/cpu-limit.sh /usr/local/bin/cpu-limit
COPY src/public/ /app/public/
USER 1000:1000
EXPOSE 8080
# SIGQUIT = graceful shutdown: finish in-flight requests, then exit
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "--max-time", "2", "http://127.0.0.1:8081/fpm-ping"]
ENTRYPOINT ["nginx-entrypoint"]
