"""Fixtures for the review tests: small plan documents of the resource types today's plan lacks."""

from __future__ import annotations

from typing import Any

import pytest

from offline_plan.document import SCHEMA_VERSION

STACK = "urn:pulumi:production::memory-platform::pulumi:pulumi:Stack::memory-platform-production"
PREFIX = "urn:pulumi:production::memory-platform::"


def resource(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    parent: str | None = STACK,
    dependencies: list[str] | None = None,
    provider: str = "",
    custom: bool = True,
) -> dict[str, Any]:
    parent_types = "" if parent in (None, STACK) else parent.split("::")[2] + "$"
    return {
        "urn": f"{PREFIX}{parent_types}{type_}::{name}",
        "type": type_,
        "name": name,
        "id": f"{name}-id" if custom else "",
        "custom": custom,
        "parent": parent,
        "provider": provider,
        "dependencies": dependencies or [],
        "propertyDependencies": {},
        "inputs": inputs or {},
        "options": {},
    }


def document(resources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": "memory-platform",
        "stack": "production",
        "resources": resources,
        **extra,
    }


@pytest.fixture
def data_tier() -> list[dict[str, Any]]:
    """Aurora global database (primary us-east-1, secondary us-west-2), Redis, S3, Backup, Route 53, Qdrant."""
    stack = resource("pulumi:pulumi:Stack", "memory-platform-production", parent=None, custom=False)
    primary_provider = resource(
        "pulumi:providers:aws", "default_7_51_1", {"region": "us-east-1"}, parent=None
    )
    dr_provider = resource("pulumi:providers:aws", "dr", {"region": "us-west-2"})
    data = resource("memory-platform:data:AuroraPostgres", "memory", custom=False)
    glob = resource("aws:rds/globalCluster:GlobalCluster", "memory-global", parent=data["urn"])
    primary = resource(
        "aws:rds/cluster:Cluster",
        "memory-primary",
        {
            "engine": "aurora-postgresql",
            "masterUsername": "memory",
            "globalClusterIdentifier": "memory-global",
        },
        parent=data["urn"],
        dependencies=[glob["urn"]],
    )
    writer = resource(
        "aws:rds/clusterInstance:ClusterInstance",
        "memory-primary-1",
        {"instanceClass": "db.r6g.large"},
        parent=data["urn"],
        dependencies=[primary["urn"]],
    )
    secondary = resource(
        "aws:rds/cluster:Cluster",
        "memory-secondary",
        {"engine": "aurora-postgresql", "globalClusterIdentifier": "memory-global"},
        parent=data["urn"],
        dependencies=[glob["urn"], writer["urn"]],
        provider=f"{dr_provider['urn']}::dr-id",
    )
    reader = resource(
        "aws:rds/clusterInstance:ClusterInstance",
        "memory-secondary-1",
        {"instanceClass": "db.r6g.large"},
        parent=data["urn"],
        dependencies=[secondary["urn"]],
        provider=f"{dr_provider['urn']}::dr-id",
    )
    cache = resource(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "memory-redis",
        {"nodeType": "cache.r6g.large", "numCacheClusters": 2},
    )
    bucket = resource("aws:s3/bucketV2:BucketV2", "memory-snapshots")
    plan = resource("aws:backup/plan:Plan", "memory-backup")
    zone = resource("aws:route53/zone:Zone", "memory-zone")
    check = resource("aws:route53/healthCheck:HealthCheck", "memory-health")
    qdrant = resource(
        "kubernetes:apps/v1:StatefulSet",
        "qdrant",
        {
            "spec": {
                "replicas": 3,
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "storage"},
                        "spec": {"resources": {"requests": {"storage": "100Gi"}}},
                    }
                ],
            }
        },
    )
    claim = resource(
        "kubernetes:core/v1:PersistentVolumeClaim",
        "exports",
        {"spec": {"resources": {"requests": {"storage": "20Gi"}}}},
    )
    api = resource("kubernetes:apps/v1:Deployment", "memory-api", {"spec": {"replicas": 3}})
    hpa = resource(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "memory-api", dependencies=[api["urn"]]
    )
    return [
        stack, primary_provider, dr_provider, data, glob, primary, writer, secondary, reader,
        cache, bucket, plan, zone, check, qdrant, claim, api, hpa,
    ]  # fmt: skip
