"""Cross-check Kubernetes manifests with Checkov's Kubernetes checks.

Checkov pins old dependencies, so it lives in its own virtualenv (``.venv-checkov``, created once with
``uv venv`` + ``uv pip install checkov==3.3.30`` and reused). Skips come from ``policies/checkov-skips.yaml``,
where every skipped check id carries a reason. Exit status: 0 when no check failed, 1 otherwise.

Usage: ``uv run python scripts/checkov_k8s.py <manifest dir>``
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

# Fixed argument lists built here; `uv` is resolved from PATH on purpose (same as the Makefile).
# ruff: noqa: S603, S607

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-checkov"
CHECKOV_VERSION = "3.3.30"
SKIPS = ROOT / "policies" / "checkov-skips.yaml"


def ensure_checkov() -> Path:
    binary = VENV / "bin" / "checkov"
    if not binary.exists():
        subprocess.run(["uv", "venv", "--quiet", "--python", "3.11", str(VENV)], check=True)
        subprocess.run(
            [
                "uv",
                "pip",
                "install",
                "--quiet",
                "--python",
                str(VENV / "bin" / "python"),
                f"checkov=={CHECKOV_VERSION}",
            ],
            check=True,
        )
    return binary


def load_skips(path: Path = SKIPS) -> dict[str, str]:
    entries = yaml.safe_load(path.read_text()) or {}
    skips = entries.get("skips", [])
    for entry in skips:
        if not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: skip {entry.get('id')} has no reason; every skip must say why.")
    return {str(e["id"]): str(e["reason"]) for e in skips}


def run_checkov(manifest_dir: Path) -> list[dict[str, str]]:
    """Failed checks as dicts (id, name, resource, file)."""
    skips = load_skips()
    command = [
        str(ensure_checkov()),
        "-d",
        str(manifest_dir),
        "--framework",
        "kubernetes",
        "-o",
        "json",
        "--quiet",
    ]
    if skips:
        command += ["--skip-check", ",".join(sorted(skips))]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed ({completed.returncode}): {completed.stderr[-2000:]}")
    report = json.loads(completed.stdout or "{}")
    reports = report if isinstance(report, list) else [report]
    failed = []
    for item in reports:
        for check in item.get("results", {}).get("failed_checks", []):
            failed.append(
                {
                    "id": check["check_id"],
                    "name": check["check_name"],
                    "resource": check["resource"],
                    "file": check.get("file_path", ""),
                }
            )
    return failed


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    failed = run_checkov(Path(sys.argv[1]))
    for check in failed:
        print(f"FAILED {check['id']} {check['name']} on {check['resource']} ({check['file']})")
    print(f"checkov: {len(failed)} failed check(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
