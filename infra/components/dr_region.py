"""`DrRegion`: the DR region's pilot light, able to take the whole service when the primary is gone.

It composes the project's own components under the DR region's AWS provider (`DisasterRecovery`'s,
passed as `providers=` so every child inherits it), not copies of them:
- the DR VPC is `DisasterRecovery.network` (the same `Network` as the primary), with NAT gateways
  once compute is on: the nodes pull the API image from ECR and Qdrant's from Docker Hub, which no VPC
  endpoint reaches; one NAT gateway (~$33 a month plus data) is cheaper than the seven interface
  endpoints EKS nodes, IRSA, Secrets Manager and the load balancer controller would need (two AZs each);
- `EksCluster` with the `dr.compute.nodePools` (small `application` and `database` pools), the same
  access entries, logging and encryption as the primary, and no second account-wide Auto Scaling
  service-linked role (the primary's cluster creates it);
- `Workloads` (load balancer controller, Qdrant, memory API and the Ingress, hence an ALB) with the same
  Pod Security labels, security contexts and NetworkPolicies as the primary, created at the pilot-light
  sizes: the API at `apiReplicas` (0: its HPA, at the failover size, is idle while the Deployment has
  no replicas; Kubernetes' "implicit maintenance-mode deactivation") and Qdrant at `qdrantReplicas`.
  Both counts belong to the operator afterwards (`ignore_changes`), so a `pulumi up` after
  `platform-ops dr failover` does not scale them back down. No ServiceMonitors: the pilot light runs
  no Prometheus operator, so its CRDs do not exist there; no tracing collector either. No Qdrant
  snapshot job: the DR copy of the snapshots arrives by bucket replication;
- `RedisCache` on `cacheNodes` small nodes with its own AUTH secret under its own DR-region key; it
  starts cold, and the API serves without a cache;
- an ingress rule on the DR Aurora cluster's security group for the DR cluster's nodes;
- reachable by both deployers: the primary VPC's CI runner (the release job's `pulumi up` spans both
  regions) through a public endpoint admitting only the primary VPC's NAT addresses (/32s, IAM
  authentication still required), and a `CiRunner` in the DR VPC over the private endpoint: on the
  day the primary region is gone it is the one deployer left.

The DR pods read DR-region ARNs only: the database secret is the primary's Secrets Manager replica
(`AuroraPostgres.secret_in`), images come from the ECR replica (`MemoryApi.replica_repository_url`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from infra.components._base import ComponentArgs
from infra.components.ci_runner import CiRunner, CiRunnerArgs, CiRunnerConfig, runner_project_name
from infra.components.disaster_recovery import DisasterRecovery
from infra.components.dr_region_config import DrComputeConfig
from infra.components.eks import EksCluster, EksClusterArgs
from infra.components.eks_config import ClusterConfig
from infra.components.memory_api import NAME as API_DEPLOYMENT
from infra.components.memory_api import NAMESPACE as API_NAMESPACE
from infra.components.memory_api_config import MemoryApiConfig
from infra.components.qdrant import NAME as QDRANT_STATEFULSET
from infra.components.qdrant_config import QdrantConfig
from infra.components.redis import CacheConfig, RedisCache, RedisCacheArgs
from infra.components.workloads import DatabaseClient, Workloads, WorkloadsArgs
from infra.tagging import aws_tags


class DrRegionArgs(ComponentArgs):
    config: DrComputeConfig
    environment: Literal["staging", "production"]
    region: str  # dr.region
    disaster_recovery: DisasterRecovery  # the DR region's provider, VPC and database security group
    cluster: ClusterConfig  # the primary's control-plane settings, reused
    ci_runner: CiRunnerConfig  # the primary's runner settings; the DR connection comes from `config`
    cache: CacheConfig  # the primary's cache settings; the DR region runs one small node
    qdrant: QdrantConfig
    memory_api: MemoryApiConfig
    database: DatabaseClient  # from `primary_database_client(..., dr.region, ...)`
    image_repository_url: pulumi.Output[str]  # the primary's image repository's replica in this region
    api_regional_host: str | None = None  # the API's own name in this region, when DNS fails over
    primary_cluster: EksCluster  # creates the account-wide Auto Scaling role the DR volume key names
    # The primary VPC's NAT addresses: the primary's CI runner deploys the DR cluster through them.
    primary_nat_addresses: Sequence[pulumi.Output[str]]
    tags: dict[str, str]


class DrRegion(pulumi.ComponentResource):
    """Pilot-light EKS cluster, workloads, Redis and CI runner in the DR region."""

    cluster: EksCluster
    workloads: Workloads
    cache: RedisCache
    api_load_balancer_hostname: pulumi.Output[str] | None  # the DR ALB, from the Ingress status
    output_values: dict[str, Any]

    def __init__(self, name: str, args: DrRegionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        dr = args.disaster_recovery
        super().__init__(
            "memory-platform:dr:DrRegion",
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers=[dr.dr_provider])),
        )
        config, tags, network = args.config, args.tags, dr.network
        region = args.region
        child = pulumi.ResourceOptions(parent=self)

        self.cluster = EksCluster(
            name,
            EksClusterArgs(
                cluster_name=name,
                config=args.cluster.model_copy(update={"create_autoscaling_service_linked_role": False}),
                node_pools=config.node_pools,
                vpc_id=network.vpc_id,
                private_subnet_ids=network.private_subnet_ids,
                tags=tags,
                volume_key_after=(args.primary_cluster.node_volume_key,),
                deployer_addresses=args.primary_nat_addresses,
            ),
            opts=child,
        )
        cluster = self.cluster
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-aurora-from-nodes",
            security_group_id=dr.output_values["drDbSecurityGroupId"],
            referenced_security_group_id=cluster.security_group_id,
            ip_protocol="tcp",
            from_port=pulumi.Output.from_input(args.database.port).apply(int),
            to_port=pulumi.Output.from_input(args.database.port).apply(int),
            description="PostgreSQL from the DR EKS cluster's nodes",
            tags=aws_tags(tags, f"{name}-aurora-from-nodes"),
            opts=child,
        )
        self.cache = RedisCache(
            name,
            RedisCacheArgs(
                config=args.cache.model_copy(
                    update={
                        "node_type": config.cache_node_type,
                        "nodes_per_shard": config.cache_nodes,
                        "multi_az": config.cache_nodes > 1,
                    }
                ),
                vpc_id=network.vpc_id,
                subnet_ids=network.isolated_subnet_ids,
                availability_zones=network.availability_zones,
                client_security_group_id=cluster.security_group_id,
                tags=tags,
            ),
            opts=child,
        )
        if args.ci_runner.enabled and config.ci_runner_connection_arn is not None:
            CiRunner(
                f"{name}-ci",
                CiRunnerArgs(
                    config=args.ci_runner.model_copy(
                        update={"connection_arn": config.ci_runner_connection_arn}
                    ),
                    project_name=runner_project_name(name),
                    vpc_id=network.vpc_id,
                    private_subnet_ids=network.private_subnet_ids,
                    cluster_security_group_id=cluster.security_group_id,
                    tags=tags,
                ),
                opts=child,
            )
        memory_api = args.memory_api.model_copy(update={"certificate_arn": config.certificate_arn})
        self.workloads = Workloads(
            name,
            WorkloadsArgs(
                environment=args.environment,
                region=region,
                qdrant=args.qdrant,
                memory_api=memory_api,
                node_pools=config.node_pools,
                network=network,
                cluster=cluster,
                database=args.database,
                cache=self.cache,
                otlp_endpoint=None,
                monitoring=False,
                api_replicas=config.api_replicas,
                qdrant_replicas=config.qdrant_replicas,
                image_repository_url=args.image_repository_url,
                api_regional_host=args.api_regional_host,
                tags=tags,
            ),
            opts=child,
        )
        self.api_load_balancer_hostname = self.workloads.memory_api.load_balancer_hostname
        # This component's part of the `disasterRecovery` stack output (`dr_stack_output`).
        self.output_values = {
            "primaryClusterName": args.primary_cluster.cluster_name,
            "drClusterName": cluster.cluster_name,
            "apiNamespace": API_NAMESPACE,
            "apiDeployment": API_DEPLOYMENT,
            "qdrantNamespace": self.workloads.qdrant.namespace,
            "qdrantStatefulSet": QDRANT_STATEFULSET,
            "drApiReplicas": args.memory_api.min_replicas,
            "drQdrantReplicas": args.qdrant.replicas,
        }
        self.register_outputs(
            {
                "clusterName": cluster.cluster_name,
                "apiLoadBalancerHostname": self.api_load_balancer_hostname,
            }
        )
