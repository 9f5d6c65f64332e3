"""Helm values of the log pipeline: Loki (monolithic; a volume or an S3 bucket through IRSA) and Alloy
(pod logs to Loki, the memory API's JSON fields lifted out). Shared pieces are in `chart_values.py`."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from infra.components.observability_config import ObservabilityConfig
from infra.monitoring_data.chart_values import (
    LOG_CORRELATION_FIELDS,
    Resources,
    VolumeClaim,
)
from infra.monitoring_data.model import Frozen
from infra.standards import restricted_container_security_context, restricted_pod_security_context


class LokiInputs(Frozen):
    """Storage of Loki: a volume (staging) or a bucket reached through an IRSA role (production)."""

    config: ObservabilityConfig
    storage_class: str
    region: str
    bucket_name: str | None = Field(default=None, description="Bucket of chunks and indexes (s3 only).")
    role_arn: str | None = Field(default=None, description="IRSA role of the Loki service account.")
    service_account: str = "loki"
    resources: Resources = Resources(cpu_request="250m", memory_request="512Mi", memory_limit="2Gi")


def loki_replication_factor(replicas: int) -> int:
    """3 (a write quorum of 2 survives one pod restarting) when there are 3+ pods; 1 for a single pod.

    Two pods would mean a factor of 2 whose quorum is both pods, so `ObservabilityConfig` refuses 2.
    """
    return 3 if replicas >= 3 else 1


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
            # The chart reads `chunks` and `ruler` only (`admin` is an enterprise key it never renders).
            "bucketNames": {"chunks": bucket, "ruler": bucket},
            "s3": {"region": inputs.region, "s3ForcePathStyle": False, "insecure": False},
        }
    service_account: dict[str, Any] = {"create": True, "name": inputs.service_account}
    if on_s3:
        service_account["annotations"] = {"eks.amazonaws.com/role-arn": inputs.role_arn}
    disabled = {"replicas": 0}
    return {
        "fullnameOverride": "loki",
        # The chart's spelling at 18.x; "SingleBinary" is its deprecated alias.
        "deploymentMode": "Monolithic",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": loki_replication_factor(config.loki_replicas)},
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
            "podSecurityContext": restricted_pod_security_context(10001),
            "containerSecurityContext": restricted_container_security_context(),
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


class AlloyInputs(Frozen):
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
# Alloy writes its state (WAL, component data) under `--storage.path`, the chart's `alloy.storagePath`. The
# root filesystem is read-only, so the path is an emptyDir of its own (the chart adds no volume for it).
ALLOY_STORAGE_PATH = "/var/lib/alloy/data"
ALLOY_STORAGE_VOLUME = "storage"


def alloy_values(inputs: AlloyInputs) -> dict[str, Any]:
    """Alloy as a clustered Deployment: it reads logs through the API, so it needs no host mounts."""
    return {
        "fullnameOverride": "alloy",
        "rbac": {"create": False},
        "serviceAccount": {"create": True, "name": ALLOY_SERVICE_ACCOUNT},
        # The chart reads the pod's security context from `global`, not `controller`. Alloy's image
        # runs as root by default, so without a runAsUser kubelet refuses it under runAsNonRoot.
        "global": {"podSecurityContext": restricted_pod_security_context(473)},
        "controller": {
            "type": "deployment",
            "replicas": inputs.replicas,
            "volumes": {"extra": [{"name": ALLOY_STORAGE_VOLUME, "emptyDir": {"sizeLimit": "1Gi"}}]},
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
            "storagePath": ALLOY_STORAGE_PATH,
            "mounts": {
                "varlog": False,
                "dockercontainers": False,
                "extra": [{"name": ALLOY_STORAGE_VOLUME, "mountPath": ALLOY_STORAGE_PATH}],
            },
            "resources": inputs.resources.render(),
            "securityContext": restricted_container_security_context(),
        },
        "configReloader": {"securityContext": restricted_container_security_context()},
    }
