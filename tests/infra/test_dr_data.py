"""Issue 15, the data tier of disaster recovery: what the API connects to, the managed RPO, the replicated
master secret and images, backups that follow the writer, the global members' ignore_changes and the
master password's version. Plan tests read the offline plan of each stack; the password test builds one
`AuroraPostgres` under its own mocks, so a harness bug cannot pass for a component bug."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from infra.components.aurora import AuroraPostgres, AuroraPostgresArgs, DatabaseConfig
from infra.components.disaster_recovery_config import DisasterRecoveryConfig
from offline_plan.document import PlanDocument
from offline_plan.markers import REDACTED
from tests.conftest import by_urn, of_type
from tests.infra.component_mocks import ZONES, RecordingMocks, build

CLUSTER = "aws:rds/cluster:Cluster"
DR_COMPONENT = "memory-platform:dr:DisasterRecovery"
PRIMARY_CLUSTER = "memory-production-aurora"
DR_CLUSTER = "memory-production-aurora-dr"


def _named(plan: PlanDocument, resource_type: str, name: str) -> dict[str, Any]:
    [resource] = [r for r in of_type(plan, resource_type) if r["name"] == name]
    return resource


def _api_env(plan: PlanDocument) -> dict[str, Any]:
    [deployment] = [
        d
        for d in of_type(plan, "kubernetes:apps/v1:Deployment")
        if d["inputs"]["metadata"]["name"] == "memory-api"
    ]
    [container] = deployment["inputs"]["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item.get("value") for item in container["env"]}


def _region_of(plan: PlanDocument) -> dict[str, str]:
    """Resource URN -> the region its explicit provider deploys to (default providers: the stack's)."""
    providers = {
        f"{p['urn']}::{p['id']}": p["inputs"].get("region", "us-east-1")
        for p in of_type(plan, "pulumi:providers:aws")
    }
    return {r["urn"]: providers.get(r.get("provider") or "", "us-east-1") for r in plan.resources}


def _rotated_key_in(plan: PlanDocument, urns: list[str], region: str) -> bool:
    resources, regions = by_urn(plan), _region_of(plan)
    keys = [resources[urn] for urn in urns if resources[urn]["type"] == "aws:kms/key:Key"]
    return bool(keys) and all(k["inputs"]["enableKeyRotation"] and regions[k["urn"]] == region for k in keys)


# --- the API follows the writer ------------------------------------------------------------------


def test_with_dr_the_api_connects_through_the_global_writer_endpoint(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    [global_cluster] = of_type(production_plan, "aws:rds/globalCluster:GlobalCluster")
    host = _api_env(production_plan)["MEMORY_API_DATABASE_HOST"]
    # AWS: the global writer endpoint's name starts with the global database's name.
    assert host.startswith(global_cluster["inputs"]["globalClusterIdentifier"] + ".")
    assert host.endswith(".global.rds.amazonaws.com")
    assert host != production_plan.outputs["database"]["writerEndpoint"], "not the regional endpoint"
    endpoint = host
    assert production_plan.outputs["database"]["appEndpoint"] == endpoint
    assert production_plan.outputs["database"]["appEndpointKind"] == "global-writer"
    # Without DR there is no global database: the cluster's own writer endpoint.
    staging = staging_plan.outputs["database"]
    assert _api_env(staging_plan)["MEMORY_API_DATABASE_HOST"] == staging["writerEndpoint"]
    assert (staging["appEndpoint"], staging["appEndpointKind"]) == (
        staging["writerEndpoint"],
        "cluster-writer",
    )


# --- managed RPO ---------------------------------------------------------------------------------


def _parameters(plan: PlanDocument, name: str) -> dict[str, str]:
    group = _named(plan, "aws:rds/clusterParameterGroup:ClusterParameterGroup", name)
    return {p["name"]: p["value"] for p in group["inputs"]["parameters"]}


def test_the_writer_blocks_commits_beyond_the_configured_rpo(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    primary = _parameters(production_plan, PRIMARY_CLUSTER)
    secondary = _parameters(production_plan, "memory-production-dr-aurora")
    # rpoMinutes: 15 in Pulumi.production.yaml; the parameter is in seconds.
    assert primary["rds.global_db_rpo"] == str(15 * 60)
    # One definition: the secondary has every other parameter, but not the RPO (AWS: leave it unset on
    # the secondary of a two-region global database, or a promoted cluster with no secondary blocks).
    assert secondary == {k: v for k, v in primary.items() if k != "rds.global_db_rpo"}
    assert "rds.global_db_rpo" not in _parameters(staging_plan, "memory-staging-aurora")


def test_an_rpo_the_parameter_cannot_take_is_refused_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match=r"rds\.global_db_rpo") as refused:
        DisasterRecoveryConfig(enabled=True, region="us-west-2", rpo_minutes=0)
    assert "use e.g. 15" in str(refused.value)
    with pytest.raises(ValueError, match=r"rds\.global_db_rpo"):
        DisasterRecoveryConfig(enabled=True, region="us-west-2", rpo_minutes=1441)


# --- credentials and images in the DR region -----------------------------------------------------


def test_the_master_secret_is_replicated_to_the_dr_region_under_a_dr_region_key(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    [secret] = [
        s for s in of_type(production_plan, "aws:secretsmanager/secret:Secret") if "aurora" in s["name"]
    ]
    [replica] = secret["inputs"]["replicas"]
    assert replica["region"] == "us-west-2"
    assert replica["kmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    assert _rotated_key_in(production_plan, secret["propertyDependencies"]["replicas"], "us-west-2")
    # The replica key admits the account (IAM policies grant its use, as for the primary's keys).
    resources = by_urn(production_plan)
    [key_urn] = secret["propertyDependencies"]["replicas"]
    [statement] = json.loads(resources[key_urn]["inputs"]["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert of_type(staging_plan, "aws:secretsmanager/secret:Secret")
    for staged in of_type(staging_plan, "aws:secretsmanager/secret:Secret"):
        assert not staged["inputs"].get("replicas")


def test_api_images_are_replicated_to_the_dr_region_into_a_customer_key(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    [repository] = of_type(production_plan, "aws:ecr/repository:Repository")
    name = repository["inputs"]["name"]
    [replication] = of_type(production_plan, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
    [rule] = replication["inputs"]["replicationConfiguration"]["rules"]
    assert [d["region"] for d in rule["destinations"]] == ["us-west-2"]
    [repository_filter] = rule["repositoryFilters"]
    assert repository_filter["filterType"] == "PREFIX_MATCH"
    assert name.startswith(repository_filter["filter"])
    # The repository ECR creates in the DR region takes its settings from this template.
    [template] = of_type(production_plan, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
    assert _region_of(production_plan)[template["urn"]] == "us-west-2"
    assert template["inputs"]["appliedFors"] == ["REPLICATION"]
    assert name.startswith(template["inputs"]["prefix"] + "/")
    assert template["inputs"]["imageTagMutability"] == "IMMUTABLE"
    [encryption] = template["inputs"]["encryptionConfigurations"]
    assert encryption["encryptionType"] == "KMS"
    assert _rotated_key_in(
        production_plan, template["propertyDependencies"]["encryptionConfigurations"], "us-west-2"
    )
    assert template["urn"] in replication["dependencies"]
    for resource_type in (
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate",
    ):
        assert of_type(staging_plan, resource_type) == []


# --- backups follow the writer -------------------------------------------------------------------


def test_backups_select_the_clusters_by_tag_in_both_regions_and_copy_both_ways(
    production_plan: PlanDocument,
) -> None:
    regions, resources = _region_of(production_plan), by_urn(production_plan)
    vaults = {v["urn"]: v for v in of_type(production_plan, "aws:backup/vault:Vault")}
    plans = of_type(production_plan, "aws:backup/plan:Plan")
    assert sorted(regions[p["urn"]] for p in plans) == ["us-east-1", "us-west-2"]
    for plan in plans:
        [rule] = plan["inputs"]["rules"]
        [copy] = rule["copyActions"]
        target = [u for u in plan["propertyDependencies"]["rules"] if u in vaults]
        (own,) = [u for u in target if regions[u] == regions[plan["urn"]]]
        (other,) = [u for u in target if regions[u] != regions[plan["urn"]]]
        assert rule["targetVaultName"] == vaults[own]["inputs"]["name"]
        assert copy["destinationVaultArn"].startswith(f"arn:aws:backup:{regions[other]}:")
        [selection] = [
            s
            for s in of_type(production_plan, "aws:backup/selection:Selection")
            if s["parent"] == plan["urn"]
        ]
        assert regions[selection["urn"]] == regions[plan["urn"]]
        assert not selection["inputs"].get("resources"), "selected by tag, not by the original primary's ARN"
        [tag] = selection["inputs"]["selectionTags"]
        # Both regions' clusters carry the tag, so whichever writes is covered.
        for cluster in (PRIMARY_CLUSTER, DR_CLUSTER):
            assert _named(production_plan, CLUSTER, cluster)["inputs"]["tags"][tag["key"]] == tag["value"]
        assert resources[selection["urn"]]["inputs"]["iamRoleArn"].startswith("arn:aws:iam::")


# --- global members ------------------------------------------------------------------------------


def test_global_members_ignore_what_a_switchover_changes(production_plan: PlanDocument) -> None:
    for name in (PRIMARY_CLUSTER, DR_CLUSTER):
        ignored = _named(production_plan, CLUSTER, name)["options"]["ignoreChanges"]
        assert {"replicationSourceIdentifier", "globalClusterIdentifier"} <= set(ignored), name


# --- the master password's version ---------------------------------------------------------------


@dataclass
class _PasswordMocks(RecordingMocks):
    password: str = "first-password"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = self.password
        return resource_id, state


@pytest.fixture
def own_loop() -> Iterator[None]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.close()
    asyncio.set_event_loop(None)


def _password_version(password: str) -> Any:
    mocks = _PasswordMocks(password=password)
    pulumi.runtime.set_mocks(mocks, project="memory-platform", stack="unit", preview=False)
    build(
        lambda: AuroraPostgres(
            "unit",
            AuroraPostgresArgs(
                config=DatabaseConfig(),
                vpc_id=pulumi.Output.from_input("vpc-1"),
                subnet_ids=[pulumi.Output.from_input(f"subnet-{zone}") for zone in ZONES[:3]],
                availability_zones=list(ZONES[:3]),
                client_security_group_id=pulumi.Output.from_input("sg-eks"),
                global_database=True,
                tags={"owner": "unit", "cost-center": "0", "environment": "production"},
            ),
        )
    )
    [cluster] = mocks.of_type(CLUSTER)
    assert "masterPasswordWo" in cluster.inputs
    return cluster.inputs["masterPasswordWoVersion"]


@pytest.mark.usefixtures("own_loop")
def test_a_new_master_password_gets_a_new_version_so_it_reaches_rds() -> None:
    first, again, rotated = (_password_version(p) for p in ("first-password", "first-password", "rotated"))
    assert first == again, "the same password must not resend (no diff on every up)"
    assert rotated != first, "a new password must change the version, or the provider never sends it"


def test_the_password_version_is_a_secret_in_the_plan(production_plan: PlanDocument) -> None:
    cluster = _named(production_plan, CLUSTER, PRIMARY_CLUSTER)
    # Derived from the password, so held like it: never a plaintext value in the state.
    assert cluster["inputs"]["masterPasswordWoVersion"] == REDACTED
