"""Attachments in the cluster: uploaded through the Ingress, read back by every web pod (each
request served by a named pod: php inside it calls its own listener), and still there after a
rollout of the web tier replaced every pod. The store is k8s/dependencies/seaweedfs
(fixtures/seaweedfs.py, `uploads_app`)."""

from __future__ import annotations

import hashlib
import secrets

import pytest

from fixtures.k8s_app import WEB
from tests.api_session import JSON, log_in_new_user

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

MULTIPART = JSON | {"X-Requested-With": "XMLHttpRequest"}


def _read_on_every_pod(app, attachment: int, cookie: str) -> dict[str, str]:
    """pod -> sha256 of what that pod answered for the attachment (or its status)."""
    digests = {}
    for pod in app.pods("web"):
        name = pod.metadata.name
        reply = app.pod_request(
            name, "GET", f"/api/attachments/{attachment}", {"Accept": "*/*", "Cookie": cookie}
        )
        digests[name] = (
            hashlib.sha256(reply.body.encode()).hexdigest() if reply.status == 200 else f"HTTP {reply.status}"
        )
    return digests


@pytest.mark.criterion("uploads-object-storage")
def test_an_upload_through_the_ingress_reads_back_on_every_web_pod_and_survives_a_rollout(uploads_app):
    app = uploads_app
    http = app.http()
    log_in_new_user(http, app.url)
    task = http.post(app.url("/api/tasks"), json={"title": "k8s attachments"}, headers=JSON, timeout=30)
    assert task.status_code == 201, task.text[:300]
    content = secrets.token_hex(256 * 1024).encode()  # 512 KiB of text: a text/plain file
    digest = hashlib.sha256(content).hexdigest()

    reply = http.post(
        app.url(f"/api/tasks/{task.json()['data']['id']}/attachments"),
        files={"file": ("notes.txt", content, "text/plain")},
        headers=MULTIPART,
        timeout=60,
    )
    assert reply.status_code == 201, reply.text[:300]
    data = reply.json()["data"]
    assert (data["sha256"], data["content_type"]) == (digest, "text/plain"), data
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)

    before = _read_on_every_pod(app, data["id"], cookie)
    assert len(before) >= 2, f"need two web pods, have {sorted(before)}"
    assert set(before.values()) == {digest}, before

    app.restart(WEB)
    pods = app.wait_web_ready()
    after = _read_on_every_pod(app, data["id"], cookie)
    assert not set(after) & set(before), f"the rollout kept pods {sorted(set(after) & set(before))}"
    assert set(after.values()) == {digest}, after
    through_ingress = http.get(app.url(f"/api/attachments/{data['id']}"), timeout=60)
    assert through_ingress.status_code == 200, through_ingress.text[:300]
    assert hashlib.sha256(through_ingress.content).hexdigest() == digest

    gone = http.delete(app.url(f"/api/attachments/{data['id']}"), headers=MULTIPART, timeout=30)
    assert gone.status_code == 204, gone.text[:300]
    assert _read_on_every_pod(app, data["id"], cookie) == {p.metadata.name: "HTTP 404" for p in pods}
