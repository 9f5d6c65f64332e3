"""The pack's risk families, the policies in each and the equivalent Checkov / kube-linter / PSS controls.

``uv run python -m policies.families`` prints the coverage table of ``policies/README.md`` (a test keeps
the two equal); type counts come from the pulumi-aws catalog (``policies.aws.sdk``) and the Kubernetes
kinds each policy names.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable

from pulumi_policy import Policy

from policies.aws import sdk
from policies.ids import POLICY_IDS
from policies.k8s.access import BINDINGS, INGRESS, NETWORK_POLICY, ROLES, SERVICE
from policies.k8s.workloads import WORKLOAD_TYPES
from policies.registry import ALL_POLICIES

CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
KUBERNETES_KINDS = WORKLOAD_TYPES | ROLES | BINDINGS | {NETWORK_POLICY, SERVICE, INGRESS, CONFIG_GROUP}
EXTRA_TYPES = {"aws:lambda/permission:Permission"}  # judged types without a catalogued input

# family -> (policy names, equivalent controls)
FAMILIES: dict[str, tuple[tuple[str, ...], str]] = {
    "Public exposure": (
        (
            "aws-all-resource-not-publicly-accessible",
            "aws-rds-cluster-instance-not-public",
            "aws-ec2-all-compute-no-public-ip",
            "aws-ec2-subnet-no-public-ip-on-launch",
            "aws-elb-load-balancer-internal",
            "aws-lambda-function-url-auth",
            "aws-s3-all-resource-no-public-acl",
            "aws-s3-bucket-public-access-block",
            "aws-s3-bucket-has-public-access-block",
            "aws-eks-cluster-endpoint-restricted",
            "aws-eks-cluster-reachable-from-deployer",
            "aws-elasticache-replication-group-private",
        ),
        "CKV_AWS_17, CKV_AWS_88, CKV_AWS_87, CKV_AWS_130, CKV_AWS_258, CKV_AWS_20, CKV_AWS_53-56, CKV_AWS_39",
    ),
    "Encryption at rest": (
        (
            "aws-all-resource-encrypted-at-rest",
            "aws-all-resource-customer-managed-key",
            "aws-rds-cluster-storage-encrypted",
            "aws-rds-global-cluster-storage-encrypted",
            "aws-elasticache-replication-group-encrypted-at-rest",
            "aws-eks-cluster-secrets-encrypted",
            "aws-ec2-launch-template-ebs-encrypted",
            "aws-s3-bucket-encryption-kms",
            "aws-s3-bucket-has-encryption-configuration",
            "aws-cloudwatch-log-group-encrypted",
            "aws-secretsmanager-secret-cmk",
            "aws-ecr-repository-kms",
            "aws-backup-vault-cmk",
        ),
        "CKV_AWS_3, CKV_AWS_16, CKV_AWS_42, CKV_AWS_64, CKV_AWS_5, CKV_AWS_26, CKV_AWS_27, CKV_AWS_43, "
        "CKV_AWS_47, CKV_AWS_119, CKV_AWS_158, CKV_AWS_58",
    ),
    "Encryption in transit": (
        (
            "aws-all-resource-encrypted-in-transit",
            "aws-elasticache-replication-group-transit-encryption",
            "aws-rds-cluster-tls-enforced",
            "aws-s3-bucket-policy-tls-only",
            "aws-s3-bucket-has-tls-only-policy",
            "kubernetes-ingress-all-hosts-tls",
        ),
        "CKV_AWS_2, CKV_AWS_103, CKV_AWS_30, CKV_AWS_83, CKV_AWS_6, CKV_AWS_34, CKV_AWS_174, CKV_AWS_206",
    ),
    "Resource policies": (
        ("aws-all-resource-policy-no-public-principal", "aws-all-resource-policy-no-wildcard-actions"),
        "CKV_AWS_70, CKV_AWS_72, CKV_AWS_33, CKV_AWS_168, CKV_AWS_301, CKV_AWS_283",
    ),
    "Identity": (
        (
            "aws-iam-policy-no-wildcard-actions",
            "aws-iam-all-principal-no-admin-policy",
            "aws-iam-role-trust-scoped",
        ),
        "CKV_AWS_1, CKV_AWS_62, CKV_AWS_63, CKV_AWS_274, CKV_AWS_60, CKV_AWS_61",
    ),
    "Instance metadata": (("aws-ec2-all-compute-imdsv2",), "CKV_AWS_79, CKV_AWS_341"),
    "Security groups": (
        ("aws-ec2-security-group-no-public-ingress",),
        "CKV_AWS_24, CKV_AWS_25, CKV_AWS_260, CKV_AWS_277",
    ),
    "Logging and audit": (
        (
            "aws-cloudtrail-trail-complete",
            "aws-all-resource-access-logs",
            "aws-ec2-vpc-flow-logs-enabled",
            "aws-eks-cluster-audit-logging",
            "aws-cloudwatch-log-group-retention",
        ),
        "CKV_AWS_67, CKV_AWS_36, CKV_AWS_35, CKV_AWS_91, CKV_AWS_76, CKV2_AWS_11, CKV_AWS_37, CKV_AWS_338",
    ),
    "Resilience and DR": (
        (
            "stack-all-resource-disaster-recovery",
            "aws-rds-cluster-backup-retention",
            "aws-rds-all-database-backup-retention",
            "aws-rds-cluster-deletion-protection",
            "aws-rds-cluster-final-snapshot",
            "aws-rds-cluster-multi-az",
            "aws-elasticache-replication-group-multi-az",
            "aws-elasticache-replication-group-snapshot-retention",
            "aws-kms-key-deletion-window",
            "aws-kms-key-rotation-enabled",
            "aws-backup-plan-retention",
            "aws-route53-record-failover-health-check",
            "aws-s3-bucket-versioning-enabled",
        ),
        "CKV_AWS_133, CKV_AWS_139, CKV_AWS_157, CKV_AWS_7, CKV_AWS_21, CKV2_AWS_62",
    ),
    "Credentials": (
        (
            "all-resource-inputs-no-secret-literal",
            "kubernetes-yaml-config-group-no-secret-literal",
            "aws-rds-cluster-managed-master-password",
            "aws-rds-instance-managed-master-password",
            "aws-elasticache-replication-group-auth-required",
        ),
        "CKV_SECRET_*, CKV_AWS_45, CKV_AWS_96, CKV_K8S_35; kube-linter env-var-secret",
    ),
    "Tags and hygiene": (
        (
            "aws-all-resource-required-tags",
            "stack-all-resource-one-environment-tag",
            "stack-all-resource-count-sanity",
            "aws-ecr-repository-immutable-scanned",
            "aws-eks-cluster-access-entries-only",
            "aws-eks-node-group-launch-template",
            "aws-eks-node-group-instance-families",
            "kubernetes-helm-release-chart-version-pinned",
        ),
        "CKV_AWS_51, CKV_AWS_163, CKV_AWS_100; tagging is custom in Checkov (CKV2_*)",
    ),
    "Kubernetes pods": (
        (
            "kubernetes-workload-pod-run-as-non-root",
            "kubernetes-workload-pod-numeric-run-as-user",
            "kubernetes-workload-pod-not-privileged",
            "kubernetes-workload-pod-no-privilege-escalation",
            "kubernetes-workload-pod-seccomp-runtime-default",
            "kubernetes-workload-pod-drop-all-capabilities",
            "kubernetes-workload-pod-allowed-volume-types",
            "kubernetes-workload-pod-no-host-access",
            "kubernetes-workload-pod-no-windows-host-process",
            "kubernetes-workload-pod-apparmor-confined",
            "kubernetes-workload-pod-selinux-default",
            "kubernetes-workload-pod-default-proc-mount",
            "kubernetes-workload-pod-safe-sysctls",
            "kubernetes-workload-container-image-pinned",
            "kubernetes-workload-container-resources",
            "kubernetes-workload-container-probes",
            "kubernetes-workload-pod-service-account-token",
            "kubernetes-workload-replicas-spread",
            "kubernetes-workload-pod-network-policy",
            "kubernetes-workload-multi-replica-pdb",
        ),
        "PSS baseline (HostProcess, host namespaces, privileged, capabilities, hostPath, host ports, AppArmor, "
        "SELinux, /proc mount, seccomp, sysctls) + restricted (volume types, privilege escalation, non-root, "
        "non-root user, seccomp, capabilities); CKV_K8S_16-20, 23, 25, 26, 28, 31, 37 (Checkov has no AppArmor, "
        "SELinux, /proc or sysctl check); kube-linter run-as-non-root, "
        "privileged-container, privilege-escalation-container, host-network, host-pid, host-ipc, "
        "unsafe-sysctls, unsafe-proc-mount, latest-tag, unset-cpu-requirements, no-liveness-probe, "
        "non-isolated-pod",
    ),
    "Kubernetes access": (
        (
            "kubernetes-rbac-role-no-wildcards",
            "kubernetes-rbac-binding-no-broad-admin",
            "kubernetes-network-policy-restricts",
            "kubernetes-service-no-public-data-port",
            "kubernetes-service-load-balancer-source-ranges",
        ),
        "CKV_K8S_49, CKV_K8S_155, CKV_K8S_156, CKV_K8S_157; kube-linter wildcard-in-rules, "
        "cluster-admin-role-binding, access-to-secrets, exposed-services",
    ),
}


def _applies(policy: Policy) -> Callable[[str], bool]:
    return getattr(policy, "resource_types", None) or getattr(policy, "covers", None) or (lambda _t: False)


def covered_types(names: tuple[str, ...]) -> tuple[int, int]:
    """(pulumi-aws types, Kubernetes kinds) the policies judge."""
    by_name = {p.name: p for p in ALL_POLICIES}
    aws_types = set(sdk.catalog()) | EXTRA_TYPES
    checks = [_applies(by_name[n]) for n in names]
    return (
        sum(1 for t in aws_types if any(c(t) for c in checks)),
        sum(1 for t in KUBERNETES_KINDS if any(c(t) for c in checks)),
    )


def table() -> str:
    by_name = {p.name: p for p in ALL_POLICIES}
    lines = [
        "| Risk family | Policies | pulumi-aws types | Kubernetes kinds | Equivalent control |",
        "|---|---|---|---|---|",
    ]
    for family, (names, controls) in FAMILIES.items():
        aws_count, kinds = covered_types(names)
        ids = ", ".join(f"{POLICY_IDS[n]} `{n}`" for n in names)
        lines.append(f"| {family} | {len(names)}: {ids} | {aws_count} | {kinds} | {controls} |")
    levels = Counter(str(getattr(p.enforcement_level, "value", "")) for p in ALL_POLICIES)
    severities = Counter(str(getattr(p.severity, "value", "")) for p in ALL_POLICIES)
    lines.append("")
    lines.append(
        f"Totals: {len(by_name)} policies, {levels['mandatory']} mandatory and {levels['advisory']} advisory; "
        f"{severities['critical']} critical, {severities['high']} high, {severities['medium']} medium, "
        f"{severities['low']} low. They judge {covered_types(tuple(by_name))[0]} of the "
        f"{sdk.resource_type_count()} resource types of pulumi-aws {sdk.version()} ({len(sdk.catalog())} carry a "
        f"judged input) and {covered_types(tuple(by_name))[1]} Kubernetes kinds."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(table() + "\n")
