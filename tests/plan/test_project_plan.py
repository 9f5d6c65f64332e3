"""The offline plan end to end: both stacks, another program, bad config, failures and secrets."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from infra.standards import INSTANCE_FAMILIES
from offline_plan.cli import EXIT_INVALID_MANIFESTS, EXIT_POLICY_VIOLATION, EXIT_PROGRAM_FAILED, main
from offline_plan.project import SECRET_PLACEHOLDER

ROOT = Path(__file__).resolve().parents[2]
CHARTS = ["--charts", str(ROOT.parent / "shared" / "charts")]  # the chart cache beside the repository


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plans")
    for stack in ("staging", "production"):
        assert main(["--stack", stack, "--program", str(ROOT), "--out", str(out), *CHARTS]) == 0
    return out


def load(out: Path, stack: str) -> dict:
    return json.loads((out / stack / "resources.json").read_text())


def test_production_plan_lists_the_foundation(planned: Path) -> None:
    document = load(planned, "production")
    counts = Counter(
        resource["type"]
        for resource in document["resources"]
        # the DR region's standby VPC and pilot-light cluster (tests/infra/test_dr_region.py)
        if "memory-platform:dr:" not in resource["urn"]
    )
    assert counts["aws:ec2/vpc:Vpc"] == 1
    assert counts["aws:ec2/subnet:Subnet"] == 9
    assert counts["aws:ec2/natGateway:NatGateway"] == 3
    assert counts["aws:eks/cluster:Cluster"] == 1
    assert counts["aws:eks/nodeGroup:NodeGroup"] == 3
    assert counts["aws:ec2/launchTemplate:LaunchTemplate"] == 3
    assert counts["aws:eks/addon:Addon"] == 4
    assert counts["aws:iam/openIdConnectProvider:OpenIdConnectProvider"] == 1
    assert counts["aws:kms/key:Key"] >= 1
    assert counts["kubernetes:storage.k8s.io/v1:StorageClass"] == 2  # default gp3, and its Retain twin


def test_every_resource_has_type_urn_parent_and_inputs(planned: Path) -> None:
    resources = load(planned, "production")["resources"]
    urns = {resource["urn"] for resource in resources}
    for resource in resources:
        assert resource["urn"].startswith("urn:pulumi:production::memory-platform::")
        assert resource["urn"].endswith(f"::{resource['name']}")
        assert isinstance(resource["inputs"], dict)
        if resource["type"] != "pulumi:pulumi:Stack" and not resource["options"].get("default"):
            assert resource["parent"] in urns, resource["urn"]


def test_urns_follow_the_engine_parent_chain(planned: Path) -> None:
    resources = {r["type"]: r for r in load(planned, "production")["resources"]}
    assert resources["memory-platform:network:Network"]["urn"].endswith(
        "::memory-platform:network:Network::memory-production"
    )
    assert "::memory-platform:network:Network$aws:ec2/vpc:Vpc::" in resources["aws:ec2/vpc:Vpc"]["urn"]


def test_manifests_are_written_and_valid(planned: Path) -> None:
    document = load(planned, "staging")
    assert document["manifestProblems"] == []
    assert "manifests/_cluster/storageclass-gp3-encrypted.yaml" in document["manifests"]
    assert (planned / "staging" / "manifests" / "_cluster" / "storageclass-gp3-encrypted.yaml").is_file()


def test_summary_is_a_tree_with_counts(planned: Path) -> None:
    summary = (planned / "production" / "summary.txt").read_text()
    assert "+ pulumi:pulumi:Stack" in summary
    assert "    + memory-platform:network:Network" in summary
    assert "Resources by type:" in summary and "to create" in summary


def test_two_plans_of_production_write_byte_identical_files(planned: Path, tmp_path: Path) -> None:
    """Diffing two plans of the same program shows nothing: no list follows registration order."""
    assert main(["--stack", "production", "--program", str(ROOT), "--out", str(tmp_path), *CHARTS]) == 0
    first, second = planned / "production", tmp_path / "production"
    assert (second / "resources.json").read_text() == (first / "resources.json").read_text()
    assert (second / "summary.txt").read_text() == (first / "summary.txt").read_text()
    manifests = load(tmp_path, "production")["manifests"]
    assert manifests == sorted(manifests, key=lambda path: Path(path).parts)  # folder by folder, as `ls -R`


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["--stack", "staging", "--program", str(ROOT), "--out", str(tmp_path), "--json", *CHARTS]) == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["stack"] == "staging" and document["resources"]


def bad_stack_project(tmp_path: Path, stack_text: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: memory-platform\nmain: {ROOT / 'infra'}\nruntime:\n  name: python\n"
    )
    (tmp_path / "Pulumi.broken.yaml").write_text(textwrap.dedent(stack_text))
    return tmp_path


def test_misconfigured_stack_stops_with_a_clear_message_and_no_resources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = bad_stack_project(
        tmp_path,
        """
        config:
          aws:region: us-east-1
          memory-platform:environment: production
          memory-platform:tags: {owner: team, environment: production}
          memory-platform:nodePools:
            - {name: application, instanceType: m5.xlarge, minNodes: 5, maxNodes: 2}
        """,
    )
    out = tmp_path / "out"
    assert main(["--stack", "broken", "--program", str(project), "--out", str(out)]) == EXIT_PROGRAM_FAILED
    err = capsys.readouterr().err
    assert "Pulumi.broken.yaml has 2 configuration problem(s); nothing was created" in err
    assert "memory-platform:tags.cost-center: required key is missing" in err
    assert "minNodes (5) is greater than maxNodes (2)" in err
    assert "Traceback" not in err and "offline_plan" not in err
    assert not out.exists()


def other_program(tmp_path: Path, body: str, stack_config: str = "") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-central-1\n" + stack_config)
    (tmp_path / "__main__.py").write_text(textwrap.dedent(body))
    return tmp_path


def test_any_program_can_be_planned_and_secrets_stay_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = other_program(
        tmp_path / "program",
        """
        import pulumi, pulumi_aws as aws
        password = pulumi.Config().require_secret("dbPassword")
        bucket = aws.s3.Bucket("logs", tags={"team": "x"})
        aws.ssm.Parameter("db-password", type="SecureString", value=password)
        pulumi.export("bucket", bucket.bucket)
        pulumi.export("password", password)
        """,
        "  other:dbPassword:\n    secure: AAABAKx8c2VjcmV0Y2lwaGVydGV4dA==\n",
    )
    out = tmp_path / "out"
    assert main(["--stack", "dev", "--program", str(program), "--out", str(out), "--json"]) == 0
    printed = capsys.readouterr().out
    document = json.loads(printed)
    parameter = next(r for r in document["resources"] if r["type"] == "aws:ssm/parameter:Parameter")
    assert parameter["inputs"]["value"] == "[secret]"
    assert document["outputs"]["password"] == "[secret]"
    everything = (
        printed + (out / "dev" / "resources.json").read_text() + (out / "dev" / "summary.txt").read_text()
    )
    assert SECRET_PLACEHOLDER not in everything
    assert "AAABAKx8c2VjcmV0Y2lwaGVydGV4dA==" not in everything
    region = next(r for r in document["resources"] if r["type"] == "pulumi:providers:aws")["inputs"]["region"]
    assert region == "eu-central-1"


def test_program_errors_are_reported_without_harness_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = other_program(tmp_path, 'raise RuntimeError("bucket name must be lowercase")\n')
    assert (
        main(["--stack", "dev", "--program", str(program), "--out", str(tmp_path / "out")])
        == EXIT_PROGRAM_FAILED
    )
    err = capsys.readouterr().err
    assert "RuntimeError: bucket name must be lowercase" in err
    assert '__main__.py", line 1' in err
    assert "offline_plan" not in err and "site-packages" not in err


def test_invalid_manifest_fails_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = other_program(
        tmp_path,
        """
        import pulumi_kubernetes as k8s
        k8s.apps.v1.Deployment("web", metadata={"name": "web"}, spec={"replicas": "three", "selector": {}, "template": {}})
        """,
    )
    code = main(["--stack", "dev", "--program", str(program), "--out", str(tmp_path / "out")])
    assert code == EXIT_INVALID_MANIFESTS
    assert "deployment-web.yaml: spec.replicas" in capsys.readouterr().err


def test_a_stack_without_its_file_plans_on_empty_config_and_the_program_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As `pulumi preview` on a new stack: no stack file is empty config, and our program refuses it."""
    assert main(["--stack", "nope", "--program", str(ROOT), "--out", str(tmp_path)]) == EXIT_PROGRAM_FAILED
    err = capsys.readouterr().err
    assert "Pulumi.nope.yaml does not exist; planning stack nope on the project's config alone" in err
    assert "aws:region: required; set it with `pulumi config set aws:region us-east-1`" in err


