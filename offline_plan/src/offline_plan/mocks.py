"""Deterministic, realistic answers for the engine's side of a program: resource state and invokes.

Ids and ARNs derive from the resource name, so two runs of the same program produce the same plan.
Invokes are answered by `aws_answers`; one it does not know echoes its arguments and is reported as a warning.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

from offline_plan import aws_answers, kube_yaml
from offline_plan.aws_answers import ACCOUNT_ID, ADDON_VERSIONS, DEPLOYER_ROLE
from offline_plan.references import STACK_REFERENCE, stack_reference_state

__all__ = ["ACCOUNT_ID", "ADDON_VERSIONS", "DEPLOYER_ROLE", "PlanMocks", "fake_password", "short_hash"]


def short_hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:12]


def fake_password(name: str) -> str:
    """The `result` of a mocked RandomPassword: recognisable, so tests can prove it never leaks."""
    return f"OfflinePlanFakeSecret-{short_hash('password', name)}"


# Invokes answered by other parts of the plan (e.g. `kubernetes:helm:template` from the chart cache).
INVOKE_HOOKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class PlanMocks(pulumi.runtime.Mocks):
    """Resource state and invoke results of a plausible AWS account, derived from names alone."""

    def __init__(self, config: dict[str, str]) -> None:
        self._default_region = config.get("aws:region", "us-east-1")
        # Region of an explicit provider, by provider reference; the recording monitor knows them.
        self.provider_region: Callable[[str], str | None] = lambda _reference: None
        self.warnings: list[str] = []
        self.stack_outputs: dict[str, dict[str, Any]] = {}  # other stacks' outputs, by stack name
        # Every secret string an invoke answer handed out: redacted wherever the plan would show it.
        self.secret_values: set[str] = set()
        self._unanswered: set[str] = set()
        self._vpcs: set[tuple[str, str]] = set()
        self._subnet_zones: dict[str, aws_answers.Zone] = {}

    # -- invokes -------------------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The account's answer to an invoke (`aws_answers`); anything else echoes its arguments and warns."""
        if args.token in {kube_yaml.DECODE, kube_yaml.KUSTOMIZE}:
            return kube_yaml.answer_invoke(args.token, args.args, self.warnings), []
        hook = INVOKE_HOOKS.get(args.token)
        if hook is not None:
            return hook(dict(args.args)), []
        context = aws_answers.InvokeContext(
            region=self._region(args.provider), secrets=self.secret_values, vpcs=self._vpcs
        )
        answer = aws_answers.AWS_ANSWERS.get(args.token)
        if answer is None:
            if args.token not in self._unanswered:
                self._unanswered.add(args.token)
                self.warnings.append(
                    f"no offline answer for invoke {args.token}; it returned its arguments and an id, "
                    "every other result field is unset"
                )
            return aws_answers.generic(args.token, dict(args.args), context), []
        try:
            return answer(aws_answers.normalized(dict(args.args)), context), []
        except aws_answers.InvokeFailureError as failure:
            return {}, [(failure.prop, failure.reason)]

    # -- resources -----------------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == STACK_REFERENCE:
            name = str(args.resource_id or args.name)
            return name, stack_reference_state(name, self.stack_outputs, self.warnings)
        resource_id = args.resource_id or f"{args.name}-{short_hash(args.typ, args.name)}"
        state = dict(args.inputs)
        if not args.custom:
            return None, state
        if args.typ.startswith("kubernetes:"):
            return resource_id, _kubernetes_state(args.name, state, self._default_region)
        if args.typ.startswith("aws:"):
            region = state.get("region") or self._region(args.provider)
            self._note_zones(args.typ, args.name, resource_id, state, region)
            return resource_id, _aws_state(args.typ, args.name, resource_id, state, region)
        if args.typ == "random:index/randomPassword:RandomPassword":
            # A secret output, redacted in the plan; recognisable so a test can prove it never leaks.
            state.setdefault("result", fake_password(args.name))
            state.setdefault("bcryptHash", f"$2a$10${short_hash('bcrypt', args.name)}")
        return resource_id, state

    def _note_zones(self, typ: str, name: str, resource_id: str, state: dict[str, Any], region: str) -> None:
        """Give subnets their zone ID; warn when an EKS cluster's subnets sit in a zone EKS refuses."""
        if typ == "aws:ec2/subnet:Subnet":
            zone = aws_answers.zone_named(
                region, state.get("availabilityZone"), state.get("availabilityZoneId")
            )
            if zone is not None:
                state.setdefault("availabilityZone", zone.name)
                state.setdefault("availabilityZoneId", zone.zone_id)
                self._subnet_zones[resource_id] = zone
        elif typ == "aws:eks/cluster:Cluster":
            for subnet_id in (state.get("vpcConfig") or {}).get("subnetIds") or []:
                zone = self._subnet_zones.get(subnet_id)
                if zone is None:
                    found = aws_answers.find_subnet(str(subnet_id), region, self._vpcs)
                    zone = found.zone if found else None
                if zone is not None and zone.zone_id in aws_answers.EKS_UNSUPPORTED_ZONE_IDS:
                    self.warnings.append(
                        f"aws:eks/cluster:Cluster {name}: subnet {subnet_id} is in {zone.name} "
                        f"({zone.zone_id}), a zone Amazon EKS does not support for cluster subnets, so "
                        "creating the cluster fails (UnsupportedAvailabilityZoneException); choose zones "
                        "with exclude_zone_ids="
                        f"{sorted(aws_answers.EKS_UNSUPPORTED_ZONE_IDS)}"
                    )

    def _region(self, provider_ref: str | None) -> str:
        region = self.provider_region(provider_ref or "")
        return region or self._default_region


