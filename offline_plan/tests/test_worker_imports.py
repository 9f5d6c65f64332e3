"""The part that runs the program imports only the Pulumi SDK, protobuf and the standard library.

It runs under the program's own interpreter (see offline_plan.environment), which has none of this
tool's other dependencies.
"""

from __future__ import annotations

import subprocess
import sys

OURS_ONLY = ("ruamel", "pydantic", "kubernetes_validate", "jsonschema", "helm_python", "pulumi_policy")


def test_the_worker_side_imports_nothing_the_programs_environment_lacks() -> None:
    code = (
        "import sys, offline_plan.worker, offline_plan.runner, offline_plan.settings\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {OURS_ONLY!r}))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
