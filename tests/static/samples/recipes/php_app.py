"""Broken on purpose (tests/static/test_pipeline.py): a fixture that builds its images with the
offline profile whatever the run's profile is, so an online run (LKS_PROFILE=online, CI) tests
images of another recipe than the ones it tagged."""

import subprocess

from fixtures.docker import build_images
from suite.project import ROOT


def php_app_images(capabilities):
    build_images("offline", "fpm", "nginx")
    subprocess.run([str(ROOT / "scripts" / "build-images.sh"), "--profile", "offline", "worker"], check=True)
    subprocess.run([str(ROOT / "scripts" / "build-images.sh"), "--profile=online", "redis"], check=True)
    build_images(capabilities.profile, "mariadb")  # fine: the run's profile
