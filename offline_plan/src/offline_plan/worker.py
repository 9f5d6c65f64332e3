"""`python -m offline_plan.worker SETTINGS.json PLAN.json`: run one program, write its raw plan.

Runs under the program's own interpreter (see `environment`), so it imports only the runner and
what the runner imports: the Pulumi SDK, protobuf and the standard library.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    settings_file, plan_file = Path(argv[0]), Path(argv[1])
    try:
        from offline_plan.runner import ProgramError, record_program  # noqa: PLC0415
        from offline_plan.settings import StackSettings  # noqa: PLC0415
    except ImportError as error:
        sys.stderr.write(f"the program's environment lacks {error.name or error}; install pulumi in it\n")
        return 2
    settings = StackSettings.from_json(json.loads(settings_file.read_text()))
    try:
        result: dict[str, Any] = {"plan": record_program(settings).to_json()}
    except ProgramError as error:
        result = {"error": str(error)}
    plan_file.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
