"""Real Prometheus and Alertmanager on loopback, for tests that prove alerts end to end.

`prometheus_server` and `alertmanager_server` are factory fixtures: each call starts its own process on a
free 127.0.0.1 port with its own temp dir, waits until it is ready (bounded), and the fixture stops it at
teardown. `webhook_receiver` is a local HTTP server that records what Alertmanager delivers, one path per
receiver, so a test can assert which receiver got which alert. `static_exporter` serves a fixed /metrics
text for tests that need a scrape target before the memory API exists.

The end-to-end test with the memory API is then a few lines:

    api = start_memory_api()                                   # host:port on loopback
    alertmanager = alertmanager_server()                       # rendered routing -> webhook_receiver
    prometheus_server([api], alertmanager=alertmanager, rule_settings=FAST_RULES)
    drive_error_burst(api)
    webhook_receiver.wait_for_alert("pager", "MemoryApiHigh5xxRatio")
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra.monitoring_data.alertmanager import (
    AlertmanagerSettings,
    AlertRoutingConfig,
    ReceiverCredentials,
    receiver_names,
    render_alertmanager_config,
)
from infra.monitoring_data.rule_settings import RuleSettings
from infra.monitoring_data.rules import render_rule_groups
from infra.standards import to_yaml

LOOPBACK = "127.0.0.1"
STARTUP_SECONDS = 30
PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"

# Short timings so a test sees a delivery within seconds; routing and receivers stay as rendered.
FAST_ALERTMANAGER_TIMINGS = {
    "group_wait": "1s",
    "group_interval": "1s",
    "critical_group_wait": "1s",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], timeout_seconds: float, what: str) -> Any:
    """Polls until `condition()` is truthy and returns it; fails the test naming `what` on timeout."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_seconds}s waiting for {what}")
        time.sleep(0.2)


def http_json(url: str, payload: Any = None, timeout_seconds: float = 5) -> Any:
    """GET (or POST `payload` as JSON) a loopback URL and decode the JSON answer."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
        body = response.read()
    return json.loads(body) if body else None


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class _Process:
    """A server process with its log in its own directory; stopped by `stop()`."""

    def __init__(self, name: str, command: list[str], directory: Path, ready_url: str) -> None:
        self.log_path = directory / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, cwd=directory)
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _ready(ready_url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{name} did not become ready at {ready_url}:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


class _LoopbackHttp:
    """A threaded HTTP server on a free loopback port."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self.server.owner = self  # type: ignore[attr-defined]
        self.address = f"{LOOPBACK}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@dataclass
class Delivery:
    receiver: str
    payload: dict[str, Any]


