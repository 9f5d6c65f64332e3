"""One component at a time, under `pulumi.runtime.set_mocks` with minimal inputs.

The whole-program tests read the offline plan; these build a single component with the small
`RecordingMocks` of `component_mocks`, so a harness bug cannot masquerade as a component bug.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pydantic import ValidationError

from infra.components.aurora import AuroraPostgres, AuroraPostgresArgs, DatabaseConfig
from infra.components.eks import EksCluster, EksClusterArgs
from infra.components.eks_config import ClusterConfig
from infra.components.eks_nodes import NodePool, Taint, TaintEffect
from infra.components.network import NatStrategy, Network, NetworkArgs, NetworkConfig
from infra.components.qdrant import ClientPods, QdrantCluster, QdrantClusterArgs
from infra.components.qdrant_config import QdrantConfig
from infra.components.redis import CacheConfig, RedisCache, RedisCacheArgs
from tests.infra.component_mocks import ZONES, RecordingMocks, build

TAGS = {"owner": "unit", "cost-center": "0", "environment": "staging"}
DATABASE_POOL = NodePool(
    name="database",
    instance_type="r5.xlarge",
    min_nodes=3,
    max_nodes=3,
    taints=(Taint(key="dedicated", value="database", effect=TaintEffect.NO_SCHEDULE),),
)
APPLICATION_POOL = NodePool(name="application", instance_type="m5.xlarge", min_nodes=1, max_nodes=3)


def _data_subnets() -> dict[str, Any]:
    return {
        "vpc_id": pulumi.Output.from_input("vpc-1"),
        "subnet_ids": [pulumi.Output.from_input(f"subnet-{zone}") for zone in ZONES[:3]],
        "availability_zones": list(ZONES[:3]),
        "client_security_group_id": pulumi.Output.from_input("sg-eks"),
    }


def _network(config: NetworkConfig) -> None:
    Network("unit", NetworkArgs(config=config, tags=TAGS))


def test_network_one_nat_gateway_per_zone_each_in_its_own_public_subnet(mocks: RecordingMocks) -> None:
    build(lambda: _network(NetworkConfig(az_count=3, nat_strategy=NatStrategy.ONE_PER_AZ)))
    nats = mocks.of_type("aws:ec2/natGateway:NatGateway")
    public = [subnet for subnet in mocks.of_type("aws:ec2/subnet:Subnet") if "-public-" in subnet.name]
    assert len(nats) == 3
    assert sorted(nat.inputs["subnetId"] for nat in nats) == sorted(f"{subnet.name}-id" for subnet in public)


def test_network_single_nat_is_one_gateway_and_none_is_none(mocks: RecordingMocks) -> None:
    build(lambda: _network(NetworkConfig(az_count=2, nat_strategy=NatStrategy.SINGLE)))
    assert len(mocks.of_type("aws:ec2/natGateway:NatGateway")) == 1
    mocks.resources.clear()
    build(lambda: _network(NetworkConfig(az_count=2, nat_strategy=NatStrategy.NONE)))
    assert mocks.of_type("aws:ec2/vpc:Vpc") and not mocks.of_type("aws:ec2/natGateway:NatGateway")


def test_aurora_is_encrypted_private_and_spread_over_zones(mocks: RecordingMocks) -> None:
    build(
        lambda: AuroraPostgres(
            "unit", AuroraPostgresArgs(config=DatabaseConfig(reader_count=2), tags=TAGS, **_data_subnets())
        )
    )
    [cluster] = mocks.of_type("aws:rds/cluster:Cluster")
    assert cluster.inputs["storageEncrypted"] is True
    instances = mocks.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 3
    assert {instance.inputs["availabilityZone"] for instance in instances} == set(ZONES[:3])
    assert all(instance.inputs["publiclyAccessible"] is False for instance in instances)


def test_redis_requires_tls_and_fails_over_across_zones(mocks: RecordingMocks) -> None:
    config = CacheConfig(nodes_per_shard=2, multi_az=True)
    build(lambda: RedisCache("unit", RedisCacheArgs(config=config, tags=TAGS, **_data_subnets())))
    [group] = mocks.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["transitEncryptionMode"] == "required"
    assert group.inputs["clusterMode"] == "disabled"
    assert group.inputs["numCacheClusters"] == 2
    assert group.inputs["automaticFailoverEnabled"] is True
    assert len(set(group.inputs["preferredCacheClusterAzs"])) == 2


def test_redis_refuses_the_cluster_mode_the_api_cannot_use(mocks: RecordingMocks) -> None:
    sharded = CacheConfig(cluster_mode=True, shard_count=2, nodes_per_shard=2)
    with pytest.raises(ValidationError, match=r"cache\.clusterMode must be false"):
        RedisCacheArgs(config=sharded, tags=TAGS, **_data_subnets())
    assert not mocks.resources


def _qdrant() -> None:
    cluster = EksCluster(
        "unit",
        EksClusterArgs(
            cluster_name="unit",
            config=ClusterConfig(),
            node_pools=(APPLICATION_POOL, DATABASE_POOL),
            vpc_id=pulumi.Output.from_input("vpc-1"),
            private_subnet_ids=[pulumi.Output.from_input("subnet-a"), pulumi.Output.from_input("subnet-b")],
            tags=TAGS,
        ),
    )
    QdrantCluster(
        "unit-qdrant",
        QdrantClusterArgs(
            config=QdrantConfig(replicas=3),
            cluster=cluster,
            node_pool=DATABASE_POOL,
            snapshot_job_pool=APPLICATION_POOL,
            clients=ClientPods(namespace="memory", labels={"app": "memory-api"}),
        ),
    )


def test_qdrant_runs_one_peer_per_node_on_the_database_pool_without_root(mocks: RecordingMocks) -> None:
    build(_qdrant)
    [statefulset] = mocks.of_type("kubernetes:apps/v1:StatefulSet")
    spec = statefulset.inputs["spec"]
    assert spec["replicas"] == 3
    pod = spec["template"]["spec"]
    assert pod["nodeSelector"] == {"memory-platform.io/pool": "database"}
    assert {toleration["key"] for toleration in pod["tolerations"]} == {"dedicated"}
    [anti] = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["topologyKey"] == "kubernetes.io/hostname"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert not mocks.of_type("kubernetes:batch/v1:CronJob"), "no backup bucket given: no snapshot job"
