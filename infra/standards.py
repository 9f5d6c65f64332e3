"""Shared standards of the platform, each defined once; components, chart values, policies and review use it.

- Pod Security: the "restricted" pod and container security contexts, and the namespace labels that make
  the API server enforce a Pod Security level.
- `tcp()`: NetworkPolicy ports.
- Instance families the platform sizes and prices (stack config validation, the node-group policy and
  `make schema`'s policy configs read the same set).
- Required tags: every AWS resource carries them (stack config validation and the tag policy).
- Chart pins: every third-party Helm chart at one exact version, as one `HelmChart` class.
- The secret marker and YAML text belong to the plan tool (`offline_plan`, which must not import the
  program); they are re-exported here so the program's modules and tests have one place to look.

A value changes here and nowhere else; `tests/infra/test_standards.py` keeps the policy configs in step.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import BaseModel, ConfigDict, Field

from offline_plan.markers import REDACTED as SECRET_MARKER
from offline_plan.yaml_text import to_yaml

__all__ = [
    "ALLOY",
    "AWS_LOAD_BALANCER_CONTROLLER",
    "CHARTS",
    "CLUSTER_AUTOSCALER",
    "CLUSTER_AUTOSCALER_IMAGE_TAGS",
    "INSTANCE_FAMILIES",
    "JAEGER",
    "KUBE_PROMETHEUS_STACK",
    "LOKI",
    "METRICS_SERVER",
    "OPENTELEMETRY_COLLECTOR",
    "POD_SECURITY_LABEL_PREFIX",
    "REQUIRED_TAGS",
    "SECRET_MARKER",
    "HelmChart",
    "pod_security_labels",
    "restricted_container_security_context",
    "restricted_pod_security_context",
    "tcp",
    "to_yaml",
]

# -- Pod Security -----------------------------------------------------------------------------------
POD_SECURITY_LABEL_PREFIX = "pod-security.kubernetes.io"
NOBODY = 65534
"""The `nobody` user and group: what a chart's pod runs as when its image names no user."""


def pod_security_labels(enforce: str = "restricted") -> dict[str, str]:
    """Namespace labels: the API server enforces `enforce`, and audits and warns at "restricted".

    Only node-level agents (host network and PID namespace) get a namespace with `enforce="privileged"`.
    """
    return {
        f"{POD_SECURITY_LABEL_PREFIX}/enforce": enforce,
        f"{POD_SECURITY_LABEL_PREFIX}/enforce-version": "latest",
        f"{POD_SECURITY_LABEL_PREFIX}/audit": "restricted",
        f"{POD_SECURITY_LABEL_PREFIX}/warn": "restricted",
    }


def restricted_pod_security_context(
    user_id: int = NOBODY,
    group_id: int | None = None,
    fs_group: int | None = None,
    *,
    fs_group_change_policy: str | None = None,
) -> dict[str, Any]:
    """Pod-level context of the "restricted" profile: non-root with an explicit user, RuntimeDefault seccomp.

    An explicit `runAsUser`: under `runAsNonRoot` alone kubelet must trust the image's USER. The group
    and `fsGroup` default to the user; `fsGroup` makes volumes writable without a root chown init
    container, and `fs_group_change_policy="OnRootMismatch"` skips the recursive chown of a volume
    that already has the right owner (our own StatefulSets with large volumes set it).
    """
    context: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": user_id,
        "runAsGroup": user_id if group_id is None else group_id,
        "fsGroup": user_id if fs_group is None else fs_group,
    }
    if fs_group_change_policy is not None:
        context["fsGroupChangePolicy"] = fs_group_change_policy
    context["seccompProfile"] = {"type": "RuntimeDefault"}
    return context


def restricted_container_security_context(
    user_id: int | None = None,
    group_id: int | None = None,
    *,
    read_only_root: bool = True,
    explicit_unprivileged: bool = False,
) -> dict[str, Any]:
    """Container-level context of the "restricted" profile: non-root, no escalation, no capabilities.

    `user_id`/`group_id` repeat the pod's user on the container (our own pod specs do; chart values
    leave it to the pod context). `explicit_unprivileged` also spells `privileged: false`, the
    Kubernetes default, as our own pod specs do.
    """
    context: dict[str, Any] = {"runAsNonRoot": True}
    if user_id is not None:
        context["runAsUser"] = user_id
        context["runAsGroup"] = user_id if group_id is None else group_id
    context["allowPrivilegeEscalation"] = False
    context["readOnlyRootFilesystem"] = read_only_root
    if explicit_unprivileged:
        context["privileged"] = False
    context["capabilities"] = {"drop": ["ALL"]}
    context["seccompProfile"] = {"type": "RuntimeDefault"}
    return context


