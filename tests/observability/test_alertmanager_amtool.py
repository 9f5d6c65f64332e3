"""The rendered Alertmanager configuration passes `amtool check-config`, routes each severity to the
intended receivers (`amtool config routes test`), inhibits warnings under a matching critical, and keeps
every credential Alertmanager can read from a file out of the document."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.monitoring_data.alertmanager import (
    CREDENTIAL_FILE_KEYS,
    AlertmanagerSettings,
    CredentialFiles,
    ReceiverCredentials,
    credential_file_data,
    render_alertmanager_config,
)
from infra.monitoring_data.rules import alert_names, render_rule_groups
from infra.standards import to_yaml


@pytest.fixture
def alertmanager_file(
    tmp_path: Path, alertmanager_settings: AlertmanagerSettings, receiver_credentials: ReceiverCredentials
) -> Path:
    path = tmp_path / "alertmanager.yml"
    webhook = receiver_credentials.default_webhook_url.get_secret_value()
    path.write_text(to_yaml(render_alertmanager_config(alertmanager_settings, webhook)))
    return path


def _amtool(amtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=30, check=False)


def test_amtool_check_config_accepts_the_rendered_config(amtool: str, alertmanager_file: Path) -> None:
    result = _amtool(amtool, "check-config", str(alertmanager_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "2 inhibit rules" in result.stdout


@pytest.mark.parametrize(
    ("severity", "receivers"),
    [("critical", "pager,email"), ("warning", "chat"), ("info", "default-webhook"), ("", "default-webhook")],
)
def test_each_severity_reaches_its_receivers(
    amtool: str, alertmanager_file: Path, severity: str, receivers: str
) -> None:
    labels = ["alertname=MemoryApiHighLatency", "service=memory-api"] + (
        [f"severity={severity}"] if severity else []
    )
    result = _amtool(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={alertmanager_file}",
        f"--verify.receivers={receivers}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receivers


def test_every_rendered_alert_severity_has_a_dedicated_route(amtool: str, alertmanager_file: Path) -> None:
    """Each alert's severity label sends it to the pager or to chat, never only to the catch-all."""
    expected = {"critical": "pager,email", "warning": "chat"}
    for group in render_rule_groups():
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            labels = [
                f"{key}={value}" for key, value in {"alertname": rule["alert"], **rule["labels"]}.items()
            ]
            result = _amtool(
                amtool, "config", "routes", "test", f"--config.file={alertmanager_file}", *labels
            )
            assert result.stdout.strip() == expected[rule["labels"]["severity"]], rule["alert"]


def test_warnings_are_inhibited_by_a_matching_critical(
    alertmanager_settings: AlertmanagerSettings, receiver_credentials: ReceiverCredentials
) -> None:
    webhook = receiver_credentials.default_webhook_url.get_secret_value()
    rules = render_alertmanager_config(alertmanager_settings, webhook)["inhibit_rules"]
    same_alert = next(rule for rule in rules if rule["source_matchers"] == ['severity="critical"'])
    assert same_alert["target_matchers"] == ['severity=~"warning|info"']
    assert set(same_alert["equal"]) == {"alertname", "cluster", "service"}
    service_down = next(rule for rule in rules if rule["source_matchers"] == ['alertname="MemoryApiDown"'])
    assert set(service_down["equal"]) == {"cluster", "service"}
    assert "MemoryApiDown" in alert_names()


def test_file_credentials_stay_out_of_the_document_and_name_the_mounted_secret(
    alertmanager_settings: AlertmanagerSettings, receiver_credentials: ReceiverCredentials
) -> None:
    """PagerDuty, Slack and SMTP credentials are files of one mounted Secret; only the webhook URL is inline."""
    file_borne = credential_file_data(receiver_credentials)
    webhook = receiver_credentials.default_webhook_url.get_secret_value()
    files = CredentialFiles(secret_name="receivers-under-test")
    config = render_alertmanager_config(alertmanager_settings, webhook, files)
    rendered = to_yaml(config)
    assert not any(secret in rendered for secret in file_borne.values())
    assert rendered.count(webhook) == 1
    assert not any(secret in repr(receiver_credentials) for secret in [*file_borne.values(), webhook])
    # Every file the document reads is a key of the Secret, at the operator's mount path.
    read = {
        config["global"]["smtp_auth_password_file"],
        *(
            integration.get(field)
            for receiver in config["receivers"]
            for kind in ("pagerduty_configs", "slack_configs")
            for integration in receiver.get(kind, [])
            for field in ("routing_key_file", "api_url_file")
            if integration.get(field)
        ),
    }
    assert read == {f"/etc/alertmanager/secrets/receivers-under-test/{key}" for key in file_borne}
    assert set(file_borne) == set(CREDENTIAL_FILE_KEYS)
    repository = Path(__file__).resolve().parents[2]
    for source in (repository / "infra" / "observability").rglob("*.py"):
        assert not any(secret in source.read_text() for secret in [*file_borne.values(), webhook]), source


def test_a_non_url_slack_credential_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="slack_api_url must be a URL starting with https://"):
        ReceiverCredentials(
            pagerduty_routing_key="placeholder",
            slack_api_url="not-a-url",
            smtp_auth_password="placeholder",
            default_webhook_url="https://webhook.example.invalid/placeholder",
        )
