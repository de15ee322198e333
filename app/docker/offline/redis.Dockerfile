# Redis 7 (Debian trixie's redis-server) as laravel-k8s-showcase/redis:7, online and offline.
# Non-root (the package's redis user), no persistence (sessions, cache and queue are disposable in
# the demo; a production setup would use a managed Redis), HEALTHCHECK with redis-cli PING.
# REDIS_PASSWORD (optional) turns on AUTH.
# The only difference between the two sources of packages (scripts/build-images.sh passes it):
#   online  (default) Debian's trixie-slim image, pinned to an exact dated tag
#   offline lks/debian-base:trixie-r1, debootstrap + docker import (scripts/base-image.sh)
# checkov:skip=CKV_DOCKER_7: FROM names a build arg with an exact-tag default, which checkov does not resolve
# (the default debian:trixie-20251117-slim, kept pinned by tests/static/test_image_recipes.py; later FROMs are stages)
ARG BASE_IMAGE=debian:trixie-20251117-slim
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
ARG VERSION=0.0.0
LABEL org.opencontainers.image.title="laravel-k8s-showcase redis" \
      org.opencontainers.image.description="Redis 7 from Debian trixie"
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && install -d -o redis -g redis /data
COPY docker/offline/redis-entrypoint.sh /usr/local/bin/redis-entrypoint
WORKDIR /data
USER redis
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
  CMD ["sh", "-c", "REDISCLI_AUTH=\"${REDIS_PASSWORD:-}\" timeout 2 redis-cli -h 127.0.0.1 ping | grep -q PONG"]
ENTRYPOINT ["redis-entrypoint"]
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", "/data"]
