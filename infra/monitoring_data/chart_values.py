"""Helm values of the observability charts, built from typed inputs instead of YAML templates.

Each chart gets a frozen input model (what varies between stacks and what the component wires in) and a
function that renders the chart's values from it. Pieces every chart shares (restricted security contexts,
resources, volume claims, anti-affinity) are small models too, so a value is spelled once.

Values keys follow each pinned chart's `values.yaml` (pins in `infra/standards.py`). Pods run as
non-root with a read-only root file system, no privilege escalation, every capability dropped and the
RuntimeDefault seccomp profile, where the chart lets us set it. node-exporter is the exception by nature
(host network and PID namespace); it runs in its own namespace whose Pod Security level allows that.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from infra.components.observability_config import ObservabilityConfig
from infra.monitoring_data.model import Frozen
from infra.standards import restricted_container_security_context, restricted_pod_security_context

PROMETHEUS_DATASOURCE_UID = "prometheus"
LOKI_DATASOURCE_UID = "loki"
JAEGER_DATASOURCE_UID = "jaeger"
DASHBOARD_LABEL = "grafana_dashboard"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
LOKI_PORT = 3100
JAEGER_QUERY_PORT = 16686
# Fields of the memory API's JSON log lines that the log shipper lifts out of the line.
LOG_CORRELATION_FIELDS = ("request_id", "tenant_id", "trace_id")
MEMORY_API_SERVICE = "memory-api"


class Resources(Frozen):
    """Requests for scheduling and a memory limit; no CPU limit, so bursts are not throttled."""

    cpu_request: str = Field(description="CPU request, e.g. '100m'.")
    memory_request: str = Field(description="Memory request, e.g. '256Mi'.")
    memory_limit: str = Field(description="Memory limit; the pod is OOM-killed beyond it.")

    def render(self) -> dict[str, Any]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"memory": self.memory_limit},
        }


class VolumeClaim(Frozen):
    """A ReadWriteOnce claim on the cluster's encrypted gp3 StorageClass."""

    storage_class: str
    size_gib: int = Field(ge=1)

    @property
    def size(self) -> str:
        return f"{self.size_gib}Gi"

    def spec(self) -> dict[str, Any]:
        return {
            "storageClassName": self.storage_class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": self.size}},
        }


class KubePrometheusStackInputs(Frozen):
    """What the kube-prometheus-stack release needs from the stack and the component."""

    config: ObservabilityConfig
    cluster_label: str = Field(description="Value of the `cluster` external label on every series.")
    storage_class: str
    agents_namespace: str = Field(description="Namespace of node-exporter (needs host access).")
    namespace: str = Field(
        description="Release namespace; Grafana's sidecars find dashboard and datasource ConfigMaps there."
    )
    alertmanager_config: dict[str, Any] = Field(
        description="The Alertmanager document (`render_alertmanager_config`); credentials as secret Outputs."
    )
    alertmanager_secrets: tuple[str, ...] = Field(
        description="Secrets mounted into Alertmanager, whose files the document reads credentials from."
    )
    grafana_admin_secret: str = Field(description="Secret holding admin-user and admin-password.")
    loki_url: str
    jaeger_query_url: str
    prometheus_resources: Resources = Resources(cpu_request="500m", memory_request="2Gi", memory_limit="4Gi")
    alertmanager_resources: Resources = Resources(
        cpu_request="50m", memory_request="64Mi", memory_limit="256Mi"
    )
    grafana_resources: Resources = Resources(cpu_request="100m", memory_request="256Mi", memory_limit="512Mi")
    operator_resources: Resources = Resources(
        cpu_request="100m", memory_request="128Mi", memory_limit="512Mi"
    )
    kube_state_metrics_resources: Resources = Resources(
        cpu_request="50m", memory_request="128Mi", memory_limit="512Mi"
    )
    node_exporter_resources: Resources = Resources(
        cpu_request="50m", memory_request="32Mi", memory_limit="128Mi"
    )


def _anti_affinity(config: ObservabilityConfig, replicas: int) -> Literal["hard", "soft", ""]:
    """The chart's podAntiAffinity switch: none for one replica, else the configured strength."""
    return config.spread_replicas if replicas > 1 else ""


def grafana_datasources() -> list[dict[str, Any]]:
    """Loki and Jaeger next to the chart's Prometheus, linked both ways by trace and request id.

    Grafana expands `$NAME` and `${NAME}` from its environment in every provisioning file, jsonData
    included, so a link's `${__value.raw}` would become an empty string; `$$` is its escape for a
    literal `$` (Grafana docs, "Provision Grafana", use of the special character $).
    """
    trace_id_pattern = r'"trace_id"\s*:\s*"(\w+)"'
    request_id_pattern = r'"request_id"\s*:\s*"([^"]+)"'
    return [
        {
            "name": "Loki",
            "uid": LOKI_DATASOURCE_UID,
            "type": "loki",
            "access": "proxy",
            "url": "{loki_url}",
            "jsonData": {
                "maxLines": 1000,
                "derivedFields": [
                    {
                        "name": "TraceID",
                        "matcherRegex": trace_id_pattern,
                        "url": "$${__value.raw}",
                        "datasourceUid": JAEGER_DATASOURCE_UID,
                    },
                    {
                        "name": "RequestID",
                        "matcherRegex": request_id_pattern,
                        "url": '{namespace=~".+"} | request_id="$${__value.raw}"',
                        "datasourceUid": LOKI_DATASOURCE_UID,
                    },
                ],
            },
        },
        {
            "name": "Jaeger",
            "uid": JAEGER_DATASOURCE_UID,
            "type": "jaeger",
            "access": "proxy",
            "url": "{jaeger_query_url}",
            "jsonData": {
                "tracesToLogsV2": {
                    "datasourceUid": LOKI_DATASOURCE_UID,
                    "spanStartTimeShift": "-5m",
                    "spanEndTimeShift": "5m",
                    "filterByTraceID": False,
                    "customQuery": True,
                    "query": '{namespace=~".+"} | trace_id="$${__trace.traceId}"',
                },
                "tracesToMetrics": {"datasourceUid": PROMETHEUS_DATASOURCE_UID},
            },
        },
    ]


