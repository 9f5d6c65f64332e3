"""What a run records (`Recording`), the SDK's wire signatures, and plain JSON of wire values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline_plan.markers import REDACTED, UNKNOWN

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
