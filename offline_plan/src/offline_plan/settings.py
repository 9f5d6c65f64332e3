"""What the runner needs to run one stack of a program: stdlib only, so a worker under the program's
own interpreter can import it (see `worker.py`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    project_dir: Path
    main: Path
    stack_file: Path
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)
    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Outputs of other stacks by fully qualified name, for `pulumi.StackReference` (`--stack-outputs`)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("project_dir", "main", "stack_file"):
            data[key] = str(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StackSettings:
        paths = {key: Path(data[key]) for key in ("project_dir", "main", "stack_file")}
        return cls(**{**data, **paths})
