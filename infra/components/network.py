"""`Network`: the VPC every other component lives in.

Creates, per availability zone (chosen by zone ID, skipping the zones EKS does not support), a public
subnet (load balancers, NAT gateways), a private subnet (EKS nodes and pods; large, because the VPC CNI
gives every pod a VPC address) and an isolated subnet with no route to the internet (Aurora,
ElastiCache). NAT is one gateway per AZ (an AZ outage does not cut the others off), a single gateway for
cheaper non-production stacks, or none for a standby VPC that holds only databases (the DR region;
private subnets then have no default route until NAT is switched on at failover). An S3 gateway endpoint
keeps image-layer and backup traffic off the NAT gateways, the default security group is emptied, and
VPC flow logs go to a CloudWatch log group encrypted with its own key.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator

from infra.components._base import (
    ComponentArgs,
    assume_role_policy,
    encryption_key,
    logs_key_statement,
    policy_json,
)
from infra.config_types import Cidr, ConfigModel
from infra.tagging import aws_tags


class NatStrategy(StrEnum):
    ONE_PER_AZ = "one_per_az"
    SINGLE = "single"
    NONE = "none"


class NetworkConfig(ConfigModel):
    """The VPC of the primary region."""

    vpc_cidr: Cidr = Field(default="10.20.0.0/16", description="VPC CIDR, a /16 to /20 private range.")
    az_count: int = Field(default=3, ge=2, le=4, description="Availability zones to spread over.")
    nat_strategy: NatStrategy = Field(
        default=NatStrategy.ONE_PER_AZ,
        description=(
            "one_per_az survives an AZ outage; single is cheaper for non-production; "
            "none (DR standby VPC only) gives private subnets no internet egress."
        ),
    )
    flow_log_retention_days: int = Field(
        default=365, ge=1, description="CloudWatch retention of VPC flow logs."
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _private_and_sized(cls, value: str) -> str:
        network = ipaddress.ip_network(value)
        if not network.is_private or network.version != 4:
            raise ValueError(f"'{value}' must be a private IPv4 range (10/8, 172.16/12, 192.168/16)")
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(f"'{value}' must be between /16 and /20 to fit pods and subnets")
        return value


# Zones Amazon EKS refuses for a cluster's subnets (EKS user guide, "VPC and subnet requirements":
# CreateCluster fails with UnsupportedAvailabilityZoneException). Zone names map to IDs differently in
# every account, so zones are chosen by ID, never by name.
EKS_UNSUPPORTED_ZONE_IDS = ("cac1-az3", "use1-az3", "usw1-az2")


class NetworkArgs(ComponentArgs):
    config: NetworkConfig
    tags: dict[str, str]


def subnet_plan(vpc_cidr: str, az_count: int) -> dict[str, list[str]]:
    """Carve the VPC into eighths: one per AZ for private subnets, the last two for public and isolated."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    small = 3  # public and isolated subnets are 1/8 of an eighth each
    return {
        "private": [str(block) for block in eighths[:az_count]],
        "public": [str(block) for block in list(eighths[6].subnets(prefixlen_diff=small))[:az_count]],
        "isolated": [str(block) for block in list(eighths[7].subnets(prefixlen_diff=small))[:az_count]],
    }


