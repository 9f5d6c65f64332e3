"""`policies/config/<stack>.json`, generated from the standards, the program and the stack config.

`make schema` writes them (`python -m infra.policy_config`); `tests/infra/test_policy_config.py` fails when a
committed file differs from what this module generates, so a standard changed in `infra/standards.py`
reaches the policy pack in the same commit. Where each value comes from:

- `infra/standards.py`: the instance families node groups may use.
- The program: the namespace whose Pod Security level is "privileged" (node-level agents), and the service
  accounts and ClusterRoles whose API access was reviewed (the exceptions the Kubernetes policies allow).
- The stack config: its `environment` picks the bar the stack is held to (`BARS`): retention minimums, and
  which of the data-safety and availability rules are mandatory rather than advisory.

Edit the bar or the reviewed exceptions here, never the JSON files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from infra.components.cluster_addons import LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT
from infra.components.observability import AGENTS_NAMESPACE, LOKI_SERVICE_ACCOUNT
from infra.components.replicas import DR_COMPONENT_TYPES
from infra.config import StackConfig, parse_stack_config
from infra.monitoring_data.log_values import ALLOY_SERVICE_ACCOUNT
from infra.standards import INSTANCE_FAMILIES
from offline_plan.project import load_stack
from policies.k8s.workloads import PRIVILEGED_NAMESPACES
from policies.registry import ALL_POLICIES

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "policies" / "config"
STACKS = ("staging", "production")
_PREFIX = "memory-platform:"

MANDATORY = "mandatory"

# The bar each environment is held to: the stack-specific part of its policy config.
BARS: dict[str, dict[str, Any]] = {
    "production": {
        "aws-rds-cluster-backup-retention": {"minRetentionDays": 14},
        "aws-rds-cluster-deletion-protection": MANDATORY,
        "aws-rds-cluster-final-snapshot": MANDATORY,
        "aws-rds-cluster-multi-az": {"enforcementLevel": MANDATORY, "minInstances": 2},
        "aws-elasticache-replication-group-multi-az": MANDATORY,
        "aws-elasticache-replication-group-snapshot-retention": {
            "enforcementLevel": MANDATORY,
            "minRetentionDays": 7,
        },
        "aws-backup-plan-retention": {"enforcementLevel": MANDATORY, "minRetentionDays": 35},
        "aws-cloudwatch-log-group-retention": {"minRetentionDays": 90},
        "aws-all-resource-required-tags": MANDATORY,
        "stack-all-resource-one-environment-tag": MANDATORY,
        "stack-all-resource-disaster-recovery": {
            "enforcementLevel": MANDATORY,
            "requireDisasterRecovery": True,
            "drComponentTypes": list(DR_COMPONENT_TYPES),
        },
        "kubernetes-workload-multi-replica-pdb": MANDATORY,
        "kubernetes-workload-replicas-spread": MANDATORY,
    },
    "staging": {
        "aws-rds-cluster-backup-retention": {"minRetentionDays": 7},
        "aws-cloudwatch-log-group-retention": {"minRetentionDays": 30},
        "stack-all-resource-disaster-recovery": {
            "requireDisasterRecovery": False,
            "productionStacks": ["production"],
        },
    },
}

# Pod Security rules admit the node-level agents' namespace (host network and PID namespace): every policy
# of the pack that takes a `privilegedNamespaces` setting, so a new Pod Security rule is covered by itself.
_POD_SECURITY_POLICIES = tuple(
    policy.name
    for policy in ALL_POLICIES
    if policy.config_schema is not None and PRIVILEGED_NAMESPACES in (policy.config_schema.properties or {})
)
# Required of the platform's own pods, though the Pod Security Standards do not ask for it: an explicit UID
# (kubelet cannot verify runAsNonRoot on an image whose USER is a name).
_PLATFORM_MANDATORY = ("kubernetes-workload-pod-numeric-run-as-user",)
# Service accounts whose pods may mount an API token: controllers and agents that call the API server.
# The kube-prometheus-stack names are the chart's `<release>-<component>` accounts.
TOKEN_ALLOWED_SERVICE_ACCOUNTS = (
    ALLOY_SERVICE_ACCOUNT,
    LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
    "jaeger",
    "kube-prometheus-stack-admission",
    "kube-prometheus-stack-grafana",
    "kube-prometheus-stack-kube-state-metrics",
    "kube-prometheus-stack-operator",
    LOKI_SERVICE_ACCOUNT,
)
REVIEWED_CLUSTER_ROLES = (
    {
        "name": "kube-prometheus-stack-operator",
        "reason": (
            "The Prometheus operator creates, updates and deletes the StatefulSets, ConfigMaps and Secrets "
            "(generated configs, TLS assets, web config) of every Prometheus and Alertmanager it manages, "
            "reads the Secrets their specs reference in any watched namespace, and owns the "
            "monitoring.coreos.com objects and their status and finalizers; the chart grants every verb on "
            "exactly those resources."
        ),
        "wildcardVerbsOnApiGroups": ["monitoring.coreos.com", "apps", ""],
        "readsSecrets": True,
    },
)


def stack_config(stack: str, root: Path = ROOT) -> StackConfig:
    """The validated `StackConfig` of `Pulumi.<stack>.yaml` (secrets are not read)."""
    settings = load_stack(root, stack)
    ours = {key.removeprefix(_PREFIX): v for key, v in settings.config.items() if key.startswith(_PREFIX)}
    region = settings.config.get("aws:region")
    return parse_stack_config(ours, primary_region=region, stack_file=f"Pulumi.{stack}.yaml")


def policy_config(config: StackConfig) -> dict[str, Any]:
    """The policy pack config of a stack: its environment's bar, then what every stack shares."""
    document: dict[str, Any] = json.loads(json.dumps(BARS[config.environment]))  # a copy
    document["aws-eks-node-group-instance-families"] = {"allowedInstanceFamilies": sorted(INSTANCE_FAMILIES)}
    for policy in _POD_SECURITY_POLICIES:
        document[policy] = {PRIVILEGED_NAMESPACES: [AGENTS_NAMESPACE]}
        if policy in _PLATFORM_MANDATORY:
            document[policy] = {"enforcementLevel": MANDATORY, **document[policy]}
    document["kubernetes-workload-pod-service-account-token"] = {
        "tokenAllowedServiceAccounts": sorted(TOKEN_ALLOWED_SERVICE_ACCOUNTS)
    }
    document["kubernetes-rbac-role-no-wildcards"] = {"reviewedClusterRoles": list(REVIEWED_CLUSTER_ROLES)}
    return document


def render(stack: str, root: Path = ROOT) -> str:
    """The text of `policies/config/<stack>.json` as `make schema` writes it."""
    return json.dumps(policy_config(stack_config(stack, root)), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write policies/config/<stack>.json for every stack.")
    parser.add_argument("--out", type=Path, default=CONFIG_DIR, help="directory to write into")
    args = parser.parse_args(argv)
    for stack in STACKS:
        path = args.out / f"{stack}.json"
        path.write_text(render(stack))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
