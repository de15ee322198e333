"""The app images ship no secret: their filesystem (docker export of the built image) holds no .env
file, private key or credential store anywhere, and detect-secrets finds nothing in the files the
project put into them (the app, /etc, /usr/local, home directories) that the allowlist does not
explain (suite/secret_scan.py; .secrets-allowlist.yaml: the app's /app is app/src and keeps the
repository's entries, the image's own files have theirs). The static tier scans the repository."""

from __future__ import annotations

import time

import pytest

from suite import secret_scan
from suite.project import image

pytestmark = pytest.mark.container

APP_IMAGES = {"fpm": ("fpm", "nginx", "worker"), "swoole": ("swoole",)}


@pytest.mark.criterion("secrets")
def test_no_env_file_key_or_credential_is_in_an_app_image_and_detect_secrets_finds_none(
    variant, capabilities, app_images, tmp_path, record_metric
):
    reason = capabilities.variant_skip_reason(variant)
    if reason:
        pytest.skip(reason)
    allowed = secret_scan.load_allowlist()
    problems = []
    for name in APP_IMAGES[variant]:
        started = time.monotonic()
        scanned = secret_scan.scan_image(image(name), tmp_path / name)
        record_metric("secrets", f"{name} image: files exported and checked", scanned.files, "files")
        record_metric("secrets", f"{name} image: scan time", round(time.monotonic() - started, 1), "s")
        assert scanned.files > 1000, f"{image(name)}: only {scanned.files} files exported"
        problems += [f"{image(name)}: {f}" for f in scanned.forbidden]
        problems += [
            f"{image(name)}: {f}" for f in secret_scan.unexpected(scanned.findings, allowed, in_image=True)
        ]
    assert problems == [], "\n".join(problems)


@pytest.mark.criterion("secrets")
def test_the_image_check_refuses_an_env_file_a_key_and_a_credential_store_and_passes_library_constants():
    pem = b"-----BEGIN " + b"PRIVATE KEY-----\n" + b"QUJD" * 16 + b"\n"  # a PEM's shape, no real key
    assert (
        secret_scan.forbidden_file("app/.env", b"APP_KEY=x") == "app/.env: an .env, key or credentials file"
    )
    assert secret_scan.forbidden_file("app/.env.example", b"") is not None
    assert secret_scan.forbidden_file("root/.docker/config.json", b"{}") is not None
    assert secret_scan.forbidden_file("etc/app/tls.key", b"") is not None
    assert (
        secret_scan.forbidden_file("usr/local/share/deploy", pem)
        == "usr/local/share/deploy: holds a private key"
    )
    # a library's self-test vector (a binary) and a parser's header constant are not keys
    assert secret_scan.forbidden_file("usr/lib/libgnutls.so.30", b"\x7fELF\0" + pem) is None
    assert secret_scan.forbidden_file("usr/bin/ssh-keygen", b"-----BEGIN " + b"PRIVATE KEY-----") is None
    assert secret_scan.forbidden_file("usr/share/polkit-1/actions/io.systemd.credentials.policy", b"") is None
