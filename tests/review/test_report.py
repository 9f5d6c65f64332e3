"""`plan-report` end to end: a reviewer's page with every section, the diff, policy verdicts and a diagram."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from review.cli import main
from review.duration import deploy_duration
from tests.review.conftest import document, resource


def _write(path: Path, content: dict[str, Any]) -> Path:
    path.write_text(json.dumps(content))
    return path


@pytest.fixture
def production_file(tmp_path: Path, production_plan: Any) -> Path:
    resources = sorted(production_plan.resources, key=lambda item: item["urn"])
    return _write(tmp_path / "production.json", document(resources))


def test_report_of_todays_production_plan_has_every_section(tmp_path: Path, production_file: Path) -> None:
    assert shutil.which("dot"), "Graphviz is installed by scripts/system-packages.sh"
    out = tmp_path / "report"
    assert main([str(production_file), "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text()
    for heading in (
        "Policy verdicts",
        "Changes against",
        "Monthly cost",
        "Estimated `pulumi up`",
        "Resources by",
    ):
        assert f"## {heading}" in markdown
    assert "Not checked" in markdown
    assert "EBS gp3 prometheus 2 x 200 GiB (values)" in markdown  # volumes the Helm values request
    assert "[architecture.svg](architecture.svg)" in markdown
    svg = html.unescape((out / "architecture.svg").read_text())
    assert "<svg" in svg and "EksCluster memory-production" in svg and "Network memory-production" in svg
    figures = json.loads((out / "report.json").read_text())
    assert figures["cost"]["totalUsd"] > 0
    assert figures["duration"]["criticalPath"][-1]["finishes_at"] == pytest.approx(
        figures["duration"]["minutes"], 0.1
    )


def test_diff_and_policy_violations_are_shown(tmp_path: Path, data_tier: list[dict[str, Any]]) -> None:
    before = _write(tmp_path / "before.json", document(data_tier[:-1]))
    changed = [dict(item) for item in data_tier]
    changed[9] = dict(changed[9], inputs={"nodeType": "cache.r6g.xlarge", "numCacheClusters": 2})
    violation = {
        "policy": "aws-rds-cluster-deletion-protection",
        "enforcementLevel": "mandatory",
        "severity": "high",
        "urn": changed[5]["urn"],
        "message": "Aurora cluster memory-primary can be deleted",
        "remediation": "Set deletionProtection=True.",
    }
    after = _write(tmp_path / "after.json", document(changed, policyViolations=[violation]))
    out = tmp_path / "report"
    assert main([str(after), "--previous", str(before), "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text()
    assert "+1 added, -0 removed, ~1 changed" in markdown
    assert "| memory-redis | `nodeType` | cache.r6g.large | cache.r6g.xlarge |" in markdown
    assert "1 violation(s), 1 mandatory" in markdown
    assert "Set deletionProtection=True." in markdown


def test_bad_input_fails_with_the_file_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = _write(tmp_path / "wrong.json", {"items": []})
    assert main([str(wrong), "--out", str(tmp_path / "r")]) == 2
    assert "wrong.json: not an offline-plan document" in capsys.readouterr().err
    missing = tmp_path / "missing.json"
    assert main([str(missing), "--out", str(tmp_path / "r")]) == 2
    assert "run `offline-plan --stack <stack>`" in capsys.readouterr().err


def test_previous_plan_of_another_stack_is_refused(tmp_path: Path) -> None:
    current = _write(tmp_path / "a.json", document([resource("aws:s3/bucketV2:BucketV2", "b")]))
    other = _write(tmp_path / "b.json", document([], stack="staging"))
    assert main([str(current), "--previous", str(other), "--out", str(tmp_path / "r")]) == 2


def test_added_resources_show_their_monthly_cost_and_place_in_the_deploy(
    tmp_path: Path, data_tier: list[dict[str, Any]]
) -> None:
    """A reviewer sees what each new resource costs and when a from-scratch `up` creates it."""
    added_names = {"memory-snapshots", "memory-api"}  # an S3 bucket (billed) and a Deployment (not)
    before = _write(
        tmp_path / "before.json", document([r for r in data_tier if r["name"] not in added_names])
    )
    after = _write(tmp_path / "after.json", document(data_tier))
    out = tmp_path / "report"
    assert main([str(after), "--previous", str(before), "--out", str(out)]) == 0
    figures = json.loads((out / "report.json").read_text())
    added = {row["urn"]: row for row in figures["added"]}
    new = [r for r in data_tier if r["name"] in added_names]
    assert new and set(added) == {r["urn"] for r in new}
    finish = deploy_duration(data_tier).finish_minutes
    for item in new:
        cost = sum(line["monthly_usd"] for line in figures["cost"]["lines"] if line["urn"] == item["urn"])
        assert added[item["urn"]]["monthlyUsd"] == pytest.approx(cost, abs=0.01)
        assert added[item["urn"]]["createdAtMinute"] == pytest.approx(finish[item["urn"]], abs=0.05)
    assert any(row["monthlyUsd"] > 0 for row in added.values())
    markdown = (out / "report.md").read_text()
    assert "## Added resources: cost and place in the deploy" in markdown
    assert "| Region | USD / month |" in markdown and "us-west-2 (DR)" in markdown
