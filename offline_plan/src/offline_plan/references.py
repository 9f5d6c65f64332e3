"""`pulumi.StackReference`: another stack's outputs, from `--stack-outputs NAME=FILE`.

The SDK reads a stack reference as a `pulumi:pulumi:StackReference` resource whose id is the
referenced stack's name. With its outputs supplied, `get_output`, `require_output` and
`get_output_details` see them; without, the outputs are unknown (as for a stack the engine cannot
read) and a warning names the reference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STACK_REFERENCE = "pulumi:pulumi:StackReference"


def find_outputs(name: str, supplied: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The outputs supplied for `name`: by exact name, else the one whose name ends with `/<name>`."""
    if name in supplied:
        return supplied[name]
    matches = [
        outputs for key, outputs in supplied.items() if key.endswith(f"/{name}") or name.endswith(f"/{key}")
    ]
    return matches[0] if len(matches) == 1 else None


def stack_reference_state(
    name: str, supplied: dict[str, dict[str, Any]], warnings: list[str]
) -> dict[str, Any]:
    outputs = find_outputs(name, supplied)
    if outputs is None:
        warnings.append(
            f"StackReference {name!r}: its outputs are unknown; supply them with "
            f"--stack-outputs {name}=FILE (a JSON object, as `pulumi stack output --json` prints)"
        )
        return {"name": name}
    return {"name": name, "outputs": outputs, "secretOutputNames": []}


class StackOutputsError(ValueError):
    """A `--stack-outputs` argument cannot be used; the message says which and how to fix it."""


def read_stack_outputs(arguments: list[str]) -> dict[str, dict[str, Any]]:
    """`NAME=FILE` arguments as outputs by stack name; FILE holds a JSON object."""
    supplied: dict[str, dict[str, Any]] = {}
    for argument in arguments:
        name, sep, file = argument.partition("=")
        if not sep or not name or not file:
            raise StackOutputsError(
                f"--stack-outputs {argument!r}: expected NAME=FILE, e.g. org/network/prod=network.json"
            )
        try:
            outputs = json.loads(Path(file).read_text())
        except OSError as error:
            raise StackOutputsError(f"--stack-outputs {name}: cannot read {file}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise StackOutputsError(f"--stack-outputs {name}: {file} is not JSON: {error}") from None
        if not isinstance(outputs, dict):
            raise StackOutputsError(
                f"--stack-outputs {name}: {file} must hold a JSON object of output names to values"
            )
        supplied[name] = outputs
    return supplied
