# broken: a floating base, not the pinned online one
ARG BASE_IMAGE=debian:trixie-slim
FROM ${BASE_IMAGE}
USER 1000:1000
