"""Monthly cost estimate of a plan from the pinned price table in `review/data/aws-prices.json`.

Prices and usage assumptions are data (dated, with sources); this module only knows which recorded
input of which resource type is billed how (pulumi_aws / pulumi_kubernetes input names). A resource
whose price is missing from the table is listed as unpriced, never counted as free. A stack policy can
cap the estimate: `monthly_estimate(resources).total_usd` accepts plan records or `PolicyResource`s.

Helm releases create their volumes inside the cluster, so the plan has no PVC for them; the storage
their recorded `values` request is priced from `HELM_VOLUMES`, the value paths of the charts we deploy.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from review.plan import Record, component_of, default_region, number, quantity_gib, records, region_of

PRICES_PATH = Path(__file__).parent / "data" / "aws-prices.json"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass(frozen=True)
class HelmVolume:
    """One storage request a chart reads from its values: size per replica, and how many replicas.

    Only a size the values state is priced (a chart's default size is not assumed); `enabled`, when
    given, is the switch the chart checks before creating the volume, with the chart's default.
    """

    label: str
    size: str
    replicas: str
    default_replicas: int
    enabled: str | None = None
    enabled_by_default: bool = True


def _persistence(
    label: str,
    component: str,
    default_replicas: int,
    switch: str = "enabled",
    enabled_by_default: bool = True,
) -> HelmVolume:
    """The common chart shape `<component>.persistence.{size,<switch>}` with `<component>.replicas`."""
    return HelmVolume(
        label,
        f"{component}.persistence.size",
        f"{component}.replicas",
        default_replicas,
        f"{component}.persistence.{switch}",
        enabled_by_default,
    )


_PROMETHEUS = "prometheus.prometheusSpec"
_ALERTMANAGER = "alertmanager.alertmanagerSpec"
_CLAIM_SIZE = "volumeClaimTemplate.spec.resources.requests.storage"
HELM_VOLUMES: dict[str, list[HelmVolume]] = {
    "kube-prometheus-stack": [
        HelmVolume("prometheus", f"{_PROMETHEUS}.storageSpec.{_CLAIM_SIZE}", f"{_PROMETHEUS}.replicas", 1),
        HelmVolume("alertmanager", f"{_ALERTMANAGER}.storage.{_CLAIM_SIZE}", f"{_ALERTMANAGER}.replicas", 1),
        _persistence("grafana", "grafana", 1, enabled_by_default=False),
    ],
    "loki": [  # chart defaults: singleBinary 0 replicas, write and backend 3 each, claims enabled
        _persistence("loki", "singleBinary", 0),
        _persistence("loki write", "write", 3, "volumeClaimsEnabled"),
        _persistence("loki backend", "backend", 3, "volumeClaimsEnabled"),
    ],
}


def value_at(values: Any, path: str) -> Any:
    """The value at a dotted path of Helm values, or None when any step is missing."""
    for key in path.split("."):
        if not isinstance(values, Mapping):
            return None
        values = values.get(key)
    return values


@dataclass(frozen=True)
class CostLine:
    component: str
    urn: str
    item: str
    quantity: float
    unit: str
    unit_price_usd: float
    monthly_usd: float
    region: str | None


@dataclass(frozen=True)
class Unpriced:
    urn: str
    item: str
    reason: str


@dataclass(frozen=True)
class Estimate:
    """Monthly USD by line, component and in total, with the table date and the assumptions used."""

    lines: list[CostLine]
    unpriced: list[Unpriced]
    prices_as_of: str
    assumptions_used: dict[str, dict[str, Any]]
    primary_region: str | None = None
    by_component: dict[str, float] = field(init=False)
    by_region: dict[str, float] = field(init=False)
    total_usd: float = field(init=False)

    def __post_init__(self) -> None:
        totals: dict[str, float] = defaultdict(float)
        regions: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.component] += line.monthly_usd
            regions[self.region_label(line.region)] += line.monthly_usd
        by_component = dict(sorted(totals.items(), key=lambda item: -item[1]))
        object.__setattr__(self, "by_component", by_component)
        object.__setattr__(self, "by_region", dict(sorted(regions.items(), key=lambda item: -item[1])))
        object.__setattr__(self, "total_usd", round(sum(line.monthly_usd for line in self.lines), 2))

    def region_label(self, region: str | None) -> str:
        """`<region> (primary)` for the stack's own region, `<region> (DR)` for any other, `global` for none.

        A resource's region is its provider's: the DR-region provider's resources (the DR VPC, the Aurora
        secondary, the backup vault and buckets, and the DR cluster when it lands) count as DR.
        """
        if region is None:
            return "global"
        return f"{region} (primary)" if region == self.primary_region else f"{region} (DR)"

    def usd_of(self, urn: str) -> float:
        """Monthly USD of one resource's lines."""
        return sum(line.monthly_usd for line in self.lines if line.urn == urn)

    def as_json(self) -> dict[str, Any]:
        return {
            "totalUsd": self.total_usd,
            "pricesAsOf": self.prices_as_of,
            "byComponent": {name: round(value, 2) for name, value in self.by_component.items()},
            "byRegion": {name: round(value, 2) for name, value in self.by_region.items()},
            "lines": [line.__dict__ | {"monthly_usd": round(line.monthly_usd, 2)} for line in self.lines],
            "unpriced": [item.__dict__ for item in self.unpriced],
            "assumptions": self.assumptions_used,
        }


