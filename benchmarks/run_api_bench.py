"""Load benchmark of the memory API over loopback with wrk, next to a bare FastAPI endpoint.

Starts both servers (one uvicorn worker each, same settings), seeds memories, then drives each read
scenario with wrk at a fixed concurrency for several interleaved rounds (bare, get, search, uncached
search) and the write scenario once, and prints the medians of throughput and p50/p95/p99. Not a
test: numbers depend on the machine. Usage: `make bench-api` or
`uv run python benchmarks/run_api_bench.py --backend embedded --connections 32 --duration 8 --rounds 5`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).resolve().parent / "scenario.lua"
WORDS = [
    "harbour",
    "ferry",
    "timetable",
    "invoice",
    "garden",
    "tomato",
    "password",
    "wifi",
    "dentist",
    "appointment",
    "meeting",
    "budget",
    "report",
    "kubernetes",
    "cluster",
    "upgrade",
    "bicycle",
    "repair",
    "birthday",
    "present",
    "holiday",
    "flight",
    "hotel",
    "booking",
    "recipe",
    "pasta",
    "sauce",
    "database",
    "backup",
    "restore",
    "alert",
    "pager",
    "rotation",
    "coffee",
    "machine",
    "filter",
]


def free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def server(command: list[str], env: dict[str, str], health_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        wait_http(health_url)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    port: int, scenario: str, env: dict[str, str], connections: int, duration: int, pid: int
) -> dict[str, float]:
    """One wrk run; besides wrk's figures, the server's CPU time per request, which (unlike
    throughput) depends less on what else the machine runs meanwhile."""
    cpu_before = cpu_seconds(pid)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    result = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(SCRIPT),
            f"http://127.0.0.1:{port}",
        ],
        env={**os.environ, **env, "SCENARIO": scenario},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith('{"requests"'))
    data = json.loads(line)
    cpu = cpu_seconds(pid) - cpu_before
    return {
        "cpu_us": cpu / max(1, data["requests"]) * 1e6,
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50": data["p50_us"] / 1000,
        "p95": data["p95_us"] / 1000,
        "p99": data["p99_us"] / 1000,
        "errors": data["non_2xx"] + data["socket_errors"],
    }


SCENARIOS = (
    ("bare FastAPI GET", "bare"),
    ("GET /v1/memories/{id}", "get"),
    ("POST /v1/search", "search"),
    ("POST /v1/search uncached", "search_uncached"),
    ("POST /v1/memories", "create"),
)


def median_row(runs: list[dict[str, float]]) -> dict[str, float]:
    return {field: statistics.median(run[field] for run in runs) for field in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["embedded", "postgres_redis"], default="embedded")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=8, help="seconds per scenario and round")
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds over the read scenarios; medians reported"
    )
    parser.add_argument("--seed-memories", type=int, default=1000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="memory-api-bench-"))
    python = sys.executable
    api_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "MEMORY_API_DATA_DIR": str(work / "data"),
        "MEMORY_API_PORT": str(api_port),
        "MEMORY_API_RATE_LIMIT_PER_MINUTE": "1000000000",
        "MEMORY_API_RATE_LIMIT_PER_HOUR": "1000000000",
        "MEMORY_API_IP_RATE_LIMIT_PER_MINUTE": "1000000000",  # wrk sends everything from one address
        "MEMORY_API_IP_RATE_LIMIT_PER_HOUR": "1000000000",
        "MEMORY_API_LOG_LEVEL": "WARNING",
    }
    servers: list[object] = []
    if args.backend == "postgres_redis":
        sys.path.insert(0, str(ROOT))
        from tests.app.app_servers import PostgresServer, RedisServer  # noqa: PLC0415

        postgres, redis = PostgresServer(), RedisServer()
        servers = [postgres, redis]
        env["MEMORY_API_DATABASE_URL"] = postgres.create_database("bench")
        env["MEMORY_API_REDIS_URL"] = redis.url
    runs: dict[str, list[dict[str, float]]] = {label: [] for label, _ in SCENARIOS}
    try:
        key = json.loads(
            subprocess.run(
                [python, "-m", "memory_api.cli", "keys", "create", "--tenant", "bench"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )["api_key"]
        headers = {"X-API-Key": key}
        rng = random.Random(7)
        queries = [" ".join(rng.sample(WORDS, 3)) for _ in range(200)]
        (work / "queries.txt").write_text("\n".join(queries) + "\n")
        bare_cmd = [
            python,
            "-m",
            "uvicorn",
            "benchmarks.bare_app:app",
            "--port",
            str(bare_port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        api_cmd = [python, "-m", "memory_api.cli", "serve"]
        with (
            server(bare_cmd, env, f"http://127.0.0.1:{bare_port}/bare") as bare_server,
            server(api_cmd, env, f"http://127.0.0.1:{api_port}/health/ready") as api_server,
        ):
            pids = {bare_port: bare_server.pid, api_port: api_server.pid}
            base = f"http://127.0.0.1:{api_port}"
            with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
                ids = [
                    client.post(
                        "/v1/memories",
                        json={"text": " ".join(rng.sample(WORDS, 8)), "tags": [rng.choice(["a", "b", "c"])]},
                    ).json()["id"]
                    for _ in range(args.seed_memories)
                ]
                probe = str(uuid.uuid4())
                client.post("/v1/memories", json={"text": f"probe {probe}"})
                deadline = time.monotonic() + 120
                while not client.post("/v1/search", json={"query": probe, "top_k": 1}).json()["results"]:
                    if time.monotonic() > deadline:
                        raise RuntimeError("seeded memories did not become searchable")
                    time.sleep(0.5)
            (work / "ids.txt").write_text("\n".join(ids) + "\n")
            scenario_env = {
                "API_KEY": key,
                "IDS_FILE": str(work / "ids.txt"),
                "QUERIES_FILE": str(work / "queries.txt"),
            }
            run_wrk(bare_port, "bare", {}, args.connections, 2, pids[bare_port])  # warm-up
            run_wrk(api_port, "get", scenario_env, args.connections, 2, pids[api_port])
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for query in queries:  # fill the search cache once, as steady traffic would
                    client.post("/v1/search", json={"query": query, "top_k": 10})
            # Rounds interleave the ceiling with the API, so drift on a shared machine hits both alike.
            # Writes run once, last: new memories would grow the corpus and reset the search cache.
            for _ in range(args.rounds):
                for label, scenario in SCENARIOS[:-1]:
                    port = bare_port if scenario == "bare" else api_port
                    runs[label].append(
                        run_wrk(port, scenario, scenario_env, args.connections, args.duration, pids[port])
                    )
            label, scenario = SCENARIOS[-1]
            runs[label].append(
                run_wrk(api_port, scenario, scenario_env, args.connections, args.duration, pids[api_port])
            )
    finally:
        for running in servers:
            running.destroy()  # type: ignore[attr-defined]
        shutil.rmtree(work, ignore_errors=True)

    rows = {label: median_row(results) for label, results in runs.items()}
    print(
        f"\nmemory API benchmark: backend={args.backend}, 1 uvicorn worker, wrk -t1 -c{args.connections} "
        f"-d{args.duration}s x {args.rounds} rounds (medians), {args.seed_memories} memories seeded, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'scenario':<24} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'CPU us/req':>10}"
    )
    for label, row in rows.items():
        print(
            f"{label:<24} {row['rps']:>9.0f} {row['p50']:>8.2f} {row['p95']:>8.2f} {row['p99']:>8.2f} "
            f"{int(row['errors']):>7} {row['cpu_us']:>10.0f}"
        )
    ratios = [
        get["rps"] / bare["rps"]
        for get, bare in zip(runs["GET /v1/memories/{id}"], runs["bare FastAPI GET"], strict=True)
    ]
    print(
        f"get-by-id / bare throughput: {statistics.median(ratios):.2f} (rounds: "
        f"{', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.5); search p95: "
        f"{rows['POST /v1/search']['p95']:.1f} ms cached, {rows['POST /v1/search uncached']['p95']:.1f} ms "
        "uncached (target < 50 ms)"
    )
    cpu_ratio = rows["bare FastAPI GET"]["cpu_us"] / rows["GET /v1/memories/{id}"]["cpu_us"]
    print(
        f"server CPU per request, bare / get-by-id: {cpu_ratio:.2f} (the throughput ratio a saturated "
        "core would give; less sensitive than throughput to other load)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
