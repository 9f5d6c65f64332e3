"""`Workloads`: what runs on the cluster: the load-balancer controller, Qdrant and the memory API.

It takes the foundation and the data tier as components (`Network`, `EksCluster`, `AuroraPostgres`,
`RedisCache`, and `DisasterRecovery` when the stack has one) and wires their outputs into its three
children, so the program hands over components instead of a copy of their fields.

Defaults and why:
- Qdrant runs on the `database` pool; its snapshot job and the memory API on the `application` pool
  (the stack config guarantees both pools exist).
- Qdrant snapshots go to the DR backup bucket under `qdrant/<environment>/`; without disaster
  recovery there is no bucket and no snapshot job.
- The memory API waits for the load-balancer controller, whose webhook must admit its Ingress and
  Service.

The children were top-level resources before this component existed: each carries an alias to its
old parent (the stack), so `pulumi up` moves them (and, through alias inheritance, their children)
instead of replacing them.
"""

from __future__ import annotations

from typing import Literal

import pulumi

from infra.components._base import ComponentArgs, StrInput
from infra.components.aurora import AuroraPostgres
from infra.components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from infra.components.disaster_recovery import DisasterRecovery
from infra.components.eks import EksCluster
from infra.components.eks_nodes import NodePool
from infra.components.memory_api import NAMESPACE as API_NAMESPACE
from infra.components.memory_api import POD_LABELS as API_POD_LABELS
from infra.components.memory_api import MemoryApi, MemoryApiArgs, QdrantEndpoint
from infra.components.memory_api_config import MemoryApiConfig
from infra.components.network import Network
from infra.components.qdrant import GRPC_PORT, HTTP_PORT, ClientPods, QdrantCluster, QdrantClusterArgs
from infra.components.qdrant_config import QdrantConfig
from infra.components.qdrant_snapshots import SnapshotTarget
from infra.components.redis import RedisCache
from infra.components.replicas import ImageReplica

# Where the children lived before `Workloads` existed; their aliases keep the history of a real stack.
_FORMERLY_TOP_LEVEL = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]


class DatabaseClient(ComponentArgs):
    """Where the API finds Aurora when not through an `AuroraPostgres` of its own region (the DR region)."""

    writer_endpoint: StrInput
    port: StrInput
    secret_arn: StrInput
    kms_key_arn: StrInput


def primary_database_client(
    database: AuroraPostgres, region: str, dr: DisasterRecovery | None
) -> DatabaseClient:
    """How pods in `region` reach `database`: with DR, through the global writer endpoint (it follows
    the writer to either region) and the master secret as read in `region` (its replica outside the
    primary's region); without, the cluster's own writer endpoint and secret."""
    secret_arn, kms_key_arn = database.secret_in(region)
    return DatabaseClient(
        writer_endpoint=dr.writer_endpoint if dr is not None else database.writer_endpoint,
        port=database.port.apply(str),
        secret_arn=secret_arn,
        kms_key_arn=kms_key_arn,
    )


class WorkloadsArgs(ComponentArgs):
    environment: Literal["staging", "production"]
    region: str
    qdrant: QdrantConfig
    memory_api: MemoryApiConfig
    node_pools: tuple[NodePool, ...]
    network: Network
    cluster: EksCluster
    database: AuroraPostgres | DatabaseClient
    cache: RedisCache
    disaster_recovery: DisasterRecovery | None = None  # the backup bucket Qdrant snapshots go to
    otlp_endpoint: str | None  # the OTLP/HTTP collector the API sends traces to; None: no tracing
    monitoring_crds: pulumi.Resource | None = None  # the release installing the ServiceMonitor CRD
    # The DR region's pilot light: no Prometheus operator (no ServiceMonitors), the workloads created
    # below their configured sizes (`platform-ops dr failover` scales them), images from the ECR replica.
    monitoring: bool = True
    api_replicas: int | None = None
    qdrant_replicas: int | None = None
    image_repository_url: StrInput | None = None
    api_regional_host: str | None = None  # the region's own API name when DNS fails over (FailoverDns)
    tags: dict[str, str]


class Workloads(pulumi.ComponentResource):
    """The cluster's workloads: `ClusterAddons`, `QdrantCluster` and `MemoryApi`."""

    addons: ClusterAddons
    qdrant: QdrantCluster
    memory_api: MemoryApi

    def __init__(self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("memory-platform:kubernetes:Workloads", name, None, opts)
        pools = {pool.name: pool for pool in args.node_pools}
        cluster, cache, dr = args.cluster, args.cache, args.disaster_recovery
        database = (
            args.database
            if isinstance(args.database, DatabaseClient)
            else primary_database_client(args.database, args.region, dr)
        )
        child = pulumi.ResourceOptions(parent=self, aliases=_FORMERLY_TOP_LEVEL)

        self.addons = ClusterAddons(
            name,
            ClusterAddonsArgs(cluster=cluster, vpc_id=args.network.vpc_id, region=args.region),
            opts=child,
        )
        self.qdrant = QdrantCluster(
            f"{name}-qdrant",
            QdrantClusterArgs(
                config=args.qdrant,
                cluster=cluster,
                node_pool=pools["database"],
                snapshot_job_pool=pools["application"],
                clients=ClientPods(namespace=API_NAMESPACE, labels=API_POD_LABELS),
                snapshots=(
                    SnapshotTarget(
                        bucket_name=dr.backup_bucket_name,
                        bucket_arn=dr.backup_bucket_arn,
                        kms_key_arn=dr.backup_kms_key_arn,
                        prefix=f"qdrant/{args.environment}/",
                    )
                    if dr is not None
                    else None
                ),
                monitoring_crds=args.monitoring_crds,
                monitoring=args.monitoring,
                running_replicas=args.qdrant_replicas,
            ),
            opts=child,
        )
        qdrant = self.qdrant
        # The images are replicated from the primary region's repository only.
        image_replica = (
            ImageReplica(region=dr.dr_region, provider=dr.dr_provider)
            if dr is not None and args.region != dr.dr_region
            else None
        )
        self.memory_api = MemoryApi(
            f"{name}-api",
            MemoryApiArgs(
                config=args.memory_api,
                environment=args.environment,
                region=args.region,
                cluster=cluster,
                node_pool=pools["application"],
                vpc_cidr=args.network.vpc_cidr,
                load_balancer_cidrs=tuple(args.network.public_subnet_cidrs),
                database_writer_endpoint=database.writer_endpoint,
                database_port=database.port,
                database_secret_arn=database.secret_arn,
                redis_endpoint=cache.endpoint,
                redis_port=cache.port.apply(str),
                redis_auth_secret_arn=cache.auth_secret_arn,
                secrets_kms_key_arns=(database.kms_key_arn, cache.kms_key_arn),
                qdrant=QdrantEndpoint(
                    url=qdrant.url,
                    namespace=qdrant.namespace,
                    pod_labels=qdrant.pod_labels,
                    api_key_secret_name=qdrant.api_key_secret_name,
                    api_key_secret_field=qdrant.api_key_secret_field,
                    http_port=HTTP_PORT,
                    grpc_port=GRPC_PORT,
                ),
                ingress_class=self.addons.ingress_class,
                ingress_controller=self.addons.load_balancer_controller,
                otlp_endpoint=args.otlp_endpoint,
                monitoring_crds=args.monitoring_crds,
                regional_host=args.api_regional_host,
                image_replica=image_replica,
                monitoring=args.monitoring,
                initial_replicas=args.api_replicas,
                image_repository_url=args.image_repository_url,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.addons])),
        )
        self.register_outputs({"memoryApiRepositoryUrl": self.memory_api.repository_url})
