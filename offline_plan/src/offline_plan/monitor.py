"""The recording resource monitor and engine: the engine's view of every registration, secrets redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import engine_pb2

from offline_plan import remote
from offline_plan.mocks import PlanMocks, short_hash
from offline_plan.recording import _SECRET_SIG, _SIG_KEY, Recording, plain


class RecordingMonitor(runtime_mocks.MockMonitor):
    """A mock resource monitor that also keeps the engine's view of every registration."""

    def __init__(
        self,
        mocks: PlanMocks,
        plan: Recording,
        config: dict[str, str],
        on_register: Callable[[int], None],
        on_record: Callable[[dict[str, Any]], None] | None = None,
    ):
        super().__init__(mocks)
        self._plan_mocks = mocks
        self.plan = plan
        self._config = config
        self._on_register = on_register
        self._on_record = on_record
        self._by_urn: dict[str, dict[str, Any]] = {}
        self._default_providers: dict[str, str] = {}
        # The SDK unwraps secret invoke arguments before they reach the monitor; `_secret_invoke_args`
        # keeps their redacted form, by the plain arguments' content.
        self.secret_invoke_args: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them: the parent's full qualified type, the root stack's left out."""
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{self.plan.stack}::{self.plan.project}::{qualified}::{name}"

    def provider_region(self, reference: str) -> str | None:
        record = self._by_urn.get(reference.rsplit("::", 1)[0]) if reference else None
        region = (record or {}).get("inputs", {}).get("region")
        return region if isinstance(region, str) else None

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.remote:
            return remote.register(self, request)
        response = super().RegisterResource(request)
        _mark_secret_outputs(response, list(getattr(request, "additionalSecretOutputs", [])))
        if request.type == "pulumi:pulumi:Stack":
            self._record(request, response.urn, custom=False, provider="", inputs={})
            return response
        is_provider = request.type.startswith("pulumi:providers:")
        provider = request.provider or (
            self._default_provider(request) if request.custom and not is_provider else ""
        )
        record = self._record(
            request,
            response.urn,
            custom=bool(request.custom),
            provider=provider,
            inputs=None,
            id_=response.id,
        )
        if request.custom and request.type.startswith("kubernetes:"):
            _record_autoname(record, response)
        if self._on_record is not None:
            self._on_record(record)
        return response

    # -- what kube_yaml needs to register a v2 yaml/kustomize component's children -----------------------
    def provider_inputs(self, reference: str) -> dict[str, Any]:
        record = self._by_urn.get(reference.rsplit("::", 1)[0]) if reference else None
        return dict((record or {}).get("inputs") or {})

    def config_value(self, key: str) -> str | None:
        return self._config.get(key)

    def kubernetes_provider(self, request: Any) -> str:
        explicit = request.providers.get("kubernetes") or (
            request.provider if ":pulumi:providers:kubernetes::" in request.provider else ""
        )
        return explicit or self._default_provider(
            SimpleNamespace(type="kubernetes:", version=request.version)
        )

    def warn(self, message: str) -> None:
        self._plan_mocks.warnings.append(message)

    def register_child(
        self,
        parent: str,
        type_: str,
        name: str,
        body: dict[str, Any],
        *,
        recorded: dict[str, Any],
        provider: str,
        dependencies: list[str],
    ) -> tuple[str, str]:
        """Register and record one child of a component the way the provider's Construct would."""
        urn = self.make_urn(parent, type_, name)
        id_, state = self.mocks.new_resource(
            runtime_mocks.MockResourceArgs(
                typ=type_, name=name, inputs=body, provider=provider, resource_id="", custom=True
            )
        )
        self.resources[urn] = runtime_mocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        lists = ("ignoreChanges", "additionalSecretOutputs", "replaceOnChanges", "aliases")
        options: dict[str, Any] = {key: [] for key in lists}
        options |= {"protect": False, "deleteBeforeReplace": False, "retainOnDelete": False}
        self._append(
            {
                "urn": urn,
                "type": type_,
                "name": name,
                "id": id_ or "",
                "custom": True,
                "parent": parent,
                "provider": provider,
                "dependencies": sorted(dependencies),
                "propertyDependencies": {},
                "inputs": recorded,
                "options": options,
            }
        )
        return urn, id_ or ""

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        response = super().ReadResource(request)
        record = self._record(request, response.urn, custom=True, provider=request.provider, inputs=None)
        record["read"] = True
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        outputs = plain(json_format.MessageToDict(request.outputs))
        record = self._by_urn.get(request.urn)
        if record is not None and record["type"] == "pulumi:pulumi:Stack":
            self.plan.outputs = outputs
        elif record is not None:
            record["outputs"] = outputs
        return super().RegisterResourceOutputs(request)

    def Invoke(self, request: Any) -> Any:  # noqa: N802
        if request.tok != "pulumi:pulumi:getResource":  # the SDK's own lookup of a registered resource
            args = self.secret_invoke_args.get(_struct_key(request.args))
            if args is None:
                args = plain(json_format.MessageToDict(request.args))
            invoke = {"token": request.tok, "args": args}
            if request.provider:
                invoke["provider"] = request.provider.rsplit("::", 1)[0]
            self.plan.invokes.append(invoke)
        return super().Invoke(request)

    def _default_provider(self, request: Any) -> str:
        package = request.type.split(":", 1)[0]
        if package not in self._default_providers:
            version = request.version or "unversioned"
            name = f"default_{version.replace('.', '_')}"
            urn = f"urn:pulumi:{self.plan.stack}::{self.plan.project}::pulumi:providers:{package}::{name}"
            inputs = {
                key.split(":", 1)[1]: value
                for key, value in self._config.items()
                if key.startswith(f"{package}:")
            }
            self._append(
                {
                    "urn": urn,
                    "type": f"pulumi:providers:{package}",
                    "name": name,
                    "id": short_hash(urn),
                    "custom": True,
                    "parent": None,
                    "provider": "",
                    "dependencies": [],
                    "propertyDependencies": {},
                    "inputs": {**inputs, "version": version},
                    "options": {"default": True},
                }
            )
            self._default_providers[package] = f"{urn}::{short_hash(urn)}"
        return self._default_providers[package]

    def record_registration(
        self, request: Any, urn: str, *, custom: bool, provider: str, inputs: Any, id_: str = ""
    ) -> dict[str, Any]:
        """Record a registration the monitor answered itself (see `remote`)."""
        return self._record(request, urn, custom=custom, provider=provider, inputs=inputs, id_=id_)

    def _record(
        self, request: Any, urn: str, *, custom: bool, provider: str, inputs: Any, id_: str = ""
    ) -> dict[str, Any]:
        message = request.object if hasattr(request, "object") else request.properties
        options = {
            "protect": getattr(request, "protect", False),
            "ignoreChanges": list(getattr(request, "ignoreChanges", [])),
            "deleteBeforeReplace": getattr(request, "deleteBeforeReplace", False),
            "retainOnDelete": getattr(request, "retainOnDelete", False),
            "additionalSecretOutputs": list(getattr(request, "additionalSecretOutputs", [])),
            "replaceOnChanges": list(getattr(request, "replaceOnChanges", [])),
            "aliases": [json_format.MessageToDict(alias) for alias in getattr(request, "aliases", [])],
        }
        if request.HasField("customTimeouts") if hasattr(request, "customTimeouts") else False:
            options["customTimeouts"] = json_format.MessageToDict(request.customTimeouts)
        record = {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "id": id_,
            "custom": custom,
            "parent": request.parent or None,
            "provider": provider,
            "dependencies": sorted(getattr(request, "dependencies", [])),
            "propertyDependencies": {
                key: sorted(value.urns)
                for key, value in sorted(getattr(request, "propertyDependencies", {}).items())
            },
            "inputs": inputs if inputs is not None else plain(json_format.MessageToDict(message)),
            "options": options,
        }
        if request.type == "pulumi:pulumi:Stack":
            record["parent"] = None
        self._append(record)
        return record

    def _append(self, record: dict[str, Any]) -> None:
        self._by_urn[record["urn"]] = record
        self.plan.resources.append(record)
        self._on_register(len(self.plan.resources))