class _WebhookHandler(_QuietHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver = self.path.strip("/")
        self.server.owner.record(Delivery(receiver, json.loads(body)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()


class WebhookReceiver(_LoopbackHttp):
    """Records Alertmanager webhook deliveries; `/<receiver>` is the URL of each receiver."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        super().__init__(_WebhookHandler)

    def record(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)

    def url_for(self, receiver: str) -> str:
        return f"http://{self.address}/{receiver}"

    def alerts_for(self, receiver: str) -> list[dict[str, Any]]:
        with self._lock:
            return [alert for d in self.deliveries if d.receiver == receiver for alert in d.payload["alerts"]]

    def wait_for_alert(self, receiver: str, alertname: str, timeout_seconds: float = 30) -> dict[str, Any]:
        """The first alert named `alertname` delivered to `receiver`."""

        def delivered() -> dict[str, Any] | None:
            matches = [a for a in self.alerts_for(receiver) if a["labels"].get("alertname") == alertname]
            return matches[0] if matches else None

        return wait_until(delivered, timeout_seconds, f"{alertname} at receiver {receiver}")  # type: ignore[no-any-return]


class _ExporterHandler(_QuietHandler):
    def do_GET(self) -> None:
        exporter = self.server.owner  # type: ignore[attr-defined]
        body = exporter.metrics_text.encode()
        self.send_response(500 if exporter.failing else 200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StaticExporter(_LoopbackHttp):
    """Serves `metrics_text` on every GET; change the attributes to change what the next scrape sees.
    With `failing` set, scrapes get HTTP 500, so the target's `up` drops to 0."""

    def __init__(self, metrics_text: str = "") -> None:
        self.metrics_text = metrics_text
        self.failing = False
        super().__init__(_ExporterHandler)


def route_to_webhooks(config: dict[str, Any], webhook: WebhookReceiver) -> dict[str, Any]:
    """The rendered config with every receiver delivering to the local webhook, routing untouched."""
    receivers = [
        {"name": r["name"], "webhook_configs": [{"url": webhook.url_for(r["name"]), "send_resolved": True}]}
        for r in config["receivers"]
    ]
    return {**config, "receivers": receivers}


@dataclass
class RunningAlertmanager:
    url: str
    address: str
    process: _Process = field(repr=False)

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """POSTs alerts (`labels`, `annotations`) to the v2 API, as Prometheus would."""
        http_json(f"{self.url}/api/v2/alerts", alerts)

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert Alertmanager holds, with its status (active, suppressed, inhibitedBy)."""
        return http_json(f"{self.url}/api/v2/alerts")  # type: ignore[no-any-return]


@dataclass
class RunningPrometheus:
    url: str
    process: _Process = field(repr=False)

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = http_json(f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}")
        return answer["data"]["result"]  # type: ignore[no-any-return]

    def rule_groups(self) -> list[dict[str, Any]]:
        return http_json(f"{self.url}/api/v1/rules")["data"]["groups"]  # type: ignore[no-any-return]

    def alerts(self) -> list[dict[str, Any]]:
        return http_json(f"{self.url}/api/v1/alerts")["data"]["alerts"]  # type: ignore[no-any-return]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def static_exporter() -> Iterator[StaticExporter]:
    exporter = StaticExporter()
    yield exporter
    exporter.close()


def _placeholder_credentials() -> ReceiverCredentials:
    return ReceiverCredentials(
        pagerduty_routing_key="placeholder-pagerduty-routing-key",
        slack_api_url="https://hooks.slack.example.invalid/placeholder",
        smtp_auth_password="placeholder-smtp-password",
        default_webhook_url="https://webhook.example.invalid/placeholder",
    )


@pytest.fixture
def alertmanager_server(
    tmp_path_factory: pytest.TempPathFactory, webhook_receiver: WebhookReceiver
) -> Iterator[Callable[..., RunningAlertmanager]]:
    """`start(settings=None)`: Alertmanager with the rendered routing, every receiver a local webhook."""
    started: list[_Process] = []

    def start(settings: AlertmanagerSettings | None = None) -> RunningAlertmanager:
        settings = settings or AlertmanagerSettings(
            routing=AlertRoutingConfig(
                email_to="oncall@example.invalid",
                email_from="alerts@example.invalid",
                smtp_smarthost="smtp.example.invalid:587",
                smtp_auth_username="alerts@example.invalid",
            ),
            **FAST_ALERTMANAGER_TIMINGS,
        )
        config = route_to_webhooks(
            render_alertmanager_config(
                settings, _placeholder_credentials().default_webhook_url.get_secret_value()
            ),
            webhook_receiver,
        )
        assert {r["name"] for r in config["receivers"]} == set(receiver_names())
        directory = tmp_path_factory.mktemp("alertmanager")
        (directory / "alertmanager.yml").write_text(to_yaml(config))
        port = free_port()
        address = f"{LOOPBACK}:{port}"
        process = _Process(
            "alertmanager",
            [
                _binary(ALERTMANAGER),
                f"--config.file={directory / 'alertmanager.yml'}",
                f"--storage.path={directory / 'data'}",
                f"--web.listen-address={address}",
                "--cluster.listen-address=",
            ],
            directory,
            f"http://{address}/-/ready",
        )
        started.append(process)
        return RunningAlertmanager(url=f"http://{address}", address=address, process=process)

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def prometheus_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RunningPrometheus]]:
    """`start(targets, alertmanager=None, rule_settings=None, extra_rule_groups=())`: Prometheus scraping
    `targets` ("host:port", labelled like the ServiceMonitor would) every second and evaluating the rendered
    rules every second."""
    started: list[_Process] = []

    def start(
        targets: list[str],
        alertmanager: RunningAlertmanager | None = None,
        rule_settings: RuleSettings | None = None,
        extra_rule_groups: tuple[dict[str, Any], ...] = (),
    ) -> RunningPrometheus:
        rule_settings = rule_settings or RuleSettings()
        target = rule_settings.target
        directory = tmp_path_factory.mktemp("prometheus")
        rules_path = directory / "rules.yml"
        rules_path.write_text(to_yaml({"groups": [*render_rule_groups(rule_settings), *extra_rule_groups]}))
        config: dict[str, Any] = {
            "global": {
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "evaluation_interval": "1s",
                "external_labels": {"cluster": "loopback-test"},
            },
            "rule_files": [str(rules_path)],
            "scrape_configs": [
                {
                    "job_name": target.job,
                    "static_configs": [
                        {
                            "targets": targets,
                            "labels": {"namespace": target.namespace, "service": target.service},
                        }
                    ],
                }
            ],
        }
        if alertmanager is not None:
            config["alerting"] = {
                "alertmanagers": [{"static_configs": [{"targets": [alertmanager.address]}]}]
            }
        (directory / "prometheus.yml").write_text(to_yaml(config))
        address = f"{LOOPBACK}:{free_port()}"
        process = _Process(
            "prometheus",
            [
                _binary(PROMETHEUS),
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address={address}",
            ],
            directory,
            f"http://{address}/-/ready",
        )
        started.append(process)
        return RunningPrometheus(url=f"http://{address}", process=process)

    yield start
    for process in started:
        process.stop()


def _binary(path: str) -> str:
    if not Path(path).exists():
        subprocess.run(
            ["bash", str(Path(__file__).resolve().parents[2] / "scripts" / "system-packages.sh")], check=True
        )
    if not Path(path).exists():
        pytest.fail(f"{path} is missing; install it with `bash scripts/system-packages.sh` (needs root)")
    return shutil.which(path) or path
