"""The AWS data sources a program asks for get the answers a real account in that Region would give.

Each test writes a tiny Pulumi program (not this project) to tmp_path and plans it with the CLI.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from offline_plan.cli import main
from offline_plan.markers import REDACTED


def plan(tmp_path: Path, body: str, region: str = "us-east-1", name: str = "prog") -> dict[str, Any]:
    """Plan a program made of `body` (after `import pulumi, pulumi_aws as aws`); returns resources.json."""
    program = tmp_path / name
    program.mkdir()
    (program / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text(f"config:\n  aws:region: {region}\n")
    source = "import pulumi\nimport pulumi_aws as aws\n" + textwrap.dedent(body)
    (program / "__main__.py").write_text(source)
    out = tmp_path / f"out-{name}"
    assert main(["--stack", "dev", "--program", str(program), "--out", str(out)]) == 0
    document: dict[str, Any] = json.loads((out / "dev" / "resources.json").read_text())
    document["_out"] = out / "dev"
    return document


def inputs_of(document: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in document["resources"] if r["type"] == resource_type]


EKS_IN_FIRST_THREE_ZONES = """
zones = aws.get_availability_zones(state="available"{zone_filter})
vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
subnets = [
    aws.ec2.Subnet(f"subnet-{{i}}", vpc_id=vpc.id, cidr_block=f"10.0.{{i}}.0/24", availability_zone=zone)
    for i, zone in enumerate(zones.names[:3])
]
role = aws.iam.Role("role", assume_role_policy="{{}}")
aws.eks.Cluster("cluster", role_arn=role.arn, vpc_config={{"subnet_ids": [s.id for s in subnets]}})
pulumi.export("zones", zones.names[:3])
"""


def test_taking_the_first_three_zones_in_us_east_1_lands_on_the_zone_eks_refuses(tmp_path: Path) -> None:
    document = plan(tmp_path, EKS_IN_FIRST_THREE_ZONES.format(zone_filter=""))

    assert "us-east-1c" in document["outputs"]["zones"]
    eks_warnings = [w for w in document["warnings"] if "does not support for cluster subnets" in w]
    assert len(eks_warnings) == 1
    assert "us-east-1c (use1-az3)" in eks_warnings[0]
    assert "aws:eks/cluster:Cluster cluster" in eks_warnings[0]


def test_excluding_the_zone_ids_eks_refuses_avoids_them(tmp_path: Path) -> None:
    zone_filter = ', exclude_zone_ids=["use1-az3", "usw1-az2", "cac1-az3"]'
    document = plan(tmp_path, EKS_IN_FIRST_THREE_ZONES.format(zone_filter=zone_filter))

    assert "us-east-1c" not in document["outputs"]["zones"]
    assert len(document["outputs"]["zones"]) == 3
    assert not [w for w in document["warnings"] if "does not support for cluster subnets" in w]


def test_zones_are_the_regions_own(tmp_path: Path) -> None:
    body = """
    zones = aws.get_availability_zones()
    pulumi.export("names", zones.names)
    pulumi.export("ids", zones.zone_ids)
    by_id = aws.get_availability_zones(filters=[{"name": "zone-id", "values": ["euw3-az2"]}])
    pulumi.export("by_id", by_id.names)
    pulumi.export("all", len(aws.get_availability_zones(all_availability_zones=True).names))
    pulumi.export("one", aws.get_availability_zone(zone_id="euw3-az3").name)
    """
    paris = plan(tmp_path, body, region="eu-west-3", name="paris")

    assert paris["outputs"]["names"] == ["eu-west-3a", "eu-west-3b", "eu-west-3c"]
    assert paris["outputs"]["ids"] == ["euw3-az1", "euw3-az2", "euw3-az3"]
    assert paris["outputs"]["by_id"] == ["eu-west-3b"]
    assert paris["outputs"]["all"] == 3
    assert paris["outputs"]["one"] == "eu-west-3c"

    in_virginia = body.replace("euw3-az2", "use1-az3").replace("euw3-az3", "use1-az1")
    virginia = plan(tmp_path, in_virginia, name="iad")
    assert len(virginia["outputs"]["names"]) == 6
    assert virginia["outputs"]["by_id"] == ["us-east-1c"]
    assert virginia["outputs"]["all"] == 7  # and the Boston Local Zone, not opted in


def test_an_explicit_provider_region_and_the_region_argument_are_honoured(tmp_path: Path) -> None:
    body = """
    tokyo = aws.Provider("tokyo", region="ap-northeast-1")
    pulumi.export("tokyo", aws.get_availability_zones(opts=pulumi.InvokeOptions(provider=tokyo)).zone_ids)
    pulumi.export("oregon", aws.get_availability_zones(region="us-west-2").names)
    pulumi.export("partition", aws.get_partition(opts=pulumi.InvokeOptions(provider=tokyo)).dns_suffix)
    """
    document = plan(tmp_path, body)

    assert document["outputs"]["tokyo"] == ["apne1-az4", "apne1-az1", "apne1-az2"]
    assert document["outputs"]["oregon"] == ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
    assert document["outputs"]["partition"] == "amazonaws.com"


def test_an_ami_lookup_gives_a_stable_regional_image(tmp_path: Path) -> None:
    body = """
    ami = aws.ec2.get_ami(
        most_recent=True,
        owners=["amazon"],
        filters=[{"name": "name", "values": ["al2023-ami-*-arm64"]}],
    )
    aws.ec2.Instance("web", ami=ami.id, instance_type="t4g.micro")
    pulumi.export("ami", {"id": ami.id, "name": ami.name, "arch": ami.architecture})
    path = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/image_id"
    param = aws.ssm.get_parameter(name=path)
    pulumi.export("eks_ami", param.value)
    ecs_filter = {"name": "name", "values": ["ecs-*-x86_64-*"]}
    ecs = aws.ec2.get_ami(most_recent="true", owners=["amazon"], filters=[ecs_filter])
    pulumi.export("ecs", {"name": ecs.name, "most_recent": ecs.most_recent})
    """
    first = plan(tmp_path, body, name="one")
    again = plan(tmp_path, body, name="two")
    elsewhere = plan(tmp_path, body, region="eu-west-1", name="three")

    image = first["outputs"]["ami"]
    assert image["id"].startswith("ami-")
    assert len(image["id"]) == len("ami-") + 17
    assert image["name"].startswith("al2023-ami-")
    assert image["name"].endswith("-arm64")
    assert image["arch"] == "arm64"
    assert inputs_of(first, "aws:ec2/instance:Instance")[0]["ami"] == image["id"]
    assert again["outputs"]["ami"] == image
    assert elsewhere["outputs"]["ami"]["id"] != image["id"]  # AMIs are regional
    assert first["outputs"]["eks_ami"].startswith("ami-")
    # "true" is coerced to a boolean as the provider does; the SDK's result type refuses a string.
    assert first["outputs"]["ecs"] == {"name": "ecs-20251115-x86_64", "most_recent": True}


def test_the_default_vpc_and_its_subnets(tmp_path: Path) -> None:
    body = """
    vpc = aws.ec2.get_vpc(default=True)
    ids = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}]).ids
    third = aws.ec2.get_subnet(id=ids[2])
    group = aws.ec2.get_security_group(name="default", vpc_id=vpc.id)
    pulumi.export("vpc", {"id": vpc.id, "cidr": vpc.cidr_block, "default": vpc.default})
    pulumi.export("subnets", ids)
    pulumi.export("third", {"zone": third.availability_zone, "cidr": third.cidr_block, "vpc": third.vpc_id})
    pulumi.export("group", {"vpc": group.vpc_id, "id": group.id})
    table = aws.ec2.get_route_table(subnet_id=ids[0])
    gateway = aws.ec2.get_internet_gateway(filters=[{"name": "attachment.vpc-id", "values": [vpc.id]}])
    pulumi.export("table", {"vpc": table.vpc_id, "via": table.routes[0].gateway_id, "igw": gateway.id})
    pulumi.export("service", aws.get_arn(arn="arn:aws:iam::123456789012:role/ci").service)
    """
    document = plan(tmp_path, body, region="eu-west-3")
    outputs = document["outputs"]

    assert outputs["vpc"]["cidr"] == "172.31.0.0/16"
    assert outputs["vpc"]["default"] is True
    assert len(outputs["subnets"]) == 3  # one default subnet per zone
    assert len(set(outputs["subnets"])) == 3
    assert outputs["third"] == {"zone": "eu-west-3c", "cidr": "172.31.32.0/20", "vpc": outputs["vpc"]["id"]}
    assert outputs["group"]["vpc"] == outputs["vpc"]["id"]
    assert outputs["group"]["id"].startswith("sg-")
    assert outputs["table"]["vpc"] == outputs["vpc"]["id"]
    assert outputs["table"]["via"] == outputs["table"]["igw"]  # out through its own gateway
    assert outputs["service"] == "iam"


def test_route53_acm_and_eks_lookups(tmp_path: Path) -> None:
    body = """
    zone = aws.route53.get_zone(name="example.com.")
    cert = aws.acm.get_certificate(domain="*.example.com", statuses=["ISSUED"], most_recent=True)
    aws.route53.Record("www", zone_id=zone.zone_id, name="www.example.com", type="CNAME", records=["x"])
    cluster = aws.eks.get_cluster(name="prod")
    pulumi.export("zone", {"id": zone.zone_id, "name": zone.name, "ns": zone.name_servers})
    pulumi.export("cert", cert.arn)
    pulumi.export("issuer", cluster.identities[0].oidcs[0].issuer)
    """
    outputs = plan(tmp_path, body, region="eu-central-1")["outputs"]

    assert outputs["zone"]["id"].startswith("Z")
    assert outputs["zone"]["name"] == "example.com"
    assert len(outputs["zone"]["ns"]) == 4
    assert all(".awsdns-" in server for server in outputs["zone"]["ns"])
    assert outputs["cert"].startswith("arn:aws:acm:eu-central-1:123456789012:certificate/")
    assert outputs["issuer"].startswith("https://oidc.eks.eu-central-1.amazonaws.com/id/")


def test_ecr_credentials_never_reach_the_plan_in_clear(tmp_path: Path) -> None:
    body = """
    token = aws.ecr.get_authorization_token()
    aws.s3.Bucket("leaky", tags={"password": token.password, "token": token.authorization_token})
    pulumi.export("password", token.password)
    pulumi.export("output_form", aws.ecr.get_authorization_token_output().password)
    pulumi.export("user", token.user_name)
    pulumi.export("endpoint", token.proxy_endpoint)
    pulumi.export("auth", aws.eks.get_cluster_auth(name="prod").token)
    pulumi.export("secret", aws.secretsmanager.get_secret_version(secret_id="db").secret_string)
    """
    document = plan(tmp_path, body)
    outputs = document["outputs"]

    assert outputs["password"] == REDACTED
    assert outputs["output_form"] == REDACTED
    assert outputs["auth"] == REDACTED
    assert outputs["secret"] == REDACTED
    assert outputs["user"] == "AWS"
    assert outputs["endpoint"] == "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
    tags = inputs_of(document, "aws:s3/bucket:Bucket")[0]["tags"]
    assert tags == {"password": REDACTED, "token": REDACTED}
    written = "\n".join(path.read_text() for path in document["_out"].rglob("*") if path.is_file())
    assert "OfflinePlanEcrPassword" not in written
    assert "QVdTOk9mZmxpbmVQbGFu" not in written  # base64 of "AWS:OfflinePlan..."
    assert "k8s-aws-v1." not in written


def test_an_unknown_invoke_echoes_its_arguments_and_warns_with_its_token(tmp_path: Path) -> None:
    body = """
    key = aws.ec2.get_key_pair(key_name="deployer")
    pulumi.export("key", {"name": key.key_name, "id": key.id})
    aws.ec2.get_key_pair(key_name="other")
    """
    document = plan(tmp_path, body)

    assert document["outputs"]["key"]["name"] == "deployer"
    assert document["outputs"]["key"]["id"]
    warnings = [w for w in document["warnings"] if "aws:ec2/getKeyPair:getKeyPair" in w]
    assert len(warnings) == 1  # once per token, not per call


def test_policy_documents_merge_sources_and_overrides_as_the_provider_does(tmp_path: Path) -> None:
    body = """
    import json
    source = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Sid": "Keep", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
    ]})
    override = json.dumps({"Statement": [{"Sid": "Deny", "Effect": "Deny", "Action": "*", "Resource": "*"}]})
    doc = aws.iam.get_policy_document(
        source_policy_documents=[source],
        override_policy_documents=[override],
        statements=[
            {"sid": "Read", "actions": ["s3:GetObject", "s3:ListBucket"], "resources": ["arn:aws:s3:::b/*"]},
            {"sid": "Deny", "effect": "Allow", "actions": ["iam:*"], "resources": ["*"]},
            {
                "effect": "Deny",
                "not_actions": ["sts:AssumeRole"],
                "not_resources": ["arn:aws:iam::123456789012:role/ci"],
                "not_principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::123456789012:root"]}],
                "conditions": [
                    {"test": "StringEquals", "variable": "aws:PrincipalTag/team", "values": ["a", "b"]}
                ],
            },
        ],
    )
    pulumi.export("doc", json.loads(doc.json))
    """
    statements = plan(tmp_path, body)["outputs"]["doc"]["Statement"]

    assert [s["Sid"] for s in statements] == ["Read", "Keep", "Deny", ""]
    assert statements[0]["Action"] == ["s3:ListBucket", "s3:GetObject"]  # the program's, reverse-sorted
    assert statements[2]["Effect"] == "Deny"  # the override wins over the program's statement
    assert statements[3] == {
        "Sid": "",
        "Effect": "Deny",
        "NotAction": "sts:AssumeRole",
        "NotResource": "arn:aws:iam::123456789012:role/ci",
        "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}},
    }
