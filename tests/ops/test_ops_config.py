"""Reading the `disasterRecovery` stack output: bad or missing values get one message naming the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.cli import main
from ops.config import DrConfig, load_config
from ops.errors import ConfigError

VALID: dict[str, Any] = {
    "primaryRegion": "eu-west-1",
    "drRegion": "eu-central-1",
    "globalClusterIdentifier": "g",
    "primaryClusterIdentifier": "p",
    "primaryClusterArn": "arn:aws:rds:eu-west-1:111122223333:cluster:p",
    "secondaryClusterIdentifier": "s",
    "secondaryClusterArn": "arn:aws:rds:eu-central-1:111122223333:cluster:s",
    "backupVaultName": "v",
    "drBackupVaultName": "dv",
    "rpoMinutes": 15,
}


def write(tmp_path: Path, section: Any) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"disasterRecovery": section, "vpcId": "vpc-1"}))
    return path


def test_outputs_file_is_read_and_flags_override_it(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), {"rpoMinutes": "30"})
    assert isinstance(config, DrConfig)
    assert config.rpo_minutes == 30
    assert config.secondary_cluster_arn.endswith(":cluster:s")
    assert config.dns_configured is False


def test_flags_alone_are_enough() -> None:
    assert load_config(None, VALID).global_cluster_identifier == "g"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rpoMinutes": None}, "disasterRecovery.rpoMinutes is missing"),
        ({"rpoMinutes": 0}, "disasterRecovery.rpoMinutes in"),
        ({"drRegion": "moon"}, "disasterRecovery.drRegion in"),
        (
            {"secondaryClusterArn": "arn:aws:rds:us-east-2:111122223333:cluster:s"},
            "secondaryClusterArn is in us-east-2",
        ),
        (
            {"primaryClusterArn": "arn:aws:rds:eu-west-1:111122223333:cluster:other"},
            "primaryClusterArn names cluster",
        ),
        ({"hostedZoneId": "Z1"}, "missing apiHostname, primaryApiTarget, drApiTarget"),
        ({"activeRegion": "us-east-2"}, "activeRegion us-east-2 is neither primaryRegion eu-west-1"),
        ({"drVaultName": "typo"}, "disasterRecovery.drVaultName in"),
        ({"backupMaxAgeHours": 0}, "disasterRecovery.backupMaxAgeHours in"),
        (
            {"drRegion": "eu-west-1", "secondaryClusterArn": VALID["primaryClusterArn"]},
            "drRegion must differ",
        ),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    section = {**VALID, **change}
    section = {k: v for k, v in section.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, section), {})
    assert expected in caught.value.message
    assert "pulumi stack output --json > outputs.json" in caught.value.next_step


def test_missing_key_message_names_the_flag(tmp_path: Path) -> None:
    section = {k: v for k, v in VALID.items() if k != "backupVaultName"}
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, section), {})
    assert "--backup-vault-name" in caught.value.next_step


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        (json.dumps({"vpcId": "x"}), "has no `disasterRecovery` output"),
        (json.dumps({"disasterRecovery": "[secret]"}), "is str, expected an object"),
    ],
)
def test_unusable_outputs_file(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert expected in caught.value.message


def test_cli_exits_2_with_error_and_next_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    section = {k: v for k, v in VALID.items() if k != "globalClusterIdentifier"}
    code = main(["--outputs", str(write(tmp_path, section)), "dr", "status"])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: disasterRecovery.globalClusterIdentifier is missing" in err
    assert "next: export it from the Pulumi program" in err


def test_output_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, {**VALID, "schemaVersion": 2}), {})
    assert "has schemaVersion 2; this platform-ops reads schemaVersion 1" in caught.value.message
    assert "same commit as the deployed program" in caught.value.next_step


def test_unknown_key_is_named_as_not_part_of_the_schema(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, {**VALID, "drVaultName": "typo"}), {})
    assert caught.value.message.endswith("is not a key of schemaVersion 1")
