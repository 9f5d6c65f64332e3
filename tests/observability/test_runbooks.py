"""Every alert's runbook_url points to a page in docs/runbooks/ that says what to check and what to do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.monitoring_data.rule_settings import DEFAULT_RUNBOOK_BASE_URL, RuleSettings, runbook_path
from infra.monitoring_data.rules import alert_names, render_rule_groups

REPOSITORY = Path(__file__).resolve().parents[2]
REQUIRED_HEADINGS = ("## What it means", "## What to check", "## What to do", "## Escalation")


def _alert_rules() -> list[dict]:
    return [rule for group in render_rule_groups() for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize(
    "rule", _alert_rules(), ids=lambda rule: f"{rule['alert']}-{rule['labels']['severity']}"
)
def test_alert_has_severity_summary_description_and_a_runbook_in_the_repository(rule: dict) -> None:
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"]
    assert rule["annotations"]["description"]
    url = rule["annotations"]["runbook_url"]
    assert url == f"{DEFAULT_RUNBOOK_BASE_URL}/{rule['alert']}.md"
    relative = url.removeprefix("https://github.com/memory-platform/memory-platform/blob/main/")
    assert relative == runbook_path(rule["alert"])
    assert (REPOSITORY / relative).is_file(), f"write {relative}"


@pytest.mark.parametrize("alert", alert_names())
def test_runbook_says_what_to_check_and_what_to_do(alert: str) -> None:
    text = (REPOSITORY / runbook_path(alert)).read_text()
    assert text.startswith(f"# {alert}")
    for heading in REQUIRED_HEADINGS:
        assert re.search(rf"^{re.escape(heading)}", text, re.MULTILINE), f"{alert}: missing {heading!r}"
    checks = text.split("## What to check", 1)[1].split("## What to do", 1)[0]
    assert "```promql" in checks or "```bash" in checks, f"{alert}: give concrete commands to check"


def test_every_runbook_page_belongs_to_an_alert_and_the_index_lists_them() -> None:
    pages = {p.stem for p in (REPOSITORY / "docs/runbooks/alerts").glob("*.md")} - {"README"}
    assert pages == set(alert_names())
    index = (REPOSITORY / "docs/runbooks/alerts/README.md").read_text()
    assert all(f"({alert}.md)" in index for alert in alert_names())
    assert (REPOSITORY / "docs/runbooks/severity-levels.md").is_file()


def test_runbook_base_url_is_a_parameter() -> None:
    settings = RuleSettings(runbook_base_url="https://git.example.invalid/platform/runbooks/")
    urls = {
        r["annotations"]["runbook_url"]
        for g in render_rule_groups(settings)
        for r in g["rules"]
        if "alert" in r
    }
    assert urls == {f"https://git.example.invalid/platform/runbooks/{alert}.md" for alert in alert_names()}
