"""`platform-ops`: the on-call operator's command line for the data tier's DR and backups.

    platform-ops --outputs outputs.json dr status [--json]
    platform-ops --outputs outputs.json dr switchover [--to dr|primary] [--qdrant reindex|skip] [--dry-run]
    platform-ops --outputs outputs.json dr failover [--to dr|primary] [--qdrant reindex|skip] [--dry-run]
    platform-ops --outputs outputs.json backup verify [--region primary|dr] [--restore-test] [--json]

`--yes` skips the confirmation prompt. Identifiers come from `pulumi stack output --json > outputs.json`
(the `disasterRecovery` output) and/or flags named after its keys (`--rpo-minutes`, `--dr-region`, ...).
Exit codes: 0 ok, 1 a check or step failed, 2 bad configuration or usage. Logs go to stderr, results to
stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ops.aws import DEFAULT_MAX_ATTEMPTS, BotoClients
from ops.backups import inventory, restore_network, restore_test, verify_checks
from ops.config import DrConfig, config_aliases, flag_for, load_config
from ops.dr import DrRun, build_steps, execute, render_step_log
from ops.errors import OpsError
from ops.runtime import Runtime
from ops.status import collect_status, render_status
from ops.workloads import target_workloads

log = logging.getLogger("ops")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="platform-ops",
        description="Operate the memory platform's Aurora global database: DR status, switchover, failover, "
        "backup checks. Runbooks: docs/runbooks/.",
    )
    parser.add_argument("--outputs", type=Path, help="stack outputs file from `pulumi stack output --json`")
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS,
        help=f"tries per AWS call when throttled (default {DEFAULT_MAX_ATTEMPTS})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    overrides = parser.add_argument_group("identifiers (override the outputs file)")
    for alias in config_aliases():
        overrides.add_argument(flag_for(alias), dest=f"cfg_{alias}", metavar="VALUE", help=f"{alias}")

    areas = parser.add_subparsers(dest="area", required=True)
    dr = areas.add_parser("dr", help="Aurora global database: status, switchover, failover")
    dr_commands = dr.add_subparsers(dest="command", required=True)
    status = dr_commands.add_parser(
        "status", help="writer region, replication lag vs RPO, newest backups vs schedule, DNS"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    for name, help_text in (
        ("switchover", "planned move of the writer, no data loss"),
        ("failover", "unplanned move of the writer when its region is down; may lose recent writes"),
    ):
        cmd = dr_commands.add_parser(name, help=help_text)
        cmd.add_argument(
            "--to",
            choices=["dr", "primary"],
            default="dr",
            help="which configured cluster becomes the writer (default dr; `primary` moves back)",
        )
        cmd.add_argument("--dry-run", action="store_true", help="print every step; call no write API")
        cmd.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        cmd.add_argument(
            "--timeout-minutes", type=float, default=30.0, help="give up waiting after this long"
        )
        cmd.add_argument("--poll-seconds", type=float, default=15.0, help="seconds between status polls")
        cmd.add_argument(
            "--qdrant",
            choices=["reindex", "skip"],
            default="reindex",
            help="rebuild the target region's Qdrant from the database (default), or leave it (after a "
            "manual snapshot restore, docs/runbooks/qdrant-snapshot-restore.md)",
        )

    backup = areas.add_parser("backup", help="backups of the Aurora clusters")
    backup_commands = backup.add_subparsers(dest="command", required=True)
    verify = backup_commands.add_parser(
        "verify",
        help="newest backup exists, is within the backup schedule, is encrypted; a copy is in the DR vault",
    )
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    verify.add_argument(
        "--region",
        choices=["primary", "dr"],
        help="check only this region's backups (e.g. `dr` while the primary region is down)",
    )
    verify.add_argument(
        "--restore-test",
        action="store_true",
        help="also restore the newest backup into a throwaway cluster in its own region (that region's "
        "subnet group and security group from the outputs) and delete it",
    )
    verify.add_argument("--timeout-minutes", type=float, default=90.0, help="give up waiting after this long")
    verify.add_argument("--poll-seconds", type=float, default=30.0, help="seconds between status polls")
    return parser


def _config(args: argparse.Namespace) -> DrConfig:
    overrides: dict[str, Any] = {alias: getattr(args, f"cfg_{alias}") for alias in config_aliases()}
    return load_config(args.outputs, overrides)


def _confirm(runtime: Runtime, config: DrConfig, args: argparse.Namespace) -> None:
    if args.yes or args.dry_run:
        return
    if not runtime.stdin_is_tty():
        raise OpsError(
            "refusing to change production without confirmation (stdin is not a terminal)",
            "re-run with --yes, or run it in a terminal",
            exit_code=2,
        )
    answer = runtime.prompt(
        f"Type the global cluster identifier ({config.global_cluster_identifier}) to proceed: "
    )
    if answer.strip() != config.global_cluster_identifier:
        raise OpsError(
            "not confirmed; nothing was changed", "re-run and type the identifier exactly", exit_code=1
        )


def run_dr_move(runtime: Runtime, config: DrConfig, args: argparse.Namespace) -> int:
    target_arn = config.secondary_cluster_arn if args.to == "dr" else config.primary_cluster_arn
    timeout_seconds, interval_seconds = args.timeout_minutes * 60, args.poll_seconds
    dr_run = DrRun(
        operation=args.command,
        config=config,
        runtime=runtime,
        target_arn=target_arn,
        timeout_seconds=timeout_seconds,
        interval_seconds=interval_seconds,
        workloads=target_workloads(
            runtime,
            config,
            config.region_of(args.to),
            timeout_seconds=timeout_seconds,
            interval_seconds=interval_seconds,
            reindex=args.qdrant == "reindex",
        ),
    )
    steps = build_steps(dr_run)
    mode = "DRY RUN of " if args.dry_run else ""
    runtime.echo(f"{mode}{args.command} of {config.global_cluster_identifier} to {target_arn}; plan:")
    for number, step in enumerate(steps, start=1):
        runtime.echo(f"  {number}. [{step.kind}] {step.title}")
    if args.command == "failover" and not args.dry_run:
        runtime.echo(
            "WARNING: a failover allows data loss: writes not yet replicated to the target are lost."
        )
    _confirm(runtime, config, args)
    runtime.echo("running:" if not args.dry_run else "dry run (read steps only, nothing is changed):")
    try:
        execute(dr_run, steps, dry_run=args.dry_run)
    finally:
        for line in render_step_log(dr_run):
            runtime.echo(line)
    if dr_run.workloads is None:
        runtime.echo(
            f"note: the outputs name no EKS cluster and workloads for {dr_run.target_region} "
            "(drClusterName/primaryClusterName, apiNamespace, apiDeployment, qdrantNamespace, "
            "qdrantStatefulSet): scale them and rebuild Qdrant by hand (docs/runbooks/dr-failover.md)"
        )
    for note in dr_run.notes:
        runtime.echo(f"note: {note}")
    if args.dry_run:
        runtime.echo("dry run complete: no write API was called")
    else:
        runtime.echo(f"{args.command} complete: {dr_run.target_id} writes in {dr_run.target_region}")
        if config.configured_active_region != dr_run.target_region:
            runtime.echo(
                f"ACTION REQUIRED before the next `pulumi up` (or it moves DNS back to "
                f"{config.configured_active_region}): {config.config_set_command(dr_run.target_region)}"
                " - then commit the stack file"
            )
        if args.command == "failover":
            runtime.echo(
                "next: follow 'After the failover' in docs/runbooks/dr-failover.md (old primary rejoins as a "
                "secondary when its region recovers; reconcile writes from the snapshot Aurora takes of it)"
            )
    return 0


def run_backup_verify(runtime: Runtime, config: DrConfig, args: argparse.Namespace) -> int:
    now = runtime.now()
    regions = (config.region_of(args.region),) if args.region else None
    found = inventory(runtime, config, regions)
    for region in found.unreachable:
        other = "dr" if region == config.primary_region else "primary"
        runtime.echo(
            f"UNREACHABLE  {region}: its backups were not checked; the checks below cover the other region "
            f"(`--region {other}` checks that region alone)"
        )
    checks = verify_checks(found, config, now)
    newest = found.newest
    if args.restore_test:
        if newest is None:
            runtime.echo("restore test skipped: there is no backup to restore")
        else:
            checks += restore_test(
                runtime,
                newest,
                network=restore_network(config, newest.region),
                timeout_seconds=args.timeout_minutes * 60,
                interval_seconds=args.poll_seconds,
            )
    passed = all(c.passed for c in checks)
    if args.json:
        runtime.echo(
            json.dumps(
                {
                    "passed": passed,
                    "unreachable": found.unreachable,
                    "newestBackup": newest.as_dict(now) if newest else None,
                    "checks": [c.as_dict() for c in checks],
                },
                indent=2,
            )
        )
    else:
        for check in checks:
            runtime.echo(f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {check.detail}")
        runtime.echo(
            "backup verify: "
            + ("passed" if passed else "FAILED - see docs/runbooks/backup-verify-and-restore.md")
        )
    return 0 if passed else 1


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    runtime = runtime or Runtime(clients=BotoClients(max_attempts=args.max_attempts))
    try:
        config = _config(args)
        if args.area == "dr" and args.command == "status":
            report = collect_status(runtime, config)
            runtime.echo(json.dumps(report, indent=2, default=str) if args.json else render_status(report))
            return 1 if report["problems"] else 0
        if args.area == "dr":
            return run_dr_move(runtime, config, args)
        return run_backup_verify(runtime, config, args)
    except OpsError as exc:
        print(f"error: {exc.message}\nnext: {exc.next_step}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
