"""Network policies: no security-group ingress from the internet except HTTPS to a load balancer, VPC
flow logs on every VPC, and no public IPs handed out by subnets."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from policies.framework import (
    ADVISORY,
    Subject,
    as_list,
    dig,
    linked,
    resource_policy,
    stack_policy,
    tags_of,
    truthy,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}
DEFAULT_LB_PATTERN = r"(^|[-_])(alb|nlb|lb|load-?balancer|ingress)([-_]|$)"


def _is_load_balancer(subject: Subject) -> bool:
    tag_key = str(subject.config.get("loadBalancerTagKey", "security-group-role"))
    if tags_of(subject).get(tag_key) == "load-balancer":
        return True
    pattern = re.compile(
        str(subject.config.get("loadBalancerNamePattern", DEFAULT_LB_PATTERN)), re.IGNORECASE
    )
    return bool(pattern.search(subject.name))


def _open_rules(subject: Subject) -> Iterator[tuple[Any, Any, str]]:
    """(fromPort, toPort, cidr) for every rule of this resource that admits the whole internet."""
    if subject.resource_type == SECURITY_GROUP:
        for rule in as_list(subject.get("ingress")):
            cidrs = as_list(dig(rule, "cidrBlocks")) + as_list(dig(rule, "ipv6CidrBlocks"))
            for cidr in OPEN_CIDRS.intersection(cidrs):
                yield dig(rule, "fromPort"), dig(rule, "toPort"), cidr
    else:
        for cidr in (subject.get("cidrIpv4"), subject.get("cidrIpv6")):
            if cidr in OPEN_CIDRS:
                yield subject.get("fromPort"), subject.get("toPort"), cidr


def _public_ingress(subject: Subject) -> Iterator[str]:
    for from_port, to_port, cidr in _open_rules(subject):
        if from_port == 443 and to_port == 443:
            if not _is_load_balancer(subject):
                yield f"allows HTTPS from {cidr} although it is not a load balancer's security group"
        elif from_port in (None, -1) or to_port in (None, -1):
            yield f"allows ingress from {cidr} on all ports"
        else:
            yield f"allows ingress from {cidr} on ports {from_port}-{to_port}"


security_group_no_public_ingress = resource_policy(
    name="aws-ec2-security-group-no-public-ingress",
    description="Security groups admit traffic from the internet only on 443 to a load balancer.",
    severity=Severity.CRITICAL,
    remediation=(
        "Restrict the rule's CIDR to the VPC or a referenced security group; only a load balancer's "
        "group (tag security-group-role=load-balancer) may open 443 to 0.0.0.0/0."
    ),
    resource_types=[SECURITY_GROUP, INGRESS_RULE],
    check=_public_ingress,
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
    resource_types=[SUBNET],
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
)

POLICIES = [security_group_no_public_ingress, subnet_no_public_ip, vpc_flow_logs]