# -- NetworkPolicy ----------------------------------------------------------------------------------
def tcp(*ports: pulumi.Input[int]) -> list[dict[str, Any]]:
    """NetworkPolicy `ports` entries for TCP `ports`."""
    return [{"protocol": "TCP", "port": port} for port in ports]


# -- Instance families ------------------------------------------------------------------------------
INSTANCE_FAMILIES = frozenset({"t3", "m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i", "r7i", "x2idn"})
"""EC2 families this platform is sized and priced for. Graviton and GPU families are left out on
purpose until the images and the cost table cover them."""

# -- Tags -------------------------------------------------------------------------------------------
REQUIRED_TAGS = ("owner", "cost-center", "environment")
"""Tags every taggable AWS resource carries (from the stack's `tags`, checked by the tag policy)."""


# -- Chart pins -------------------------------------------------------------------------------------
class HelmChart(BaseModel):
    """A chart in a Helm repository, at one exact version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Chart name in the repository.")
    repository: str = Field(pattern=r"^https://\S+$", description="Helm repository URL.")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", description="Exact chart version.")
    app_version: str | None = Field(
        default=None, description="The chart's appVersion at this version (what it deploys), for reviewers."
    )


KUBE_PROMETHEUS_STACK = HelmChart(
    name="kube-prometheus-stack",
    repository="https://prometheus-community.github.io/helm-charts",
    version="88.5.3",
)
# The Loki chart moved from grafana/helm-charts to the community-maintained repository.
LOKI = HelmChart(name="loki", repository="https://grafana-community.github.io/helm-charts", version="18.11.0")
ALLOY = HelmChart(name="alloy", repository="https://grafana.github.io/helm-charts", version="1.2.1")
OPENTELEMETRY_COLLECTOR = HelmChart(
    name="opentelemetry-collector",
    repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
    version="0.170.0",
)
# Chart 4.x deploys Jaeger v2 (built on the OpenTelemetry Collector).
JAEGER = HelmChart(name="jaeger", repository="https://jaegertracing.github.io/helm-charts", version="4.1.0")
AWS_LOAD_BALANCER_CONTROLLER = HelmChart(
    name="aws-load-balancer-controller",
    repository="https://aws.github.io/eks-charts",
    version="1.17.1",
    app_version="v2.17.1",
)

# Resource metrics (metrics.k8s.io) for the HorizontalPodAutoscalers; 0.8.x supports Kubernetes 1.31+.
METRICS_SERVER = HelmChart(
    name="metrics-server",
    repository="https://kubernetes-sigs.github.io/metrics-server",
    version="3.13.1",
    app_version="0.8.1",
)
# The node autoscaler of the managed node groups. The chart deploys appVersion 1.35.0; the image is pinned
# per Kubernetes minor (`CLUSTER_AUTOSCALER_IMAGE_TAGS`), as upstream asks.
CLUSTER_AUTOSCALER = HelmChart(
    name="cluster-autoscaler",
    repository="https://kubernetes.github.io/autoscaler",
    version="9.59.0",
    app_version="1.35.0",
)
CLUSTER_AUTOSCALER_IMAGE_TAGS = {"1.34": "v1.34.5", "1.35": "v1.35.2", "1.36": "v1.36.1"}
"""Cluster Autoscaler image per control-plane minor: "We recommend using Cluster Autoscaler with the
Kubernetes control plane version for which it was meant" (kubernetes/autoscaler cluster-autoscaler/README.md,
"Releases"; chart 9.51.0+ for 1.34). Each is the newest `cluster-autoscaler-<v>` tag of that minor in the
upstream repository; the AWS README's IAM policy is the same at all of them."""

CHARTS = (
    KUBE_PROMETHEUS_STACK,
    LOKI,
    ALLOY,
    OPENTELEMETRY_COLLECTOR,
    JAEGER,
    AWS_LOAD_BALANCER_CONTROLLER,
    METRICS_SERVER,
    CLUSTER_AUTOSCALER,
)
"""Every chart the platform installs; bump a version here and nowhere else."""
