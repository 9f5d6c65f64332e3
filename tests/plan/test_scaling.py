"""Nothing scaled (issue 14, item 10): the HPA's metrics are served and node groups are autoscaled.

Read from what the offline plan renders (out/<stack>/manifests/...) and records (resources.json): the
metrics-server APIService behind the HPA's metrics, and a Cluster Autoscaler whose auto-discovery finds
exactly this cluster's node groups by tags their Auto Scaling groups carry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline_plan.cli import main
from tests.plan.test_platform_charts import CACHE, ROOT

METRICS_API = "metrics.k8s.io"
AUTO_DISCOVERY = "--node-group-auto-discovery=asg:tag="
DR_SCOPE = "memory-platform:dr:DrRegion"


@pytest.fixture(scope="module", params=["staging", "production"])
def planned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    stack = request.param
    out = tmp_path_factory.mktemp(f"scaling-{stack}")
    code = main(
        [
            *("--stack", stack, "--program", str(ROOT), "--out", str(out), "--charts", str(CACHE)),
            *("--policy-pack", str(ROOT / "policies")),
            *("--policy-config", str(ROOT / "policies" / "config" / f"{stack}.json")),
        ]
    )
    assert code == 0
    document = json.loads((out / stack / "resources.json").read_text())
    stack_file = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {
        "document": document,
        "manifests": out / stack / "manifests",
        "region": stack_file["config"]["aws:region"],
        "dr_region": (stack_file["config"].get("memory-platform:dr") or {}).get("region"),
    }


def _clusters(planned: dict[str, Any]) -> list[dict[str, Any]]:
    """Each EKS cluster's part of the plan: its rendered manifests (a second cluster's are under
    manifests/<its Kubernetes provider's name>/), its resources and its region. Every cluster,
    the DR region's pilot light included, must serve the HPA's metrics and autoscale its node groups."""
    root: Path = planned["manifests"]
    resources = planned["document"]["resources"]
    others = [
        root / p["name"]
        for p in resources
        if p["type"] == "pulumi:providers:kubernetes" and DR_SCOPE in p["urn"]
    ]
    views = [
        {
            "files": [p for p in sorted(root.rglob("*.yaml")) if not any(o in p.parents for o in others)],
            "resources": [r for r in resources if DR_SCOPE not in r["urn"]],
            "region": planned["region"],
        }
    ]
    assert len(others) <= 1, others
    for other in others:
        assert other.is_dir(), f"the DR cluster's manifests are not under {other}"
        views.append(
            {
                "files": sorted(other.rglob("*.yaml")),
                "resources": [r for r in resources if DR_SCOPE in r["urn"]],
                "region": planned["dr_region"],
            }
        )
    return views


def _rendered(cluster: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found = [yaml.safe_load(path.read_text()) for path in cluster["files"]]
    return [m for m in found if isinstance(m, dict) and m.get("kind") == kind]


def _of_type(cluster: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in cluster["resources"] if r["type"] == resource_type]


def test_the_hpas_resource_metrics_are_served_by_a_metrics_server_in_the_plan(
    planned: dict[str, Any],
) -> None:
    for cluster in _clusters(planned):
        _hpa_metrics_are_served(cluster)


def _hpa_metrics_are_served(planned: dict[str, Any]) -> None:
    hpas = _of_type(planned, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    assert hpas, "the memory API scales with an HPA"
    metric_types = {metric["type"] for hpa in hpas for metric in hpa["inputs"]["spec"]["metrics"]}
    # Resource and ContainerResource metrics come from metrics.k8s.io; nothing else serves them.
    assert metric_types <= {"Resource", "ContainerResource"}, metric_types
    services = [s for s in _rendered(planned, "APIService") if s["spec"]["group"] == METRICS_API]
    assert len(services) == 1, f"one APIService must serve {METRICS_API} (metrics-server), found {services}"
    backend = services[0]["spec"]["service"]
    deployments = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d for d in _rendered(planned, "Deployment")
    }
    rendered_services = {
        (s["metadata"].get("namespace"), s["metadata"]["name"]): s for s in _rendered(planned, "Service")
    }
    service = rendered_services[(backend["namespace"], backend["name"])]
    selector = service["spec"]["selector"]
    servers = [
        d
        for (namespace, _), d in deployments.items()
        if namespace == backend["namespace"]
        and selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert servers, f"no Deployment behind {backend}"
    # Two replicas: a drained node does not leave the HPAs without metrics.
    assert all(server["spec"]["replicas"] >= 2 for server in servers)


def _discovery_tags(deployment: dict[str, Any]) -> set[str]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    arguments = [*container.get("command", []), *container.get("args", [])]
    [discovery] = [a for a in arguments if a.startswith(AUTO_DISCOVERY)]
    return {tag.split("=", 1)[0] for tag in discovery.removeprefix(AUTO_DISCOVERY).split(",")}


def test_the_cluster_autoscaler_discovers_every_node_group_of_this_cluster(planned: dict[str, Any]) -> None:
    for cluster in _clusters(planned):
        _autoscaler_discovers_the_node_groups(cluster)


def _autoscaler_discovers_the_node_groups(planned: dict[str, Any]) -> None:
    [cluster] = _of_type(planned, "aws:eks/cluster:Cluster")
    autoscalers = [
        d
        for d in _rendered(planned, "Deployment")
        if any("cluster-autoscaler" in c["image"] for c in d["spec"]["template"]["spec"]["containers"])
    ]
    assert len(autoscalers) == 1, "one Cluster Autoscaler resizes the node groups"
    wanted = _discovery_tags(autoscalers[0])
    assert f"k8s.io/cluster-autoscaler/{cluster['inputs']['name']}" in wanted, wanted
    [container] = autoscalers[0]["spec"]["template"]["spec"]["containers"]
    assert container["image"].rsplit(":v", 1)[1].startswith(f"{cluster['inputs']['version']}.")
    region = {e["name"]: e.get("value") for e in container["env"]}["AWS_REGION"]
    assert region == planned["region"]

    by_urn = {r["urn"]: r for r in planned["resources"]}
    tags: dict[str, set[str]] = {}
    for tag in _of_type(planned, "aws:autoscaling/tag:Tag"):
        group = by_urn[tag["parent"]]
        tags.setdefault(group["urn"], set()).add(tag["inputs"]["tag"]["key"])
    groups = _of_type(planned, "aws:eks/nodeGroup:NodeGroup")
    assert groups
    for group in groups:
        assert wanted <= tags.get(group["urn"], set()), (
            f"{group['name']}'s Auto Scaling group is not discovered"
        )
