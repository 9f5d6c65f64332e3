"""The charts' own mistakes (issue 14, item 11), asserted on what the offline plan renders.

Each test reads the manifests the plan writes (out/<stack>/manifests/...) or the release values in
resources.json, and where the property depends on the chart, the chart's own files at the pinned version.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.observability_config import ObservabilityConfig
from infra.config_types import quantity_bytes
from infra.standards import LOKI, OPENTELEMETRY_COLLECTOR
from offline_plan.cli import main
from tests.plan.test_platform_charts import CACHE, ROOT

# The collector renamed its OTLP exporters in v0.144.0 (open-telemetry/opentelemetry-collector #14403,
# #14397); the old names are deprecated aliases.
DEPRECATED_EXPORTERS = {"otlp": "otlp_grpc", "otlphttp": "otlp_http"}
OTLP_GRPC_SINCE = (0, 144, 0)


@pytest.fixture(scope="module", params=["staging", "production"])
def planned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    stack = request.param
    out = tmp_path_factory.mktemp(f"chart-mistakes-{stack}")
    code = main(
        [
            *("--stack", stack, "--program", str(ROOT), "--out", str(out), "--charts", str(CACHE)),
            *("--policy-pack", str(ROOT / "policies")),
            *("--policy-config", str(ROOT / "policies" / "config" / f"{stack}.json")),
        ]
    )
    assert code == 0
    document = json.loads((out / stack / "resources.json").read_text())
    return {"document": document, "out": out / stack, "stack": stack}


def manifest(planned: dict[str, Any], path: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((planned["out"] / "manifests" / path).read_text())
    return document


def container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in workload["spec"]["template"]["spec"]["containers"] if c["name"] == name]
    return found


def release_values(planned: dict[str, Any], release: str) -> dict[str, Any]:
    (found,) = [
        r["inputs"]
        for r in planned["document"]["resources"]
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"]["name"] == release
    ]
    values: dict[str, Any] = found["values"]
    return values


def chart_files(name: str, version: str) -> dict[str, str]:
    with tarfile.open(CACHE / f"{name}-{version}.tgz") as archive:
        return {
            member.name: archive.extractfile(member).read().decode()  # type: ignore[union-attr]
            for member in archive.getmembers()
            if member.isfile() and member.name.endswith((".yaml", ".tpl"))
        }


def grafana_expand(text: str) -> str:
    """What Grafana's provisioning does to a value: `$$` is a literal `$`, `$NAME`/`${NAME}` an env var
    (unset here, so empty)."""
    return re.sub(r"\$(\$|\{[^}]*\}|\w+)", lambda m: "$" if m.group(1) == "$" else "", text)


def test_alloy_stores_its_data_on_a_writable_volume(planned: dict[str, Any]) -> None:
    deployment = manifest(planned, "alloy/monitoring/deployment-alloy.yaml")
    alloy = container(deployment, "alloy")
    assert alloy["securityContext"]["readOnlyRootFilesystem"] is True
    (path,) = [a.split("=", 1)[1] for a in alloy["args"] if a.startswith("--storage.path=")]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = [
        m
        for m in alloy["volumeMounts"]
        if Path(path).is_relative_to(m["mountPath"]) and not m.get("readOnly")
    ]
    assert mounts, f"--storage.path={path} is on the read-only root filesystem"
    assert {"emptyDir", "persistentVolumeClaim"} & set(volumes[mounts[0]["name"]])


def test_grafana_links_keep_their_variables_after_provisioning(planned: dict[str, Any]) -> None:
    config_map = manifest(
        planned, "kube-prometheus-stack/monitoring/configmap-kube-prometheus-stack-grafana-datasource.yaml"
    )
    (text,) = config_map["data"].values()
    datasources = {d["name"]: d for d in yaml.safe_load(grafana_expand(text))["datasources"]}
    links = [field["url"] for field in datasources["Loki"]["jsonData"]["derivedFields"]]
    assert links and all("${__value.raw}" in (link or "") for link in links), links
    query = datasources["Jaeger"]["jsonData"]["tracesToLogsV2"]["query"]
    assert "${__trace.traceId}" in (query or ""), query


def test_memory_api_rollouts_wait_for_healthy_targets(planned: dict[str, Any]) -> None:
    namespace = manifest(planned, "_cluster/namespace-memory.yaml")
    ingress = manifest(planned, "memory/ingress-memory-api.yaml")
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"
    deployment = manifest(planned, "memory/deployment-memory-api.yaml")
    pod = deployment["spec"]["template"]["spec"]
    pre_stop = container(deployment, "memory-api")["lifecycle"]["preStop"]
    assert 0 < pre_stop["sleep"]["seconds"] < pod["terminationGracePeriodSeconds"]


def test_high_memory_alert_fires_below_the_container_limit(planned: dict[str, Any]) -> None:
    rules = manifest(planned, "monitoring/prometheusrule-memory-api.yaml")
    (alert,) = [
        rule
        for group in rules["spec"]["groups"]
        for rule in group["rules"]
        if rule.get("alert") == "MemoryApiHighMemory"
    ]
    threshold = int(re.fullmatch(r"process_resident_memory_bytes\{.*\} > (\d+)", alert["expr"])[1])  # type: ignore[index]
    deployment = manifest(planned, "memory/deployment-memory-api.yaml")
    limit = quantity_bytes(container(deployment, "memory-api")["resources"]["limits"]["memory"])
    assert threshold < limit, "the kernel OOM-kills the process at its limit, so the alert could never fire"


def test_jaeger_v2_keeps_traces_in_memory_through_its_own_config(planned: dict[str, Any]) -> None:
    deployment = manifest(planned, "jaeger/monitoring/deployment-jaeger.yaml")
    jaeger = container(deployment, "jaeger")
    assert not {"MEMORY_MAX_TRACES"} & {e["name"] for e in jaeger["env"]}
    config_path = Path(jaeger["args"][jaeger["args"].index("--config") + 1])
    (mount,) = [m for m in jaeger["volumeMounts"] if m["mountPath"] == str(config_path.parent)]
    (volume,) = [v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]]
    config_map = manifest(planned, f"jaeger/monitoring/configmap-{volume['configMap']['name']}.yaml")
    config = yaml.safe_load(config_map["data"][config_path.name])
    backends = config["extensions"]["jaeger_storage"]["backends"]
    store = config["exporters"]["jaeger_storage_exporter"]["trace_storage"]
    assert config["extensions"]["jaeger_query"]["storage"]["traces"] == store
    assert backends[store]["memory"]["max_traces"] > 0
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["jaeger_storage_exporter"]


def test_loki_values_are_the_charts_and_writes_survive_one_pod_restart(planned: dict[str, Any]) -> None:
    files = chart_files(LOKI.name, LOKI.version)
    defaults = yaml.safe_load(files["loki/values.yaml"])
    values = release_values(planned, "loki")
    assert values["deploymentMode"] == defaults["deploymentMode"], "the chart's current spelling"
    read = {key for text in files.values() for key in re.findall(r"bucketNames\.(\w+)", text)}
    assert set(values["loki"]["storage"].get("bucketNames", {})) <= read
    statefulset = manifest(planned, "loki/monitoring/statefulset-loki.yaml")
    config = yaml.safe_load(manifest(planned, "loki/monitoring/configmap-loki.yaml")["data"]["config.yaml"])
    factor, replicas = config["common"]["replication_factor"], statefulset["spec"]["replicas"]
    assert factor <= replicas
    if replicas > 1:
        assert factor - (factor // 2 + 1) >= 1, f"replication factor {factor} loses its write quorum"


def test_two_loki_replicas_are_refused() -> None:
    with pytest.raises(ValueError, match="lokiReplicas is 2"):
        ObservabilityConfig(loki_storage="s3", loki_replicas=2)


def test_otel_collector_exports_with_the_name_its_collector_accepts(planned: dict[str, Any]) -> None:
    chart = yaml.safe_load(
        chart_files(OPENTELEMETRY_COLLECTOR.name, OPENTELEMETRY_COLLECTOR.version)[
            f"{OPENTELEMETRY_COLLECTOR.name}/Chart.yaml"
        ]
    )
    assert tuple(int(p) for p in chart["appVersion"].split(".")) >= OTLP_GRPC_SINCE
    config_map = manifest(planned, "otel-collector/monitoring/configmap-otel-collector.yaml")
    config = yaml.safe_load(config_map["data"]["relay"])
    used = {e for p in config["service"]["pipelines"].values() for e in p.get("exporters", [])}
    kinds = {exporter.split("/", 1)[0] for exporter in used}
    assert not kinds & set(DEPRECATED_EXPORTERS), kinds
    assert "otlp_grpc" in kinds


def test_qdrant_matches_the_official_chart_and_is_scraped_once_per_peer(planned: dict[str, Any]) -> None:
    statefulset = manifest(planned, "qdrant/statefulset-qdrant.yaml")
    qdrant = container(statefulset, "qdrant")
    config_map = manifest(planned, "qdrant/configmap-qdrant-config.yaml")
    script = config_map["data"]["start.sh"]
    assert script.index('ulimit -n "$(ulimit -Hn)"') < script.index("exec ./entrypoint.sh")
    assert qdrant["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    storage = yaml.safe_load(config_map["data"]["production.yaml"])["storage"]
    assert "on_disk_payload" not in storage  # deprecated since Qdrant 1.19.0
    assert storage["payload"]["memory"] == "cold"

    monitor = manifest(planned, "qdrant/servicemonitor-qdrant.yaml")
    wanted = monitor["spec"]["selector"]["matchLabels"]
    pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    scraped = [
        service["metadata"]["name"]
        for service in (
            manifest(planned, f"qdrant/{p.name}")
            for p in (planned["out"] / "manifests/qdrant").glob("service-*.yaml")
        )
        if wanted.items() <= service["metadata"].get("labels", {}).items()
        and service["spec"]["selector"].items() <= pod_labels.items()
    ]
    assert len(scraped) == 1, f"the ServiceMonitor selects {scraped}: every peer would be scraped twice"
