"""Helm values of the observability charts, built from typed inputs instead of YAML templates.

Each chart gets a frozen input model (what varies between stacks and what the component wires in) and a
function that renders the chart's values from it. Pieces every chart shares (restricted security contexts,
resources, volume claims, anti-affinity) are small models too, so a value is spelled once.

Values keys follow each pinned chart's `values.yaml` (see `charts.py`). Pods run as non-root with a
read-only root file system, no privilege escalation, every capability dropped and the RuntimeDefault
seccomp profile, where the chart lets us set it. node-exporter is the exception by nature (host network
and PID namespace); it runs in its own namespace whose Pod Security level allows that.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from infra.components.observability_config import ObservabilityConfig

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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Resources(_Frozen):
    """Requests for scheduling and a memory limit; no CPU limit, so bursts are not throttled."""

    cpu_request: str = Field(description="CPU request, e.g. '100m'.")
    memory_request: str = Field(description="Memory request, e.g. '256Mi'.")
    memory_limit: str = Field(description="Memory limit; the pod is OOM-killed beyond it.")

    def render(self) -> dict[str, Any]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"memory": self.memory_limit},
        }


class VolumeClaim(_Frozen):
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


def restricted_pod_security(user_id: int = 65534) -> dict[str, Any]:
    """Pod-level security context of the Pod Security Standards' restricted profile."""
    return {
        "runAsNonRoot": True,
        "runAsUser": user_id,
        "runAsGroup": user_id,
        "fsGroup": user_id,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_container_security(read_only_root: bool = True) -> dict[str, Any]:
    """Container-level security context of the restricted profile."""
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


class KubePrometheusStackInputs(_Frozen):
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
    """Loki and Jaeger next to the chart's Prometheus, linked both ways by trace and request id."""
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
                        "url": "${__value.raw}",
                        "datasourceUid": JAEGER_DATASOURCE_UID,
                    },
                    {
                        "name": "RequestID",
                        "matcherRegex": request_id_pattern,
                        "url": '{namespace=~".+"} | request_id="${__value.raw}"',
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
                    "query": '{namespace=~".+"} | trace_id="${__trace.traceId}"',
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
            "securityContext": restricted_pod_security(),
            "containerSecurityContext": restricted_container_security(),
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
                "securityContext": restricted_pod_security(1000),
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
                "securityContext": restricted_pod_security(1000),
            },
        },
        "grafana": {
            "admin": {
                "existingSecret": inputs.grafana_admin_secret,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "resources": inputs.grafana_resources.render(),
            "securityContext": restricted_pod_security(472),
            "containerSecurityContext": restricted_container_security(),
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
            "securityContext": restricted_pod_security(),
            "containerSecurityContext": restricted_container_security(),
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


class LokiInputs(_Frozen):
    """Storage of Loki: a volume (staging) or a bucket reached through an IRSA role (production)."""

    config: ObservabilityConfig
    storage_class: str
    region: str
    bucket_name: str | None = Field(default=None, description="Bucket of chunks and indexes (s3 only).")
    role_arn: str | None = Field(default=None, description="IRSA role of the Loki service account.")
    service_account: str = "loki"
    resources: Resources = Resources(cpu_request="250m", memory_request="512Mi", memory_limit="2Gi")


def loki_values(inputs: LokiInputs) -> dict[str, Any]:
    """Monolithic (single binary) Loki; chunks on its volume or in S3, retention by the compactor."""
    config = inputs.config
    on_s3 = config.loki_storage == "s3"
    if on_s3 and (inputs.bucket_name is None or inputs.role_arn is None):
        raise ValueError("Loki on s3 needs bucket_name and role_arn")
    volume = VolumeClaim(storage_class=inputs.storage_class, size_gib=config.loki_storage_gib)
    storage: dict[str, Any] = {"type": "filesystem"}
    if on_s3:
        bucket = inputs.bucket_name
        storage = {
            "type": "s3",
            "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
            "s3": {"region": inputs.region, "s3ForcePathStyle": False, "insecure": False},
        }
    service_account: dict[str, Any] = {"create": True, "name": inputs.service_account}
    if on_s3:
        service_account["annotations"] = {"eks.amazonaws.com/role-arn": inputs.role_arn}
    disabled = {"replicas": 0}
    return {
        "fullnameOverride": "loki",
        "deploymentMode": "SingleBinary",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": min(config.loki_replicas, 3)},
            "storage": storage,
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2025-01-01",
                        "store": "tsdb",
                        "object_store": "s3" if on_s3 else "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            "limits_config": {
                "retention_period": f"{config.log_retention_days * 24}h",
                "allow_structured_metadata": True,
            },
            "compactor": {
                "retention_enabled": True,
                "delete_request_store": "s3" if on_s3 else "filesystem",
            },
            "podSecurityContext": restricted_pod_security(10001),
            "containerSecurityContext": restricted_container_security(),
        },
        "serviceAccount": service_account,
        "singleBinary": {
            "replicas": config.loki_replicas,
            "persistence": {"enabled": True, "storageClass": inputs.storage_class, "size": volume.size},
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
            "resources": inputs.resources.render(),
        },
        "backend": disabled,
        "read": disabled,
        "write": disabled,
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        # The rules sidecar loads ruler rules from labelled ConfigMaps and Secrets anywhere in the cluster;
        # the platform alerts from Prometheus and gives Loki no rules, so neither the sidecar nor its
        # ClusterRole (get/list/watch on every Secret) is installed.
        "sidecar": {"rules": {"enabled": False}},
        "rbac": {"namespaced": True},
    }


