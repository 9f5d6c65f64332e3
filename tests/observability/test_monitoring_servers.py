"""A real Alertmanager with the rendered routing delivers each severity to the intended receiver and
inhibits a warning under its critical twin; a real Prometheus with the rendered rules fires them into it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from monitoring_servers import (
    RunningAlertmanager,
    RunningPrometheus,
    StaticExporter,
    WebhookReceiver,
    wait_until,
)

from infra.monitoring_data.rule_settings import AlertThresholds, RuleSettings


def _alert(alertname: str, severity: str) -> dict[str, object]:
    return {
        "labels": {
            "alertname": alertname,
            "severity": severity,
            "service": "memory-api",
            "cluster": "loopback-test",
        },
        "annotations": {"summary": f"{alertname} test alert"},
    }


@pytest.mark.timeout(120)
def test_alertmanager_delivers_critical_to_pager_and_email_and_warning_to_chat(
    alertmanager_server: Callable[..., RunningAlertmanager], webhook_receiver: WebhookReceiver
) -> None:
    alertmanager = alertmanager_server()
    critical = "DatabaseConnectionFailures"
    alertmanager.post_alerts([_alert(critical, "critical"), _alert("VectorStoreErrors", "warning")])

    for receiver in ("pager", "email"):
        assert webhook_receiver.wait_for_alert(receiver, critical)["labels"]["severity"] == "critical"
    assert webhook_receiver.wait_for_alert("chat", "VectorStoreErrors")["labels"]["severity"] == "warning"
    assert not webhook_receiver.alerts_for("default-webhook")
    assert all(a["labels"]["severity"] == "warning" for a in webhook_receiver.alerts_for("chat"))


@pytest.mark.timeout(120)
def test_alertmanager_inhibits_a_warning_under_its_critical_twin(
    alertmanager_server: Callable[..., RunningAlertmanager],
) -> None:
    alertmanager = alertmanager_server()
    budget = "MemoryApiAvailabilityBudgetBurn"
    alertmanager.post_alerts(
        [_alert(budget, "critical"), _alert(budget, "warning"), _alert("HighRateLimitHits", "info")]
    )

    def statuses() -> dict[str, dict[str, object]] | None:
        alerts = {a["labels"]["severity"]: a["status"] for a in alertmanager.alerts()}
        return alerts if len(alerts) == 3 else None

    status = wait_until(statuses, 30, "three alerts in Alertmanager")
    assert status["critical"]["state"] == "active"
    assert status["warning"]["state"] == "suppressed"
    assert status["warning"]["inhibitedBy"]
    # Any warning or info of a service whose down alert fires is inhibited as well.
    alertmanager.post_alerts([_alert("MemoryApiDown", "critical")])
    wait_until(
        lambda: (
            next(a for a in alertmanager.alerts() if a["labels"]["severity"] == "info")["status"]["state"]
            == "suppressed"
        ),
        30,
        "the info alert to be inhibited by MemoryApiDown",
    )


@pytest.mark.timeout(120)
def test_prometheus_fires_the_rendered_rules_into_alertmanager(
    prometheus_server: Callable[..., RunningPrometheus],
    alertmanager_server: Callable[..., RunningAlertmanager],
    static_exporter: StaticExporter,
    webhook_receiver: WebhookReceiver,
) -> None:
    static_exporter.metrics_text = (
        "# TYPE database_connections_active gauge\ndatabase_connections_active 29\n"
        "# TYPE database_connections_max gauge\ndatabase_connections_max 30\n"
    )
    fast = RuleSettings(thresholds=AlertThresholds(service_down_for="1s", database_connections_for="1s"))
    alertmanager = alertmanager_server()
    prometheus = prometheus_server([static_exporter.address], alertmanager=alertmanager, rule_settings=fast)

    loaded = {rule["name"] for group in prometheus.rule_groups() for rule in group["rules"]}
    assert {"MemoryApiDown", "DatabaseConnectionsNearLimit", "slo:sli_error:ratio_rate5m"} <= loaded

    pool = webhook_receiver.wait_for_alert("chat", "DatabaseConnectionsNearLimit", timeout_seconds=60)
    assert pool["labels"]["instance"] == static_exporter.address
    assert pool["annotations"]["description"].startswith(f"Instance {static_exporter.address} has 96.67%")
    assert not webhook_receiver.alerts_for("pager")

    static_exporter.failing = True  # the API stops answering scrapes
    for receiver in ("pager", "email"):
        down = webhook_receiver.wait_for_alert(receiver, "MemoryApiDown", timeout_seconds=60)
        assert down["labels"]["instance"] == static_exporter.address
        assert down["annotations"]["runbook_url"].endswith("/MemoryApiDown.md")
