"""Every Helm release of both stacks renders from the chart cache, and what it runs meets our policies.

Half of the pods the platform runs come from third-party charts; these tests look inside them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.standards import CHARTS
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
    "metrics-server",
    "cluster-autoscaler",
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
    pins = [(c.name, c.version, c.repository) for c in CHARTS]
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


def _manifests(out: Path, kind: str) -> list[dict[str, Any]]:
    found = [yaml.safe_load(path.read_text()) for path in sorted((out / "manifests").rglob("*.yaml"))]
    return [doc for doc in found if doc and doc.get("kind") == kind]


def test_only_reviewed_cluster_roles_read_every_secret(planned: dict[str, Any]) -> None:
    """Grafana's and Loki's sidecars, kube-state-metrics and Alloy read no Secret cluster-wide; the
    Prometheus operator does, and is on the reviewed list with a reason."""
    config = json.loads((ROOT / "policies" / "config" / f"{planned['stack']}.json").read_text())
    reviewed = {
        entry["name"]
        for entry in config["kubernetes-rbac-role-no-wildcards"]["reviewedClusterRoles"]
        if entry.get("readsSecrets") and entry["reason"].strip()
    }
    readers = {
        role["metadata"]["name"]
        for role in _manifests(planned["out"], "ClusterRole")
        for rule in role.get("rules") or []
        if "secrets" in rule.get("resources", []) and {"get", "list", "watch", "*"} & set(rule["verbs"])
    }
    assert readers == reviewed == {"kube-prometheus-stack-operator"}


def test_grafana_sidecars_watch_configmaps_where_the_dashboards_are(planned: dict[str, Any]) -> None:
    """With a namespaced Role, the sidecars must look only in Grafana's namespace, and find everything there."""
    dashboards = [
        cm
        for cm in _manifests(planned["out"], "ConfigMap")
        if cm["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    assert len(dashboards) >= 3
    (deployment,) = [
        d
        for d in _manifests(planned["out"], "Deployment")
        if d["metadata"]["name"] == "kube-prometheus-stack-grafana"
    ]
    sidecars = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"].startswith("grafana-sc-")
    ]
    assert {c["name"] for c in sidecars} >= {"grafana-sc-dashboard", "grafana-sc-datasources"}
    for container in sidecars:
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["RESOURCE"] == "configmap", container["name"]
        assert {cm["metadata"]["namespace"] for cm in dashboards} == {env["NAMESPACE"]}
    (role,) = [
        r
        for r in _manifests(planned["out"], "Role")
        if r["metadata"]["name"] == "kube-prometheus-stack-grafana"
    ]
    assert role["metadata"]["namespace"] == deployment["metadata"]["namespace"]


def test_alloy_is_bound_to_a_role_that_reads_only_pods_and_their_logs(planned: dict[str, Any]) -> None:
    (binding,) = [
        b
        for b in _manifests(planned["out"], "ClusterRoleBinding")
        if any(s["name"] == "alloy" and s["kind"] == "ServiceAccount" for s in b["subjects"])
    ]
    (deployment,) = [d for d in _manifests(planned["out"], "Deployment") if d["metadata"]["name"] == "alloy"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "alloy"
    (role,) = [
        r
        for r in _manifests(planned["out"], "ClusterRole")
        if r["metadata"]["name"] == binding["roleRef"]["name"]
    ]
    granted = {resource for rule in role["rules"] for resource in rule["resources"]}
    assert granted == {"pods", "pods/log"}
