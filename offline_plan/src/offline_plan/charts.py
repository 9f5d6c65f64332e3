"""A chart cache: a directory laid out as a Helm repository (`index.yaml` plus one `.tgz` per chart).

`ChartCache.locate(name, version, repository)` finds the archive a release pins, and verifies it: the
version must be exact and present in `index.yaml`, the archive's sha256 must equal the index's digest,
and where the cache ships a `provenance.json` (the chart's source commit, digest and upstream
repository) the digest and the repository must match that too. Anything the cache cannot verify is a
`PinProblem`; the caller decides whether it is an error (in CI) or a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


class ChartCacheError(Exception):
    """The cache directory is not a Helm repository directory; the message says what is missing."""


@dataclass(frozen=True)
class ChartArchive:
    """A verified chart archive: `path` hashes to `digest`, as the index (and provenance) says."""

    name: str
    version: str
    path: Path
    digest: str
    source: str | None = None  # "<repository>@<commit>" from provenance.json, where the cache has one


@dataclass(frozen=True)
class PinProblem:
    """Why a release's chart pin cannot be verified against the cache."""

    chart: str
    version: str
    reason: str

    def __str__(self) -> str:
        return f"chart {self.chart} {self.version or '(no version)'}: {self.reason}"


def strict_pins(cache: ChartCache | None) -> bool:
    """Pins a given cache cannot verify are errors in CI (`CI=true`, as GitHub Actions and most runners
    set it). Without a cache (no `--charts`) nothing was asked to be verified: releases are left
    unrendered with a warning, in CI too."""
    return cache is not None and os.environ.get("CI", "").strip().lower() == "true"


def _same_repository(left: str, right: str) -> bool:
    return left.rstrip("/").lower() == right.rstrip("/").lower()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ChartCache:
    """The charts of one Helm repository directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        index_file = self.directory / "index.yaml"
        if not index_file.is_file():
            raise ChartCacheError(
                f"{self.directory}: no index.yaml; --charts must name a Helm repository directory "
                "(index.yaml plus the chart .tgz files; `make charts` writes one)"
            )
        try:
            index = yaml.safe_load(index_file.read_text())
        except yaml.YAMLError as error:
            raise ChartCacheError(f"{index_file}: not valid YAML: {error}") from None
        entries = index.get("entries") if isinstance(index, dict) else None
        if not isinstance(entries, dict):
            raise ChartCacheError(f"{index_file}: has no 'entries' mapping; is it a Helm repository index?")
        self._entries: dict[str, list[dict[str, Any]]] = entries
        provenance_file = self.directory / "provenance.json"
        self._provenance: dict[str, dict[str, Any]] = {}
        if provenance_file.is_file():
            self._provenance = json.loads(provenance_file.read_text()).get("charts") or {}
        self._verified: dict[tuple[str, str], str] = {}

    def charts(self) -> list[tuple[str, str]]:
        """Every (chart, version) the index lists."""
        return [
            (name, str(entry.get("version"))) for name, listed in self._entries.items() for entry in listed
        ]

    def versions(self, name: str) -> list[str]:
        return [str(entry.get("version")) for entry in self._entries.get(name) or []]

    def locate(self, name: str, version: str | None, repository: str | None) -> ChartArchive | PinProblem:
        """The verified archive of `name` at exactly `version` from `repository`, or why there is none."""
        version = str(version or "")
        if not version:
            return PinProblem(name, version, "the release pins no version; pin one exact version")
        if not EXACT_VERSION.match(version):
            return PinProblem(name, version, "is a version range, not one exact version; pin one")
        if name not in self._entries:
            return PinProblem(name, version, f"is not in the chart cache {self.directory}")
        entry = next((e for e in self._entries[name] if str(e.get("version")) == version), None)
        if entry is None:
            cached = ", ".join(self.versions(name))
            return PinProblem(
                name, version, f"is not in the chart cache {self.directory}, which has {name} {cached}"
            )
        urls = entry.get("urls") or []
        if not urls:
            return PinProblem(name, version, "the index entry has no archive URL")
        path = self.directory / str(urls[0]).rsplit("/", 1)[-1]
        if not path.is_file():
            return PinProblem(name, version, f"the index names {path.name}, which the cache does not hold")
        expected = str(entry.get("digest") or "").removeprefix("sha256:")
        if not expected:
            return PinProblem(name, version, "the index entry carries no digest to verify the archive with")
        actual = self._verified.get((name, version)) or sha256_of(path)
        if actual != expected:
            return PinProblem(
                name, version, f"{path.name} has sha256 {actual}, but the index says {expected}"
            )
        self._verified[(name, version)] = actual
        provenance = self._provenance.get(f"{name}-{version}")
        source = None
        if provenance is not None:
            recorded = str(provenance.get("digest") or "").removeprefix("sha256:")
            if recorded and recorded != actual:
                return PinProblem(
                    name, version, f"{path.name} has sha256 {actual}, but provenance.json says {recorded}"
                )
            upstream = provenance.get("upstreamRepository")
            if repository and upstream and not _same_repository(repository, str(upstream)):
                return PinProblem(
                    name,
                    version,
                    f"the release installs it from {repository}, but the cached chart is {upstream}'s",
                )
            if provenance.get("repository"):
                source = f"{provenance['repository']}@{provenance.get('commit', '?')}"
        return ChartArchive(name, version, path, f"sha256:{actual}", source)
