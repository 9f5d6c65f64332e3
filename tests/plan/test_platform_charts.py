"""Every Helm release of both stacks renders from the chart cache, and what it runs meets our policies.

Half of the pods the platform runs come from third-party charts; these tests look inside them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.cluster_addons import CHARTS as ADDON_CHARTS
from infra.observability import charts
from offline_plan.charts import ChartCache, PinProblem
from offline_plan.cli import main
from policies.k8s import pods
from policies.k8s.workloads import WORKLOAD_TYPES

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT.parent / "shared" / "charts"
RELEASES = {
    "kube-prometheus-stack",
    "loki",
    "alloy",
    "jaeger",
    "otel-collector",
    "aws-load-balancer-controller",
}
POD_SECURITY_POLICIES = {
    policy.name
    for policy in pods.POLICIES
    if policy.config_schema is not None and pods.PRIVILEGED_NAMESPACES in policy.config_schema.properties
}


@pytest.fixture(scope="module", params=["staging", "production"])
def planned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    stack = request.param
    out = tmp_path_factory.mktemp(f"charts-{stack}")
    code = main(
        [
            "--stack",
            stack,
            "--program",
            str(ROOT),
            "--out",
            str(out),
            "--charts",
            str(CACHE),
            "--policy-pack",
            str(ROOT / "policies"),
            "--policy-config",
            str(ROOT / "policies" / "config" / f"{stack}.json"),
        ]
    )
    document = json.loads((out / stack / "resources.json").read_text())
    return {"code": code, "document": document, "out": out / stack, "stack": stack}


def test_every_release_renders_at_its_pinned_verified_version(planned: dict[str, Any]) -> None:
    releases = planned["document"]["charts"]["releases"]
    assert {release["release"] for release in releases} == RELEASES
    for release in releases:
        assert release["rendered"], release["problems"]
        assert release["digest"].startswith("sha256:")
        assert release["objects"] > 0
    assert planned["document"]["charts"]["errors"] == []


def test_every_pin_is_in_the_cache() -> None:
    cache = ChartCache(CACHE)
    pins = [(c.name, c.version, c.repository) for c in charts.CHARTS]
    pins += [(c.name, c.version, c.repository) for c in ADDON_CHARTS.values()]
    for name, version, repository in pins:
        assert not isinstance(cache.locate(name, version, repository), PinProblem), name


def test_rendered_pods_meet_pod_security_restricted(planned: dict[str, Any]) -> None:
    document = planned["document"]
    rendered = {r["urn"] for r in document["charts"]["renderedResources"] if r["type"] in WORKLOAD_TYPES}
    assert len(rendered) >= 10  # the charts' Deployments, StatefulSets, DaemonSets and Jobs are all checked
    broken = [
        f"{v['policy']}: {v['message']}"
        for v in document["policyViolations"]
        if v["urn"] in rendered and v["policy"] in POD_SECURITY_POLICIES
    ]
    assert broken == []


def test_the_plan_passes_with_every_release_rendered(planned: dict[str, Any]) -> None:
    document = planned["document"]
    mandatory = [v["message"] for v in document["policyViolations"] if v["enforcementLevel"] == "mandatory"]
    assert mandatory == []
    assert document["manifestProblems"] == []
    assert planned["code"] == 0


def test_alloy_pods_run_as_a_non_root_user_the_chart_actually_sets(planned: dict[str, Any]) -> None:
    """The chart reads `global.podSecurityContext`; `controller.podSecurityContext` was silently ignored."""
    deployment = yaml.safe_load(
        (planned["out"] / "manifests/alloy/monitoring/deployment-alloy.yaml").read_text()
    )
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_the_only_pod_security_exemption_is_the_namespace_the_plan_labels_privileged(
    planned: dict[str, Any],
) -> None:
    privileged = planned["document"]["podSecurity"]["privilegedNamespaces"]
    assert privileged == ["monitoring-agents"]
    config = json.loads((ROOT / "policies" / "config" / f"{planned['stack']}.json").read_text())
    for name in POD_SECURITY_POLICIES:
        assert config[name][pods.PRIVILEGED_NAMESPACES] == privileged, name
