"""The app runs on the kind cluster: every pod Ready, /health 200 over HTTPS through the Ingress."""

from __future__ import annotations

import socket
import ssl

import pytest

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


@pytest.mark.criterion("k8s-app-running")
def test_every_pod_is_ready_and_health_answers_200_through_the_ingress(ready_app):
    pods = ready_app.get("pods")["items"]
    # completed Job pods are done, not down; pods being deleted (an earlier rollout's old
    # replicas, draining) are on their way out on purpose
    running = [p for p in pods if p["status"].get("phase") != "Succeeded" and not p["metadata"].get("deletionTimestamp")]
    not_ready = [p["metadata"]["name"] for p in running if not any(
        c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]
    components = {p["metadata"]["labels"].get("app.kubernetes.io/component") for p in running}
    assert not not_ready, f"pods not Ready: {not_ready}"
    assert {"web", "worker", "redis", "mariadb"} <= components, f"components running: {components}"
    assert len(ready_app.pods("web")) >= 2

    with ready_app.http() as http:
        health = http.get(ready_app.url("/health"), timeout=10)
        ready = http.get(ready_app.url("/ready"), timeout=10)
    assert health.status_code == 200, health.text
    assert health.headers["content-type"].startswith("application/json")
    assert ready.status_code == 200, ready.text


@pytest.mark.criterion("ingress-tls")
def test_the_ingress_serves_https_with_a_certificate_from_the_local_ca(ready_app):
    ingress = ready_app.get("ingress", "laravel-app")
    tls = ingress["spec"]["tls"]
    assert tls, ingress["spec"]
    assert tls[0]["secretName"] == "laravel-tls"
    secret = ready_app.get("secret", "laravel-tls")
    assert secret["type"] == "kubernetes.io/tls"
    if ready_app.ca_cert is None:
        pytest.fail("the cluster handle has no CA certificate to verify the Ingress against", pytrace=False)

    context = ssl.create_default_context(cafile=str(ready_app.ca_cert))
    port = ready_app.cluster.https_port
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls_socket,
    ):
        peer = tls_socket.getpeercert()
        tls_socket.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        reply = tls_socket.recv(4096).decode(errors="replace")
    sans = [value for kind, value in peer.get("subjectAltName", ()) if kind == "DNS"]
    assert "localhost" in sans, sans
    assert reply.startswith("HTTP/1.1 200"), reply[:200]
