"""The Observability component as the offline plan records it: pinned releases, typed values, selected
rules and scrape targets, the Loki bucket and role (production only), the cluster provider everywhere,
and no secret in any input. Ends with the plan's rule files checked by the real promtool, and the
Alertmanager configuration of each stack (plain values in the plan, credentials secret) checked by amtool."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config_types import quantity_bytes
from infra.monitoring_data.rule_settings import memory_api_rule_settings
from infra.monitoring_data.rules import render_rule_groups
from infra.standards import CHARTS
from offline_plan.cli import main as offline_plan
from offline_plan.document import PlanDocument
from offline_plan.markers import REDACTED
from offline_plan.project import SECRET_PLACEHOLDER, load_stack

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "kubernetes:helm.sh/v3:Release"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
COMPONENT = "memory-platform:observability:Observability"


def _of_type(plan: PlanDocument, resource_type: str) -> list[dict[str, Any]]:
    """The primary region's resources of a type: the monitoring stack runs in the primary cluster only
    (the DR region's pilot light has none, `infra/components/dr_region.py`)."""
    return [
        resource
        for resource in plan.resources
        if resource["type"] == resource_type and ":dr:DrRegion" not in resource["urn"]
    ]


def _loki(plan: PlanDocument, resource_type: str) -> list[dict[str, Any]]:
    """Resources of a type that belong to the Loki bucket (named after it)."""
    return [r for r in _of_type(plan, resource_type) if r["name"].endswith("-loki")]


def _releases(plan: PlanDocument) -> dict[str, dict[str, Any]]:
    return {release["inputs"]["name"]: release["inputs"] for release in _of_type(plan, RELEASE)}


def _children(plan: PlanDocument) -> list[dict[str, Any]]:
    """Every resource below the Observability component, however deep."""
    (component,) = _of_type(plan, COMPONENT)
    parents, found = {component["urn"]}, []
    for resource in plan.resources:  # registration order: parents come first
        if resource["parent"] in parents:
            parents.add(resource["urn"])
            found.append(resource)
    return found


def _stack_values(plan: PlanDocument) -> dict[str, Any]:
    return _releases(plan)["kube-prometheus-stack"]["values"]  # type: ignore[no-any-return]


def test_every_chart_is_a_helm_v3_release_at_its_pinned_version(stack_plan: PlanDocument) -> None:
    releases = _releases(stack_plan)
    assert {release["chart"] for release in releases.values()} == {chart.name for chart in CHARTS}
    for chart in CHARTS:
        (release,) = [r for r in releases.values() if r["chart"] == chart.name]
        assert release["version"] == chart.version
        assert release["repositoryOpts"] == {"repo": chart.repository}
        assert release["namespace"] in {"monitoring", "kube-system"}
        assert isinstance(release["values"], dict) and release["values"], f"{chart.name} has no values"


def test_production_prometheus_keeps_30_days_on_gp3_with_two_spread_replicas(
    production_plan: PlanDocument,
) -> None:
    spec = _stack_values(production_plan)["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "30d"
    assert spec["retentionSize"] == "180GB"
    assert spec["replicas"] == 2
    assert spec["podAntiAffinity"] == "hard"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == "200Gi"
    alertmanager = _stack_values(production_plan)["alertmanager"]["alertmanagerSpec"]
    assert 2 <= alertmanager["replicas"] <= 3
    assert alertmanager["podAntiAffinity"] == "hard"


def test_staging_runs_single_replicas_without_anti_affinity(staging_plan: PlanDocument) -> None:
    values = _stack_values(staging_plan)
    spec = values["prometheus"]["prometheusSpec"]
    assert (spec["replicas"], spec["podAntiAffinity"], spec["retention"]) == (1, "", "7d")
    assert values["alertmanager"]["alertmanagerSpec"]["replicas"] == 1


def test_prometheus_selects_the_rules_and_monitors_this_program_creates(stack_plan: PlanDocument) -> None:
    """The chart's selector trap: with the switches on, only objects with the release label load."""
    spec = _stack_values(stack_plan)["prometheus"]["prometheusSpec"]
    assert spec["ruleSelectorNilUsesHelmValues"] is False
    assert spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    for selector_key, resource_type in (("ruleSelector", RULE), ("serviceMonitorSelector", MONITOR)):
        match_labels = spec.get(selector_key, {}).get("matchLabels", {})
        objects = _of_type(stack_plan, resource_type)
        assert objects, f"no {resource_type} recorded"
        for recorded in objects:
            labels = recorded["inputs"]["metadata"].get("labels", {})
            assert match_labels.items() <= labels.items(), f"{recorded['name']} is not selected"
        namespace_selector = spec.get(selector_key.replace("Selector", "NamespaceSelector"))
        assert namespace_selector == {}, "an empty namespace selector selects every namespace"


def test_the_prometheus_rule_carries_the_rendered_groups(stack_plan: PlanDocument) -> None:
    (rule,) = _of_type(stack_plan, RULE)
    assert rule["inputs"]["apiVersion"] == "monitoring.coreos.com/v1"
    (api,) = [d for d in _of_type(stack_plan, DEPLOYMENT) if d["inputs"]["metadata"]["name"] == "memory-api"]
    limit = api["inputs"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    settings = memory_api_rule_settings(quantity_bytes(limit) / 1024**3)
    assert rule["inputs"]["spec"]["groups"] == render_rule_groups(settings)


def test_the_service_monitor_scrapes_the_memory_api_as_the_rules_expect(stack_plan: PlanDocument) -> None:
    monitors = _of_type(stack_plan, MONITOR)
    (monitor,) = [m for m in monitors if m["inputs"]["metadata"]["namespace"] == "memory"]
    spec = monitor["inputs"]["spec"]
    assert spec["namespaceSelector"] == {"matchNames": ["memory"]}
    assert spec["selector"]["matchLabels"]["app.kubernetes.io/name"] == "memory-api"
    # The job label of a ServiceMonitor target is the Service name; the rules select job="memory-api".
    services = [
        r["inputs"] for r in _of_type(stack_plan, "kubernetes:core/v1:Service")
        if r["inputs"]["metadata"].get("namespace") == "memory"
    ]  # fmt: skip
    assert [service["metadata"]["name"] for service in services] == ["memory-api"]
    assert spec["endpoints"][0]["path"] == "/metrics"


def test_every_service_monitor_waits_for_the_operator_that_installs_its_crd(stack_plan: PlanDocument) -> None:
    (operator,) = [
        r for r in stack_plan.resources
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"]["chart"] == "kube-prometheus-stack"
    ]  # fmt: skip
    monitors = _of_type(stack_plan, MONITOR)
    assert {m["inputs"]["metadata"]["namespace"] for m in monitors} >= {"memory", "qdrant"}
    for monitor in monitors:
        assert operator["urn"] in monitor["dependencies"], monitor["urn"]


def test_loki_uses_a_bucket_through_irsa_in_production_and_a_volume_in_staging(
    production_plan: PlanDocument, staging_plan: PlanDocument
) -> None:
    production = _releases(production_plan)["loki"]["values"]
    (bucket,) = _loki(production_plan, "aws:s3/bucket:Bucket")
    (role,) = [r for r in _of_type(production_plan, "aws:iam/role:Role") if r["name"].endswith("-loki")]
    assert production["loki"]["storage"]["type"] == "s3"
    bucket_name = production["loki"]["storage"]["bucketNames"]["chunks"]
    assert bucket_name.startswith(bucket["inputs"]["bucketPrefix"])
    role_arn = production["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert f":role/{role['name']}-" in role_arn, "the service account must assume the Loki role"

    staging = _releases(staging_plan)["loki"]["values"]
    assert staging["loki"]["storage"]["type"] == "filesystem"
    assert staging["singleBinary"]["persistence"]["storageClass"] == "gp3-encrypted"
    assert _loki(staging_plan, "aws:s3/bucket:Bucket") == []
    assert not [r for r in _of_type(staging_plan, "aws:iam/role:Role") if r["name"].endswith("-loki")]


def test_the_loki_role_trusts_only_the_loki_service_account_and_reaches_only_its_bucket(
    production_plan: PlanDocument,
) -> None:
    (role,) = [r for r in _of_type(production_plan, "aws:iam/role:Role") if r["name"].endswith("-loki")]
    (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    conditions = statement["Condition"]["StringEquals"]
    subjects = [value for key, value in conditions.items() if key.endswith(":sub")]
    assert subjects == ["system:serviceaccount:monitoring:loki"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"

    (policy,) = [
        p for p in _of_type(production_plan, "aws:iam/rolePolicy:RolePolicy") if p["name"].endswith("-loki")
    ]
    (bucket,) = _loki(production_plan, "aws:s3/bucket:Bucket")
    bucket_arn = f"arn:aws:s3:::{_releases(production_plan)['loki']['values']['loki']['storage']['bucketNames']['chunks']}"
    resources = [s["Resource"] for s in json.loads(policy["inputs"]["policy"])["Statement"]]
    s3_resources = [r for r in resources if str(r).startswith("arn:aws:s3")]
    assert set(s3_resources) == {bucket_arn, f"{bucket_arn}/*"}
    assert bucket["inputs"]["bucketPrefix"]


def test_the_loki_bucket_is_encrypted_private_tls_only_and_expires(production_plan: PlanDocument) -> None:
    (sse,) = _loki(
        production_plan,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    default = sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms" and default["kmsMasterKeyId"].startswith("arn:aws:kms:")
    (block,) = _loki(production_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    switches = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block["inputs"][switch] is True for switch in switches)
    (policy,) = _loki(production_plan, "aws:s3/bucketPolicy:BucketPolicy")
    (deny,) = json.loads(policy["inputs"]["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lifecycle,) = _loki(production_plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    expiry = [rule["expiration"]["days"] for rule in lifecycle["inputs"]["rules"] if "expiration" in rule]
    assert expiry == [90 + 7], "objects outlive Loki's 90-day retention by a week at most"


def test_every_kubernetes_resource_uses_the_cluster_provider(stack_plan: PlanDocument) -> None:
    (provider,) = _of_type(stack_plan, "pulumi:providers:kubernetes")
    cluster_provider = f"{provider['urn']}::{provider['id']}"
    kubernetes = [r for r in _children(stack_plan) if r["type"].startswith("kubernetes:")]
    assert len(kubernetes) >= 15
    for resource in kubernetes:
        assert resource["provider"] == cluster_provider, resource["urn"]
        namespace = resource["inputs"].get("namespace") or resource["inputs"]["metadata"].get("namespace")
        assert namespace in {None, "monitoring", "monitoring-agents"}, resource["urn"]


def test_namespaces_enforce_pod_security_and_deny_ingress_by_default(stack_plan: PlanDocument) -> None:
    namespaces = {
        ns["inputs"]["metadata"]["name"]: ns["inputs"]["metadata"]["labels"]
        for ns in _of_type(stack_plan, "kubernetes:core/v1:Namespace")
        if ns["inputs"]["metadata"]["name"].startswith("monitoring")
    }
    assert namespaces["monitoring"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespaces["monitoring-agents"]["pod-security.kubernetes.io/warn"] == "restricted"
    policies = _of_type(stack_plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    for namespace in namespaces:
        deny = [
            p
            for p in policies
            if p["inputs"]["metadata"]["namespace"] == namespace
            and p["inputs"]["spec"]["podSelector"] == {}
            and "ingress" not in p["inputs"]["spec"]
        ]
        assert deny, f"namespace {namespace} has no default-deny ingress policy"
    otlp = [p for p in policies if p["inputs"]["metadata"]["name"] == "allow-otlp-from-cluster"]
    assert {port["port"] for port in otlp[0]["inputs"]["spec"]["ingress"][0]["ports"]} == {4317, 4318}


def test_trace_sampling_keeps_errors_and_samples_the_memory_api_more(production_plan: PlanDocument) -> None:
    config = _releases(production_plan)["otel-collector"]["values"]["config"]
    policies = {p["name"]: p for p in config["processors"]["tail_sampling"]["policies"]}
    assert policies["errors"]["status_code"]["status_codes"] == ["ERROR"]
    assert policies["baseline"]["probabilistic"]["sampling_percentage"] == 10
    memory_api = policies["memory-api"]["and"]["and_sub_policy"]
    assert memory_api[0]["string_attribute"] == {"key": "service.name", "values": ["memory-api"]}
    assert memory_api[1]["probabilistic"]["sampling_percentage"] == 50
    assert config["service"]["pipelines"]["traces"]["processors"] == [
        "memory_limiter",
        "tail_sampling",
        "batch",
    ]
    receivers = config["receivers"]["otlp"]["protocols"]
    assert receivers["grpc"]["endpoint"].endswith(":4317") and receivers["http"]["endpoint"].endswith(":4318")


def test_logs_are_json_parsed_into_request_and_tenant_metadata(stack_plan: PlanDocument) -> None:
    pipeline = _releases(stack_plan)["alloy"]["values"]["alloy"]["configMap"]["content"]
    assert "stage.json" in pipeline
    assert 'request_id = "request_id"' in pipeline and 'tenant_id = "tenant_id"' in pipeline
    assert "stage.structured_metadata" in pipeline
    assert "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push" in pipeline


def test_grafana_links_logs_and_traces_and_loads_the_dashboards(stack_plan: PlanDocument) -> None:
    grafana = _stack_values(stack_plan)["grafana"]
    sources = {source["uid"]: source for source in grafana["additionalDataSources"]}
    trace_link = sources["loki"]["jsonData"]["derivedFields"][0]
    assert trace_link["datasourceUid"] == "jaeger" and "trace_id" in trace_link["matcherRegex"]
    assert sources["jaeger"]["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    dashboards = [
        cm
        for cm in _of_type(stack_plan, "kubernetes:core/v1:ConfigMap")
        if cm["inputs"]["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    titles = {json.loads(next(iter(cm["inputs"]["data"].values())))["title"] for cm in dashboards}
    assert len(titles) == 3


def test_no_secret_value_reaches_any_recorded_input(stack_plan: PlanDocument) -> None:
    secrets = {
        s["inputs"]["metadata"]["name"]: s["inputs"]
        for s in _of_type(stack_plan, "kubernetes:core/v1:Secret")
    }
    assert secrets["alertmanager-receivers"]["stringData"] == REDACTED
    assert secrets["grafana-admin"]["stringData"] == REDACTED
    (password,) = [
        p
        for p in _of_type(stack_plan, "random:index/randomPassword:RandomPassword")
        if "grafana" in p["name"]
    ]
    everything = json.dumps(stack_plan.resources) + json.dumps(stack_plan.outputs)
    assert SECRET_PLACEHOLDER not in everything, "a receiver credential leaked into the plan"
    (webhook,) = _stack_values(stack_plan)["alertmanager"]["config"]["receivers"][0]["webhook_configs"]
    assert webhook["url"] == REDACTED
    assert password["inputs"]["length"] >= 24 and password["inputs"]["special"] is False


def test_the_alertmanager_routing_is_plain_values_and_credentials_are_mounted_files(
    stack_plan: PlanDocument,
) -> None:
    alertmanager = _stack_values(stack_plan)["alertmanager"]
    spec, config = alertmanager["alertmanagerSpec"], alertmanager["config"]
    assert "useExistingSecret" not in spec and "configSecret" not in spec
    assert [route["receiver"] for route in config["route"]["routes"]] == ["pager", "email", "chat"]
    assert spec["secrets"] == ["alertmanager-receivers"]
    (pager,) = [receiver for receiver in config["receivers"] if receiver["name"] == "pager"]
    assert pager["pagerduty_configs"][0]["routing_key_file"] == (
        "/etc/alertmanager/secrets/alertmanager-receivers/pagerduty-routing-key"
    )
    (credentials,) = [
        s
        for s in _of_type(stack_plan, "kubernetes:core/v1:Secret")
        if s["inputs"]["metadata"]["name"] == "alertmanager-receivers"
    ]
    assert credentials["inputs"]["metadata"]["namespace"] == "monitoring"
    (release,) = [r for r in _of_type(stack_plan, RELEASE) if r["inputs"]["name"] == "kube-prometheus-stack"]
    assert credentials["urn"] in release["dependencies"], "the release must wait for its credentials"


@pytest.fixture(scope="module")
def written_plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plans")
    for stack in ("staging", "production"):
        assert offline_plan(["--stack", stack, "--program", str(ROOT), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_the_plan_writes_rule_files_promtool_accepts(written_plans: Path, stack: str, promtool: str) -> None:
    files = sorted((written_plans / stack / "prometheus-rules").glob("*.yaml"))
    assert [path.name for path in files] == ["memory-api.yaml"]
    api = yaml.safe_load((written_plans / stack / "manifests/memory/deployment-memory-api.yaml").read_text())
    limit = api["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
    settings = memory_api_rule_settings(quantity_bytes(limit) / 1024**3)
    assert yaml.safe_load(files[0].read_text()) == {"groups": render_rule_groups(settings)}
    result = subprocess.run(
        [promtool, "check", "rules", *map(str, files)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((written_plans / stack / "resources.json").read_text())
    assert document["prometheusRuleFiles"] == ["prometheus-rules/memory-api.yaml"]
    assert document["manifestProblems"] == []


def _amtool(amtool: str, *args: str) -> str:
    result = subprocess.run([amtool, *args], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_the_plan_writes_each_stacks_alertmanager_config_readable_and_amtool_checked(
    written_plans: Path, stack: str, amtool: str
) -> None:
    document = json.loads((written_plans / stack / "resources.json").read_text())
    assert document["alertmanagerConfigFiles"] == ["alertmanager/kube-prometheus-stack.yaml"]
    assert document["fileChecks"]["amtool"] == "amtool: passed"
    path = written_plans / stack / "alertmanager" / "kube-prometheus-stack.yaml"
    text = path.read_text()
    assert "SUCCESS" in _amtool(amtool, "check-config", str(path))
    # The routing reads as the platform means it: pages to PagerDuty and mail, warnings to chat.
    for labels, receivers in [(["severity=critical"], "pager,email"), (["severity=warning"], "chat")]:
        routed = _amtool(amtool, "config", "routes", "test", f"--config.file={path}", *labels)
        assert routed.strip() == receivers
    config = yaml.safe_load(text)
    (pager,) = [receiver for receiver in config["receivers"] if receiver["name"] == "pager"]
    assert pager["pagerduty_configs"][0]["routing_key_file"].startswith("/etc/alertmanager/secrets/")
    # No credential of the stack file reaches the file: the webhook URL is the marked placeholder.
    (webhook,) = config["receivers"][0]["webhook_configs"]
    assert webhook["url"] == "https://secret.redacted.invalid/receivers/0/webhook_configs/0/url"
    stack_file = load_stack(ROOT, stack)
    for key in stack_file.secret_keys:
        assert stack_file.config[key] not in text, key
    assert SECRET_PLACEHOLDER not in text
    secure = yaml.safe_load(stack_file.stack_file.read_text())["config"]
    for value in secure.values():
        if isinstance(value, dict) and "secure" in value:
            assert value["secure"] not in text
