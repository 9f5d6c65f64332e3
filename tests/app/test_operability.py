"""Probes, migrations, OTLP tracing, structured logs, and a graceful stop of the real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from memory_api.core.config import Settings
from memory_api.db.engine import build_database
from memory_api.db.models import Base, Memory
from memory_api.services.keys import create_key
from sqlalchemy import select

from tests.app.app_servers import free_port
from tests.app.conftest import Api, SettingsFactory, start_api


def test_probes_report_each_dependency(api: Api) -> None:
    assert api.client.get("/health/live").json() == {"status": "alive"}
    assert api.client.get("/health/startup").status_code == 200
    ready = api.client.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["vector_store"]["status"] == "ok"
    expected_redis = "ok" if api.state.redis_gate else "not_configured"
    assert body["checks"]["redis"]["status"] == expected_redis


def test_the_migrated_schema_matches_the_models(api: Api) -> None:
    with api.state.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_access_logs_are_json_with_request_and_tenant_but_never_the_key(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = api.key("acme")
    capsys.readouterr()
    response = api.client.post("/v1/memories", json={"text": "log me"}, headers=headers)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    assert access, lines
    entry = access[-1]
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["tenant_id"] == "acme"
    assert entry["route"] == "/v1/memories"
    assert entry["status"] == 201
    assert isinstance(entry["latency_ms"], float)
    assert headers["X-API-Key"] not in json.dumps(lines)


class _OtlpCollector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _OtlpCollector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(make_settings: SettingsFactory) -> None:
    collector = HTTPServer(("127.0.0.1", free_port()), _OtlpCollector)
    thread = threading.Thread(target=collector.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{collector.server_port}"
        for api in start_api(make_settings(otlp_endpoint=endpoint)):
            api.client.get("/health/live")
            api.client.get("/v1/memories", headers=api.key("acme"))
        # Shutdown flushes the batch processor.
        paths = [path for path, _ in _OtlpCollector.received]
        assert "/v1/traces" in paths
        payload = b"".join(body for _, body in _OtlpCollector.received)
        assert b"memory-api" in payload
        assert b"/v1/memories" in payload
    finally:
        collector.shutdown()
        collector.server_close()
        _OtlpCollector.received.clear()


def test_sigterm_drains_in_flight_requests_and_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MEMORY_API_DATA_DIR": str(tmp_path),
        "MEMORY_API_PORT": str(port),
        "MEMORY_API_RATE_LIMIT_PER_MINUTE": "100000",
        # every request comes from 127.0.0.1: the per-address limits would answer 429 mid-drain
        "MEMORY_API_IP_RATE_LIMIT_PER_MINUTE": "100000",
        "MEMORY_API_IP_RATE_LIMIT_PER_HOUR": "100000",
    }
    cli = [sys.executable, "-m", "memory_api.cli"]
    engine, sessions = build_database(Settings(data_dir=tmp_path))
    with sessions() as session:
        key = create_key(session, "t1").secret
    engine.dispose()
    log_path = tmp_path / "server.log"
    log_file = log_path.open("wb")
    server = subprocess.Popen(
        [*cli, "serve"],
        env={**env, "MEMORY_API_LOG_LEVEL": "INFO"},
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        acknowledged: list[str] = []
        failures: list[str] = []

        def writer() -> None:
            with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=10) as client:
                for i in range(200):
                    try:
                        response = client.post("/v1/memories", json={"text": f"in flight {i}"})
                    except httpx.HTTPError as error:
                        failures.append(
                            type(error).__name__
                        )  # the listener is closed: expected after SIGTERM
                        return
                    if response.status_code == 201:
                        acknowledged.append(response.json()["id"])
                    else:
                        failures.append(str(response.status_code))

        writers = [threading.Thread(target=writer) for _ in range(4)]
        for thread in writers:
            thread.start()
        time.sleep(0.5)
        server.send_signal(signal.SIGTERM)
        for thread in writers:
            thread.join(timeout=30)
        # uvicorn re-raises the SIGTERM it handled once shutdown completed.
        returncode = server.wait(timeout=60)
        log_tail = log_path.read_text()[-3000:]
        assert returncode in (0, -signal.SIGTERM), log_tail
        assert '"event": "stopped"' in log_tail, "lifespan shutdown did not complete: " + log_tail
        assert acknowledged
        assert not [f for f in failures if f.isdigit()], failures  # no request answered with an error
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log_file.close()
    engine, sessions = build_database(Settings(data_dir=tmp_path))
    with sessions() as session:
        stored = set(session.scalars(select(Memory.id)))
    engine.dispose()
    assert set(acknowledged) <= stored