class Network(pulumi.ComponentResource):
    """VPC, subnets in three tiers, NAT, routing, S3 endpoint and flow logs."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    public_subnet_cidrs: list[str]
    availability_zones: list[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    isolated_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("memory-platform:network:Network", name, None, opts)
        config, tags = args.config, args.tags
        child = pulumi.ResourceOptions(parent=self)
        zones = aws.get_availability_zones(
            state="available",
            exclude_zone_ids=list(EKS_UNSUPPORTED_ZONE_IDS),
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOptions(parent=self),
        ).names[: config.az_count]
        if len(zones) < config.az_count:
            raise ValueError(
                f"network.azCount is {config.az_count} but the region has only {len(zones)} AZs "
                "that Amazon EKS supports; lower network.azCount"
            )
        plan = subnet_plan(config.vpc_cidr, config.az_count)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=aws_tags(tags, f"{name}-vpc"),
            opts=child,
        )
        in_vpc = pulumi.ResourceOptions(parent=vpc)
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags=aws_tags(tags, f"{name}-default-sg-unused"),
            opts=in_vpc,
        )
        gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=aws_tags(tags, f"{name}-igw"), opts=in_vpc
        )

        def subnets(tier: str, role_tags: dict[str, str]) -> list[aws.ec2.Subnet]:
            return [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{zone}",
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags=aws_tags(tags, f"{name}-{tier}-{zone}", tier=tier, **role_tags),
                    opts=in_vpc,
                )
                for zone, cidr in zip(zones, plan[tier], strict=True)
            ]

        public = subnets("public", {"kubernetes.io/role/elb": "1"})
        private = subnets("private", {"kubernetes.io/role/internal-elb": "1"})
        isolated = subnets("isolated", {})

        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags=aws_tags(tags, f"{name}-public-rt"), opts=in_vpc
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
            opts=pulumi.ResourceOptions(parent=public_routes),
        )
        for subnet, zone in zip(public, zones, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}",
                subnet_id=subnet.id,
                route_table_id=public_routes.id,
                opts=pulumi.ResourceOptions(parent=public_routes),
            )

        nat_zones = {
            NatStrategy.ONE_PER_AZ: zones,
            NatStrategy.SINGLE: zones[:1],
            NatStrategy.NONE: [],
        }[NatStrategy(config.nat_strategy)]
        nats = []
        addresses = []
        for zone, subnet in zip(nat_zones, public, strict=False):
            address = aws.ec2.Eip(
                f"{name}-nat-{zone}", domain="vpc", tags=aws_tags(tags, f"{name}-nat-{zone}"), opts=in_vpc
            )
            addresses.append(address)
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    subnet_id=subnet.id,
                    allocation_id=address.id,
                    tags=aws_tags(tags, f"{name}-nat-{zone}"),
                    opts=pulumi.ResourceOptions(parent=vpc, depends_on=[gateway]),
                )
            )

        route_tables = []
        for index, (zone, subnet) in enumerate(zip(zones, private, strict=True)):
            table = aws.ec2.RouteTable(
                f"{name}-private-rt-{zone}",
                vpc_id=vpc.id,
                tags=aws_tags(tags, f"{name}-private-rt-{zone}"),
                opts=in_vpc,
            )
            if nats:
                nat = nats[index] if config.nat_strategy == NatStrategy.ONE_PER_AZ else nats[0]
                aws.ec2.Route(
                    f"{name}-private-default-{zone}",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=pulumi.ResourceOptions(parent=table),
                )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=pulumi.ResourceOptions(parent=table),
            )
            route_tables.append(table)

        isolated_routes = aws.ec2.RouteTable(
            f"{name}-isolated-rt", vpc_id=vpc.id, tags=aws_tags(tags, f"{name}-isolated-rt"), opts=in_vpc
        )
        for subnet, zone in zip(isolated, zones, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-isolated-{zone}",
                subnet_id=subnet.id,
                route_table_id=isolated_routes.id,
                opts=pulumi.ResourceOptions(parent=isolated_routes),
            )

        region = aws.get_region(opts=pulumi.InvokeOptions(parent=self)).region
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in [*route_tables, isolated_routes]],
            tags=aws_tags(tags, f"{name}-s3"),
            opts=in_vpc,
        )
        self._flow_logs(name, vpc, config, tags, region)

        self.vpc_id = vpc.id
        self.vpc_cidr = config.vpc_cidr
        self.availability_zones = list(zones)
        self.public_subnet_ids = [subnet.id for subnet in public]
        self.public_subnet_cidrs = list(plan["public"])  # where an internet-facing load balancer sits
        self.private_subnet_ids = [subnet.id for subnet in private]
        self.isolated_subnet_ids = [subnet.id for subnet in isolated]
        # What the private subnets' traffic to the internet comes from (e.g. a CI runner in them).
        self.nat_public_ips = [address.public_ip for address in addresses]
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "privateSubnetIds": self.private_subnet_ids,
                "isolatedSubnetIds": self.isolated_subnet_ids,
            }
        )

    def _flow_logs(
        self, name: str, vpc: aws.ec2.Vpc, config: NetworkConfig, tags: dict[str, str], region: str
    ) -> None:
        log_group_name = f"/vpc/{name}/flow-logs"
        invoke = pulumi.InvokeOptions(parent=self)
        account = aws.get_caller_identity(opts=invoke).account_id
        partition = aws.get_partition(opts=invoke).partition
        key = encryption_key(
            f"{name}-flow-logs",
            description=f"Encrypts the VPC flow logs of {name}",
            tags=tags,
            parent=self,
            service_statements=[logs_key_statement(region, account, partition, log_group_name)],
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=log_group_name,
            retention_in_days=config.flow_log_retention_days,
            kms_key_id=key.arn,
            tags=aws_tags(tags, f"{name}-flow-logs"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            # Confused-deputy guard from the VPC user guide ("IAM role for publishing flow logs to
            # CloudWatch Logs"): only flow logs of this account may assume the role.
            assume_role_policy=assume_role_policy(
                "vpc-flow-logs.amazonaws.com",
                {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*"},
                },
            ),
            tags=aws_tags(tags, f"{name}-flow-logs"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=policy_json(
                [
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        "Resource": log_group.arn.apply(lambda arn: f"{arn}:*"),
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=aws_tags(tags, f"{name}-flow-logs"),
            opts=pulumi.ResourceOptions(parent=vpc),
        )
