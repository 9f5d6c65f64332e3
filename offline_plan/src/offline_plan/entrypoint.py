"""What it takes to start a rendered container outside Kubernetes: command, args, env, ports, probes.

`container_entrypoint(manifest)` reads a Deployment (or StatefulSet) manifest from the offline plan.
Literal env values are resolved; values Kubernetes would inject (`secretKeyRef`, `configMapKeyRef`,
`fieldRef`, ...) are reported in `references`, so a local run can supply them itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entrypoint:
    container: str
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str]
    references: dict[str, dict[str, Any]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    probe_paths: dict[str, str] = field(default_factory=dict)

    @property
    def argv(self) -> list[str]:
        return [*self.command, *self.args]


def container_entrypoint(manifest: dict[str, Any], container: str | None = None) -> Entrypoint:
    """The entry point of `container` (default: the first) of a workload manifest."""
    containers = manifest["spec"]["template"]["spec"]["containers"]
    chosen = next((c for c in containers if container in {None, c["name"]}), None)
    if chosen is None:
        names = ", ".join(c["name"] for c in containers)
        raise KeyError(f"no container {container!r} in {manifest['metadata']['name']}; it has: {names}")
    env: dict[str, str] = {}
    references: dict[str, dict[str, Any]] = {}
    for variable in chosen.get("env") or []:
        if "valueFrom" in variable:
            references[variable["name"]] = variable["valueFrom"]
        else:
            env[variable["name"]] = str(variable.get("value", ""))
    ports = {
        port.get("name", str(int(port["containerPort"]))): int(port["containerPort"])
        for port in chosen.get("ports") or []
    }
    probe_paths = {
        kind.removesuffix("Probe"): chosen[kind]["httpGet"]["path"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
        if "httpGet" in chosen.get(kind, {})
    }
    return Entrypoint(
        container=chosen["name"],
        image=chosen["image"],
        command=[str(part) for part in chosen.get("command") or []],
        args=[str(part) for part in chosen.get("args") or []],
        env=env,
        references=references,
        ports=ports,
        probe_paths=probe_paths,
    )