class AlloyInputs(_Frozen):
    loki_push_url: str
    replicas: int = Field(default=2, ge=1, description="Clustered Alloy instances sharing the pods to tail.")
    resources: Resources = Resources(cpu_request="100m", memory_request="256Mi", memory_limit="512Mi")


def alloy_pipeline(loki_push_url: str) -> str:
    """Alloy configuration: tail every pod's log through the Kubernetes API, lift the JSON fields.

    `level` becomes a label (few values); request id, tenant and trace id become structured metadata,
    queryable without creating one stream per request or tenant.
    """
    expressions = ", ".join(f'{field} = "{field}"' for field in ("level", *LOG_CORRELATION_FIELDS))
    metadata = ", ".join(f'{field} = ""' for field in LOG_CORRELATION_FIELDS)
    relabels = {
        "__meta_kubernetes_namespace": "namespace",
        "__meta_kubernetes_pod_name": "pod",
        "__meta_kubernetes_pod_container_name": "container",
        "__meta_kubernetes_pod_label_app_kubernetes_io_name": "app",
    }
    rules = "\n".join(
        f'  rule {{\n    source_labels = ["{source}"]\n    target_label  = "{target}"\n  }}'
        for source, target in relabels.items()
    )
    return f"""discovery.kubernetes "pods" {{
  role = "pod"
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
{rules}
}}

loki.source.kubernetes "pods" {{
  targets    = discovery.relabel.pods.output
  forward_to = [loki.process.json.receiver]
  clustering {{
    enabled = true
  }}
}}

loki.process "json" {{
  forward_to = [loki.write.loki.receiver]

  stage.json {{
    expressions = {{ {expressions} }}
  }}

  stage.labels {{
    values = {{ level = "" }}
  }}

  stage.structured_metadata {{
    values = {{ {metadata} }}
  }}
}}

loki.write "loki" {{
  endpoint {{
    url = "{loki_push_url}"
  }}
}}
"""


# What `alloy_pipeline` reads from the Kubernetes API: discovery.kubernetes (role "pod") lists and watches
# pods, loki.source.kubernetes tails pods/log. The chart's own ClusterRole cannot be narrowed by values and
# also grants every Secret and ConfigMap (for remote.kubernetes.*, which the pipeline does not use), so the
# component binds this one instead and the chart creates none (`rbac.create: false`).
ALLOY_CLUSTER_ROLE_RULES: tuple[dict[str, Any], ...] = (
    {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
)
ALLOY_SERVICE_ACCOUNT = "alloy"


def alloy_values(inputs: AlloyInputs) -> dict[str, Any]:
    """Alloy as a clustered Deployment: it reads logs through the API, so it needs no host mounts."""
    return {
        "fullnameOverride": "alloy",
        "rbac": {"create": False},
        "serviceAccount": {"create": True, "name": ALLOY_SERVICE_ACCOUNT},
        # The chart reads the pod's security context from `global`, not `controller`. Alloy's image
        # runs as root by default, so without a runAsUser kubelet refuses it under runAsNonRoot.
        "global": {"podSecurityContext": restricted_pod_security(473)},
        "controller": {
            "type": "deployment",
            "replicas": inputs.replicas,
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {
                        "matchLabels": {
                            "app.kubernetes.io/name": "alloy",
                            "app.kubernetes.io/instance": "alloy",
                        }
                    },
                }
            ],
        },
        "alloy": {
            "configMap": {"create": True, "content": alloy_pipeline(inputs.loki_push_url)},
            "clustering": {"enabled": True},
            "mounts": {"varlog": False, "dockercontainers": False},
            "resources": inputs.resources.render(),
            "securityContext": restricted_container_security(),
        },
        "configReloader": {"securityContext": restricted_container_security()},
    }


class TraceSampling(_Frozen):
    base_percent: float = Field(gt=0, le=100)
    service_percent: float = Field(gt=0, le=100)
    service_name: str = MEMORY_API_SERVICE
    keep_errors: bool = True
    decision_wait_seconds: int = Field(default=10, ge=1, description="Wait for a trace's spans to arrive.")


