"""The Kubernetes workloads (ALB controller, Qdrant, memory API), read from the offline plan of the program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.memory_api import ENV_VARS
from infra.config import StackConfigError, parse_stack_config
from offline_plan.cli import main
from offline_plan.entrypoint import container_entrypoint

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("staging", "production")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Both stacks of the real program planned through the CLI (exit 0 = every manifest is schema-valid)."""
    out = tmp_path_factory.mktemp("workloads-plans")
    documents = {}
    for stack in STACKS:
        assert main(["--stack", stack, "--program", str(ROOT), "--out", str(out)]) == 0
        documents[stack] = json.loads((out / stack / "resources.json").read_text())
    return documents


@pytest.fixture(params=STACKS)
def plan(request: pytest.FixtureRequest, planned: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return planned[request.param]


def in_primary(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan's resources without the DR region's pilot light (its own tests: test_dr_region.py)."""
    return [r for r in plan["resources"] if ":dr:DrRegion" not in r["urn"]]


def objects(
    plan: dict[str, Any], kind: str | None = None, *, every_cluster: bool = False
) -> list[dict[str, Any]]:
    """The primary cluster's Kubernetes objects (of `kind`), or every cluster's."""
    found = []
    for resource in plan["resources"] if every_cluster else in_primary(plan):
        body = resource["inputs"]
        if resource["type"].startswith("kubernetes:") and "kind" in body and kind in {None, body["kind"]}:
            found.append(body)
    return found


def named(plan: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return next(body for body in objects(plan, kind) if body["metadata"]["name"] == name)


def pod_template(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"] if workload["kind"] != "Pod" else workload


def workloads(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every cluster's workloads: the DR region's are held to the same standards."""
    return [body for body in objects(plan, every_cluster=True) if body["kind"] in WORKLOAD_KINDS]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_template(workload)["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_every_kind_of_workload_is_planned(plan: dict[str, Any]) -> None:
    assert plan["manifestProblems"] == []
    kinds = {(body["kind"], body["metadata"]["name"]) for body in workloads(plan)}
    snapshots = {("CronJob", "qdrant-snapshots")} if plan["stack"] == "production" else set()
    assert kinds == {("StatefulSet", "qdrant"), ("Deployment", "memory-api")} | snapshots
    releases = [
        r["inputs"]
        for r in in_primary(plan)
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"]["namespace"] == "kube-system"
    ]
    assert sorted((r["chart"], r["version"]) for r in releases) == [
        ("aws-load-balancer-controller", "1.17.1"),
        ("cluster-autoscaler", "9.59.0"),
        ("metrics-server", "3.13.1"),
    ]


def test_staging_and_production_render_the_same_objects(planned: dict[str, dict[str, Any]]) -> None:
    """The stacks differ only by values; the one structural difference is snapshots, which need DR's bucket."""

    def shape(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
        return {(b["kind"], b["metadata"].get("namespace", ""), b["metadata"]["name"]) for b in objects(plan)}

    snapshot_objects = {
        ("CronJob", "qdrant", "qdrant-snapshots"),
        ("ServiceAccount", "qdrant", "qdrant-snapshots"),
        ("NetworkPolicy", "qdrant", "qdrant-snapshots"),
    }
    assert shape(planned["production"]) - shape(planned["staging"]) == snapshot_objects
    assert shape(planned["staging"]) <= shape(planned["production"])


def test_no_container_runs_as_root(plan: dict[str, Any]) -> None:
    for workload in workloads(plan):
        pod = pod_template(workload)["spec"].get("securityContext", {})
        for container in containers(workload):
            effective = {**pod, **container.get("securityContext", {})}
            where = f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}"
            assert effective.get("runAsNonRoot") is True, where
            assert effective.get("runAsUser", 0) != 0, where
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert effective["seccompProfile"]["type"] == "RuntimeDefault", where


def test_namespaces_enforce_the_restricted_profile(plan: dict[str, Any]) -> None:
    namespaces = {body["metadata"]["name"]: body for body in objects(plan, "Namespace")}
    for workload in workloads(plan):
        labels = namespaces[workload["metadata"]["namespace"]]["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_container_has_requests_limits_and_probes(plan: dict[str, Any]) -> None:
    for workload in workloads(plan):
        for container in containers(workload):
            where = f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}"
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, where
            if workload["kind"] in LONG_RUNNING:
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    assert container[probe]["httpGet"]["path"].startswith("/"), where
            else:  # batch pods are bounded by a deadline instead of probed
                assert workload["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0, where


def test_no_image_is_latest_or_untagged(plan: dict[str, Any]) -> None:
    for workload in workloads(plan):
        for container in containers(workload):
            image = container["image"]
            name, _, digest = image.partition("@")
            tag = name.rsplit("/", 1)[-1].partition(":")[2]
            assert digest.startswith("sha256:") or (tag and tag != "latest"), image


def test_qdrant_runs_on_the_database_pool_and_the_api_on_the_application_pool(plan: dict[str, Any]) -> None:
    qdrant = pod_template(named(plan, "StatefulSet", "qdrant"))["spec"]
    api = pod_template(named(plan, "Deployment", "memory-api"))["spec"]
    assert qdrant["nodeSelector"] == {"memory-platform.io/pool": "database"}
    assert {"key": "dedicated", "operator": "Equal", "value": "database", "effect": "NoSchedule"} in qdrant[
        "tolerations"
    ]
    assert api["nodeSelector"] == {"memory-platform.io/pool": "application"}
    assert "tolerations" not in api
    anti = qdrant["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["topologyKey"] == "kubernetes.io/hostname"
    for spec in (qdrant, api):
        keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
        assert "topology.kubernetes.io/zone" in keys


def test_qdrant_is_distributed_in_production_only(planned: dict[str, dict[str, Any]]) -> None:
    production = named(planned["production"], "StatefulSet", "qdrant")["spec"]
    staging = named(planned["staging"], "StatefulSet", "qdrant")["spec"]
    assert (production["replicas"], staging["replicas"]) == (3, 1)
    assert production["podManagementPolicy"] == "Parallel"
    settings = json.loads(
        named(planned["production"], "ConfigMap", "qdrant-config")["data"]["production.yaml"]
    )
    assert settings["cluster"] == {
        "enabled": True,
        "p2p": {"port": 6335},
        "consensus": {"tick_period_ms": 100},
    }
    start = named(planned["production"], "ConfigMap", "qdrant-config")["data"]["start.sh"]
    assert "--bootstrap" in start and "qdrant-headless.qdrant.svc" in start
    headless = named(planned["production"], "Service", "qdrant-headless")["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    staging_settings = named(planned["staging"], "ConfigMap", "qdrant-config")["data"]["production.yaml"]
    assert json.loads(staging_settings)["cluster"]["enabled"] is False
    claims = {c["metadata"]["name"]: c["spec"] for c in production["volumeClaimTemplates"]}
    assert claims["storage"]["storageClassName"] == "gp3-encrypted-retain"
    assert claims["storage"]["resources"]["requests"]["storage"] == "200Gi"


def test_qdrant_api_keys_are_generated_and_never_recorded(plan: dict[str, Any]) -> None:
    secret = next(r for r in in_primary(plan) if r["type"] == "kubernetes:core/v1:Secret")
    assert secret["inputs"]["stringData"] == "[secret]"
    passwords = [
        r
        for r in in_primary(plan)
        if r["type"] == "random:index/randomPassword:RandomPassword" and "QdrantCluster" in r["urn"]
    ]
    assert len(passwords) == 2
    assert "offline-" not in json.dumps(plan)


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def test_network_policies_cover_every_pod(plan: dict[str, Any]) -> None:
    policies = objects(plan, "NetworkPolicy")
    for workload in workloads(plan):
        namespace = workload["metadata"]["namespace"]
        labels = pod_template(workload)["metadata"]["labels"]
        selecting = [
            policy
            for policy in policies
            if policy["metadata"]["namespace"] == namespace and matches(policy["spec"]["podSelector"], labels)
        ]
        types = {kind for policy in selecting for kind in policy["spec"]["policyTypes"]}
        assert types == {"Ingress", "Egress"}, workload["metadata"]["name"]
        assert any(policy["spec"]["podSelector"] == {} for policy in selecting), "no default deny"
        # Beyond default deny, a policy that names these pods opens only what they need.
        assert any(policy["spec"]["podSelector"] for policy in selecting), workload["metadata"]["name"]


def test_only_peers_reach_the_qdrant_p2p_port(plan: dict[str, Any]) -> None:
    policy = named(plan, "NetworkPolicy", "qdrant")["spec"]
    qdrant_labels = pod_template(named(plan, "StatefulSet", "qdrant"))["metadata"]["labels"]
    api_labels = pod_template(named(plan, "Deployment", "memory-api"))["metadata"]["labels"]
    for rule in policy["ingress"]:
        ports = {port["port"] for port in rule["ports"]}
        for peer in rule["from"]:
            if 6335 in ports:
                assert "namespaceSelector" not in peer and matches(peer["podSelector"], qdrant_labels)
            elif peer.get("namespaceSelector", {}).get("matchLabels") == {
                "kubernetes.io/metadata.name": "memory"
            }:
                assert matches(peer["podSelector"], api_labels) and ports == {6333, 6334}


def trust_conditions(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    roles = []
    for resource in plan["resources"]:
        if resource["type"] != "aws:iam/role:Role":
            continue
        document = json.loads(resource["inputs"]["assumeRolePolicy"])
        for statement in document["Statement"]:
            if "Federated" in statement["Principal"]:
                roles.append((resource["name"], statement["Condition"]))
    return roles


def test_irsa_roles_trust_one_service_account_of_one_namespace(plan: dict[str, Any]) -> None:
    subjects = {}
    for role, condition in trust_conditions(plan):
        assert set(condition) == {"StringEquals"}, role
        equals = condition["StringEquals"]
        subject = next(value for key, value in equals.items() if key.endswith(":sub"))
        assert isinstance(subject, str) and "*" not in subject, role
        assert subject.count(":") == 3 and subject.startswith("system:serviceaccount:"), role
        assert next(value for key, value in equals.items() if key.endswith(":aud")) == "sts.amazonaws.com"
        subjects[role] = subject
    workload_subjects = {
        subject for role, subject in subjects.items() if role.endswith(("-app", "-snapshots"))
    }
    snapshots = {"system:serviceaccount:qdrant:qdrant-snapshots"} if plan["stack"] == "production" else set()
    assert workload_subjects == {"system:serviceaccount:memory:memory-api"} | snapshots
    assert "system:serviceaccount:kube-system:aws-load-balancer-controller" in subjects.values()
    # Each workload service account is annotated with a role, and that role trusts exactly it.
    for account in objects(plan, "ServiceAccount"):
        if "annotations" in account["metadata"]:
            subject = (
                f"system:serviceaccount:{account['metadata']['namespace']}:{account['metadata']['name']}"
            )
            assert subject in subjects.values()


def test_api_role_reads_exactly_its_two_secrets(plan: dict[str, Any]) -> None:
    policy = next(
        r
        for r in in_primary(plan)
        if r["type"] == "aws:iam/rolePolicy:RolePolicy" and r["name"].endswith("-app")
    )
    statements = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    outputs = plan["outputs"]
    assert set(statements) == {"ReadOwnSecrets", "DecryptOwnSecrets"}
    assert statements["ReadOwnSecrets"]["Action"] == [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    ]
    assert statements["ReadOwnSecrets"]["Resource"] == [
        outputs["database"]["secretArn"],
        outputs["cache"]["authSecretArn"],
    ]
    decrypt = statements["DecryptOwnSecrets"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert len(decrypt["Resource"]) == 2
    assert all(arn.startswith("arn:aws:kms:") for arn in decrypt["Resource"])
    assert list(decrypt["Condition"]["StringEquals"]) == ["kms:ViaService"]


def test_snapshot_role_writes_only_its_bucket_prefix(planned: dict[str, dict[str, Any]]) -> None:
    plan = planned["production"]
    policy = next(
        r
        for r in plan["resources"]
        if r["type"] == "aws:iam/rolePolicy:RolePolicy" and r["name"].endswith("-qdrant-snapshots")
    )
    bucket = next(
        r["inputs"]["bucket"]
        for r in plan["resources"]
        if r["type"] == "aws:s3/bucket:Bucket" and r["name"].endswith("-backups-us-east-1")
    )
    statements = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    assert statements["WriteAndReadSnapshots"]["Resource"] == f"arn:aws:s3:::{bucket}/qdrant/production/*"
    assert statements["ListSnapshotPrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["qdrant/production/*"]}
    }


def test_staging_without_a_backup_bucket_takes_no_snapshots(planned: dict[str, dict[str, Any]]) -> None:
    assert objects(planned["staging"], "CronJob") == []
    assert [body["metadata"]["name"] for body in objects(planned["production"], "CronJob")] == [
        "qdrant-snapshots"
    ]


def test_api_deployment_rolls_without_losing_capacity_and_scales(planned: dict[str, dict[str, Any]]) -> None:
    production = planned["production"]
    deployment = named(production, "Deployment", "memory-api")
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    hpa = named(production, "HorizontalPodAutoscaler", "memory-api")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    staging_hpa = named(planned["staging"], "HorizontalPodAutoscaler", "memory-api")["spec"]
    assert (staging_hpa["minReplicas"], staging_hpa["maxReplicas"]) == (2, 4)


def test_ingress_terminates_tls_and_redirects_http(plan: dict[str, Any]) -> None:
    ingress = named(plan, "Ingress", "memory-api")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    assert json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert ingress["spec"]["ingressClassName"] == "alb"
    release = next(
        r["inputs"]
        for r in in_primary(plan)
        if r["type"] == "kubernetes:helm.sh/v3:Release"
        and r["inputs"]["chart"] == "aws-load-balancer-controller"
    )
    assert release["values"]["region"] in {"us-east-1", "eu-west-1"} and release["values"]["vpcId"]


def test_service_monitors_carry_the_prometheus_release_label(plan: dict[str, Any]) -> None:
    monitors = {body["metadata"]["name"]: body for body in objects(plan, "ServiceMonitor")}
    assert set(monitors) == {"qdrant", "memory-api"}
    for monitor in monitors.values():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"


def test_ecr_repository_is_scanned_immutable_and_pruned(plan: dict[str, Any]) -> None:
    repository = next(r["inputs"] for r in plan["resources"] if r["type"] == "aws:ecr/repository:Repository")
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    lifecycle = next(
        r["inputs"] for r in plan["resources"] if r["type"] == "aws:ecr/lifecyclePolicy:LifecyclePolicy"
    )
    assert {rule["selection"]["tagStatus"] for rule in json.loads(lifecycle["policy"])["rules"]} == {
        "untagged",
        "any",
    }


def test_entrypoint_helper_extracts_what_a_local_run_needs(planned: dict[str, dict[str, Any]]) -> None:
    entrypoint = container_entrypoint(named(planned["production"], "Deployment", "memory-api"))
    assert entrypoint.argv == ["memory-api", "serve"]
    assert entrypoint.ports == {"http": 8000}
    assert entrypoint.probe_paths == {
        "startup": "/health/startup",
        "liveness": "/health/live",
        "readiness": "/health/ready",
    }
    assert set(entrypoint.env) | set(entrypoint.references) == set(ENV_VARS.values())
    assert entrypoint.env["MEMORY_API_ENVIRONMENT"] == "production"
    cache = planned["production"]["outputs"]["cache"]
    assert entrypoint.env["MEMORY_API_REDIS_URL"] == f"rediss://{cache['endpoint']}:{cache['port']}"
    assert entrypoint.env["MEMORY_API_QDRANT_URL"] == "http://qdrant.qdrant.svc:6333"
    assert (
        entrypoint.env["MEMORY_API_DATABASE_SECRET_ARN"]
        == planned["production"]["outputs"]["database"]["secretArn"]
    )
    assert entrypoint.references == {
        "MEMORY_API_QDRANT_API_KEY": {"secretKeyRef": {"name": "qdrant-api-keys", "key": "api-key"}}
    }
    with pytest.raises(KeyError, match="it has: memory-api"):
        container_entrypoint(named(planned["production"], "Deployment", "memory-api"), "sidecar")


def stack_values(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {
        key.removeprefix("memory-platform:"): value
        for key, value in config.items()
        if ":" in key and key.startswith("memory-platform:")
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image": "latest"}, "memory-platform:memoryApi.image: 'latest' is mutable"),
        ({"image": "sha256:abc"}, "is not a digest"),
        ({"host": None}, "host and certificateArn are required once image is set"),
        ({"certificateArn": "arn:aws:iam::123456789012:role/x"}, "is not an ACM certificate ARN"),
        ({"minReplicas": 5, "maxReplicas": 2}, "minReplicas (5) is greater than maxReplicas (2)"),
    ],
)
def test_bad_memory_api_config_is_refused_with_the_key(change: dict[str, Any], message: str) -> None:
    values = stack_values("production")
    values["memoryApi"] = {**values["memoryApi"], **change}
    with pytest.raises(StackConfigError) as raised:
        parse_stack_config(values, primary_region="us-east-1", stack_file="Pulumi.production.yaml")
    assert any(message in problem for problem in raised.value.problems), raised.value.problems


def test_more_qdrant_peers_than_database_nodes_is_refused() -> None:
    values = stack_values("staging")
    values["qdrant"] = {**values["qdrant"], "replicas": 3}
    with pytest.raises(
        StackConfigError, match=r"qdrant.replicas \(3\) exceeds the database pool's maxNodes \(1\)"
    ):
        parse_stack_config(values, primary_region="eu-west-1", stack_file="Pulumi.staging.yaml")
