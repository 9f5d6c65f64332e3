"""Properties of AuroraPostgres, RedisCache and DisasterRecovery, read from the offline plan of each stack."""

from __future__ import annotations

import json
from typing import Any

from offline_plan.document import PlanDocument
from offline_plan.markers import REDACTED
from offline_plan.mocks import fake_password
from tests.conftest import by_urn, of_type

DR_COMPONENT = "memory-platform:dr:DisasterRecovery"
DR_REGION_COMPONENT = "memory-platform:dr:DrRegion"  # the DR region's pilot light (test_dr_region.py)
AURORA = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
KMS_KEY = "aws:kms/key:Key"
DR_OUTPUT_KEYS = {
    "primaryRegion",
    "drRegion",
    "globalClusterIdentifier",
    "primaryClusterIdentifier",
    "primaryClusterArn",
    "secondaryClusterIdentifier",
    "secondaryClusterArn",
    "backupVaultName",
    "drBackupVaultName",
    "rpoMinutes",
    "schemaVersion",
    "stack",
    "project",
    "activeRegion",
    "backupMaxAgeHours",
    "primaryDbSubnetGroupName",
    "primaryDbSecurityGroupId",
    "drDbSubnetGroupName",
    "drDbSecurityGroupId",
    # the DR region's compute, contributed by DrRegion
    "primaryClusterName",
    "drClusterName",
    "apiNamespace",
    "apiDeployment",
    "qdrantNamespace",
    "qdrantStatefulSet",
    "drApiReplicas",
    "drQdrantReplicas",
}
DNS_OUTPUT_KEYS = {"hostedZoneId", "apiHostname", "primaryApiTarget", "drApiTarget"}


def named(plan: PlanDocument, resource_type: str, name: str) -> dict[str, Any]:
    [resource] = [r for r in of_type(plan, resource_type) if r["name"] == name]
    return resource


def in_primary(plan: PlanDocument, resource_type: str) -> list[dict[str, Any]]:
    return [
        r
        for r in of_type(plan, resource_type)
        if DR_COMPONENT not in r["urn"] and DR_REGION_COMPONENT not in r["urn"]
    ]


def depends_on_rotated_key(plan: PlanDocument, resource: dict[str, Any], field: str) -> bool:
    resources = by_urn(plan)
    keys = [resources[urn] for urn in resource["propertyDependencies"].get(field, [])]
    return bool(keys) and all(
        key["type"] == KMS_KEY and key["inputs"]["enableKeyRotation"] is True for key in keys
    )


def eks_security_group_source(plan: PlanDocument) -> str:
    [cluster] = in_primary(plan, "aws:eks/cluster:Cluster")
    return cluster["urn"]


def test_aurora_storage_insights_and_secret_use_a_rotated_customer_key(stack_plan: PlanDocument) -> None:
    [cluster] = in_primary(stack_plan, AURORA)
    inputs = cluster["inputs"]
    assert inputs["storageEncrypted"] is True
    assert depends_on_rotated_key(stack_plan, cluster, "kmsKeyId")
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    for instance in in_primary(stack_plan, INSTANCE):
        assert instance["inputs"]["publiclyAccessible"] is False
        assert instance["inputs"]["performanceInsightsEnabled"] is True
        assert depends_on_rotated_key(stack_plan, instance, "performanceInsightsKmsKeyId")
        assert instance["inputs"]["monitoringInterval"] == 60
        assert instance["inputs"]["monitoringRoleArn"].startswith("arn:aws:iam::")


def test_staging_lets_rds_manage_the_master_password(staging_plan: PlanDocument) -> None:
    [cluster] = of_type(staging_plan, AURORA)
    assert cluster["inputs"]["manageMasterUserPassword"] is True
    assert "masterPassword" not in cluster["inputs"]
    assert depends_on_rotated_key(staging_plan, cluster, "masterUserSecretKmsKeyId")
    assert staging_plan.outputs["database"]["secretArn"].startswith("arn:aws:secretsmanager:eu-west-1:")