def tail_sampling_policies(sampling: TraceSampling) -> list[dict[str, Any]]:
    """Tail-sampling policies; a trace is kept when any policy keeps it."""
    policies: list[dict[str, Any]] = []
    if sampling.keep_errors:
        policies.append({"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}})
    policies += [
        {
            "name": sampling.service_name,
            "type": "and",
            "and": {
                "and_sub_policy": [
                    {
                        "name": "service",
                        "type": "string_attribute",
                        "string_attribute": {"key": "service.name", "values": [sampling.service_name]},
                    },
                    {
                        "name": "rate",
                        "type": "probabilistic",
                        "probabilistic": {"sampling_percentage": sampling.service_percent},
                    },
                ]
            },
        },
        {
            "name": "baseline",
            "type": "probabilistic",
            "probabilistic": {"sampling_percentage": sampling.base_percent},
        },
    ]
    return policies


class CollectorInputs(_Frozen):
    sampling: TraceSampling
    jaeger_otlp_endpoint: str = Field(description="host:port of Jaeger's OTLP gRPC receiver.")
    resources: Resources = Resources(cpu_request="200m", memory_request="512Mi", memory_limit="1Gi")


def otel_collector_values(inputs: CollectorInputs) -> dict[str, Any]:
    """One OpenTelemetry Collector (contrib image, for tail sampling) receiving OTLP on 4317/4318.

    One replica: tail sampling must see every span of a trace; more replicas would need a
    load-balancing tier routing by trace id first.
    """
    return {
        "fullnameOverride": "otel-collector",
        "mode": "deployment",
        "replicaCount": 1,
        "image": {"repository": "otel/opentelemetry-collector-contrib"},
        "command": {"name": "otelcol-contrib"},
        "resources": inputs.resources.render(),
        "podSecurityContext": restricted_pod_security(10001),
        "securityContext": restricted_container_security(),
        # No preset reads the Kubernetes API, so the pod mounts no API token (the chart sets it on the pod).
        "serviceAccount": {"automountServiceAccountToken": False},
        "ports": {
            "otlp": {"enabled": True, "containerPort": OTLP_GRPC_PORT, "servicePort": OTLP_GRPC_PORT},
            "otlp-http": {"enabled": True, "containerPort": OTLP_HTTP_PORT, "servicePort": OTLP_HTTP_PORT},
            "jaeger-compact": {"enabled": False},
            "jaeger-thrift": {"enabled": False},
            "jaeger-grpc": {"enabled": False},
            "zipkin": {"enabled": False},
        },
        "config": {
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_GRPC_PORT}"},
                        "http": {"endpoint": f"${{env:MY_POD_IP}}:{OTLP_HTTP_PORT}"},
                    }
                }
            },
            "processors": {
                "memory_limiter": {
                    "check_interval": "1s",
                    "limit_percentage": 80,
                    "spike_limit_percentage": 25,
                },
                "tail_sampling": {
                    "decision_wait": f"{inputs.sampling.decision_wait_seconds}s",
                    "num_traces": 50000,
                    "policies": tail_sampling_policies(inputs.sampling),
                },
                "batch": {},
            },
            "exporters": {
                "otlp/jaeger": {"endpoint": inputs.jaeger_otlp_endpoint, "tls": {"insecure": True}},
            },
            "service": {
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["memory_limiter", "tail_sampling", "batch"],
                        "exporters": ["otlp/jaeger"],
                    },
                    "metrics": None,
                    "logs": None,
                }
            },
        },
    }


class JaegerInputs(_Frozen):
    max_traces: int = Field(default=100_000, ge=1000, description="Traces kept in memory.")
    resources: Resources = Resources(cpu_request="200m", memory_request="1Gi", memory_limit="2Gi")


def jaeger_values(inputs: JaegerInputs) -> dict[str, Any]:
    """Jaeger v2 all-in-one behind the collector: it only ever receives sampled traces.

    Chart 4.x deploys nothing but the all-in-one (no agent, collector or query Deployments to disable).
    """
    return {
        "fullnameOverride": "jaeger",
        "provisionDataStore": {"cassandra": False, "elasticsearch": False},
        "storage": {"type": "memory"},
        "allInOne": {
            "enabled": True,
            "extraEnv": [{"name": "MEMORY_MAX_TRACES", "value": str(inputs.max_traces)}],
            "resources": inputs.resources.render(),
            "podSecurityContext": restricted_pod_security(10001),
            "securityContext": restricted_container_security(),
            # Jaeger never calls the Kubernetes API; the chart sets this on the ServiceAccount only.
            "serviceAccount": {"automountServiceAccountToken": False},
        },
    }
