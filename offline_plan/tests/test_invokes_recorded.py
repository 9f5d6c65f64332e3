"""Every invoke is in the plan with its token and arguments, so a reviewer sees what the program asked."""

from __future__ import annotations

from pathlib import Path

from tiny_programs import plan_of, write_program


def test_invokes_are_recorded_with_arguments_and_secrets_redacted(program: Path) -> None:
    folder = write_program(
        program,
        """
        import pulumi, pulumi_aws as aws
        aws.get_availability_zones(state="available")
        aws.get_availability_zones(state="available")
        aws.secretsmanager.get_secret_version_output(secret_id=pulumi.Output.secret("prod/db-password"))
        west = aws.Provider("west", region="us-west-2")
        aws.get_region(opts=pulumi.InvokeOptions(provider=west))
        """,
    )
    plan = plan_of(folder)
    tokens = [invoke["token"] for invoke in plan.invokes]
    assert tokens.count("aws:index/getAvailabilityZones:getAvailabilityZones") == 2
    zones = next(i for i in plan.invokes if i["token"].endswith("getAvailabilityZones"))
    assert zones["args"] == {"state": "available"}
    secret = next(i for i in plan.invokes if i["token"].endswith("getSecretVersion"))
    assert secret["args"] == {"secretId": "[secret]"}
    region = next(i for i in plan.invokes if i["token"].endswith("getRegion"))
    assert region["provider"].endswith("::pulumi:providers:aws::west")
    assert "prod/db-password" not in repr(plan)