class PriceTableError(ValueError):
    """The price table lacks a region the plan uses."""


@cache
def price_table(path: Path = PRICES_PATH) -> dict[str, Any]:
    table: dict[str, Any] = json.loads(path.read_text())
    return table


class _Pricer:
    """Collects lines for one plan; one method per billed resource type."""

    def __init__(self, resources: list[Record], table: Mapping[str, Any]) -> None:
        self.resources = resources
        self.table = table
        self.by_urn = {resource["urn"]: resource for resource in resources}
        self.by_id = {resource["id"]: resource for resource in resources if resource.get("id")}
        self.region = default_region(resources)
        self.hours = float(table["hoursPerMonth"])
        self.lines: list[CostLine] = []
        self.unpriced: list[Unpriced] = []
        self.assumptions_used: dict[str, dict[str, Any]] = {}

    # helpers -------------------------------------------------------------------------------------
    def assume(self, key: str) -> float:
        assumption = self.table["assumptions"][key]
        self.assumptions_used[key] = assumption
        return float(assumption["value"])

    def prices(self, region: str | None) -> Mapping[str, Any]:
        regions = self.table["regions"]
        if region not in regions:
            raise PriceTableError(
                f"the price table {PRICES_PATH.name} has no region {region!r} (it has {', '.join(regions)}); "
                "add that region's prices to it with their source"
            )
        prices: Mapping[str, Any] = regions[region]
        return prices

    def add(
        self, resource: Record, item: str, quantity: float, unit: str, unit_price: float, region: str | None
    ) -> None:
        self.lines.append(
            CostLine(
                component=component_of(resource, self.by_urn),
                urn=resource["urn"],
                item=item,
                quantity=quantity,
                unit=unit,
                unit_price_usd=unit_price,
                monthly_usd=quantity * unit_price,
                region=region,
            )
        )

    def hourly(self, resource: Record, item: str, count: float, price: float, region: str | None) -> None:
        self.add(resource, item, count * self.hours, "hours", price, region)

    def lookup(self, resource: Record, table: str, key: str, region: str | None, item: str) -> float | None:
        price = self.prices(region).get(table, {}).get(key)
        if price is None:
            self.unpriced.append(
                Unpriced(resource["urn"], item, f"no {table}[{key!r}] for {region} in {PRICES_PATH.name}")
            )
            return None
        return float(price)

    def gp3(self, resource: Record, item: str, gib: float, region: str | None) -> None:
        if gib > 0:
            self.add(resource, item, gib, "GB-month", float(self.prices(region)["ebsGp3PerGBMonth"]), region)

    # billed types --------------------------------------------------------------------------------
    def run(self) -> None:
        handlers: dict[str, Callable[[Record, str | None], None]] = {
            "aws:eks/cluster:Cluster": self.eks_cluster,
            "aws:eks/nodeGroup:NodeGroup": self.node_group,
            "aws:ec2/natGateway:NatGateway": self.nat_gateway,
            "aws:ec2/eip:Eip": self.public_ip,
            "aws:ec2/vpcEndpoint:VpcEndpoint": self.vpc_endpoint,
            "aws:kms/key:Key": self.kms_key,
            "aws:cloudwatch/logGroup:LogGroup": self.log_group,
            "aws:rds/clusterInstance:ClusterInstance": self.aurora_instance,
            "aws:rds/cluster:Cluster": self.aurora_cluster,
            "aws:elasticache/replicationGroup:ReplicationGroup": self.cache_replication_group,
            "aws:elasticache/cluster:Cluster": self.cache_cluster,
            "aws:s3/bucket:Bucket": self.bucket,
            "aws:s3/bucketV2:BucketV2": self.bucket,
            "aws:backup/plan:Plan": self.backup_plan,
            "aws:ecr/repository:Repository": self.ecr_repository,
            "aws:route53/zone:Zone": self.hosted_zone,
            "aws:route53/healthCheck:HealthCheck": self.health_check,
            "aws:codebuild/project:Project": self.codebuild_project,
            "kubernetes:core/v1:PersistentVolumeClaim": self.pvc,
            "kubernetes:apps/v1:StatefulSet": self.stateful_set,
            HELM_RELEASE: self.helm_release,
        }
        for resource in self.resources:
            handler = handlers.get(resource["type"])
            if handler is not None:
                handler(resource, region_of(resource, self.by_urn, self.region))
        self.data_transfer()

    def eks_cluster(self, resource: Record, region: str | None) -> None:
        self.hourly(resource, "EKS control plane", 1, float(self.prices(region)["eksClusterHourly"]), region)

    def node_group(self, resource: Record, region: str | None) -> None:
        inputs = resource["inputs"]
        nodes = number((inputs.get("scalingConfig") or {}).get("desiredSize"), 0)
        instance_type = (inputs.get("instanceTypes") or ["t3.medium"])[0]
        item = f"EC2 {instance_type} x{nodes:g} ({inputs.get('capacityType') or 'ON_DEMAND'})"
        price = self.lookup(resource, "ec2OnDemandHourly", instance_type, region, item)
        if price is not None:
            if inputs.get("capacityType") == "SPOT":
                price *= 1 - self.assume("spotDiscount")
            self.hourly(resource, item, nodes, price, region)
        self.gp3(resource, f"EBS gp3 root volumes x{nodes:g}", nodes * self._root_volume_gib(inputs), region)

    def _root_volume_gib(self, inputs: Mapping[str, Any]) -> float:
        template_id = (inputs.get("launchTemplate") or {}).get("id")
        template = self.by_id.get(template_id) if template_id else None
        if template is not None:
            for mapping in template["inputs"].get("blockDeviceMappings") or []:
                size = number((mapping.get("ebs") or {}).get("volumeSize"), 0)
                if size:
                    return size
        return number(inputs.get("diskSize"), 0) or self.assume("defaultRootVolumeGiB")

    def nat_gateway(self, resource: Record, region: str | None) -> None:
        prices = self.prices(region)
        self.hourly(resource, "NAT gateway", 1, float(prices["natGatewayHourly"]), region)
        gigabytes = self.assume("natProcessedGBPerGatewayMonth")
        self.add(resource, "NAT data processed", gigabytes, "GB", float(prices["natGatewayPerGB"]), region)

    def public_ip(self, resource: Record, region: str | None) -> None:
        self.hourly(
            resource, "public IPv4 address", 1, float(self.prices(region)["publicIpv4Hourly"]), region
        )

    def vpc_endpoint(self, resource: Record, region: str | None) -> None:
        inputs = resource["inputs"]
        if inputs.get("vpcEndpointType") == "Interface":
            zones = max(len(inputs.get("subnetIds") or []), 1)
            price = float(self.prices(region)["interfaceEndpointHourlyPerAz"])
            self.hourly(resource, f"interface endpoint x{zones} AZ", zones, price, region)

    def kms_key(self, resource: Record, region: str | None) -> None:
        self.add(resource, "KMS key", 1, "key-month", float(self.prices(region)["kmsKeyMonthly"]), region)

    def log_group(self, resource: Record, region: str | None) -> None:
        prices = self.prices(region)
        ingested = self.assume("logsIngestedGBPerLogGroupMonth")
        self.add(resource, "log ingestion", ingested, "GB", float(prices["logsIngestPerGB"]), region)
        retention_days = number(resource["inputs"].get("retentionInDays"), 0)
        cap = self.assume("logsStoredMonthsCap")
        months = min(retention_days / 30, cap) if retention_days else cap
        storage = float(prices["logsStoragePerGBMonth"])
        self.add(resource, "log storage", ingested * months, "GB-month", storage, region)

    def aurora_instance(self, resource: Record, region: str | None) -> None:
        instance_class = str(resource["inputs"].get("instanceClass", ""))
        item = f"Aurora {instance_class}"
        price = self.lookup(resource, "auroraInstanceHourly", instance_class, region, item)
        if price is not None:
            self.hourly(resource, item, 1, price, region)

    def aurora_cluster(self, resource: Record, region: str | None) -> None:
        prices = self.prices(region)
        storage = self.assume("auroraStorageGB")
        self.add(
            resource, "Aurora storage", storage, "GB-month", float(prices["auroraStoragePerGBMonth"]), region
        )
        io = self.assume("auroraIOMillionsPerMonth")
        self.add(resource, "Aurora I/O", io, "million requests", float(prices["auroraIOPerMillion"]), region)
        backup = self.assume("auroraBackupGBBeyondFree")
        self.add(
            resource, "Aurora backup", backup, "GB-month", float(prices["auroraBackupPerGBMonth"]), region
        )

    def _cache_nodes(self, resource: Record, node_type: str, nodes: float, region: str | None) -> None:
        item = f"ElastiCache {node_type} x{nodes:g}"
        price = self.lookup(resource, "elasticacheNodeHourly", node_type, region, item)
        if price is not None:
            self.hourly(resource, item, nodes, price, region)

    def cache_replication_group(self, resource: Record, region: str | None) -> None:
        inputs = resource["inputs"]
        if inputs.get("numNodeGroups") is not None:
            nodes = number(inputs["numNodeGroups"], 1) * (number(inputs.get("replicasPerNodeGroup"), 0) + 1)
        else:
            nodes = number(inputs.get("numCacheClusters"), 1)
        if inputs.get("globalReplicationGroupId") and not inputs.get("nodeType"):
            return  # a global secondary inherits the node type; priced only when recorded
        self._cache_nodes(resource, str(inputs.get("nodeType", "")), nodes, region)

    def cache_cluster(self, resource: Record, region: str | None) -> None:
        inputs = resource["inputs"]
        if inputs.get("replicationGroupId"):
            return  # member of a replication group, counted there
        self._cache_nodes(
            resource, str(inputs.get("nodeType", "")), number(inputs.get("numCacheNodes"), 1), region
        )

    def bucket(self, resource: Record, region: str | None) -> None:
        gigabytes = self.assume("s3StorageGBPerBucket")
        price = float(self.prices(region)["s3StandardPerGBMonth"])
        self.add(resource, "S3 Standard storage", gigabytes, "GB-month", price, region)

    def backup_plan(self, resource: Record, region: str | None) -> None:
        gigabytes = self.assume("backupStorageGBPerPlan")
        price = float(self.prices(region)["backupWarmPerGBMonth"])
        self.add(resource, "AWS Backup warm storage", gigabytes, "GB-month", price, region)

    def ecr_repository(self, resource: Record, region: str | None) -> None:
        gigabytes = self.assume("ecrStorageGBPerRepository")
        self.add(
            resource,
            "ECR storage",
            gigabytes,
            "GB-month",
            float(self.prices(region)["ecrPerGBMonth"]),
            region,
        )

    def hosted_zone(self, resource: Record, region: str | None) -> None:
        prices = self.table["global"]
        self.add(
            resource, "Route 53 hosted zone", 1, "zone-month", float(prices["route53HostedZoneMonthly"]), None
        )
        queries = self.assume("route53QueriesMillionsPerMonth")
        price = float(prices["route53QueriesPerMillion"])
        self.add(resource, "Route 53 queries", queries, "million queries", price, None)

    def health_check(self, resource: Record, region: str | None) -> None:
        price = float(self.table["global"]["route53HealthCheckMonthly"])
        self.add(resource, "Route 53 health check", 1, "check-month", price, None)

    def codebuild_project(self, resource: Record, region: str | None) -> None:
        compute = str((resource["inputs"].get("environment") or {}).get("computeType", ""))
        item = f"CodeBuild {compute} build minutes"
        price = self.lookup(resource, "codebuildLinuxPerMinute", compute, region, item)
        if price is not None:
            minutes = self.assume("ciRunnerBuildMinutesPerMonth")
            self.add(resource, item, minutes, "build minutes", price, region)

    def pvc(self, resource: Record, region: str | None) -> None:
        storage = (
            ((resource["inputs"].get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
        )
        gib = quantity_gib(storage) if storage is not None else None
        if gib:
            self.gp3(resource, f"EBS gp3 PVC {storage}", gib, region)

    def stateful_set(self, resource: Record, region: str | None) -> None:
        spec = resource["inputs"].get("spec") or {}
        replicas = number(spec.get("replicas"), 1)
        for template in spec.get("volumeClaimTemplates") or []:
            storage = (((template.get("spec") or {}).get("resources") or {}).get("requests") or {}).get(
                "storage"
            )
            gib = quantity_gib(storage) if storage is not None else None
            name = (template.get("metadata") or {}).get("name", "data")
            if gib:
                self.gp3(
                    resource,
                    f"EBS gp3 volumeClaimTemplate {name} {storage} x{replicas:g}",
                    gib * replicas,
                    region,
                )

    def helm_release(self, resource: Record, region: str | None) -> None:
        values = resource["inputs"].get("values")
        volumes = HELM_VOLUMES.get(str(resource["inputs"].get("chart")), [])
        if volumes and not isinstance(values, Mapping):
            reason = f"the release's values were recorded as {values!r}, so its volume sizes are not known"
            self.unpriced.append(Unpriced(resource["urn"], "volumes requested in Helm values", reason))
            return
        for volume in volumes:
            enabled = value_at(values, volume.enabled) if volume.enabled else None
            if not (volume.enabled_by_default if enabled is None else enabled is True):
                continue
            size = value_at(values, volume.size)
            gib = quantity_gib(size) if size is not None else None
            replicas = number(value_at(values, volume.replicas), volume.default_replicas)
            if gib and replicas:
                item = f"EBS gp3 {volume.label} {replicas:g} x {gib:g} GiB (values)"
                self.gp3(resource, item, gib * replicas, region)

    def data_transfer(self) -> None:
        """Usage no plan records: stated per stack, per extra region."""
        if not self.lines:
            return
        stack = {"urn": "(data transfer)", "type": "", "parent": None, "custom": True}
        prices = self.prices(self.region)
        egress = self.assume("internetEgressGBPerMonth")
        self.add(stack, "internet egress", egress, "GB", float(prices["internetEgressPerGB"]), self.region)
        cross_az = self.assume("interAzGBPerMonth")
        self.add(stack, "inter-AZ traffic", cross_az, "GB", float(prices["interAzPerGB"]), self.region)
        other_regions = sorted(
            {line.region for line in self.lines if line.region and line.region != self.region}
        )
        for region in other_regions:
            gigabytes = self.assume("interRegionGBPerMonth")
            price = float(prices["interRegionPerGB"])
            self.add(stack, f"inter-region traffic to {region}", gigabytes, "GB", price, self.region)


def monthly_estimate(resources: Iterable[Any], table: Mapping[str, Any] | None = None) -> Estimate:
    """Monthly USD of the resources of one stack (plan records or pulumi_policy `PolicyResource`s)."""
    pricer = _Pricer(records(resources), table if table is not None else price_table())
    pricer.run()
    return Estimate(
        lines=pricer.lines,
        unpriced=pricer.unpriced,
        prices_as_of=str(pricer.table["asOf"]),
        assumptions_used=pricer.assumptions_used,
        primary_region=pricer.region,
    )