def test_backup_retention_and_deletion_protection_follow_the_stack(stack_plan: PlanDocument) -> None:
    [cluster] = in_primary(stack_plan, AURORA)
    inputs = cluster["inputs"]
    assert inputs["copyTagsToSnapshot"] is True
    if stack_plan.stack == "production":
        assert inputs["backupRetentionPeriod"] == 35
        assert inputs["deletionProtection"] is True
        assert inputs["skipFinalSnapshot"] is False
        assert inputs["finalSnapshotIdentifier"] == "memory-production-aurora-final"
    else:
        assert inputs["backupRetentionPeriod"] == 7
        assert inputs["deletionProtection"] is False
        assert inputs["skipFinalSnapshot"] is True


def test_postgres_forces_tls_and_tracks_statements(stack_plan: PlanDocument) -> None:
    resources = by_urn(stack_plan)
    for cluster in of_type(stack_plan, AURORA):
        [group_urn] = cluster["propertyDependencies"]["dbClusterParameterGroupName"]
        parameters = {p["name"]: p["value"] for p in resources[group_urn]["inputs"]["parameters"]}
        assert parameters["rds.force_ssl"] == "1", cluster["urn"]
        assert "pg_stat_statements" in parameters["shared_preload_libraries"]
        assert int(parameters["log_min_duration_statement"]) > 0


def test_a_promoted_dr_region_runs_with_the_primary_regions_parameters(production_plan: PlanDocument) -> None:
    """After a failover the DR cluster is the database: same TLS rule, same statement tracking and logging.

    Only the managed RPO (`rds.global_db_rpo`) is the writer's own (tests/infra/test_dr_data.py)."""
    resources = by_urn(production_plan)
    groups = {}
    for cluster in of_type(production_plan, AURORA):
        [group_urn] = cluster["propertyDependencies"]["dbClusterParameterGroupName"]
        group = resources[group_urn]["inputs"]
        region = "dr" if DR_COMPONENT in cluster["urn"] else "primary"
        parameters = [p for p in group["parameters"] if p["name"] != "rds.global_db_rpo"]
        groups[region] = (group["family"], sorted(parameters, key=lambda p: p["name"]))
    assert set(groups) == {"primary", "dr"}
    assert groups["dr"] == groups["primary"]
    assert {"name": "pg_stat_statements.track", "value": "all"} in groups["dr"][1]


def test_writer_and_readers_spread_across_zones(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    production = in_primary(production_plan, INSTANCE)
    assert len(production) == 3
    assert len({i["inputs"]["availabilityZone"] for i in production}) == 3
    assert all(i["inputs"]["instanceClass"] == "db.r6g.xlarge" for i in production)
    assert len(of_type(staging_plan, INSTANCE)) == 1


def test_production_scales_readers_on_cpu(production_plan: PlanDocument, staging_plan: PlanDocument) -> None:
    [target] = of_type(production_plan, "aws:appautoscaling/target:Target")
    assert target["inputs"]["scalableDimension"] == "rds:cluster:ReadReplicaCount"
    assert (target["inputs"]["minCapacity"], target["inputs"]["maxCapacity"]) == (2, 5)
    [policy] = of_type(production_plan, "aws:appautoscaling/policy:Policy")
    tracking = policy["inputs"]["targetTrackingScalingPolicyConfiguration"]
    assert (
        tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "RDSReaderAverageCPUUtilization"
    )
    assert of_type(staging_plan, "aws:appautoscaling/target:Target") == []


def test_redis_requires_tls_and_encrypts_with_a_customer_key(stack_plan: PlanDocument) -> None:
    [group] = in_primary(stack_plan, REDIS)  # the DR region's is the same component (test_dr_region.py)
    inputs = group["inputs"]
    assert inputs["transitEncryptionEnabled"] is True
    assert inputs["transitEncryptionMode"] == "required"
    assert inputs["atRestEncryptionEnabled"] is True
    assert depends_on_rotated_key(stack_plan, group, "kmsKeyId")
    assert inputs["authToken"] == REDACTED
    [secret] = of_type(stack_plan, "aws:secretsmanager/secret:Secret")[-1:]
    assert stack_plan.outputs["cache"]["authSecretArn"].startswith("arn:aws:secretsmanager:")
    [slow_log] = inputs["logDeliveryConfigurations"]
    assert (slow_log["logType"], slow_log["destinationType"]) == ("slow-log", "cloudwatch-logs")
    assert secret["inputs"]["kmsKeyId"].startswith("arn:aws:kms:")


def test_redis_topology_per_stack(production_plan: PlanDocument, staging_plan: PlanDocument) -> None:
    [production] = in_primary(production_plan, REDIS)
    assert production["inputs"]["multiAzEnabled"] is True
    assert production["inputs"]["automaticFailoverEnabled"] is True
    # One shard (the API speaks plain Redis): a primary and two replicas, one per AZ.
    assert production["inputs"]["clusterMode"] == "disabled"
    assert production["inputs"]["numCacheClusters"] == 3
    assert sorted(production["inputs"]["preferredCacheClusterAzs"]) == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1d",
    ]
    assert production_plan.outputs["cache"]["endpoint"].startswith("master.")
    [staging] = of_type(staging_plan, REDIS)
    assert staging["inputs"]["numCacheClusters"] == 1
    assert staging["inputs"]["multiAzEnabled"] is False
    assert staging["inputs"]["automaticFailoverEnabled"] is False


