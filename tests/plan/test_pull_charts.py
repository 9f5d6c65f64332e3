"""`make charts` pulls each pinned chart over HTTP from its repository and indexes the cache it writes."""

from __future__ import annotations

import functools
import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import helm_python
import pytest

from offline_plan.charts import ChartCache, PinProblem

ROOT = Path(__file__).resolve().parents[2]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pull_charts", ROOT / "scripts" / "pull_charts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[str]:
    """A chart repository served over HTTP on localhost, holding chart `web` 1.0.0."""
    source = tmp_path / "src" / "web"
    (source / "templates").mkdir(parents=True)
    (source / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    served = tmp_path / "served"
    served.mkdir()
    helm_python.package(source, destination=served)
    helm_python.repo_index_generate(served)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()


def test_every_platform_pin_is_pulled_from_its_own_repository() -> None:
    pins = load_script().pins()
    names = {name for name, _version, _repository in pins}
    assert {"kube-prometheus-stack", "loki", "alloy", "aws-load-balancer-controller"} <= names
    assert all(repository.startswith(("https://", "oci://")) for _name, _version, repository in pins)


def test_pulled_charts_form_a_cache_the_plan_verifies(
    repository: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = load_script()
    monkeypatch.setattr(script, "pins", lambda: [("web", "1.0.0", repository)])
    destination = tmp_path / "cache"

    assert script.main(["--dest", str(destination)]) == 0

    located = ChartCache(destination).locate("web", "1.0.0", repository)
    assert not isinstance(located, PinProblem), located
    assert located.path == destination / "web-1.0.0.tgz"
