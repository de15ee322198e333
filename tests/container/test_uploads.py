"""Task attachments through a real S3-compatible store (SeaweedFS, fixtures/seaweedfs.py): uploaded
through one app instance, read byte-identical through another, checked in the bucket with the
test's own S3 client (not through the app), rejected with JSON errors when too large or of a
wrong type, 503 JSON while the store is down (and /ready says so). docs/UPLOADS.md."""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import time
import zlib

import pytest
import requests

from fixtures.web import wait_until
from tests.api_session import JSON, log_in_new_user

pytestmark = pytest.mark.container

MB = 1024 * 1024
# a multipart body is no JSON: the API's first CSRF defence wants this header instead (docs/APP.md)
MULTIPART = JSON | {"X-Requested-With": "XMLHttpRequest"}


def png(size: int) -> bytes:
    """`size` bytes that libmagic detects as image/png (a PNG signature and IHDR, then noise)."""
    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    head = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    return head + os.urandom(size - len(head))


def objects(store) -> dict[str, int]:
    """Every object in the bucket: key -> size (the store's own listing)."""
    return {o.object_name: o.size for o in store.client().list_objects(store.bucket, recursive=True)}


def new_task(http: requests.Session, web) -> int:
    reply = http.post(web.url("/api/tasks"), json={"title": "with attachments"}, headers=JSON, timeout=15)
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]["id"]


def upload(
    http: requests.Session,
    web,
    task: int,
    name: str,
    content: bytes,
    claimed: str = "image/png",
    timeout: float = 60,
):
    return http.post(
        web.url(f"/api/tasks/{task}/attachments"),
        files={"file": (name, io.BytesIO(content), claimed)},
        headers=MULTIPART,
        timeout=timeout,
    )


def big_files_in(web) -> str:
    """Files of 256 KiB or more the app's containers hold in their writable paths (the app's
    storage, /tmp: PHP's upload temp file and nginx's body buffer are gone after the request)."""
    found = []
    for role in sorted(set(web.containers) & {"fpm", "nginx", "swoole"}):
        out = web.containers[role].exec(
            "sh", "-c", "find /app/storage /tmp -type f -size +256k 2>/dev/null; true"
        )
        found += [f"{role}:{line}" for line in out.stdout.split()]
    return "\n".join(found)


@pytest.fixture
def store_env(object_store) -> dict[str, str]:
    return object_store.app_env()


@pytest.mark.criterion("uploads-object-storage")
def test_an_upload_through_one_instance_reads_byte_identical_from_another_and_is_in_the_bucket(
    web_factory, object_store, store_env, record_metric
):
    one = web_factory(env=store_env, cpus="1", memory="512m")
    two = web_factory(env=store_env, cpus="1", memory="512m")
    http = requests.Session()
    log_in_new_user(http, one.url)
    task = new_task(http, one)

    for size in (1 * MB, 20 * MB):
        content = png(size)
        digest = hashlib.sha256(content).hexdigest()
        before = objects(object_store)
        started = time.monotonic()
        reply = upload(http, one, task, "../../etc/holiday photo.png", content)
        upload_s = time.monotonic() - started
        assert reply.status_code == 201, reply.text[:500]
        data = reply.json()["data"]
        assert (data["size"], data["sha256"], data["content_type"]) == (size, digest, "image/png"), data
        assert data["original_name"] == "holiday photo.png", data  # PHP keeps the base name only
        assert "object_key" not in data, data

        # the bucket holds exactly one new object of that size and content: under a generated key
        added = {k: v for k, v in objects(object_store).items() if k not in before}
        assert list(added.values()) == [size], added
        key = next(iter(added))
        assert re.fullmatch(r"attachments/[0-9a-f-]{36}", key), key
        stored = object_store.client().get_object(object_store.bucket, key)
        try:
            assert hashlib.sha256(stored.read()).hexdigest() == digest
        finally:
            stored.close()
            stored.release_conn()

        # the other instance streams it back byte for byte
        started = time.monotonic()
        got = http.get(two.url(f"/api/attachments/{data['id']}"), timeout=60)
        download_s = time.monotonic() - started
        assert got.status_code == 200, got.text[:300]
        assert hashlib.sha256(got.content).hexdigest() == digest
        assert got.headers["Content-Type"] == "image/png"
        assert got.headers["X-Content-Sha256"] == digest
        assert 'filename="holiday photo.png"' in got.headers["Content-Disposition"]
        label = f"{size // MB}MB"
        record_metric("uploads-object-storage", f"upload {label}", round(upload_s * 1000, 1), "ms")
        record_metric("uploads-object-storage", f"download {label}", round(download_s * 1000, 1), "ms")

    assert big_files_in(one) == "", "the app kept upload data on the pod's disk"
    assert big_files_in(two) == ""

    # deleted through the second instance: gone from the bucket and from the API
    before = objects(object_store)
    assert http.delete(two.url(f"/api/attachments/{data['id']}"), headers=JSON, timeout=15).status_code == 204
    after = objects(object_store)
    assert key not in after
    assert len(after) == len(before) - 1
    assert http.get(one.url(f"/api/attachments/{data['id']}"), headers=JSON, timeout=15).status_code == 404

    # the upload metrics count by outcome on the instance that took the uploads
    metrics = one.get("/metrics").text
    assert re.search(r'^app_uploads_total\{outcome="stored"\} 2$', metrics, re.M), metrics[-2000:]
    assert re.search(rf'^app_upload_bytes_total\{{outcome="stored"\}} {21 * MB}$', metrics, re.M)
    assert re.search(r'^app_upload_duration_seconds_count\{outcome="stored"\} 2$', metrics, re.M)