POLICY_ARGS = ["--policy-pack", str(ROOT / "policies")]


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_instance_families_agree_between_config_and_policy(stack: str) -> None:
    config = json.loads((ROOT / "policies" / "config" / f"{stack}.json").read_text())
    assert set(config["aws-eks-node-group-instance-families"]["allowedInstanceFamilies"]) == INSTANCE_FAMILIES


@pytest.mark.parametrize(
    ("body", "policy"),
    [
        (
            """
            import pulumi_aws as aws
            aws.rds.Cluster("db", engine="aurora-postgresql", storage_encrypted=False, manage_master_user_password=True,
                            tags={"owner": "o", "cost-center": "c", "environment": "dev"})
            """,
            "aws-rds-cluster-storage-encrypted",
        ),
        (
            """
            import pulumi_aws as aws
            aws.vpc.SecurityGroupIngressRule("ssh", security_group_id="sg-1", cidr_ipv4="0.0.0.0/0", from_port=22,
                                             to_port=22, ip_protocol="tcp",
                                             tags={"owner": "o", "cost-center": "c", "environment": "dev"})
            """,
            "aws-ec2-security-group-no-public-ingress",
        ),
        (
            """
            import pulumi_kubernetes as k8s
            k8s.core.v1.Pod("web", metadata={"name": "web"}, spec={"containers": [{"name": "web", "image": "nginx:latest"}]})
            """,
            "kubernetes-workload-container-image-pinned",
        ),
    ],
    ids=["unencrypted-aurora", "public-security-group", "latest-image"],
)
def test_a_mandatory_violation_fails_the_plan_and_names_the_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, policy: str
) -> None:
    program = other_program(tmp_path, body)
    code = main(["--stack", "dev", "--program", str(program), "--out", str(tmp_path / "out"), *POLICY_ARGS])
    captured = capsys.readouterr()
    assert code == EXIT_POLICY_VIOLATION, captured.err
    assert f"[mandatory] {policy}" in captured.out
    document = json.loads((tmp_path / "out" / "dev" / "resources.json").read_text())
    assert any(
        v["policy"] == policy and v["enforcementLevel"] == "mandatory" for v in document["policyViolations"]
    )
