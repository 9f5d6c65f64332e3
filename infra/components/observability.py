"""`Observability`: metrics, alerts, dashboards, logs and traces of the platform, in the cluster.

What it creates, all through the EKS cluster's Kubernetes provider:
- A `monitoring` namespace at the Pod Security "restricted" level, and `monitoring-agents` for
  node-exporter, which needs the host network and PID namespace and so only runs at "privileged".
  Both deny ingress by default; NetworkPolicies open only what is used (OTLP from every namespace,
  scrapes from `monitoring`, the operator's admission webhook).
- Helm releases (helm.v3.Release, so the offline plan records each release with its values) of the
  charts pinned in `infra/standards.py`, with values from the typed builders in
  `infra/monitoring_data/` (`chart_values.py`, `log_values.py`, `trace_values.py`):
  kube-prometheus-stack (Prometheus on gp3 volumes with retention by time and size, replicas spread by
  anti-affinity; Alertmanager whose routing is plain chart values; Grafana with a generated admin password
  and the Loki and Jaeger data sources), Loki (monolithic), Alloy (pod logs, JSON fields lifted out),
  an OpenTelemetry Collector (OTLP on 4317/4318, tail sampling) and Jaeger v2.
- The memory API's PrometheusRule (from `render_rule_groups`; its ServiceMonitor belongs to
  `MemoryApi`), and the dashboards as ConfigMaps the Grafana sidecar loads. Prometheus selects all
  PrometheusRules and ServiceMonitors (the chart's `*SelectorNilUsesHelmValues` switches are off),
  so these need no release label.
- With `lokiStorage: s3`: a private, TLS-only, versioned bucket encrypted with its own rotated KMS key,
  with a lifecycle (Standard-IA after N days, expiry after the retention as a backstop to Loki's
  compactor), reached only through an IRSA role of the `loki` service account scoped to that bucket.

Receiver credentials arrive as secret Outputs (read at the config edge). Those Alertmanager reads from files
(PagerDuty, Slack, SMTP) go into the `alertmanager-receivers` Secret, mounted into the Alertmanager pods; the
default webhook URL stays a secret leaf of the values. So state and plan show the routing, receivers and
inhibit rules in the clear and every credential as a secret.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from infra import standards
from infra.components._base import ComponentArgs, encryption_key, policy_json
from infra.components._buckets import private_bucket
from infra.components.eks import EksCluster
from infra.components.observability_config import ObservabilityConfig
from infra.monitoring_data.alertmanager import (
    AlertmanagerSettings,
    CredentialFiles,
    ReceiverCredentials,
    credential_file_data,
    render_alertmanager_config,
)
from infra.monitoring_data.chart_values import (
    DASHBOARD_LABEL,
    JAEGER_QUERY_PORT,
    LOKI_PORT,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    KubePrometheusStackInputs,
    kube_prometheus_stack_values,
)
from infra.monitoring_data.dashboards import render_dashboards
from infra.monitoring_data.log_values import (
    ALLOY_CLUSTER_ROLE_RULES,
    ALLOY_SERVICE_ACCOUNT,
    AlloyInputs,
    LokiInputs,
    alloy_values,
    loki_values,
)
from infra.monitoring_data.rule_settings import RuleSettings
from infra.monitoring_data.rules import render_rule_groups
from infra.monitoring_data.trace_values import (
    CollectorInputs,
    JaegerInputs,
    TraceSampling,
    jaeger_values,
    otel_collector_values,
)
from infra.standards import HelmChart, pod_security_labels, tcp
from infra.tagging import k8s_labels

NAMESPACE = "monitoring"
AGENTS_NAMESPACE = "monitoring-agents"
ALERTMANAGER_CREDENTIALS = CredentialFiles(secret_name="alertmanager-receivers")  # noqa: S106 - a name
GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - a Secret name
LOKI_SERVICE_ACCOUNT = "loki"
COMPONENT = "observability"


def _service_url(service: str, port: int, scheme: str = "http") -> str:
    host = f"{service}.{NAMESPACE}.svc.cluster.local:{port}"
    return f"{scheme}://{host}" if scheme else host


class ObservabilityArgs(ComponentArgs):
    config: ObservabilityConfig
    cluster: EksCluster
    cluster_label: str
    region: str
    alert_receivers: pulumi.Output[ReceiverCredentials]
    tags: dict[str, str]
    rule_settings: RuleSettings = RuleSettings()


class Observability(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana, Loki, Alloy, an OpenTelemetry Collector and Jaeger."""

    namespace: str
    otlp_grpc_endpoint: str
    otlp_http_endpoint: str
    prometheus_operator: k8s.helm.v3.Release
    loki_bucket: aws.s3.Bucket | None
    loki_role: aws.iam.Role | None

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("memory-platform:observability:Observability", name, None, opts)
        self._name = name
        self._args = args
        self._provider = args.cluster.provider
        config = args.config

        monitoring = self._namespace(NAMESPACE, enforce="restricted")
        agents = self._namespace(AGENTS_NAMESPACE, enforce="privileged")
        self._network_policies(monitoring, agents)
        namespaces: list[pulumi.Resource] = [monitoring, agents]

        alertmanager_secret = self._alertmanager_credentials(monitoring)
        grafana_secret = self._grafana_admin(monitoring)
        stack = self.prometheus_operator = self._release(
            "kube-prometheus-stack",
            standards.KUBE_PROMETHEUS_STACK,
            kube_prometheus_stack_values(
                KubePrometheusStackInputs(
                    config=config,
                    cluster_label=args.cluster_label,
                    storage_class=args.cluster.storage_class_name,
                    agents_namespace=AGENTS_NAMESPACE,
                    namespace=NAMESPACE,
                    alertmanager_config=self._alertmanager_config(),
                    alertmanager_secrets=(ALERTMANAGER_CREDENTIALS.secret_name,),
                    grafana_admin_secret=GRAFANA_ADMIN_SECRET,
                    loki_url=_service_url("loki", LOKI_PORT),
                    jaeger_query_url=_service_url("jaeger-query", JAEGER_QUERY_PORT),
                )
            ),
            depends_on=[*namespaces, alertmanager_secret, grafana_secret],
        )

        self.loki_bucket, self.loki_role = None, None
        if config.loki_storage == "s3":
            self.loki_bucket, self.loki_role = self._loki_bucket()
            loki_inputs: pulumi.Input[dict[str, Any]] = pulumi.Output.all(
                self.loki_bucket.bucket, self.loki_role.arn
            ).apply(lambda values: loki_values(self._loki_inputs(values[0], values[1])))
        else:
            loki_inputs = loki_values(self._loki_inputs(None, None))
        loki = self._release("loki", standards.LOKI, loki_inputs, depends_on=namespaces)
        self._release(
            "alloy",
            standards.ALLOY,
            alloy_values(AlloyInputs(loki_push_url=f"{_service_url('loki', LOKI_PORT)}/loki/api/v1/push")),
            depends_on=[*namespaces, loki],
        )
        self._alloy_access(monitoring)
        jaeger = self._release(
            "jaeger", standards.JAEGER, jaeger_values(JaegerInputs()), depends_on=namespaces
        )
        sampling = TraceSampling(
            base_percent=config.trace_sampling_percent,
            service_percent=config.memory_api_trace_sampling_percent,
            keep_errors=config.keep_error_traces,
        )
        self._release(
            "otel-collector",
            standards.OPENTELEMETRY_COLLECTOR,
            otel_collector_values(
                CollectorInputs(
                    sampling=sampling,
                    jaeger_otlp_endpoint=_service_url("jaeger-collector", OTLP_GRPC_PORT, scheme=""),
                )
            ),
            depends_on=[*namespaces, jaeger],
        )

        self._memory_api_monitoring(stack)
        self._dashboards(monitoring)

        self.namespace = NAMESPACE
        self.otlp_grpc_endpoint = _service_url("otel-collector", OTLP_GRPC_PORT)
        self.otlp_http_endpoint = _service_url("otel-collector", OTLP_HTTP_PORT)
        self.register_outputs(
            {
                "namespace": NAMESPACE,
                "otlpGrpcEndpoint": self.otlp_grpc_endpoint,
                "otlpHttpEndpoint": self.otlp_http_endpoint,
                "lokiBucket": self.loki_bucket.bucket if self.loki_bucket else None,
            }
        )

    # -- Kubernetes plumbing ------------------------------------------------------------------------
    def _k8s(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._provider, depends_on=depends_on or [])

    def _namespace(self, namespace: str, *, enforce: str) -> k8s.core.v1.Namespace:
        labels = {**k8s_labels(COMPONENT, namespace), **pod_security_labels(enforce)}
        return k8s.core.v1.Namespace(
            f"{self._name}-{namespace}", metadata={"name": namespace, "labels": labels}, opts=self._k8s()
        )

    def _alloy_access(self, monitoring: k8s.core.v1.Namespace) -> None:
        """Alloy's ClusterRole: only what its pipeline reads (the chart's own also reads every Secret)."""
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            "name": ALLOY_SERVICE_ACCOUNT,
            "labels": k8s_labels(COMPONENT, "alloy"),
        }
        role = k8s.rbac.v1.ClusterRole(
            f"{self._name}-alloy",
            metadata=metadata,
            rules=cast(Any, [dict(rule) for rule in ALLOY_CLUSTER_ROLE_RULES]),
            opts=self._k8s(),
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{self._name}-alloy",
            metadata=metadata,
            role_ref={
                "api_group": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": ALLOY_SERVICE_ACCOUNT,
            },
            subjects=[{"kind": "ServiceAccount", "name": ALLOY_SERVICE_ACCOUNT, "namespace": NAMESPACE}],
            opts=self._k8s([role, monitoring]),
        )

    def _network_policy(
        self, policy_name: str, namespace: k8s.core.v1.Namespace, spec: dict[str, Any]
    ) -> k8s.networking.v1.NetworkPolicy:
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            "name": policy_name.removeprefix("agents-"),
            "namespace": namespace.metadata["name"],
            "labels": k8s_labels(COMPONENT, policy_name),
        }
        return k8s.networking.v1.NetworkPolicy(
            f"{self._name}-{policy_name}",
            metadata=metadata,
            spec=cast(Any, spec),
            opts=self._k8s([namespace]),
        )

    def _network_policies(self, monitoring: k8s.core.v1.Namespace, agents: k8s.core.v1.Namespace) -> None:
        def from_namespace(name: str) -> dict[str, Any]:
            return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

        deny_all = {"podSelector": {}, "policyTypes": ["Ingress"]}
        self._network_policy("default-deny-ingress", monitoring, deny_all)
        self._network_policy(
            "allow-same-namespace",
            monitoring,
            {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]},
        )
        self._network_policy(
            "allow-otlp-from-cluster",
            monitoring,
            {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "opentelemetry-collector"}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [{"namespaceSelector": {}}], "ports": tcp(OTLP_GRPC_PORT, OTLP_HTTP_PORT)}
                ],
            },
        )
        # The API server calls the operator's admission webhook from outside the pod network.
        self._network_policy(
            "allow-operator-webhook",
            monitoring,
            {
                "podSelector": {"matchLabels": {"app": "kube-prometheus-stack-operator"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": tcp(10250)}],
            },
        )
        self._network_policy("agents-default-deny-ingress", agents, deny_all)
        self._network_policy(
            "agents-allow-scrapes",
            agents,
            {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [from_namespace(NAMESPACE)], "ports": tcp(9100)}],
            },
        )

    def _release(
        self,
        release_name: str,
        chart: HelmChart,
        values: pulumi.Input[dict[str, Any]],
        depends_on: list[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{self._name}-{release_name}",
            name=release_name,
            namespace=NAMESPACE,
            chart=chart.name,
            version=chart.version,
            repository_opts={"repo": chart.repository},
            values=values,
            allow_null_values=True,
            atomic=True,
            cleanup_on_fail=True,
            max_history=10,
            timeout=900,
            # Chart pods need nodes to run on (and their volumes the EBS CSI driver installed with them).
            opts=self._k8s([*depends_on, *self._args.cluster.node_groups.values()]),
        )

    # -- secrets ------------------------------------------------------------------------------------
    def _alertmanager_config(self) -> dict[str, Any]:
        """The routing document, plain but for the default webhook URL, a secret leaf."""
        settings = AlertmanagerSettings(routing=self._args.config.alerting)
        webhook_url: pulumi.Output[str] = pulumi.Output.secret(
            self._args.alert_receivers.apply(
                lambda receivers: receivers.default_webhook_url.get_secret_value()
            )
        )
        return render_alertmanager_config(settings, webhook_url, ALERTMANAGER_CREDENTIALS)

    def _alertmanager_credentials(self, monitoring: k8s.core.v1.Namespace) -> k8s.core.v1.Secret:
        """The credentials Alertmanager reads from files, one key each (see `CredentialFiles`)."""
        data: pulumi.Output[dict[str, str]] = pulumi.Output.secret(
            self._args.alert_receivers.apply(credential_file_data)
        )
        return k8s.core.v1.Secret(
            f"{self._name}-alertmanager-credentials",
            metadata={
                "name": ALERTMANAGER_CREDENTIALS.secret_name,
                "namespace": monitoring.metadata["name"],
                "labels": k8s_labels(COMPONENT, "alertmanager"),
            },
            type="Opaque",
            string_data=data,
            opts=self._k8s([monitoring]),
        )

    def _grafana_admin(self, monitoring: k8s.core.v1.Namespace) -> k8s.core.v1.Secret:
        password = random.RandomPassword(
            f"{self._name}-grafana-admin", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
        )
        return k8s.core.v1.Secret(
            f"{self._name}-grafana-admin",
            metadata={
                "name": GRAFANA_ADMIN_SECRET,
                "namespace": monitoring.metadata["name"],
                "labels": k8s_labels(COMPONENT, "grafana"),
            },
            type="Opaque",
            string_data={"admin-user": "admin", "admin-password": password.result},
            opts=self._k8s([monitoring]),
        )

    # -- Loki storage -------------------------------------------------------------------------------
    def _loki_inputs(self, bucket: str | None, role_arn: str | None) -> LokiInputs:
        return LokiInputs(
            config=self._args.config,
            storage_class=self._args.cluster.storage_class_name,
            region=self._args.region,
            bucket_name=bucket,
            role_arn=role_arn,
            service_account=LOKI_SERVICE_ACCOUNT,
        )

    def _loki_bucket(self) -> tuple[aws.s3.Bucket, aws.iam.Role]:
        name, tags, config = f"{self._name}-loki", self._args.tags, self._args.config
        key = encryption_key(
            name, description=f"Encrypts the Loki log bucket of {self._name}", tags=tags, parent=self
        )
        bucket = private_bucket(
            name,
            key=key,
            lifecycle_rules=[
                {
                    "id": "infrequent-access",
                    "status": "Enabled",
                    "filter": {},
                    "transitions": [
                        {"days": config.log_bucket_infrequent_access_days, "storage_class": "STANDARD_IA"}
                    ],
                },
                {
                    # Loki's compactor deletes by retention; this only catches what it leaves behind.
                    "id": "expire-after-retention",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": config.log_retention_days + 7},
                    "noncurrent_version_expiration": {"noncurrent_days": 7},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                },
            ],
            tags=tags,
            parent=self,
        ).bucket
        aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=pulumi.ResourceOptions(parent=bucket),
        )
        access = policy_json(
            [
                {
                    "Sid": "ListLogBucket",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket.arn,
                },
                {
                    "Sid": "ReadWriteLogObjects",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                },
                {
                    "Sid": "UseLogBucketKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    "Resource": key.arn,
                },
            ]
        )
        role = self._args.cluster.service_account_role(
            name, namespace=NAMESPACE, service_account=LOKI_SERVICE_ACCOUNT, policy=access, parent=self
        )
        return bucket, role

    # -- rules, scrape targets and dashboards -------------------------------------------------------
    def _memory_api_monitoring(self, stack: k8s.helm.v3.Release) -> None:
        settings = self._args.rule_settings
        target = settings.target
        after_crds = self._k8s([stack])
        k8s.apiextensions.CustomResource(
            f"{self._name}-{target.service}-rules",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata={
                "name": target.service,
                "namespace": NAMESPACE,
                "labels": k8s_labels(COMPONENT, f"{target.service}-rules"),
            },
            spec={"groups": render_rule_groups(settings)},
            opts=after_crds,
        )

    def _dashboards(self, monitoring: k8s.core.v1.Namespace) -> None:
        for file_name, dashboard in render_dashboards(self._args.rule_settings).items():
            stem = file_name.removesuffix(".json")
            k8s.core.v1.ConfigMap(
                f"{self._name}-dashboard-{stem}",
                metadata={
                    "name": f"dashboard-{stem}",
                    "namespace": monitoring.metadata["name"],
                    "labels": {**k8s_labels(COMPONENT, f"dashboard-{stem}"), DASHBOARD_LABEL: "1"},
                },
                data={file_name: json.dumps(dashboard, indent=2, sort_keys=True)},
                opts=self._k8s([monitoring]),
            )