@pytest.mark.criterion("uploads-object-storage")
def test_a_presigned_redirect_serves_the_object_straight_from_the_store(web_factory, object_store, store_env):
    # clients reach the store on its published port: that is where the presigned URL points
    env = store_env | {
        "UPLOAD_DOWNLOAD": "redirect",
        "AWS_PRESIGN_ENDPOINT": f"http://127.0.0.1:{object_store.published}",
    }
    web = web_factory(env=env, cpus="1", memory="512m")
    http = requests.Session()
    log_in_new_user(http, web.url)
    content = png(300_000)
    reply = upload(http, web, new_task(http, web), "scan.png", content)
    assert reply.status_code == 201, reply.text[:300]

    moved = http.get(
        web.url(f"/api/attachments/{reply.json()['data']['id']}"), allow_redirects=False, timeout=15
    )
    assert moved.status_code == 302, moved.text[:300]
    location = moved.headers["Location"]
    assert location.startswith(
        f"http://127.0.0.1:{object_store.published}/{object_store.bucket}/attachments/"
    )
    assert "X-Amz-Signature=" in location
    got = requests.get(location, timeout=30)  # no session, no app: the signature is the access
    assert got.status_code == 200, got.text[:300]
    assert got.content == content
    assert "scan.png" in got.headers.get("Content-Disposition", "")
    tampered = requests.get(location.replace("X-Amz-Expires=300", "X-Amz-Expires=3000"), timeout=30)
    assert tampered.status_code == 403, "a changed presigned URL must be refused by the store"


@pytest.mark.criterion("uploads-object-storage")
def test_too_large_and_wrong_type_uploads_are_refused_with_json_and_store_nothing(
    web_factory, object_store, store_env
):
    web = web_factory(env=store_env | {"UPLOAD_MAX_BYTES": str(1 * MB)}, cpus="1", memory="512m")
    http = requests.Session()
    log_in_new_user(http, web.url)
    task = new_task(http, web)
    before = objects(object_store)

    too_big = upload(http, web, task, "big.png", png(MB + 1))
    assert too_big.status_code == 413, too_big.text[:300]
    assert too_big.json()["message"] == f"File larger than {MB} bytes."

    # over the upload body limit: FPM's nginx (26m) answers, in JSON too; under Swoole (which
    # buffers up to package_max_length, 32 MiB) the app's LimitRequestBody does
    huge = upload(http, web, task, "huge.png", png(27 * MB))
    assert huge.status_code == 413, huge.text[:300]
    assert huge.headers.get("Content-Type", "").startswith("application/json"), huge.headers
    assert re.search(r"413|Request body larger than", huge.json()["message"]), huge.json()

    # a PHP script claiming to be a PNG: the type is detected from the content
    script = upload(http, web, task, "avatar.png", b"<?php system($_GET['c']); ?>\n" * 10)
    assert script.status_code == 422, script.text[:300]
    assert "file" in script.json()["errors"], script.json()

    missing = http.post(
        web.url(f"/api/tasks/{task}/attachments"), data={"x": "1"}, headers=MULTIPART, timeout=15
    )
    assert missing.status_code == 422, missing.text[:300]
    assert "file" in missing.json()["errors"]

    # a form post from another site can send neither JSON nor X-Requested-With: refused
    forged = http.post(
        web.url(f"/api/tasks/{task}/attachments"),
        files={"file": ("x.png", io.BytesIO(png(1000)), "image/png")},
        timeout=15,
    )
    assert forged.status_code == 415, forged.text[:300]

    assert objects(object_store) == before, "a refused upload left an object in the bucket"
    metrics = web.get("/metrics").text
    for outcome in ("too_large", "wrong_type", "invalid"):
        assert re.search(rf'^app_uploads_total\{{outcome="{outcome}"\}} 1$', metrics, re.M), (
            outcome,
            metrics[-1500:],
        )


