"""Every Helm release of both stacks gives its chart only values the chart understands.

The charts are the ones in the shared chart cache at the pinned versions, so a key that Helm would
silently ignore (and the intent behind it with it) fails here, not in the cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import yaml

from offline_plan.chart_values import check_values
from offline_plan.document import PlanDocument

ROOT = Path(__file__).resolve().parents[2]
CHART_CACHE = ROOT.parent / "shared" / "charts"
RELEASE = "kubernetes:helm.sh/v3:Release"


def of_type(plan: PlanDocument, resource_type: str) -> list[dict[str, Any]]:
    return [resource for resource in plan.resources if resource["type"] == resource_type]


def load_chart(inputs: dict[str, Any]) -> helm_python.Chart:
    archive = CHART_CACHE / f"{inputs['chart']}-{inputs['version']}.tgz"
    assert archive.is_file(), (
        f"chart {inputs['chart']} {inputs['version']} is not in the chart cache {CHART_CACHE}; "
        "pin a version the cache holds (infra/standards.py)"
    )
    return helm_python.Chart.load(archive)


def test_every_helm_release_passes_its_charts_values_check(stack_plan: PlanDocument) -> None:
    releases = of_type(stack_plan, RELEASE)
    assert len(releases) >= 5
    problems = [
        problem
        for release in releases
        for problem in check_values(
            release["name"], load_chart(release["inputs"]), release["inputs"]["values"]
        )
    ]
    assert problems == []


def test_the_alloy_pod_runs_as_its_non_root_user(stack_plan: PlanDocument) -> None:
    """kubelet refuses Alloy's image under runAsNonRoot unless the pod names a non-root user."""
    [release] = [r for r in of_type(stack_plan, RELEASE) if r["inputs"]["chart"] == "alloy"]
    inputs = release["inputs"]
    rendered = load_chart(inputs).render(inputs["values"], name=inputs["name"], namespace=inputs["namespace"])
    documents = [
        doc
        for path, text in rendered.items()
        if path.endswith((".yaml", ".yml"))
        for doc in yaml.safe_load_all(text)
        if isinstance(doc, dict)
    ]
    [workload] = [doc for doc in documents if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet"}]
    pod_security = workload["spec"]["template"]["spec"].get("securityContext") or {}
    assert pod_security.get("runAsNonRoot") is True
    assert pod_security.get("runAsUser") == 473
