"""End to end: the memory API answers with 5xx, the rendered rules fire, the rendered routing pages.

The real memory API (`memory-api serve` on a free loopback port) on a real PostgreSQL, a real Prometheus
scraping it with the rendered rules at one-second evaluation, and a real Alertmanager with the rendered
routing whose receivers all deliver to a local webhook. The error burst is a database outage: Postgres is
stopped under the running API, writes answer 503, and the test waits for `MemoryApiHigh5xxRatio` at the
pager receiver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from monitoring_servers import LOOPBACK, WebhookReceiver, free_port, wait_until

from infra.monitoring_data.alertmanager import RECEIVER_PAGER
from infra.monitoring_data.rule_settings import AlertThresholds, RuleSettings
from tests.app.app_servers import PostgresServer

BIN = Path(sys.executable).parent
BUDGET_SECONDS = 90
# The rules as rendered, with the `for` of the 5xx alert shortened so the test sees it fire in seconds.
FAST_RULES = RuleSettings(thresholds=AlertThresholds(server_error_for="2s"))


@pytest.fixture
def database() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.destroy()


@pytest.fixture
def memory_api(tmp_path: Path, database: PostgresServer) -> Iterator[tuple[str, str]]:
    """The memory API on loopback over a real Postgres; yields (host:port, an API key)."""
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("MEMORY_API_")},
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "MEMORY_API_ENVIRONMENT": "development",
        "MEMORY_API_DATA_DIR": str(tmp_path),
        "MEMORY_API_DATABASE_URL": database.create_database("memory"),
        "MEMORY_API_DATABASE_CONNECT_TIMEOUT_SECONDS": "1",
        "MEMORY_API_HOST": LOOPBACK,
        "MEMORY_API_PORT": str(port),
    }
    issued = subprocess.run(
        ["memory-api", "keys", "create", "--tenant", "e2e"],
        env=env,
        capture_output=True,
        check=True,
        text=True,
    )
    api_key = json.loads(issued.stdout)["api_key"]
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(["memory-api", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    address = f"{LOOPBACK}:{port}"

    def live() -> bool:
        try:
            with urllib.request.urlopen(f"http://{address}/health/live", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return process.poll() is not None  # stop waiting if it died; asserted below

    wait_until(live, 60, "the memory API to start")
    assert process.poll() is None, (tmp_path / "api.log").read_text()
    yield address, api_key
    process.terminate()
    process.wait(timeout=30)
    log.close()


def _request(url: str, api_key: str, body: bytes | None = None) -> int:
    headers = {"Content-Type": "application/json", "X-API-Key": api_key}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_an_error_burst_pages_the_on_call_receiver(
    memory_api: tuple[str, str],
    database: PostgresServer,
    prometheus_server: Callable[..., object],
    alertmanager_server: Callable[..., object],
    webhook_receiver: WebhookReceiver,
) -> None:
    started = time.monotonic()
    address, api_key = memory_api
    url = f"http://{address}/v1/memories"
    alertmanager = alertmanager_server()
    prometheus_server([address], alertmanager=alertmanager, rule_settings=FAST_RULES)
    healthy = [_request(url, api_key, b'{"text": "remember this"}') for _ in range(5)]
    assert healthy == [201] * 5, healthy

    database.stop()  # the outage: writes cannot become durable, so the API answers 503
    statuses = [_request(url, api_key, b'{"text": "remember this too"}') for _ in range(20)]
    assert sum(status >= 500 for status in statuses) > len(statuses) * 0.5, statuses

    def keep_failing_until_paged() -> dict[str, object] | None:
        _request(url, api_key, b'{"text": "again"}')
        alerts = [
            a
            for a in webhook_receiver.alerts_for(RECEIVER_PAGER)
            if a["labels"]["alertname"] == "MemoryApiHigh5xxRatio"
        ]
        return alerts[0] if alerts else None

    alert = wait_until(keep_failing_until_paged, BUDGET_SECONDS - 15, "MemoryApiHigh5xxRatio at the pager")
    assert alert["labels"]["severity"] == "critical"
    assert alert["labels"]["service"] == "memory-api"
    assert time.monotonic() - started < BUDGET_SECONDS