@pytest.mark.criterion("uploads-object-storage")
def test_only_the_owner_uploads_reads_and_deletes_and_others_get_404(web_factory, object_store, store_env):
    web = web_factory(env=store_env, cpus="1", memory="512m")
    owner, other = requests.Session(), requests.Session()
    log_in_new_user(owner, web.url, "Owner")
    log_in_new_user(other, web.url, "Other")
    task = new_task(owner, web)
    attachment = upload(owner, web, task, "mine.png", png(10_000)).json()["data"]["id"]

    assert upload(other, web, task, "theirs.png", png(10_000)).status_code == 404
    assert other.get(web.url(f"/api/attachments/{attachment}"), headers=JSON, timeout=15).status_code == 404
    assert (
        other.delete(web.url(f"/api/attachments/{attachment}"), headers=JSON, timeout=15).status_code == 404
    )
    guest = requests.get(web.url(f"/api/attachments/{attachment}"), headers=JSON, timeout=15)
    assert guest.status_code == 401
    assert owner.get(web.url(f"/api/attachments/{attachment}"), timeout=15).status_code == 200


@pytest.mark.criterion("uploads-object-storage")
def test_deleting_a_task_deletes_its_attachments_objects_from_the_bucket(
    web_factory, object_store, store_env
):
    web = web_factory(env=store_env, cpus="1", memory="512m")
    http = requests.Session()
    log_in_new_user(http, web.url, "Task Deleter")
    task, kept = new_task(http, web), new_task(http, web)
    before = set(objects(object_store))
    for name in ("one.png", "two.png"):
        assert upload(http, web, task, name, png(5_000)).status_code == 201
    other = upload(http, web, kept, "kept.png", png(5_000))
    assert other.status_code == 201, other.text[:300]
    added = set(objects(object_store)) - before
    assert len(added) == 3, added

    gone = http.delete(web.url(f"/api/tasks/{task}"), headers=JSON, timeout=30)
    assert gone.status_code == 204, gone.text[:300]
    # the other task's object stays (the key is not in the API: object_key is hidden)
    left = set(objects(object_store)) & added
    assert len(left) == 1, f"objects of the deleted task still in the bucket: {sorted(left)}"
    assert http.get(web.url(f"/api/attachments/{other.json()['data']['id']}"), timeout=15).status_code == 200


@pytest.fixture
def own_store(docker_stack, seaweedfs_image):
    """A store only this test uses, so stopping it disturbs no other test."""
    store = docker_stack.seaweedfs(seaweedfs_image, alias="seaweedfs-down")
    yield store
    store.remove()


@pytest.mark.criterion("uploads-object-storage")
def test_with_the_store_down_an_upload_answers_503_json_and_ready_reports_the_store(web_factory, own_store):
    web = web_factory(env=own_store.app_env() | {"OBJECT_STORE_TIMEOUT": "3"}, cpus="1", memory="512m")
    http = requests.Session()
    log_in_new_user(http, web.url)
    task = new_task(http, web)
    ready = web.get("/ready").json()
    assert ready["status"] == "ok", ready
    assert ready["checks"]["object_store"]["ok"] is True, ready
    assert upload(http, web, task, "before.png", png(50_000)).status_code == 201

    own_store.stop(timeout=10)
    try:
        down = upload(http, web, task, "during.png", png(50_000))
        assert down.status_code == 503, down.text[:300]
        assert down.json()["message"] == "Object store unavailable, try again later."
        ready = web.get("/ready")
        # reported, not required: the rest of the API keeps serving
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["status"] == "degraded", body
        assert body["checks"]["object_store"]["ok"] is False, body
        assert body["checks"]["object_store"]["required"] is False
        assert all(c["ok"] for name, c in body["checks"].items() if name != "object_store"), body
        assert re.search(
            r'^app_uploads_total\{outcome="store_unavailable"\} 1$', web.get("/metrics").text, re.M
        )
        # deleting the task would orphan its object: refused, the task kept
        kept = http.delete(web.url(f"/api/tasks/{task}"), headers=JSON, timeout=30)
        assert kept.status_code == 503, kept.text[:300]
        assert kept.json()["message"] == "Object store unavailable, try again later."
        assert http.get(web.url(f"/api/tasks/{task}"), headers=JSON, timeout=15).status_code == 200
    finally:
        own_store.start()
    own_store.wait_healthy(90)
    wait_until(lambda: web.get("/ready").json()["status"] == "ok", 60, "/ready ok again with the store back")
    # the restarted store takes a moment to offer writable volumes again: bounded retries
    wait_until(
        lambda: upload(http, web, task, "after.png", png(50_000)).status_code == 201,
        60,
        "an upload to succeed with the store back",
        interval=2,
    )
