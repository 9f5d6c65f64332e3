"""Multi-language (remote) components: registered with `remote=True`, built by their provider plugin.

`pulumi_eks.Cluster`, `awsx.ec2.Vpc`, `kubernetes.yaml.v2.ConfigGroup`, `kubernetes.helm.v4.Chart` and
the like are constructed by their plugin's `Construct`, which registers their children. No plugin runs
offline, so by default such a component is recorded on its own with a warning, and its outputs are
left unknown (never its inputs echoed back, which would invent values the plugin never returned).

An expander for one type token can plan what the plugin would have built: add it to `EXPANDERS`, or
for one run with `expanding` (the CLI adds `helm_v4`'s, which needs the chart cache, that way).
It gets the monitor and the request, may record children with `monitor.record_registration`, and
returns the component's outputs (a dict of plain values) and its warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2

from offline_plan import kube_yaml


class Monitor(Protocol):
    plan: Any
    resources: dict[str, MockMonitor.ResourceRegistration]

    def make_urn(self, parent: str, type_: str, name: str) -> str: ...

    def record_registration(
        self, request: Any, urn: str, *, custom: bool, provider: str, inputs: Any, id_: str = ""
    ) -> dict[str, Any]: ...


Expander = Callable[[Any, Any, str], tuple[dict[str, Any], list[str]]]


def _kubernetes_yaml(monitor: Any, request: Any, urn: str) -> tuple[dict[str, Any], list[str]]:
    """kubernetes:yaml/v2 and kustomize/v2 components: their objects, as `kube_yaml` expands them."""
    outputs = kube_yaml.expand_component(monitor, request, urn, json_format.MessageToDict(request.object))
    return outputs or {}, []  # kube_yaml warns through the monitor itself


EXPANDERS: dict[str, Expander] = dict.fromkeys(kube_yaml.REMOTE_TYPES, _kubernetes_yaml)


@contextmanager
def expanding(extra: Mapping[str, Expander]) -> Iterator[None]:
    """More expanders for one run (e.g. `helm_v4`'s, which needs the chart cache), removed after it."""
    saved = dict(EXPANDERS)
    EXPANDERS.update(extra)
    try:
        yield
    finally:
        EXPANDERS.clear()
        EXPANDERS.update(saved)


def unplanned(_monitor: Any, request: Any, urn: str) -> tuple[dict[str, Any], list[str]]:
    """No expander: the component alone, outputs unknown."""
    return {}, [
        f"{urn}: {request.type} is a multi-language component; its children are built by the "
        f"{request.type.split(':', 1)[0]} provider plugin, which cannot run offline, so they are not "
        "planned, not validated and not policy-checked, and its outputs are unknown"
    ]


def register(monitor: Monitor, request: Any) -> Any:
    """Answer a remote RegisterResource: record it, expand it where an expander exists."""
    urn = monitor.make_urn(request.parent, request.type, request.name)
    record = monitor.record_registration(request, urn, custom=False, provider=request.provider, inputs=None)
    record["remote"] = True
    expander: Expander = EXPANDERS.get(request.type) or unplanned
    outputs, warnings = expander(monitor, request, urn)
    monitor.plan.warnings.extend(warnings)
    monitor.resources[urn] = MockMonitor.ResourceRegistration(urn, "", outputs)
    # Outputs are protobuf JSON (an expander's resource references keep their signature keys).
    return resource_pb2.RegisterResourceResponse(
        urn=urn,
        object=json_format.ParseDict(outputs, struct_pb2.Struct()),
    )
