"""The image builds from app/ alone with locked, hashed dependencies, and its Dockerfile is lint-clean."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app"


def test_requirements_txt_matches_the_lock() -> None:
    uv = shutil.which("uv")
    assert uv, "uv is needed to export the lock"
    exported = subprocess.run(
        [
            uv,
            "export",
            "--package",
            "memory-api",
            "--no-dev",
            "--frozen",
            "--no-emit-project",
            "--no-header",
            "--quiet",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    committed = (APP / "requirements.txt").read_text()
    body = "\n".join(line for line in committed.splitlines() if not line.startswith("#    uv export"))
    assert exported.strip() in body, (
        "app/requirements.txt is out of date with uv.lock; regenerate it with `make api-requirements`"
    )
    assert "--hash=sha256:" in committed


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", str(APP / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_non_root_with_a_pinned_base_and_a_healthcheck() -> None:
    dockerfile = (APP / "Dockerfile").read_text()
    assert re.search(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", dockerfile)
    assert dockerfile.count("FROM ") >= 2, "multi-stage build"
    assert re.search(r"^USER 10001:10001$", dockerfile, re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile
    assert "/health/live" in dockerfile
    assert "--require-hashes" in dockerfile
    assert "MEMORY_API_DATA_DIR=/data" in dockerfile


def test_compose_images_are_pinned_to_exact_versions() -> None:
    compose = yaml.safe_load((APP / "compose.yaml").read_text())
    images = {name: svc["image"] for name, svc in compose["services"].items() if "image" in svc}
    assert set(images) == {"postgres", "redis", "qdrant"}
    for name, image in images.items():
        tag = image.split(":", 1)[1] if ":" in image else ""
        # postgres versions are MAJOR.MINOR; the others MAJOR.MINOR.PATCH
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z0-9]+)?", tag), f"{name} image {image} is not pinned"
    api = compose["services"]["api"]
    assert api["read_only"] is True
