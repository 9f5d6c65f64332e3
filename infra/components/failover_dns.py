"""`FailoverDns`: Route 53 failover of the API hostname between the primary and the DR region.

What it creates and why:
- Per region, the region's own name (`infra.contracts.regional_hostname`, e.g.
  `api-us-west-2.memory.example.com`) as a CNAME to that region's ALB. The ALB's DNS name is an input
  (the memory API Ingress's `status.loadBalancer.ingress[0].hostname`), so nobody types it in.
- Per region, an HTTPS health check of `/health/ready` (the API's readiness path, `PROBE_PATHS`) on
  that regional name, port 443 with SNI. Route 53 sends `FullyQualifiedDomainName` as the Host header
  (AWS, HealthCheckConfig: "If you specify a value of 443 for Port and HTTPS ... Route 53 passes the
  value of FullyQualifiedDomainName to the endpoint in the Host header"), and each region's Ingress has a
  rule for its regional name, so the check reaches the API instead of the ALB's default 404.
- The API hostname as a PRIMARY/SECONDARY failover pair of CNAMEs to the regional names, each carrying
  its target region's health check. Which region is PRIMARY is `dr.activeRegion`
  (`infra.contracts.failover_targets`, shared with `platform-ops`), so the `pulumi up` after a failover
  keeps what the tool did. A health check follows its region, never the role: the tool exchanges the two
  records' targets together with their health checks.

It is its own component, created after the workloads of both regions, because it needs both regions'
load balancers, and the workloads need the `DisasterRecovery` component first. It contributes the DNS
part of the `disasterRecovery` stack output (`output_values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components._base import ComponentArgs, StrInput
from infra.components.disaster_recovery_config import FailoverDnsConfig
from infra.components.memory_api import PROBE_PATHS
from infra.contracts import failover_targets, regional_hostname
from infra.tagging import aws_tags

TTL_SECONDS = 60
HEALTH_CHECK_INTERVAL_SECONDS = 30
HEALTH_CHECK_FAILURE_THRESHOLD = 3


class FailoverDnsArgs(ComponentArgs):
    config: FailoverDnsConfig
    api_hostname: str  # memoryApi.host
    primary_region: str
    dr_region: str
    active_region: str  # dr.activeRegion, else the primary region
    primary_load_balancer: StrInput  # the primary region's ALB DNS name
    dr_load_balancer: StrInput  # the DR region's ALB DNS name
    tags: dict[str, str]


class FailoverDns(pulumi.ComponentResource):
    """Regional names, their health checks, and the failover pair of the API hostname."""

    regional_hostnames: dict[str, str]
    health_check_ids: dict[str, pulumi.Output[str]]
    output_values: Mapping[str, Any]

    def __init__(self, name: str, args: FailoverDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("memory-platform:dr:FailoverDns", name, None, opts)
        zone = args.config.hosted_zone_id
        regions = {"primary": args.primary_region, "dr": args.dr_region}
        load_balancers = {"primary": args.primary_load_balancer, "dr": args.dr_load_balancer}
        self.regional_hostnames = {
            role: regional_hostname(args.api_hostname, region) for role, region in regions.items()
        }
        self.health_check_ids = {}
        for role, region in regions.items():
            regional = self.regional_hostnames[role]
            aws.route53.Record(
                f"{name}-api-{region}",
                zone_id=zone,
                name=regional,
                type="CNAME",
                ttl=TTL_SECONDS,
                records=[pulumi.Output.from_input(load_balancers[role]).apply(_known(role, region))],
                opts=pulumi.ResourceOptions(parent=self),
            )
            check = aws.route53.HealthCheck(
                f"{name}-api-{region}",
                type="HTTPS",
                fqdn=regional,
                port=443,
                resource_path=PROBE_PATHS["readiness"],
                request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
                failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
                enable_sni=True,
                tags=aws_tags(args.tags, f"{name}-api-{region}"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.health_check_ids[role] = check.id

        first, second = failover_targets(args.active_region, args.primary_region, "primary", "dr")
        for failover_role, region_role in (("PRIMARY", first), ("SECONDARY", second)):
            aws.route53.Record(
                f"{name}-api-{failover_role.lower()}",
                zone_id=zone,
                name=args.api_hostname,
                type="CNAME",
                ttl=TTL_SECONDS,
                records=[self.regional_hostnames[region_role]],
                set_identifier=f"{name}-{failover_role.lower()}",
                failover_routing_policies=[{"type": failover_role}],
                health_check_id=self.health_check_ids[region_role],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.output_values = {
            "hostedZoneId": zone,
            "apiHostname": args.api_hostname,
            "primaryApiTarget": self.regional_hostnames["primary"],
            "drApiTarget": self.regional_hostnames["dr"],
        }
        self.register_outputs({"regionalHostnames": self.regional_hostnames})


def _known(role: str, region: str) -> Any:
    def check(hostname: str | None) -> str:
        if not hostname:
            key = "primaryLoadBalancerHostname" if role == "primary" else "drLoadBalancerHostname"
            raise ValueError(
                f"the memory API load balancer in {region} has no DNS name (its Ingress has no "
                f"status.loadBalancer yet, or the region has no Ingress): set memory-platform:dr.dns.{key} "
                "in the stack file, or deploy the memory API there first"
            )
        return hostname

    return check
