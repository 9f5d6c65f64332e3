"""Fixtures for the observability tests: the real Prometheus tools, rendered configuration on disk, and
(from servers.py) a real Prometheus and Alertmanager on loopback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from monitoring_servers import alertmanager_server, prometheus_server, static_exporter, webhook_receiver  # noqa: F401

from infra.monitoring_data.alertmanager import AlertmanagerSettings, AlertRoutingConfig, ReceiverCredentials
from infra.monitoring_data.rules import render_rules_file
from infra.standards import to_yaml

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def receiver_credentials() -> ReceiverCredentials:
    """Obvious placeholders: real values only ever come from Pulumi secrets."""
    return ReceiverCredentials(
        pagerduty_routing_key="placeholder-pagerduty-routing-key",
        slack_api_url="https://hooks.slack.example.invalid/placeholder",
        smtp_auth_password="placeholder-smtp-password",
        default_webhook_url="https://webhook.example.invalid/placeholder",
    )


@pytest.fixture(scope="session")
def alertmanager_settings() -> AlertmanagerSettings:
    return AlertmanagerSettings(
        routing=AlertRoutingConfig(
            email_to="oncall@example.invalid",
            email_from="alerts@example.invalid",
            smtp_smarthost="smtp.example.invalid:587",
            smtp_auth_username="alerts@example.invalid",
        )
    )


def _tool(name: str) -> str:
    """Path of a Debian-packaged tool, installing the packages the tests need when it is missing."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if found is None:
        subprocess.run(["bash", str(REPOSITORY / "scripts" / "system-packages.sh")], check=True)
        found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing; install it with `bash scripts/system-packages.sh` (needs root)")
    return found


@pytest.fixture(scope="session")
def promtool() -> str:
    return _tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _tool("amtool")


@pytest.fixture(scope="session")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default rules, rendered once to a Prometheus rule file."""
    path = tmp_path_factory.mktemp("rules") / "memory-api.rules.yml"
    path.write_text(to_yaml(render_rules_file()))
    return path