def _aws_state(typ: str, name: str, resource_id: str, state: dict[str, Any], region: str) -> dict[str, Any]:
    service = typ.split(":")[1].split("/", maxsplit=1)[0]
    physical = state.get("name") or f"{name}-{short_hash(typ, name)[:7]}"
    extra = _AWS_OUTPUTS.get(typ)
    if extra:
        for key, value in extra(physical, resource_id, state, region).items():
            state.setdefault(key, value)
    state.setdefault(
        "arn", f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{typ.rsplit(':', 1)[1].lower()}/{physical}"
    )
    state.setdefault("tagsAll", state.get("tags") or {})
    return state


def _kubernetes_state(name: str, state: dict[str, Any], default_region: str) -> dict[str, Any]:
    metadata = dict(state.get("metadata") or {})
    if state.get("kind") not in {None, "Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding"}:
        metadata.setdefault("namespace", "default")
    metadata.setdefault("name", f"{name}-{short_hash(name)[:8]}")
    state["metadata"] = metadata
    if state.get("kind") == "Ingress":
        state.setdefault("status", _ingress_status(name, metadata, default_region))
    if "chart" in state:  # helm.sh/v3 Release: the provider installs into "default" unless told otherwise
        state.setdefault("namespace", "default")
        state.setdefault(
            "status",
            {
                "name": state.get("name") or name,
                "namespace": state["namespace"],
                "chart": state["chart"],
                "version": state.get("version") or "",
                "revision": 1,
                "status": "deployed",
            },
        )
    return state


def _ingress_status(name: str, metadata: dict[str, Any], default_region: str) -> dict[str, Any]:
    """What the provider's await reads back once a load balancer controller served the Ingress.

    An ALB's DNS name is `k8s-<namespace>-<name>-<hash>-<id>.<region>.elb.amazonaws.com` under the AWS
    Load Balancer Controller; the region is the certificate's (an ALB's ACM certificate is in its region).
    """
    annotations = metadata.get("annotations") or {}
    certificate = str(annotations.get("alb.ingress.kubernetes.io/certificate-arn") or "")
    parts = certificate.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else default_region
    namespace, object_name = str(metadata["namespace"])[:8], str(metadata["name"])[:8]
    digest = short_hash("ingress", name)
    hostname = f"k8s-{namespace}-{object_name}-{digest[:10]}-{int(digest, 16) % 10**10:010d}"
    return {"loadBalancer": {"ingress": [{"hostname": f"{hostname}.{region}.elb.amazonaws.com"}]}}


def _eks_cluster(physical: str, _id: str, state: dict[str, Any], region: str) -> dict[str, Any]:
    oidc_id = short_hash(physical).upper()
    # Amend the input block in place: `_aws_state` only adds keys the state does not have yet.
    vpc_config = state.setdefault("vpcConfig", {})
    vpc_config.setdefault("clusterSecurityGroupId", f"sg-{short_hash(physical, 'cluster')[:17]}")
    vpc_config.setdefault("vpcId", "vpc-0offlineplan")
    return {
        "name": physical,
        "endpoint": f"https://{oidc_id}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk9GRkxJTkUtUExBTgo="},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc_id}"}]}],
        "vpcConfig": vpc_config,
        "status": "ACTIVE",
        "platformVersion": "eks.1",
    }


