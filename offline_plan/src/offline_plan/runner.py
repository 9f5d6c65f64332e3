"""Runs a Pulumi Python program under the SDK's mock runtime, exactly as the language host would.

`pulumi-language-python-exec` sets the config, configures the runtime, changes into the project
folder and calls `runtime.run_in_stack(lambda: runpy.run_path(main, run_name="__main__"))`. This
module does the same with a resource monitor that records every registration: type, name, URN,
parent, provider, dependencies, inputs (secrets redacted) and resource options, and every invoke.

It plans as `pulumi preview` does (`dry_run=True`): what the mocks do not answer is unknown and is
recorded as "[unknown]". `run_program(..., preview=False)` plans as `pulumi up` would instead, with
unanswered values a known None, for tests that assert applied values.

This module, `mocks`, `references`, `remote` and `settings` import only the Pulumi SDK, protobuf and
the standard library, so `worker` can run them under the program's own interpreter.
"""

from __future__ import annotations

import asyncio
import json
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
from typing import TYPE_CHECKING, Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import engine_pb2
from pulumi.runtime.stack import run_in_stack

from offline_plan import kube_yaml, remote
from offline_plan.aws_answers import redact_values
from offline_plan.mocks import PlanMocks, short_hash
from offline_plan.settings import StackSettings

if TYPE_CHECKING:
    from offline_plan.document import PlanDocument

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
class Recording:
    """What the monitor recorded, untyped, in registration order (which varies as Outputs resolve).

    The typed form is `offline_plan.document.PlanDocument` (`run_program` returns one); this plain
    form exists because the worker runs under the program's own interpreter, which has the Pulumi SDK
    but not pydantic. `invokes` holds one `{"token", "args"}` record per invoke (secrets redacted).
    """

    project: str
    stack: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    preview: bool = True

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recording:
        return cls(**data)


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


class _ProgramExit(Exception):  # noqa: N818 - carries SystemExit out of the SDK's Exception handlers
    def __init__(self, code: object, traceback_: Any) -> None:
        super().__init__(code)
        self.code = code
        self.program_traceback = traceback_