def _record_autoname(record: dict[str, Any], response: Any) -> None:
    """A Kubernetes object without `metadata.name` gets the name the engine (here: the mocks) gave it."""
    metadata = record["inputs"].get("metadata")
    if "kind" not in record["inputs"] or (isinstance(metadata, dict) and metadata.get("name")):
        return  # not an API object (a Helm release), or named by the program
    state = plain(json_format.MessageToDict(response.object))
    name = (state.get("metadata") or {}).get("name") if isinstance(state, dict) else None
    if isinstance(name, str):
        record["autoname"] = name


def _struct_key(struct: Any) -> str:
    return json.dumps(json_format.MessageToDict(struct), sort_keys=True)


@contextmanager
def _secret_invoke_args(monitor: RecordingMonitor) -> Iterator[None]:
    """Keep the redacted form of invoke arguments whose secrets the SDK unwraps before the monitor.

    `pulumi.runtime.invoke` calls `rpc._unwrap_rpc_secret_struct_properties(inputs)` and sends the
    plain result; this wraps that call for the program's run (test_invokes_recorded.py pins it).
    """
    original = getattr(rpc, "_unwrap_rpc_secret_struct_properties", None)
    if original is None:
        yield
        return

    depth = [0]

    def unwrap(value: Any) -> tuple[Any, bool]:
        depth[0] += 1  # the SDK's function recurses through this name; only the top level is an invoke
        try:
            unwrapped, contains_secrets = original(value)
        finally:
            depth[0] -= 1
        if depth[0] == 0 and contains_secrets and isinstance(unwrapped, struct_pb2.Struct):
            monitor.secret_invoke_args[_struct_key(unwrapped)] = plain(json_format.MessageToDict(value))
        return unwrapped, contains_secrets

    rpc._unwrap_rpc_secret_struct_properties = unwrap
    try:
        yield
    finally:
        rpc._unwrap_rpc_secret_struct_properties = original


class _RecordingEngine(runtime_mocks.MockEngine):
    """The engine's log: errors the SDK reports about one resource carry its URN."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("offline_plan.engine"))
        self.errors: list[tuple[str, str]] = []

    def Log(self, request: Any) -> None:  # noqa: N802
        if request.severity == engine_pb2.ERROR:
            self.errors.append((request.urn, request.message))
        super().Log(request)


def _mark_secret_outputs(response: Any, names: list[str]) -> None:
    """Mark the outputs a resource lists in `additionalSecretOutputs` secret, as the engine does.

    The SDK's mock monitor returns the mocks' state as plain values, so without this a RandomPassword's
    `result` would reach the program unmarked and flow into the plan wherever the program used it.
    """
    if not names or not response.HasField("object"):
        return
    state = json_format.MessageToDict(response.object)
    secret = {
        key: {_SIG_KEY: _SECRET_SIG, "value": value} if key in names else value
        for key, value in state.items()
    }
    if secret != state:
        response.object.Clear()
        response.object.update(secret)
