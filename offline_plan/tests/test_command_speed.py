"""The `offline-plan` command does not spend its time collecting garbage, nor waiting for the chart worker.

A plan allocates millions of objects that live until it ends; under CPython's default thresholds full
collections over them were a fifth of the production plan's CPU, and the interpreter's last collection at
exit took seconds more (`offline_plan.gc_tuning`). The command plans with mypy's thresholds and leaves its
objects out of that last collection; a program's own plan is the same either way. While the worker
finishes the Helm releases, the command loads the policy pack (and reports a pack that fails as before).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_programs import write_program

from offline_plan import cli, gc_tuning

PROGRAM = """\
import pulumi
import pulumi_aws as aws

bucket = aws.s3.Bucket("logs", tags={"team": "memory"})
pulumi.export("bucket", bucket.bucket)
"""

# At exit (after the command returned, before the interpreter's final collection): what the collector
# is set to, and how many objects that final collection would leave alone.
PROBE = """\
import atexit, gc, json, sys
atexit.register(lambda: print(json.dumps([gc.get_threshold(), gc.get_freeze_count()]), file=sys.stderr))
sys.argv = ["offline-plan", *sys.argv[1:]]
from offline_plan.cli import command
command()
"""


def test_the_command_plans_with_tuned_collection_and_leaves_its_objects_out_of_the_last_one(
    tmp_path: Path,
) -> None:
    program = write_program(tmp_path / "program", PROGRAM)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--stack", "dev", "--program", str(program), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    threshold, frozen = json.loads(done.stderr.strip().splitlines()[-1])
    assert tuple(threshold) == gc_tuning.THRESHOLDS
    assert frozen > 10_000  # the SDK, the program and the plan: not traversed again at exit
    plan = json.loads((out / "dev" / "resources.json").read_text())
    assert sorted(r["type"] for r in plan["resources"] if r["custom"]) == [
        "aws:s3/bucket:Bucket",
        "pulumi:providers:aws",
    ]


def test_a_pack_that_cannot_load_still_fails_the_plan_with_its_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pack loads while the chart worker finishes the releases; its failure is reported as before."""
    program = write_program(tmp_path / "program", PROGRAM)
    pack = tmp_path / "pack"
    pack.mkdir()
    out = tmp_path / "out"
    code = cli.main(
        ["--stack", "dev", "--program", str(program), "--out", str(out), "--policy-pack", str(pack)]
    )
    assert code == cli.EXIT_PROGRAM_FAILED
    assert "has no __main__.py; pass the policy pack folder" in capsys.readouterr().err
    assert not (out / "dev" / "resources.json").exists()
