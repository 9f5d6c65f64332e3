"""The memory API Deployment the program renders runs the app: same command, ports, paths and variables.

The container's command, args and environment are taken from the staging plan's Deployment. Only
the addresses are pointed at local services: PostgreSQL and Redis with TLS (the manifest asks for
`sslmode=require` and `rediss://`), Secrets Manager served by moto on loopback (the app reads the
database and Redis credentials by ARN, as it does through IRSA), and a Qdrant address where nothing
listens (no Qdrant server runs here), which the readiness body must name.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from app_servers import PostgresServer, free_port
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from memory_api.core.config import Settings
from moto.server import ThreadedMotoServer

from offline_plan.document import PlanDocument
from offline_plan.entrypoint import container_entrypoint

REDIS_TOKEN = "local-test-token-0123456789abcdef"
BIN = Path(sys.executable).parent


def deployment(plan: PlanDocument) -> dict[str, Any]:
    return next(
        r["inputs"]
        for r in plan.resources
        if r["type"] == "kubernetes:apps/v1:Deployment" and r["inputs"]["metadata"]["name"] == "memory-api"
    )


@pytest.fixture(scope="module")
def tls_files() -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate for 127.0.0.1, readable by the postgres user (pytest's tmp is not)."""
    folder = Path(tempfile.mkdtemp(prefix="memory-api-tls-"))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    if os.geteuid() == 0:
        for path in (folder, cert_path, key_path):
            shutil.chown(path, "postgres", "postgres")
    yield cert_path, key_path
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_postgres(tls_files: tuple[Path, Path]) -> Iterator[PostgresServer]:
    cert, key = tls_files
    server = PostgresServer(extra_options=f"-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}")
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def tls_redis(tls_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    cert, key = tls_files
    port = free_port()
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
            "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
            "--tls-auth-clients", "no", "--requirepass", REDIS_TOKEN,
            "--save", "", "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def secrets_manager() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_the_rendered_deployment_starts_the_app_and_it_becomes_ready(
    staging_plan: PlanDocument,
    tls_files: tuple[Path, Path],
    tls_postgres: PostgresServer,
    tls_redis: int,
    secrets_manager: str,
    tmp_path: Path,
) -> None:
    body = deployment(staging_plan)
    entry = container_entrypoint(body)
    rendered = entry.env

    # The manifest and the app agree on variable names, port and probe paths.
    fields = {f"MEMORY_API_{name.upper()}" for name in Settings.model_fields}
    assert set(rendered) | set(entry.references) <= fields, set(rendered) - fields
    assert entry.ports == {"http": int(rendered["MEMORY_API_PORT"])}
    mounts = {m["mountPath"] for m in body["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert rendered["MEMORY_API_DATA_DIR"] in mounts and "/tmp" in mounts
    assert rendered["MEMORY_API_REDIS_URL"].startswith("rediss://")

    # Credentials live in Secrets Manager (moto), found by ARN in the region the ARN names.
    region = rendered["MEMORY_API_DATABASE_SECRET_ARN"].split(":")[3]
    aws_env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": secrets_manager,
    }
    client = boto3.client(
        "secretsmanager", region_name=region, endpoint_url=secrets_manager,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    database_secret = client.create_secret(
        Name="rds-master", SecretString=json.dumps({"username": "postgres", "password": "unused"})
    )["ARN"]
    redis_secret = client.create_secret(Name="redis-auth", SecretString=REDIS_TOKEN)["ARN"]
    tls_postgres.create_database(rendered["MEMORY_API_DATABASE_NAME"])

    port, dead_port = free_port(), free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("MEMORY_API_")},
        **rendered,
        **aws_env,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "SSL_CERT_FILE": str(tls_files[0]),  # trust the local servers' certificate, as a CA bundle would
        "MEMORY_API_DATABASE_HOST": "127.0.0.1",
        "MEMORY_API_DATABASE_PORT": str(tls_postgres.port),
        "MEMORY_API_DATABASE_SECRET_ARN": database_secret,
        "MEMORY_API_REDIS_URL": f"rediss://127.0.0.1:{tls_redis}",
        "MEMORY_API_REDIS_AUTH_SECRET_ARN": redis_secret,
        "MEMORY_API_QDRANT_URL": f"http://127.0.0.1:{dead_port}",
        "MEMORY_API_QDRANT_API_KEY": "local-qdrant-key",  # from a secretKeyRef in the cluster
        "MEMORY_API_DATA_DIR": str(tmp_path),
        "MEMORY_API_PORT": str(port),
    }
    env.pop("MEMORY_API_OTLP_ENDPOINT")  # no collector runs here
    log = tmp_path / "api.log"
    with log.open("wb") as output:
        process = subprocess.Popen(entry.argv, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            ready = wait_for(f"http://127.0.0.1:{port}{entry.probe_paths['readiness']}", process, log)
            assert ready["checks"]["database"] == {"status": "ok"}, ready
            assert ready["checks"]["redis"] == {"status": "ok"}, ready
            assert ready["status"] == "degraded"
            assert ready["failed"] == ["vector_store"]
            for probe in ("startup", "liveness"):
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}{entry.probe_paths[probe]}", timeout=5
                ) as r:
                    assert r.status == 200
        finally:
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=30) in {0, -signal.SIGTERM}, log.read_text()[-3000:]
    assert "Application shutdown complete" in log.read_text()


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the API exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return dict(json.loads(error.read()))
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"no answer from {url} within {seconds}s:\n{log.read_text()[-3000:]}")
