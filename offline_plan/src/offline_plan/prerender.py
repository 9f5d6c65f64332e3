"""Helm releases rendered in a second process while the program is still running.

Rendering a release (load, values check, Helm's render, parsing the chart's CRDs and templates, and
dumping each object's manifest) needs only the release's record, which is complete when the program
registers it. `Prerenderer` hands each release to one worker process as soon as it is registered, so on
a machine with a spare core the charts render alongside the rest of the program. Until the first release
arrives (most programs register theirs late) the worker warms the cache's charts (`helm.warm`: the load,
the values model and the CRD parse, none of which depends on the values), so what is left is the render.

`helm_releases.plan_releases` takes a worker's result only where it is the result a render in the plan's own
process would give: the record (URN, name, inputs) it was rendered from equals the plan's final one, and
no object's kind is one the plan's own CRDs make cluster-scoped (the worker renders with the built-in
list). Otherwise, or when the worker failed, the release is rendered in place, as without a worker.
"""

from __future__ import annotations

import json
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True)
class Prerendered:
    """A worker's render of one release, and each object's manifest text (`helm.manifest_text`)."""

    release: Any  # helm.RenderedRelease
    texts: list[str]


def release_key(record: Mapping[str, Any]) -> str | None:
    """What a render depends on in a release's record, as JSON in the record's own key order (the order
    values are checked in); None when the inputs are not plain JSON data."""
    try:
        return json.dumps([record["urn"], record["name"], record["inputs"]], allow_nan=False)
    except (TypeError, ValueError):
        return None


class Prerenderer:
    """One worker process (`python -m offline_plan.prerender`) rendering releases as they are registered.

    Requests and results are pickled over the worker's stdin and stdout; a thread collects the results.
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self._futures: dict[str, Future[Prerendered | None]] = {}
        self.stopped: BaseException | None = None  # why the worker stopped answering
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "offline_plan.prerender"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._send(str(cache_dir) if cache_dir is not None else None)
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _send(self, message: Any) -> bool:
        try:
            assert self._process.stdin is not None
            pickle.dump(message, self._process.stdin)
            self._process.stdin.flush()
        except (OSError, ValueError):
            return False
        return True

    def _collect(self) -> None:
        assert self._process.stdout is not None
        try:
            while True:
                key, result = pickle.load(self._process.stdout)  # noqa: S301 (our own worker's pipe)
                with self._lock:
                    self._futures[key].set_result(result)
        except Exception as error:  # EOF, or a broken stream: the worker is of no more use
            self.stopped = error
        with self._lock:  # the worker is gone: what it did not answer renders in the plan's process
            for future in self._futures.values():
                if not future.done():
                    future.set_result(None)

    def submit(self, record: Mapping[str, Any]) -> None:
        """Start rendering a release record (a copy of it: the plan's record may still change)."""
        key = release_key(record)
        with self._lock:  # the SDK registers resources from several threads
            if key is None or key in self._futures or self._process.poll() is not None:
                return
            future = self._futures[key] = Future()
        # Not under `_lock`: the thread collecting results takes it while the worker may wait on us.
        with self._sending:
            sent = self._send(key)
        if not sent:
            with self._lock:
                if not future.done():
                    future.set_result(None)

    def result(self, record: Mapping[str, Any]) -> Prerendered | None:
        """The worker's render of exactly this record, or None (not submitted, changed, or failed)."""
        key = release_key(record)
        future = self._futures.get(key) if key is not None else None
        return future.result() if future is not None else None

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()
        self._reader.join()
        if self._process.stdout is not None:
            self._process.stdout.close()


def _warm_first(cache: Any) -> list[Any]:
    """The cache's verified charts (`ChartArchive`), largest archive first: what the worker warms while
    it waits for the program's first release (`helm.warm`), the one that saves most first."""
    from offline_plan.charts import ChartArchive  # noqa: PLC0415

    archives = [cache.locate(name, version, None) for name, version in cache.charts()]
    found = [archive for archive in archives if isinstance(archive, ChartArchive)]
    return sorted(found, key=lambda archive: -archive.path.stat().st_size)


def _serve(requests: IO[bytes], results: IO[bytes]) -> None:
    """The worker: the chart cache folder, then release keys; answers (key, Prerendered or None).

    Until a key arrives it warms the cache's charts, one at a time; a key waiting is served first.
    """
    from offline_plan import helm  # noqa: PLC0415 (the worker's imports, not the plan's)
    from offline_plan.charts import ChartCache  # noqa: PLC0415
    from offline_plan.prerender import Prerendered as Result  # noqa: PLC0415 (not __main__'s class)

    cache_dir = pickle.load(requests)  # noqa: S301 (the plan's process, through our pipe)
    cache = ChartCache(Path(cache_dir)) if cache_dir is not None else None
    keys: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        while True:
            try:
                keys.put(pickle.load(requests))  # noqa: S301
            except EOFError:
                keys.put(None)
                return

    threading.Thread(target=read, daemon=True).start()
    to_warm = _warm_first(cache) if cache is not None else []
    while True:
        try:
            key = keys.get_nowait() if to_warm else keys.get()
        except queue.Empty:
            helm.warm(to_warm.pop(0))
            continue
        if key is None:
            return
        urn, name, inputs = json.loads(key)
        result: Prerendered | None
        try:
            rendered = helm.render({"urn": urn, "name": name, "inputs": inputs}, cache)
            result = Result(rendered, [helm.manifest_text(body) for body in rendered.objects])
        except Exception:  # the plan's process renders it again and reports what went wrong
            result = None
        pickle.dump((key, result), results)
        results.flush()


if __name__ == "__main__":
    from offline_plan import gc_tuning

    gc_tuning.tune()
    _serve(sys.stdin.buffer, sys.stdout.buffer)
    gc_tuning.before_exit()  # the plan's process waits for this one to exit