class _RecordingEngine(runtime_mocks.MockEngine):
    """The engine's log: errors the SDK reports about one resource carry its URN."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("offline_plan.engine"))
        self.errors: list[tuple[str, str]] = []

    def Log(self, request: Any) -> None:  # noqa: N802
        if request.severity == engine_pb2.ERROR:
            self.errors.append((request.urn, request.message))
        super().Log(request)


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


def run_program(
    settings: StackSettings,
    on_register: Callable[[int], None] = lambda _: None,
    *,
    preview: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> PlanDocument:
    """Run the program of `settings` once under mocks and return its typed plan.

    `preview=True` (the default) plans as `pulumi preview`; `preview=False` as `pulumi up`.
    `on_record` sees each resource's record once the monitor has answered its registration.
    """
    from offline_plan.document import PlanDocument  # noqa: PLC0415 - pydantic: not in the worker's env

    recording = record_program(settings, on_register, preview=preview, on_record=on_record)
    return PlanDocument.from_recording(recording.to_json())


def record_program(
    settings: StackSettings,
    on_register: Callable[[int], None] = lambda _: None,
    *,
    preview: bool = True,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> Recording:
    """Run the program of `settings` once under mocks and return what the monitor recorded."""
    plan = Recording(project=settings.project, stack=settings.stack, preview=preview)
    mocks = PlanMocks(settings.config)
    mocks.stack_outputs = settings.stack_outputs
    monitor = RecordingMonitor(mocks, plan, settings.config, on_register, on_record)
    mocks.provider_region = monitor.provider_region
    engine = _RecordingEngine()

    runtime_settings.ROOT.set(None)
    runtime_settings.SETTINGS.outputs.clear()  # a failed run before this one leaves its pending Outputs
    set_all_config(dict(settings.config), list(settings.secret_keys))
    runtime_settings.configure(
        runtime_mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=engine,
            project=settings.project,
            stack=settings.stack,
            root_directory=str(settings.project_dir),
            dry_run=preview,
            organization="organization",
            callbacks=None,
            parallel=1,
        )
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    early_exit: list[str] = []

    def program() -> None:
        try:
            runpy.run_path(str(settings.main), run_name="__main__")
        except SystemExit as exit_:
            if exit_.code in (0, None):
                early_exit.append("the program called sys.exit(0); what it registered before is planned")
                return
            raise _ProgramExit(exit_.code, exit_.__traceback__) from None

    try:
        with _program_context(settings), _secret_invoke_args(monitor), kube_yaml.offline_sdk(mocks.warnings):
            loop.run_until_complete(run_in_stack(program))
    except pulumi.RunError as error:
        raise ProgramError(_with_resource(str(error), engine)) from None
    except _ProgramExit as exit_:
        raise ProgramError(_exit_message(exit_, settings)) from None
    except Exception as error:
        error = _wrapping_error(error, loop)
        raise ProgramError(_with_resource(_program_traceback(error, settings), engine)) from None
    finally:
        _cancel_pending(loop)
        loop.close()
        asyncio.set_event_loop(None)
        runtime_settings.ROOT.set(None)
    plan.invokes.sort(key=lambda invoke: (invoke["token"], json.dumps(invoke["args"], sort_keys=True)))
    plan.warnings.extend(sorted([*mocks.warnings, *early_exit]))
    # A plain (non-output) invoke drops the secret mark of its result: redact what the mocks handed out.
    for name, value in vars(plan).items():
        setattr(plan, name, redact_values(value, mocks.secret_values, REDACTED))
    return plan


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and all(cause is not seen for seen in chain):
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def _wrapping_error(error: Exception, loop: asyncio.AbstractEventLoop) -> Exception:
    """The same error as the SDK reports it for the resource it broke, where that comes shortly after.

    A failing apply callback fails both its Output and the registration that awaits it; which of
    the two reaches the runner first varies. The registration's error names the resource and keeps
    the program's frames, so let the pending work finish briefly and prefer it.
    """
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=2))
    candidates: list[BaseException | None] = [
        getattr(getattr(runtime_settings.SETTINGS, "rpc_manager", None), "unhandled_exception", None)
    ]
    candidates += [
        task.exception()
        for task in [*runtime_settings.SETTINGS.outputs, *pending]
        if task.done() and not task.cancelled()
    ]
    for wrapped in candidates:
        if (
            isinstance(wrapped, Exception)
            and wrapped is not error
            and any(cause is error for cause in _chain(wrapped))
        ):
            return wrapped
    return error


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """A failed program leaves Outputs pending; end them on their loop so the next run starts clean."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    pending += [task for task in runtime_settings.SETTINGS.outputs if not task.done() and task not in pending]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    runtime_settings.SETTINGS.outputs.clear()


def _exit_message(exit_: _ProgramExit, settings: StackSettings) -> str:
    frames = _program_frames(exit_.program_traceback, settings)
    code = exit_.code
    message = f"the program called sys.exit({code})" if isinstance(code, int) else str(code)
    return "\n".join([*frames, message])


def _with_resource(message: str, engine: _RecordingEngine) -> str:
    """Name the resource the SDK reported an error about, where it did."""
    for urn, logged in engine.errors:
        if urn and urn not in message:
            return f"{message}\n(while registering {urn}: {logged.splitlines()[0] if logged else ''})"
    return message


def _program_frames(tb: Any, settings: StackSettings) -> list[str]:
    frames = [
        frame
        for frame in traceback.extract_tb(tb)
        if not frame.filename.startswith("<")
        and Path(frame.filename).resolve().is_relative_to(settings.project_dir)
        and not Path(frame.filename).resolve().is_relative_to(_HARNESS_DIR)
        and ".venv" not in Path(frame.filename).parts
    ]
    return [f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames[-3:]]


def _program_traceback(error: BaseException, settings: StackSettings) -> str:
    """The exception message, preceded by the frames that belong to the program's own files.

    An error raised in the program's code that the SDK ran (an apply callback, an input it
    serialized) reaches here wrapped by the SDK; the program's frames are those of the innermost
    exception in the chain that has any.
    """
    lines: list[str] = []
    for cause in _chain(error):
        lines = _program_frames(cause.__traceback__, settings) or lines
    message = f"{type(error).__name__}: {error}"
    if type(error).__name__ == "StackConfigError":
        return str(error)
    return "\n".join([*lines, message]) if lines else message