def kube_prometheus_stack_values(inputs: KubePrometheusStackInputs) -> dict[str, Any]:
    """Prometheus, Alertmanager, Grafana, the operator, kube-state-metrics and node-exporter."""
    config = inputs.config
    prometheus_volume = VolumeClaim(
        storage_class=inputs.storage_class, size_gib=config.prometheus_storage_gib
    )
    alertmanager_volume = VolumeClaim(
        storage_class=inputs.storage_class, size_gib=config.alertmanager_storage_gib
    )
    datasources = json.loads(
        json.dumps(grafana_datasources())
        .replace("{loki_url}", inputs.loki_url)
        .replace("{jaeger_query_url}", inputs.jaeger_query_url)
    )
    return {
        "fullnameOverride": "kube-prometheus-stack",
        "crds": {"enabled": True},
        "defaultRules": {"create": True},
        "prometheusOperator": {
            "resources": inputs.operator_resources.render(),
            "securityContext": restricted_pod_security_context(),
            "containerSecurityContext": restricted_container_security_context(),
        },
        "prometheus": {
            "prometheusSpec": {
                "replicas": config.prometheus_replicas,
                "podAntiAffinity": _anti_affinity(config, config.prometheus_replicas),
                "podAntiAffinityTopologyKey": "kubernetes.io/hostname",
                "retention": f"{config.prometheus_retention_days}d",
                # Prometheus size units are powers of two: 1GB here is 1 GiB.
                "retentionSize": f"{config.prometheus_retention_size_gib}GB",
                "storageSpec": {"volumeClaimTemplate": {"spec": prometheus_volume.spec()}},
                "externalLabels": {"cluster": inputs.cluster_label},
                # The selector trap: without these the operator only loads objects that carry the
                # release label, and this program's PrometheusRules and ServiceMonitors would be ignored.
                "ruleSelectorNilUsesHelmValues": False,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
                "ruleSelector": {},
                "serviceMonitorSelector": {},
                "ruleNamespaceSelector": {},
                "serviceMonitorNamespaceSelector": {},
                "resources": inputs.prometheus_resources.render(),
                "securityContext": restricted_pod_security_context(1000),
            },
        },
        "alertmanager": {
            "config": inputs.alertmanager_config,
            "alertmanagerSpec": {
                "replicas": config.alertmanager_replicas,
                "podAntiAffinity": _anti_affinity(config, config.alertmanager_replicas),
                "podAntiAffinityTopologyKey": "kubernetes.io/hostname",
                # The chart writes `config` into the Alertmanager's config Secret; credentials stay out of it
                # (mounted files, or secret leaves), so the routing is reviewable in the values.
                "secrets": list(inputs.alertmanager_secrets),
                "storage": {"volumeClaimTemplate": {"spec": alertmanager_volume.spec()}},
                "resources": inputs.alertmanager_resources.render(),
                "securityContext": restricted_pod_security_context(1000),
            },
        },
        "grafana": {
            "admin": {
                "existingSecret": inputs.grafana_admin_secret,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "resources": inputs.grafana_resources.render(),
            "securityContext": restricted_pod_security_context(472),
            "containerSecurityContext": restricted_container_security_context(),
            "defaultDashboardsTimezone": "utc",
            # Dashboards and datasources are ConfigMaps in the release's namespace (this program's and the
            # chart's own), so the sidecars watch ConfigMaps there only (the chart's default is ALL), and
            # Grafana gets a namespaced Role instead of a ClusterRole reading every Secret in the cluster.
            "rbac": {"namespaced": True},
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": DASHBOARD_LABEL,
                    "labelValue": "1",
                    "searchNamespace": inputs.namespace,
                    "resource": "configmap",
                },
                "datasources": {
                    "enabled": True,
                    "defaultDatasourceEnabled": True,
                    "searchNamespace": inputs.namespace,
                    "resource": "configmap",
                },
            },
            "additionalDataSources": datasources,
        },
        "kube-state-metrics": {
            # No rule or dashboard reads kube_secret_*; without the collector it needs no cluster-wide
            # list/watch on Secrets.
            "collectorsExclude": ["secrets"],
            "resources": inputs.kube_state_metrics_resources.render(),
            "securityContext": restricted_pod_security_context(),
            "containerSecurityContext": restricted_container_security_context(),
        },
        "prometheus-node-exporter": {
            "namespaceOverride": inputs.agents_namespace,
            "resources": inputs.node_exporter_resources.render(),
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            },
        },
    }
