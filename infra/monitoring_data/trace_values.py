"""Helm values of the trace pipeline: the OpenTelemetry Collector (OTLP in, tail sampling) and Jaeger v2.
Shared pieces are in `chart_values.py`."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import Field

from infra.monitoring_data.chart_values import (
    MEMORY_API_SERVICE,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    Resources,
)
from infra.monitoring_data.model import Frozen
from infra.standards import restricted_container_security_context, restricted_pod_security_context


class TraceSampling(Frozen):
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


class CollectorInputs(Frozen):
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
        "podSecurityContext": restricted_pod_security_context(10001),
        "securityContext": restricted_container_security_context(),
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
                # `otlp_grpc` is the exporter's name since collector 0.144 (`otlp` is a deprecated alias);
                # the chart's 0.170.0 ships collector 0.158.0.
                "otlp_grpc/jaeger": {"endpoint": inputs.jaeger_otlp_endpoint, "tls": {"insecure": True}},
            },
            "service": {
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["memory_limiter", "tail_sampling", "batch"],
                        "exporters": ["otlp_grpc/jaeger"],
                    },
                    "metrics": None,
                    "logs": None,
                }
            },
        },
    }


class JaegerInputs(Frozen):
    max_traces: int = Field(default=100_000, ge=1000, description="Traces kept in memory.")
    resources: Resources = Resources(cpu_request="200m", memory_request="1Gi", memory_limit="2Gi")


JAEGER_STORE = "memstore"


def jaeger_config(inputs: JaegerInputs) -> dict[str, Any]:
    """Jaeger v2's own configuration (an OpenTelemetry Collector config): OTLP in, traces in memory.

    v2 ignores v1's environment (`SPAN_STORAGE_TYPE`, `MEMORY_MAX_TRACES`); storage is the
    `jaeger_storage` extension's backend. Endpoints are explicit because the collector's defaults
    listen on localhost only; 13133 is the health endpoint the chart's probes call.
    """
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["batch"],
                    "exporters": ["jaeger_storage_exporter"],
                }
            },
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": "0.0.0.0:13133"}},
            "jaeger_storage": {"backends": {JAEGER_STORE: {"memory": {"max_traces": inputs.max_traces}}}},
            "jaeger_query": {
                "storage": {"traces": JAEGER_STORE},
                "http": {"endpoint": "0.0.0.0:16686"},
                "grpc": {"endpoint": "0.0.0.0:16685"},
            },
        },
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
                    "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"},
                }
            }
        },
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": JAEGER_STORE}},
    }


def jaeger_values(inputs: JaegerInputs) -> dict[str, Any]:
    """Jaeger v2 all-in-one behind the collector: it only ever receives sampled traces.

    Chart 4.x deploys nothing but the all-in-one (no agent, collector or query Deployments to disable).
    Its `userconfig` (a YAML string) becomes the `user-config` ConfigMap the pod runs with `--config`.
    """
    return {
        "fullnameOverride": "jaeger",
        "provisionDataStore": {"cassandra": False, "elasticsearch": False},
        "userconfig": yaml.safe_dump(jaeger_config(inputs), sort_keys=False),
        "allInOne": {
            "enabled": True,
            "resources": inputs.resources.render(),
            "podSecurityContext": restricted_pod_security_context(10001),
            "securityContext": restricted_container_security_context(),
            # Jaeger never calls the Kubernetes API; the chart sets this on the ServiceAccount only.
            "serviceAccount": {"automountServiceAccountToken": False},
        },
    }
