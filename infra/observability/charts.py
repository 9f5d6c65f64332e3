"""Every Helm chart the platform installs, pinned to one exact version, in one place.

Bump a version here and nowhere else; the offline plan shows the change and the policy pack refuses ranges.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HelmChart(BaseModel):
    """A chart in a Helm repository, at one exact version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Chart name in the repository.")
    repository: str = Field(pattern=r"^https://\S+$", description="Helm repository URL.")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", description="Exact chart version.")


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

CHARTS = (KUBE_PROMETHEUS_STACK, LOKI, ALLOY, OPENTELEMETRY_COLLECTOR, JAEGER)
