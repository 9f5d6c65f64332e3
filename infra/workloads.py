"""The Kubernetes workloads of a stack: load-balancer controller, Qdrant and the memory API.

`deploy_workloads` wires them from the stack config, the foundation and the data tier's outputs
(`DataTierEndpoints`), so `__main__.py` and tests build exactly the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.components._base import ComponentArgs, StrInput
from infra.components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from infra.components.eks import EksCluster
from infra.components.memory_api import NAMESPACE as API_NAMESPACE
from infra.components.memory_api import POD_LABELS as API_POD_LABELS
from infra.components.memory_api import MemoryApi, MemoryApiArgs, QdrantEndpoint
from infra.components.network import Network
from infra.components.qdrant import (
    GRPC_PORT,
    HTTP_PORT,
    ClientPods,
    QdrantCluster,
    QdrantClusterArgs,
    SnapshotTarget,
)
from infra.config import StackConfig


class DataTierEndpoints(ComponentArgs):
    """What the workloads need from Aurora, Redis and the backup bucket."""

    database_writer_endpoint: StrInput
    database_port: StrInput
    database_secret_arn: StrInput
    redis_endpoint: StrInput
    redis_port: StrInput
    redis_auth_secret_arn: StrInput
    secrets_kms_key_arns: tuple[StrInput, ...] = ()
    # The backup bucket exists with disaster recovery; without it Qdrant takes no S3 snapshots.
    backup_bucket_name: StrInput | None = None
    backup_bucket_arn: StrInput | None = None
    backup_kms_key_arn: StrInput | None = None


@dataclass(frozen=True)
class Workloads:
    addons: ClusterAddons
    qdrant: QdrantCluster
    memory_api: MemoryApi


def deploy_workloads(
    stack: StackConfig,
    network: Network,
    cluster: EksCluster,
    data_tier: DataTierEndpoints,
    otlp_endpoint: str,
    monitoring_crds: pulumi.Resource | None = None,
) -> Workloads:
    pools = {pool.name: pool for pool in stack.node_pools}
    prefix = stack.stack_prefix
    addons = ClusterAddons(
        prefix, ClusterAddonsArgs(cluster=cluster, vpc_id=network.vpc_id, region=stack.primary_region)
    )
    qdrant = QdrantCluster(
        f"{prefix}-qdrant",
        QdrantClusterArgs(
            config=stack.qdrant,
            cluster=cluster,
            node_pool=pools["database"],
            snapshot_job_pool=pools["application"],
            clients=ClientPods(namespace=API_NAMESPACE, labels=API_POD_LABELS),
            snapshots=(
                SnapshotTarget(
                    bucket_name=data_tier.backup_bucket_name,
                    bucket_arn=data_tier.backup_bucket_arn,
                    kms_key_arn=data_tier.backup_kms_key_arn,
                    prefix=f"qdrant/{stack.environment}/",
                )
                if data_tier.backup_bucket_name is not None and data_tier.backup_bucket_arn is not None
                else None
            ),
            monitoring_crds=monitoring_crds,
        ),
    )
    memory_api = MemoryApi(
        f"{prefix}-api",
        MemoryApiArgs(
            config=stack.memory_api,
            environment=stack.environment,
            region=stack.primary_region,
            cluster=cluster,
            node_pool=pools["application"],
            vpc_cidr=network.vpc_cidr,
            database_writer_endpoint=data_tier.database_writer_endpoint,
            database_port=data_tier.database_port,
            database_secret_arn=data_tier.database_secret_arn,
            redis_endpoint=data_tier.redis_endpoint,
            redis_port=data_tier.redis_port,
            redis_auth_secret_arn=data_tier.redis_auth_secret_arn,
            secrets_kms_key_arns=data_tier.secrets_kms_key_arns,
            qdrant=QdrantEndpoint(
                url=qdrant.url,
                namespace=qdrant.namespace,
                pod_labels=qdrant.pod_labels,
                api_key_secret_name=qdrant.api_key_secret_name,
                api_key_secret_field=qdrant.api_key_secret_field,
                http_port=HTTP_PORT,
                grpc_port=GRPC_PORT,
            ),
            ingress_class=addons.ingress_class,
            otlp_endpoint=otlp_endpoint,
            monitoring_crds=monitoring_crds,
            tags=stack.tags.as_dict(),
        ),
        opts=pulumi.ResourceOptions(depends_on=[addons]),
    )
    return Workloads(addons=addons, qdrant=qdrant, memory_api=memory_api)
