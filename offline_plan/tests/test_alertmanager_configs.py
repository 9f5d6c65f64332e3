"""Alertmanager configurations of any program become reviewable files that amtool accepts, with every
credential a marked placeholder; amtool and promtool failures are plan errors with the tool's message.

The programs are tiny ones written here, not this repository's."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline_plan.alertmanager import configs_in_objects, configs_in_plan, redact, write_configs
from offline_plan.cli import EXIT_CHECK_FAILED, main

SLACK_SECRET = "https://hooks.slack.com/services/T0000/B0000/offline-plan-test-credential"  # noqa: S105
SMTP_SECRET = "offline-plan-test-smtp-password"  # noqa: S105 - test credentials that must not leak

RELEASE_PROGRAM = """
import pulumi
from pulumi_kubernetes.helm.v3 import Release

slack = pulumi.Output.secret({slack!r})
smtp = pulumi.Output.secret({smtp!r})
config = {{
    "global": {{"smtp_smarthost": "smtp.example.invalid:587", "smtp_from": "a@example.invalid",
                "smtp_auth_username": "alerts", "smtp_auth_password": smtp}},
    "route": {{"receiver": {receiver!r}, "group_by": ["alertname"],
              "routes": [{{"receiver": "mail", "matchers": ['severity="critical"']}}]}},
    "receivers": [
        {{"name": "chat", "slack_configs": [{{"api_url": slack, "channel": "#alerts"}}]}},
        {{"name": "mail", "email_configs": [{{"to": "oncall@example.invalid"}}]}},
    ],
}}
Release(
    "monitoring",
    name="monitoring",
    chart="prometheus-community/kube-prometheus-stack",
    version="80.0.0",
    namespace="observability",
    values={{"alertmanager": {{"config": config}}}},
)
"""


def _program(folder: Path, main_py: str) -> Path:
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: tiny-monitoring\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text("config: {}\n")
    (folder / "__main__.py").write_text(textwrap.dedent(main_py))
    return folder


def _plan(program: Path, out: Path) -> int:
    return main(["--stack", "dev", "--program", str(program), "--out", str(out)])


@pytest.fixture(scope="module")
def amtool() -> str:
    found = shutil.which("amtool")
    if found is None:
        pytest.fail("amtool is missing; install it with `bash scripts/system-packages.sh` (Debian package)")
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def _every_output(out: Path, captured: pytest.CaptureFixture[str]) -> str:
    text = "".join(path.read_text() for path in out.rglob("*") if path.is_file())
    streams = captured.readouterr()
    return text + streams.out + streams.err


def test_a_release_config_is_written_readable_with_placeholders_and_passes_amtool(
    tmp_path: Path, amtool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(
        tmp_path / "program", RELEASE_PROGRAM.format(slack=SLACK_SECRET, smtp=SMTP_SECRET, receiver="chat")
    )
    assert _plan(program, tmp_path / "out") == 0
    stack_out = tmp_path / "out" / "dev"
    document = json.loads((stack_out / "resources.json").read_text())
    assert document["alertmanagerConfigFiles"] == ["alertmanager/monitoring.yaml"]
    assert document["fileChecks"]["amtool"] == "amtool: passed"
    path = stack_out / "alertmanager" / "monitoring.yaml"
    text = path.read_text()
    config = yaml.safe_load(text)
    # The routing is readable as written ...
    assert config["route"]["receiver"] == "chat"
    assert config["route"]["routes"] == [{"matchers": ['severity="critical"'], "receiver": "mail"}]
    assert config["receivers"][1] == {"name": "mail", "email_configs": [{"to": "oncall@example.invalid"}]}
    # ... each credential is a marked placeholder that says where it was ...
    slack = config["receivers"][0]["slack_configs"][0]
    assert slack["api_url"] == "https://secret.redacted.invalid/receivers/0/slack_configs/0/api_url"
    assert slack["channel"] == "#alerts"
    placeholder = "<redacted:secret:global.smtp_auth_password>"
    assert config["global"]["smtp_auth_password"] == placeholder
    assert "redacted.invalid" in text.split("\n", 8)[3], "the header explains the placeholders"
    # ... and the secrets themselves appear in no file and no output.
    everything = _every_output(tmp_path / "out", capsys)
    assert SLACK_SECRET not in everything
    assert SMTP_SECRET not in everything
    result = _run(amtool, "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    routed = _run(amtool, "config", "routes", "test", f"--config.file={path}", "severity=critical")
    assert routed.stdout.strip() == "mail"


def test_a_route_to_an_undefined_receiver_is_a_plan_error_with_amtools_message(
    tmp_path: Path, amtool: str, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(
        tmp_path / "program", RELEASE_PROGRAM.format(slack=SLACK_SECRET, smtp=SMTP_SECRET, receiver="pager")
    )
    assert _plan(program, tmp_path / "out") == EXIT_CHECK_FAILED
    err = capsys.readouterr().err
    assert "alertmanager/monitoring.yaml" in err
    assert 'undefined receiver "pager"' in err
    document = json.loads((tmp_path / "out" / "dev" / "resources.json").read_text())
    assert document["fileChecks"]["amtool"] == "amtool: failed"
    assert any('undefined receiver "pager"' in problem for problem in document["fileCheckProblems"])


def test_a_config_secret_as_a_whole_gets_a_warning_not_a_file(tmp_path: Path) -> None:
    program = _program(
        tmp_path / "program",
        """
        import pulumi
        from pulumi_kubernetes.helm.v3 import Release

        Release("stack", name="stack", chart="kube-prometheus-stack", version="80.0.0", namespace="obs",
                values={"alertmanager": {"config": pulumi.Output.secret({"route": {"receiver": "x"}})}})
        """,
    )
    assert _plan(program, tmp_path / "out") == 0
    document = json.loads((tmp_path / "out" / "dev" / "resources.json").read_text())
    assert document["alertmanagerConfigFiles"] == []
    (warning,) = [w for w in document["warnings"] if "Alertmanager configuration" in w]
    assert "secret as a whole" in warning
    assert "make only the receiver credentials secret" in warning


def test_a_config_in_the_programs_own_secret_is_named_as_unreviewable(tmp_path: Path) -> None:
    """The Kubernetes SDK makes a Secret's data secret whole, so the release's config Secret is unreadable."""
    program = _program(
        tmp_path / "program",
        """
        from pulumi_kubernetes.core.v1 import Secret
        from pulumi_kubernetes.helm.v3 import Release

        Secret("am", metadata={"name": "am-config", "namespace": "obs"},
               string_data={"alertmanager.yaml": "route: {receiver: x}"})
        Secret("other", metadata={"name": "unrelated", "namespace": "obs"}, string_data={"token": "t"})
        Release("stack", name="stack", chart="kube-prometheus-stack", version="80.0.0", namespace="obs",
                values={"alertmanager": {"alertmanagerSpec": {"useExistingSecret": True,
                                                              "configSecret": "am-config"}}})
        """,
    )
    assert _plan(program, tmp_path / "out") == 0
    document = json.loads((tmp_path / "out" / "dev" / "resources.json").read_text())
    assert document["alertmanagerConfigFiles"] == []
    assert document["fileChecks"]["amtool"] == "amtool: no files to check"
    (warning,) = [w for w in document["warnings"] if "Alertmanager configuration" in w]
    assert "Secret obs/am-config" in warning
    assert "secret as a whole" in warning


def test_rendered_chart_secrets_are_found_and_unknown_leaves_marked(tmp_path: Path, amtool: str) -> None:
    """The entry point for rendered charts: a Secret as Helm renders it (base64 data), with marker leaves."""
    config = {
        "global": {"smtp_smarthost": "[unknown]"},
        "route": {"receiver": "hook"},
        "receivers": [{"name": "hook", "webhook_configs": [{"url": "[secret]"}]}],
    }
    rendered = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "alertmanager-stack", "namespace": "obs"},
        "data": {"alertmanager.yaml": base64.b64encode(yaml.safe_dump(config).encode()).decode()},
    }
    found = configs_in_objects([{"kind": "ConfigMap"}, rendered], "release stack")
    (only,) = found.configs
    document, placeholders = redact(only.document)
    assert document["global"]["smtp_smarthost"] == "unknown.redacted.invalid:25"
    assert document["receivers"][0]["webhook_configs"][0]["url"] == (
        "https://secret.redacted.invalid/receivers/0/webhook_configs/0/url"
    )
    assert placeholders == [
        "global.smtp_smarthost (unknown)",
        "receivers[0].webhook_configs[0].url (secret)",
    ]
    (written,) = write_configs(found.configs, tmp_path)
    assert written.path == tmp_path / "alertmanager-stack.yaml"
    result = _run(amtool, "check-config", str(written.path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_prometheus_rule_is_a_plan_error_with_promtools_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing; install it with `bash scripts/system-packages.sh` (Debian package)")
    program = _program(
        tmp_path / "program",
        """
        from pulumi_kubernetes.apiextensions import CustomResource

        CustomResource("rules", api_version="monitoring.coreos.com/v1", kind="PrometheusRule",
                       metadata={"name": "broken", "namespace": "obs"},
                       spec={"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "rate(x[5m"}]}]})
        """,
    )
    assert _plan(program, tmp_path / "out") == EXIT_CHECK_FAILED
    err = capsys.readouterr().err
    assert "prometheus-rules/broken.yaml" in err
    assert "promtool check rules" in err


def test_a_releases_rendered_secret_replaces_its_values_config() -> None:
    """Once the chart is rendered, the file is what the chart writes (defaults merged), written once."""
    urn = "urn:pulumi:dev::tiny::kubernetes:helm.sh/v3:Release::stack"
    release: dict[str, Any] = {
        "urn": urn,
        "type": "kubernetes:helm.sh/v3:Release",
        "name": "stack",
        "inputs": {
            "chart": "kube-prometheus-stack",
            "name": "stack",
            "namespace": "obs",
            "values": {"alertmanager": {"config": {"route": {"receiver": "hook"}}}},
        },
    }
    merged = {"route": {"receiver": "hook", "group_by": ["namespace"]}, "receivers": [{"name": "hook"}]}
    secret = {
        "kind": "Secret",
        "metadata": {"name": "alertmanager-stack-alertmanager", "namespace": "obs"},
        "data": {"alertmanager.yaml": base64.b64encode(yaml.safe_dump(merged).encode()).decode()},
    }
    assert [c.document for c in configs_in_plan([release]).configs] == [{"route": {"receiver": "hook"}}]
    (config,) = configs_in_plan([release], rendered={urn: [secret]}).configs
    assert config.document == merged
    assert config.name == "alertmanager-stack-alertmanager"
