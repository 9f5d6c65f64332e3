"""Cross-check: Checkov's Kubernetes checks pass on the compliant sample manifests, and our own pod
policies agree with it on the same objects."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml
from policy_testkit import record, run_policy

from offline_plan.manifests import kubernetes_objects, write_manifests

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = Path(__file__).parent / "manifests"
sys.path.insert(0, str(ROOT / "scripts"))

import checkov_k8s  # noqa: E402


def test_every_skip_has_a_reason() -> None:
    skips = checkov_k8s.load_skips()
    assert all(reason.strip() for reason in skips.values())


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv creates the Checkov virtualenv")
def test_checkov_finds_no_failed_check_on_compliant_manifests() -> None:
    assert checkov_k8s.run_checkov(MANIFESTS) == []


def test_checkov_catches_a_latest_image(tmp_path: Path) -> None:
    text = (MANIFESTS / "compliant.yaml").read_text().replace("memory-api:1.4.2", "memory-api:latest")
    (tmp_path / "broken.yaml").write_text(text)
    assert "CKV_K8S_14" in {c["id"] for c in checkov_k8s.run_checkov(tmp_path)}


def test_our_pod_policies_pass_the_same_manifests() -> None:
    for document in yaml.safe_load_all((MANIFESTS / "compliant.yaml").read_text()):
        type_ = f"kubernetes:{document['apiVersion']}:{document['kind']}"
        for name in (
            "kubernetes-workload-pod-run-as-non-root",
            "kubernetes-workload-pod-no-privilege-escalation",
            "kubernetes-workload-pod-seccomp-runtime-default",
            "kubernetes-workload-pod-drop-all-capabilities",
            "kubernetes-workload-pod-no-host-access",
            "kubernetes-workload-container-image-pinned",
            "kubernetes-workload-container-resources",
            "kubernetes-workload-container-probes",
        ):
            assert run_policy(name, [record(type_, document["metadata"]["name"], document)]) == [], name


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv creates the Checkov virtualenv")
@pytest.mark.parametrize("stack", ["staging", "production"])
def test_checkov_passes_the_manifests_the_offline_plan_renders(
    stack: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    plan = request.getfixturevalue(f"{stack}_plan")
    manifests = write_manifests(kubernetes_objects(plan.resources), tmp_path)
    assert {m.kind for m in manifests} >= {"Deployment", "StatefulSet", "NetworkPolicy"}
    assert checkov_k8s.run_checkov(tmp_path) == []
