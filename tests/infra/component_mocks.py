"""A small recording `Mocks` for building one component under `pulumi.runtime.set_mocks`.

Independent of offline-plan's mocks on purpose: a bug in the plan harness cannot show up as a
component bug here. Ids and ARNs are derived from resource names, so every run is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

ACCOUNT = "123456789012"
REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d")

_INVOKES: dict[str, dict[str, Any]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": {
        "accountId": ACCOUNT,
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/unit",
        "userId": "AROAUNIT:unit",
        "id": ACCOUNT,
    },
    "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
    "aws:index/getRegion:getRegion": {"region": REGION, "name": REGION, "id": REGION},
    "aws:index/getAvailabilityZones:getAvailabilityZones": {
        "names": list(ZONES),
        "zoneIds": [f"use1-az{index}" for index in range(1, len(ZONES) + 1)],
        "id": REGION,
    },
    "aws:iam/getSessionContext:getSessionContext": {
        "issuerArn": f"arn:aws:iam::{ACCOUNT}:role/deployer",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/unit",
        "id": "deployer",
    },
    "aws:eks/getAddonVersion:getAddonVersion": {"version": "v1.0.0-eksbuild.1", "id": "addon"},
}


# Outputs the provider computes that the components read.
_COMPUTED: dict[str, dict[str, Any]] = {
    "aws:rds/cluster:Cluster": {
        "endpoint": "writer.cluster.unit",
        "readerEndpoint": "reader.cluster.unit",
        "port": 5432,
        "masterUserSecrets": [{"secretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db"}],
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": {"primaryEndpointAddress": "primary.cache.unit"},
    "aws:eks/cluster:Cluster": {
        "endpoint": "https://eks.unit",
        "certificateAuthority": {"data": "Y2VydA=="},
        "identities": [{"oidcs": [{"issuer": "https://oidc.eks.unit/id/UNIT"}]}],
        "vpcConfig": {"clusterSecurityGroupId": "sg-cluster"},
    },
    "aws:ec2/launchTemplate:LaunchTemplate": {"latestVersion": 1},
    "aws:eks/nodeGroup:NodeGroup": {"resources": [{"autoscalingGroups": [{"name": "eks-unit-asg"}]}]},
}


def build(create: Callable[[], object]) -> None:
    """Run `create` as a Pulumi program under the installed mocks and wait for every registration."""

    @pulumi.runtime.test
    def program() -> None:
        create()

    program()


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Records every registration; answers the handful of AWS invokes the components make."""

    resources: list[Registered] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs)))
        state = dict(args.inputs)
        if args.typ.startswith("aws:"):
            service = args.typ.split(":")[1].split("/")[0]
            state.setdefault("arn", f"arn:aws:{service}:{REGION}:{ACCOUNT}:{args.name}")
        state.update(_COMPUTED.get(args.typ, {}))
        if args.typ == "random:index/randomPassword:RandomPassword":
            state.setdefault("result", f"unit-secret-{args.name}")
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token not in _INVOKES:
            raise AssertionError(f"component made an invoke this harness does not answer: {args.token}")
        return _INVOKES[args.token], []

    def of_type(self, resource_type: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.type == resource_type]
