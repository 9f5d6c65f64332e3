"""A resource's options as a policy sees them (`PolicyResourceOptions`), from an offline-plan record.

The analyzer builds them afresh from each request, for every policy; `policy_check` parses a record's
options once per evaluation (`option_fields`) and builds each policy its own object from that parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions

# Go duration strings (`customTimeouts`): longest unit first, so "500ms" is not read as 500 minutes.
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)")
_DURATION_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def _seconds(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        return sum(float(n) * _DURATION_SECONDS[unit] for n, unit in _DURATION_RE.findall(value))
    return 0.0


@dataclass(frozen=True)
class OptionFields:
    """A record's resource options, parsed: what every policy's `PolicyResourceOptions` is built from."""

    protect: bool
    ignore_changes: tuple[str, ...]
    delete_before_replace: bool | None
    aliases: tuple[str, ...]
    timeouts: tuple[float, float, float]
    additional_secret_outputs: tuple[str, ...]
    parent: str | None


def option_fields(resource: Mapping[str, Any]) -> OptionFields:
    options = resource.get("options") or {}
    timeouts = options.get("customTimeouts") or {}
    return OptionFields(
        protect=bool(options.get("protect", False)),
        ignore_changes=tuple(options.get("ignoreChanges") or []),
        delete_before_replace=options.get("deleteBeforeReplace"),
        aliases=tuple(str(a) for a in options.get("aliases") or []),
        timeouts=(
            _seconds(timeouts.get("create")),
            _seconds(timeouts.get("update")),
            _seconds(timeouts.get("delete")),
        ),
        additional_secret_outputs=tuple(options.get("additionalSecretOutputs") or []),
        parent=resource.get("parent") or None,
    )


def resource_options(
    resource: Mapping[str, Any], fields: OptionFields | None = None
) -> PolicyResourceOptions:
    """A fresh `PolicyResourceOptions` (lists a policy may change only for itself), from `fields` where
    the record's options were parsed already."""
    fields = fields or option_fields(resource)
    return PolicyResourceOptions(
        protect=fields.protect,
        ignore_changes=list(fields.ignore_changes),
        delete_before_replace=fields.delete_before_replace,
        aliases=list(fields.aliases),
        custom_timeouts=PolicyCustomTimeouts(*fields.timeouts),
        additional_secret_outputs=list(fields.additional_secret_outputs),
        parent=fields.parent,
    )