def test_data_stores_admit_only_the_eks_cluster(stack_plan: PlanDocument) -> None:
    resources = by_urn(stack_plan)
    clusters = {c["urn"] for c in of_type(stack_plan, "aws:eks/cluster:Cluster")}
    rules = [  # a cluster's own group admits the CI runners (test_ci_access.py); the rest are data stores
        rule
        for rule in of_type(stack_plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if not set(rule["propertyDependencies"]["securityGroupId"]) & clusters
    ]
    ports = {}
    for rule in rules:
        [eks] = rule["propertyDependencies"]["referencedSecurityGroupId"]
        assert eks in clusters
        assert "cidrIpv4" not in rule["inputs"] and "cidrIpv6" not in rule["inputs"]
        [group] = rule["propertyDependencies"]["securityGroupId"]
        # each store admits the cluster of its own region (the DR stores the DR cluster)
        assert (DR_REGION_COMPONENT in eks) == ("-dr-" in resources[group]["name"])
        ports[resources[group]["name"]] = (rule["inputs"]["fromPort"], rule["inputs"]["toPort"])
    prefix = f"memory-{stack_plan.stack}"
    expected = {f"{prefix}-aurora": (5432, 5432), f"{prefix}-cache": (6379, 6379)}
    if stack_plan.stack == "production":
        expected |= {f"{prefix}-dr-aurora": (5432, 5432), f"{prefix}-dr-cache": (6379, 6379)}
    assert ports == expected
    for group in of_type(stack_plan, "aws:ec2/securityGroup:SecurityGroup"):
        assert not group["inputs"].get("ingress"), group["urn"]
    for store in [*of_type(stack_plan, AURORA), *of_type(stack_plan, REDIS)]:
        field = "vpcSecurityGroupIds" if store["type"] == AURORA else "securityGroupIds"
        [group] = store["propertyDependencies"][field]
        assert resources[group]["type"] == "aws:ec2/securityGroup:SecurityGroup"


def test_no_secret_value_appears_in_inputs_or_outputs(stack_plan: PlanDocument) -> None:
    passwords = of_type(stack_plan, "random:index/randomPassword:RandomPassword")
    assert passwords, "the Redis AUTH token is generated"
    document = json.dumps({"resources": stack_plan.resources, "outputs": stack_plan.outputs})
    for password in passwords:
        assert fake_password(password["name"]) not in document
    for version in of_type(stack_plan, "aws:secretsmanager/secretVersion:SecretVersion"):
        assert version["inputs"]["secretString"] == REDACTED
    for cluster in of_type(stack_plan, AURORA):
        assert cluster["inputs"].get("masterPassword", REDACTED) == REDACTED


def test_stack_outputs_for_the_workloads_and_operator_tooling(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    for plan in (production_plan, staging_plan):
        assert set(plan.outputs["database"]) == {
            "writerEndpoint",
            "readerEndpoint",
            "port",
            "secretArn",
            "appEndpoint",
            "appEndpointKind",
        }
        assert set(plan.outputs["cache"]) == {"endpoint", "port", "authSecretArn"}
        assert plan.outputs["database"]["port"] == 5432
    dr = production_plan.outputs["disasterRecovery"]
    assert set(dr) == DR_OUTPUT_KEYS | DNS_OUTPUT_KEYS
    assert (dr["primaryRegion"], dr["drRegion"], dr["rpoMinutes"]) == ("us-east-1", "us-west-2", 15)
    assert dr["secondaryClusterArn"].startswith("arn:aws:rds:us-west-2:")
    assert dr["primaryClusterArn"].startswith("arn:aws:rds:us-east-1:")
    assert "disasterRecovery" not in staging_plan.outputs


def test_staging_has_no_disaster_recovery(staging_plan: PlanDocument) -> None:
    for resource_type in (
        "aws:rds/globalCluster:GlobalCluster",
        "aws:backup/vault:Vault",
        "aws:s3/bucket:Bucket",
        "pulumi:providers:aws",
    ):
        resources = of_type(staging_plan, resource_type)
        assert all(r["options"].get("default") for r in resources), resource_type
    assert [r for r in staging_plan.resources if DR_COMPONENT in r["type"]] == []
    assert len(of_type(staging_plan, "aws:ec2/vpc:Vpc")) == 1


def test_every_dr_resource_names_an_explicit_provider(production_plan: PlanDocument) -> None:
    resources = by_urn(production_plan)
    regions = {}
    for provider in of_type(production_plan, "pulumi:providers:aws"):
        if not provider["options"].get("default"):
            regions[f"{provider['urn']}::{provider['id']}"] = provider["inputs"]["region"]
    # DisasterRecovery's two, and the one the master secret's replica key is made with (us-west-2).
    assert sorted(set(regions.values())) == ["us-east-1", "us-west-2"]
    in_dr = [r for r in production_plan.resources if r["custom"] and DR_COMPONENT in r["urn"]]
    assert len(in_dr) > 40
    by_region: dict[str, set[str]] = {"us-east-1": set(), "us-west-2": set()}
    for resource in in_dr:
        if resource["type"].startswith("pulumi:providers:"):
            continue
        assert resource["provider"] in regions, f"{resource['urn']} uses {resource['provider']}"
        by_region[regions[resource["provider"]]].add(resource["type"])
    assert {
        AURORA,
        INSTANCE,
        "aws:backup/vault:Vault",
        "aws:s3/bucket:Bucket",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        KMS_KEY,
        "aws:rds/subnetGroup:SubnetGroup",
    } <= by_region["us-west-2"]
    secondary = named(production_plan, AURORA, "memory-production-aurora-dr")
    assert regions[secondary["provider"]] == "us-west-2"
    dr_key = resources[secondary["propertyDependencies"]["kmsKeyId"][0]]
    assert regions[dr_key["provider"]] == "us-west-2"
    assert set(named(production_plan, AURORA, "memory-production-aurora")["options"]["ignoreChanges"]) == {
        "globalClusterIdentifier",
        "replicationSourceIdentifier",
    }


def test_dr_vpc_has_the_nat_gateway_its_stack_file_names(production_plan: PlanDocument) -> None:
    dr_nats = [
        r for r in of_type(production_plan, "aws:ec2/natGateway:NatGateway") if DR_COMPONENT in r["urn"]
    ]
    assert len(dr_nats) == 1  # dr.natStrategy: single, for the pilot light's nodes
    [dr_vpc] = [r for r in of_type(production_plan, "aws:ec2/vpc:Vpc") if DR_COMPONENT in r["urn"]]
    assert dr_vpc["inputs"]["cidrBlock"] == "10.30.0.0/16"


def test_secondary_joins_the_global_cluster_after_the_primary_writer(production_plan: PlanDocument) -> None:
    [global_cluster] = of_type(production_plan, "aws:rds/globalCluster:GlobalCluster")
    primary = named(production_plan, AURORA, "memory-production-aurora")
    writer = named(production_plan, INSTANCE, "memory-production-aurora-writer")
    secondary = named(production_plan, AURORA, "memory-production-aurora-dr")
    assert global_cluster["propertyDependencies"]["sourceDbClusterIdentifier"] == [primary["urn"]]
    assert secondary["propertyDependencies"]["globalClusterIdentifier"] == [global_cluster["urn"]]
    assert writer["urn"] in secondary["dependencies"]
    assert secondary["inputs"]["storageEncrypted"] is True
    assert depends_on_rotated_key(production_plan, secondary, "kmsKeyId")
    [reader] = [i for i in of_type(production_plan, INSTANCE) if i["parent"] == secondary["urn"]]
    assert reader["inputs"]["publiclyAccessible"] is False
    assert reader["inputs"]["instanceClass"] == "db.r6g.xlarge"


def test_backups_are_copied_to_the_dr_vault(production_plan: PlanDocument) -> None:
    vaults = {v["name"]: v for v in of_type(production_plan, "aws:backup/vault:Vault")}
    for vault in vaults.values():
        assert depends_on_rotated_key(production_plan, vault, "kmsKeyArn")
    plan = named(production_plan, "aws:backup/plan:Plan", "memory-production-backup")
    [rule] = plan["inputs"]["rules"]
    assert rule["lifecycle"]["deleteAfter"] == 35
    [copy] = rule["copyActions"]
    assert copy["destinationVaultArn"].startswith("arn:aws:backup:us-west-2:")
    assert vaults["memory-production-dr-backup"]["urn"] in plan["propertyDependencies"]["rules"]
    # Both regions' plans and their tag selections: tests/infra/test_dr_data.py.


def test_backup_buckets_are_private_encrypted_and_replicated_with_rtc(production_plan: PlanDocument) -> None:
    resources = by_urn(production_plan)
    buckets = {
        b["urn"]: b for b in of_type(production_plan, "aws:s3/bucket:Bucket") if "-backups" in b["name"]
    }
    assert len(buckets) == 2

    def attached(resource_type: str) -> dict[str, dict[str, Any]]:
        found = {}
        for resource in of_type(production_plan, resource_type):
            [bucket] = resource["propertyDependencies"]["bucket"]
            if bucket in buckets:
                found[bucket] = resource
        assert set(found) == set(buckets), resource_type
        return found

    for block in attached("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").values():
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        assert all(block["inputs"][flag] is True for flag in flags)
    for versioning in attached("aws:s3/bucketVersioning:BucketVersioning").values():
        assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"
    encryption_type = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    for encryption in attached(encryption_type).values():
        default = encryption["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms"
        assert depends_on_rotated_key(production_plan, encryption, "rules")
    for policy in attached("aws:s3/bucketPolicy:BucketPolicy").values():
        [statement] = json.loads(policy["inputs"]["policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for lifecycle in attached("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").values():
        [rule] = lifecycle["inputs"]["rules"]
        assert [t["storageClass"] for t in rule["transitions"]] == ["STANDARD_IA", "GLACIER"]
        assert rule["expiration"]["days"] == 365

    [replication] = of_type(production_plan, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    [source] = replication["propertyDependencies"]["bucket"]
    [rule] = replication["inputs"]["rules"]
    destination = rule["destination"]
    assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert destination["metrics"]["status"] == "Enabled"
    assert destination["encryptionConfiguration"]["replicaKmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    [target] = [urn for urn in buckets if urn != source]
    assert destination["bucket"] == f"arn:aws:s3:::{buckets[target]['inputs']['bucket']}"
    assert buckets[source]["inputs"]["bucket"].endswith("us-east-1")
    assert buckets[target]["inputs"]["bucket"].endswith("us-west-2")
    assert resources[source]["provider"] != resources[target]["provider"]
