"""Runs a Pulumi Python program under the SDK's mock runtime, exactly as the language host would.

`pulumi-language-python-exec` sets the config, configures the runtime, changes into the project
folder and calls `runtime.run_in_stack(lambda: runpy.run_path(main, run_name="__main__"))`. This
module does the same with a resource monitor that records every registration: type, name, URN,
parent, provider, dependencies, inputs (secrets redacted) and resource options.
"""

from __future__ import annotations

import asyncio
import logging
import os
import runpy
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack

from offline_plan import kube_yaml
from offline_plan.mocks import PlanMocks, short_hash
from offline_plan.project import StackSettings

REDACTED = "[secret]"
UNKNOWN = "[unknown]"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - the SDK's secret signature
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_ASSET_SIGS = {"c44067f5952c0a294b673a41bacd8c17": "asset", "0def7320c3a5731c473e5ecbe6d01bc7": "archive"}
_HARNESS_DIR = Path(__file__).resolve().parent
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass
class Plan:
    """What a program would register, in registration order (which varies with the order Outputs resolve).

    Writers of plan files sort what they take from `resources`; `invokes` and `warnings` are sorted here.
    """

    project: str
    stack: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class ProgramError(Exception):
    """The program failed; `message` is the program's own error, without the harness's frames."""


def plain(value: Any) -> Any:
    """A registration's protobuf-JSON value with secrets redacted and special values made readable."""
    if isinstance(value, dict):
        signature = value.get(_SIG_KEY)
        if signature == _SECRET_SIG:
            return REDACTED
        if signature == _RESOURCE_SIG:
            return value.get("urn")
        if signature == _OUTPUT_SIG:
            if value.get("secret"):
                return REDACTED
            return plain(value["value"]) if "value" in value else UNKNOWN
        if signature in _ASSET_SIGS:
            return {_ASSET_SIGS[signature]: {k: v for k, v in value.items() if k != _SIG_KEY}}
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if value == _UNKNOWN_VALUE:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf numbers are doubles; the engine shows whole numbers as integers
    return value


class RecordingMonitor(runtime_mocks.MockMonitor):
    """A mock resource monitor that also keeps the engine's view of every registration."""

    def __init__(
        self, mocks: PlanMocks, plan: Plan, config: dict[str, str], on_register: Callable[[int], None]
    ):
        super().__init__(mocks)
        self._plan_mocks = mocks
        self.plan = plan
        self._config = config
        self._on_register = on_register
        self._by_urn: dict[str, dict[str, Any]] = {}
        self._default_providers: dict[str, str] = {}

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
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self._record(request, response.urn, custom=False, provider="", inputs={})
            return response
        is_provider = request.type.startswith("pulumi:providers:")
        provider = request.provider or (
            self._default_provider(request) if request.custom and not is_provider else ""
        )
        self._record(
            request,
            response.urn,
            custom=bool(request.custom),
            provider=provider,
            inputs=None,
            id_=response.id,
        )
        if request.remote:
            outputs = kube_yaml.expand_component(
                self, request, response.urn, json_format.MessageToDict(request.object)
            )
            if outputs is not None:
                return resource_pb2.RegisterResourceResponse(
                    urn=response.urn, object=json_format.ParseDict(outputs, struct_pb2.Struct())
                )
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
        self.plan.invokes[request.tok] = self.plan.invokes.get(request.tok, 0) + 1
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


@contextmanager
def _program_context(settings: StackSettings) -> Iterator[None]:
    """The process state the language host sets up: working directory, argv and import path."""
    saved_cwd, saved_argv, saved_path = os.getcwd(), sys.argv[:], sys.path[:]
    os.chdir(settings.project_dir)
    sys.argv = [str(settings.main)]
    sys.path.insert(0, str(settings.project_dir))
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.argv, sys.path[:] = saved_argv, saved_path


def run_program(settings: StackSettings, on_register: Callable[[int], None] = lambda _: None) -> Plan:
    """Run the program of `settings` once under mocks and return what it registered."""
    plan = Plan(project=settings.project, stack=settings.stack)
    mocks = PlanMocks(settings.config)
    monitor = RecordingMonitor(mocks, plan, settings.config, on_register)
    mocks.provider_region = monitor.provider_region

    runtime_settings.ROOT.set(None)
    set_all_config(dict(settings.config), list(settings.secret_keys))
    runtime_settings.configure(
        runtime_mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=runtime_mocks.MockEngine(logging.getLogger("offline_plan.engine")),
            project=settings.project,
            stack=settings.stack,
            root_directory=str(settings.project_dir),
            dry_run=False,
            organization="organization",
            callbacks=None,
            parallel=1,
        )
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    def program() -> None:
        runpy.run_path(str(settings.main), run_name="__main__")

    try:
        with _program_context(settings), kube_yaml.offline_sdk(mocks.warnings):
            loop.run_until_complete(run_in_stack(program))
    except pulumi.RunError as error:
        raise ProgramError(str(error)) from None
    except Exception as error:
        raise ProgramError(_program_traceback(error, settings)) from None
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.ROOT.set(None)
    plan.invokes = dict(sorted(plan.invokes.items()))
    plan.warnings.extend(sorted(mocks.warnings))
    return plan


def _program_traceback(error: BaseException, settings: StackSettings) -> str:
    """The exception message, preceded by the frames that belong to the program's own files."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith("<")
        and Path(frame.filename).resolve().is_relative_to(settings.project_dir)
        and not Path(frame.filename).resolve().is_relative_to(_HARNESS_DIR)
        and ".venv" not in Path(frame.filename).parts
    ]
    lines = [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames[-3:]]
    message = f"{type(error).__name__}: {error}"
    if type(error).__name__ == "StackConfigError":
        return str(error)
    return "\n".join([*lines, message]) if lines else message
