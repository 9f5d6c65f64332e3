"""Network policies: no security-group ingress from the internet except HTTPS to a load balancer (one rule
model over inline rules, ``ec2.SecurityGroupRule`` and ``vpc.SecurityGroupIngressRule``, IPv4 and IPv6),
VPC flow logs on every VPC, and no public IPs handed out by subnets."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, Severity

from policies.aws.sdk import types_with
from policies.framework import (
    ADVISORY,
    Subject,
    as_list,
    dig,
    linked,
    per_resource,
    resource_policy,
    resource_subject,
    stack_policy,
    tags_of,
    truthy,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUPS = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)
RULE_TYPES = frozenset({*GROUPS, SECURITY_GROUP_RULE, INGRESS_RULE})
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}
DEFAULT_LB_PATTERN = r"(^|[-_])(alb|nlb|lb|load-?balancer|ingress)([-_]|$)"
ALL_PROTOCOLS = {"-1", "all"}


@dataclass(frozen=True)
class IngressRule:
    """One ingress rule, whatever resource declares it (inline, ec2.SecurityGroupRule, vpc rule)."""

    protocol: str
    from_port: Any
    to_port: Any
    cidr: str

    def describe(self) -> str:
        if self.protocol in ALL_PROTOCOLS:
            return "all traffic"
        protocol = {"6": "tcp", "17": "udp", "1": "icmp"}.get(self.protocol, self.protocol).upper()
        if protocol in ("ICMP", "ICMPV6", "58"):
            return "ICMP"
        if self.from_port in (None, -1) or self.to_port in (None, -1):
            return f"every {protocol} port"
        if self.from_port == self.to_port:
            return f"{protocol} port {self.from_port}"
        if (self.from_port, self.to_port) == (0, 65535):
            return f"every {protocol} port"
        return f"{protocol} ports {self.from_port}-{self.to_port}"

    @property
    def https_only(self) -> bool:
        return self.protocol in ("tcp", "6") and self.from_port == 443 and self.to_port == 443


def open_rules(resource: PolicyResource) -> Iterator[IngressRule]:
    """Every ingress rule of ``resource`` that admits the whole internet (IPv4 or IPv6)."""
    props = resource.props
    if resource.resource_type in GROUPS:
        for rule in as_list(dig(props, "ingress")):
            cidrs = as_list(dig(rule, "cidrBlocks")) + as_list(dig(rule, "ipv6CidrBlocks"))
            for cidr in sorted(OPEN_CIDRS.intersection(cidrs)):
                yield IngressRule(
                    str(dig(rule, "protocol", default="")).lower(),
                    dig(rule, "fromPort"),
                    dig(rule, "toPort"),
                    cidr,
                )
    elif resource.resource_type == SECURITY_GROUP_RULE:
        if dig(props, "type") != "ingress":
            return
        cidrs = as_list(dig(props, "cidrBlocks")) + as_list(dig(props, "ipv6CidrBlocks"))
        for cidr in sorted(OPEN_CIDRS.intersection(cidrs)):
            yield IngressRule(
                str(dig(props, "protocol", default="")).lower(),
                dig(props, "fromPort"),
                dig(props, "toPort"),
                cidr,
            )
    else:
        for cidr in (dig(props, "cidrIpv4"), dig(props, "cidrIpv6")):
            if cidr in OPEN_CIDRS:
                yield IngressRule(
                    str(dig(props, "ipProtocol", default="")).lower(),
                    dig(props, "fromPort"),
                    dig(props, "toPort"),
                    cidr,
                )


def _is_load_balancer(group: PolicyResource, config: Mapping[str, Any]) -> bool:
    tag_key = str(config.get("loadBalancerTagKey", "security-group-role"))
    if tags_of(resource_subject(group, config)).get(tag_key) == "load-balancer":
        return True
    pattern = re.compile(str(config.get("loadBalancerNamePattern", DEFAULT_LB_PATTERN)), re.IGNORECASE)
    return bool(pattern.search(group.name) or pattern.search(str(dig(group.props, "name", default=""))))


def _public_ingress(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    groups = {r.urn: r for r in resources if r.resource_type in GROUPS}

    def check(resource: PolicyResource) -> Iterator[tuple[str, str | None]]:
        label = f"{resource.resource_type} '{resource.name}'"
        for rule in open_rules(resource):
            if rule.https_only:
                # The convention is the rule's security group's: a standalone rule is judged by its group.
                owners = (
                    [resource]
                    if resource.resource_type in GROUPS
                    else linked(resource, "securityGroupId", groups)
                )
                if not any(_is_load_balancer(owner, config) for owner in owners or [resource]):
                    yield (
                        f"{label} allows HTTPS from {rule.cidr}, but its security group is not a load "
                        "balancer's.",
                        resource.urn,
                    )
            else:
                yield f"{label} allows {rule.describe()} from {rule.cidr}.", resource.urn

    yield from per_resource((r for r in resources if r.resource_type in RULE_TYPES), check)


security_group_no_public_ingress = stack_policy(
    name="aws-ec2-security-group-no-public-ingress",
    description="Security groups admit traffic from the internet only on 443 to a load balancer.",
    severity=Severity.CRITICAL,
    remediation=(
        "Restrict the rule's CIDR to the VPC or a referenced security group; only a load balancer's "
        "group (tag security-group-role=load-balancer) may open 443 to 0.0.0.0/0 or ::/0."
    ),
    check=_public_ingress,
    covers=RULE_TYPES,
    config={
        "loadBalancerTagKey": {"type": "string", "default": "security-group-role"},
        "loadBalancerNamePattern": {"type": "string", "default": DEFAULT_LB_PATTERN},
    },
)


def _public_ip(subject: Subject) -> Iterator[str]:
    if truthy(subject.get("mapPublicIpOnLaunch")):
        yield "gives every instance launched into it a public IP (mapPublicIpOnLaunch=true)"


subnet_no_public_ip = resource_policy(
    name="aws-ec2-subnet-no-public-ip-on-launch",
    description="Subnets do not hand out public IPs automatically; only NAT gateways and load balancers are public.",
    severity=Severity.MEDIUM,
    remediation="Remove map_public_ip_on_launch; NAT gateways use Elastic IPs and load balancers get their own.",
    resource_types=types_with("mapPublicIpOnLaunch"),
    check=_public_ip,
    enforcement_level=ADVISORY,
)


def _flow_logs(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    vpcs = {r.urn: r for r in resources if r.resource_type == VPC}
    covered: set[str] = set()
    for resource in resources:
        if resource.resource_type == FLOW_LOG:
            covered.update(v.urn for v in linked(resource, "vpcId", vpcs))
    for urn, vpc in vpcs.items():
        if urn not in covered:
            yield f"{VPC} '{vpc.name}' has no aws:ec2/flowLog:FlowLog.", urn


vpc_flow_logs = stack_policy(
    name="aws-ec2-vpc-flow-logs-enabled",
    description="Every VPC records flow logs.",
    severity=Severity.MEDIUM,
    remediation="Add an aws.ec2.FlowLog with vpc_id set to the VPC and traffic_type='ALL'.",
    check=_flow_logs,
    covers=[VPC],
)

POLICIES = [security_group_no_public_ingress, subnet_no_public_ip, vpc_flow_logs]