_AWS_OUTPUTS: dict[str, Callable[[str, str, dict[str, Any], str], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:kms/key:Key": lambda p, i, s, r: {
        "keyId": i,
        "arn": f"arn:aws:kms:{r}:{ACCOUNT_ID}:key/{i}",
    },
    "aws:iam/role:Role": lambda p, i, s, r: {
        "name": p,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{p}",
        "uniqueId": i,
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda p, i, s, r: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{str(s.get('url', '')).removeprefix('https://')}"
    },
    "aws:ec2/launchTemplate:LaunchTemplate": lambda p, i, s, r: {"latestVersion": 1, "defaultVersion": 1},
    # EKS names the group's Auto Scaling group `eks-<node group name>-<uuid>`.
    "aws:eks/nodeGroup:NodeGroup": lambda p, i, s, r: {
        "resources": [
            {"autoscalingGroups": [{"name": f"eks-{s.get('nodeGroupName') or p}-{short_hash(i)[:8]}"}]}
        ],
        "status": "ACTIVE",
    },
    "aws:rds/cluster:Cluster": lambda p, i, s, r: {
        "clusterIdentifier": s.get("clusterIdentifier") or p,
        "endpoint": f"{s.get('clusterIdentifier') or p}.cluster-c0ffee.{r}.rds.amazonaws.com",
        "readerEndpoint": f"{s.get('clusterIdentifier') or p}.cluster-ro-c0ffee.{r}.rds.amazonaws.com",
        "port": s.get("port") or 5432,
        "arn": f"arn:aws:rds:{r}:{ACCOUNT_ID}:cluster:{s.get('clusterIdentifier') or p}",
        "masterUserSecrets": [
            {
                "secretArn": f"arn:aws:secretsmanager:{r}:{ACCOUNT_ID}:secret:rds!cluster-{i}",
                "secretStatus": "active",
            }
        ],
    },
    "aws:rds/clusterInstance:ClusterInstance": lambda p, i, s, r: {
        "identifier": s.get("identifier") or p,
        "endpoint": f"{s.get('identifier') or p}.c0ffee.{r}.rds.amazonaws.com",
    },
    # An address of the documentation range (RFC 5737), derived from the id.
    "aws:ec2/eip:Eip": lambda p, i, s, r: {"publicIp": f"203.0.113.{int(short_hash(i), 16) % 254 + 1}"},
    "aws:rds/globalCluster:GlobalCluster": lambda p, i, s, r: {
        "arn": f"arn:aws:rds::{ACCOUNT_ID}:global-cluster:{s.get('globalClusterIdentifier') or p}",
        # The global writer endpoint: <global cluster name>.global-<id>.global.rds.amazonaws.com
        "endpoint": f"{s.get('globalClusterIdentifier') or p}.global-c0ffee.global.rds.amazonaws.com",
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": lambda p, i, s, r: {
        "primaryEndpointAddress": f"master.{i}.c0ffee.{r[:3]}1.cache.amazonaws.com",
        "readerEndpointAddress": f"replica.{i}.c0ffee.{r[:3]}1.cache.amazonaws.com",
        "configurationEndpointAddress": f"clustercfg.{i}.c0ffee.{r[:3]}1.cache.amazonaws.com",
        "port": s.get("port") or 6379,
    },
    "aws:s3/bucket:Bucket": lambda p, i, s, r: {
        "bucket": s.get("bucket") or p,
        "arn": f"arn:aws:s3:::{s.get('bucket') or p}",
        "bucketRegionalDomainName": f"{s.get('bucket') or p}.s3.{r}.amazonaws.com",
        "region": r,
    },
    "aws:ecr/repository:Repository": lambda p, i, s, r: {
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{r}.amazonaws.com/{p}",
        "registryId": ACCOUNT_ID,
    },
    "aws:secretsmanager/secret:Secret": lambda p, i, s, r: {
        "arn": f"arn:aws:secretsmanager:{r}:{ACCOUNT_ID}:secret:{p}-AbCdEf"
    },
    "aws:route53/zone:Zone": lambda p, i, s, r: {
        "zoneId": "Z0OFFLINEPLAN",
        "nameServers": ["ns-1.awsdns-00.org"],
    },
    "aws:acm/certificate:Certificate": lambda p, i, s, r: {
        "arn": f"arn:aws:acm:{r}:{ACCOUNT_ID}:certificate/{i}"
    },
}
