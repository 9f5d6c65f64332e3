"""EKS policies: private or CIDR-restricted API endpoint, envelope encryption of secrets, control-plane
audit logging, access entries instead of aws-auth, and node groups built from vetted launch templates and
instance families."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from infra.standards import INSTANCE_FAMILIES
from policies.framework import ADVISORY, Subject, as_list, dig, is_set, resource_policy, stack_policy

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
K8S_PROVIDER = "pulumi:providers:kubernetes"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
CODEBUILD_WEBHOOK = "aws:codebuild/webhook:Webhook"
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}


def _endpoint(subject: Subject) -> Iterator[str]:
    public = subject.get("vpcConfig", "endpointPublicAccess")
    if public is False:
        if subject.get("vpcConfig", "endpointPrivateAccess") is not True:
            yield "disables the public endpoint without enabling the private one"
        return
    cidrs = set(as_list(subject.get("vpcConfig", "publicAccessCidrs")))
    if not cidrs or cidrs & OPEN_CIDRS:
        yield "exposes the Kubernetes API endpoint to the whole internet (public access from 0.0.0.0/0)"


cluster_endpoint_restricted = resource_policy(
    name="aws-eks-cluster-endpoint-restricted",
    description="The EKS API endpoint is private, or public only to an allow-list of CIDRs.",
    severity=Severity.CRITICAL,
    remediation=(
        "Set vpc_config.endpoint_private_access=True and either endpoint_public_access=False or "
        "public_access_cidrs to your operators' CIDRs."
    ),
    resource_types=[CLUSTER],
    check=_endpoint,
)


def _private_only(cluster: PolicyResource) -> bool:
    return dig(cluster.props.get("vpcConfig"), "endpointPublicAccess") is False


def _deps(resource: PolicyResource, prop: str) -> set[str]:
    return {d.urn for d in resource.property_dependencies.get(prop, [])}


def _runner_subnets(resources: Sequence[PolicyResource]) -> set[str]:
    """Subnets (URNs) of CodeBuild projects in a VPC that take GitHub Actions jobs through a webhook."""
    takes_jobs = {
        urn
        for hook in resources
        if hook.resource_type == CODEBUILD_WEBHOOK
        and any(
            dig(f, "type") == "EVENT" and "WORKFLOW_JOB_QUEUED" in str(dig(f, "pattern"))
            for group in as_list(hook.props.get("filterGroups"))
            for f in as_list(dig(group, "filters"))
        )
        for urn in _deps(hook, "projectName")
    }
    return {
        subnet
        for project in resources
        if project.resource_type == CODEBUILD_PROJECT
        and project.urn in takes_jobs
        and is_set(dig(project.props.get("vpcConfig"), "vpcId"))
        for subnet in _deps(project, "vpcConfig")
    }


def _reachable_from_deployer(
    resources: Sequence[PolicyResource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    private = {r.urn: r for r in resources if r.resource_type == CLUSTER and _private_only(r)}
    if not private:
        return
    runner_subnets = _runner_subnets(resources)
    for provider in resources:
        if provider.resource_type != K8S_PROVIDER:
            continue
        clusters = [private[urn] for urn in _deps(provider, "kubeconfig") if urn in private]
        deployed = sum(
            1
            for r in resources
            if r.resource_type.startswith("kubernetes:")
            and r.provider is not None
            and r.provider.urn == provider.urn
        )
        for cluster in clusters:
            if deployed and not _deps(cluster, "vpcConfig") & runner_subnets:
                yield (
                    f"aws:eks/cluster:Cluster '{cluster.name}' has a private-only API endpoint "
                    f"(endpointPublicAccess=false), yet {deployed} Kubernetes resource(s) are deployed through "
                    f"provider '{provider.name}' and no in-VPC CI runner (a CodeBuild project in the cluster's "
                    "subnets with a WORKFLOW_JOB_QUEUED webhook) exists, so `pulumi up` from GitHub-hosted "
                    "runners cannot reach the cluster.",
                    cluster.urn,
                )


cluster_reachable_from_deployer = stack_policy(
    name="aws-eks-cluster-reachable-from-deployer",
    description=(
        "A cluster whose Kubernetes resources the stack deploys is reachable by the deployer: a public endpoint "
        "limited to CIDRs, or CI runners inside the cluster's subnets."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Set memory-platform:ciRunner (CodeBuild-hosted GitHub Actions runners in the private subnets) or "
        "list the deployers' CIDRs in memory-platform:cluster.publicAccessCidrs."
    ),
    check=_reachable_from_deployer,
    covers=[CLUSTER],
)


def _secrets_encryption(subject: Subject) -> Iterator[str]:
    config = subject.get("encryptionConfig")
    if "secrets" not in as_list(dig(config, "resources")):
        yield "does not envelope-encrypt Kubernetes secrets (encryptionConfig.resources lacks 'secrets')"
    elif not is_set(dig(config, "provider", "keyArn")):
        yield "has no encryptionConfig.provider.keyArn for secrets encryption"


cluster_secrets_encrypted = resource_policy(
    name="aws-eks-cluster-secrets-encrypted",
    description="EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed KMS key.",
    severity=Severity.HIGH,
    remediation="Set encryption_config with resources=['secrets'] and provider.key_arn of a customer-managed key.",
    resource_types=[CLUSTER],
    check=_secrets_encryption,
)


def _audit_logging(subject: Subject) -> Iterator[str]:
    required = as_list(subject.config.get("requiredLogTypes", ["api", "audit", "authenticator"]))
    enabled = set(as_list(subject.get("enabledClusterLogTypes")))
    missing = [t for t in required if t not in enabled]
    if missing:
        yield f"does not ship the control-plane logs {', '.join(missing)} to CloudWatch"


cluster_audit_logging = resource_policy(
    name="aws-eks-cluster-audit-logging",
    description="EKS clusters send API, audit and authenticator control-plane logs to CloudWatch.",
    severity=Severity.HIGH,
    remediation="Add the missing types to enabled_cluster_log_types.",
    resource_types=[CLUSTER],
    check=_audit_logging,
    config={
        "requiredLogTypes": {
            "type": "array",
            "items": {
                "type": "string",
                "enum": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
            },
            "default": ["api", "audit", "authenticator"],
        }
    },
)


def _access_entries(subject: Subject) -> Iterator[str]:
    mode = subject.get("accessConfig", "authenticationMode")
    if mode != "API":
        yield f"uses authenticationMode={mode or 'CONFIG_MAP (default)'}, which still trusts the aws-auth ConfigMap"


cluster_access_entries = resource_policy(
    name="aws-eks-cluster-access-entries-only",
    description="EKS clusters grant access only through access entries, not the aws-auth ConfigMap.",
    severity=Severity.MEDIUM,
    remediation="Set access_config.authentication_mode='API' and grant access with aws.eks.AccessEntry.",
    resource_types=[CLUSTER],
    check=_access_entries,
    enforcement_level=ADVISORY,
)


def _launch_template(subject: Subject) -> Iterator[str]:
    template = subject.get("launchTemplate")
    if not (is_set(dig(template, "id")) or is_set(dig(template, "name"))):
        yield "has no launchTemplate, so IMDSv2, hop limit and EBS encryption cannot be enforced on its nodes"
    elif not is_set(dig(template, "version")):
        yield "does not pin launchTemplate.version"
    if is_set(subject.get("remoteAccess")):
        yield "enables remoteAccess (SSH) to its nodes"


node_group_launch_template = resource_policy(
    name="aws-eks-node-group-launch-template",
    description="EKS node groups use a pinned launch template and no SSH remote access.",
    severity=Severity.HIGH,
    remediation="Set launch_template={'id': ..., 'version': ...} and remove remote_access; use SSM for node access.",
    resource_types=[NODE_GROUP],
    check=_launch_template,
)

# The families the platform is sized and priced for (the stack config refuses any other).
DEFAULT_FAMILIES = sorted(INSTANCE_FAMILIES)


def _families(subject: Subject) -> Iterator[str]:
    allowed = set(as_list(subject.config.get("allowedInstanceFamilies", DEFAULT_FAMILIES)))
    for instance_type in as_list(subject.get("instanceTypes")):
        family = str(instance_type).split(".", 1)[0]
        if family not in allowed:
            yield f"uses instance type {instance_type}, whose family {family} is not one of {', '.join(sorted(allowed))}"


node_group_instance_families = resource_policy(
    name="aws-eks-node-group-instance-families",
    description="EKS node groups use instance families from the allowed list.",
    severity=Severity.LOW,
    remediation="Pick instance_types from the policy's allowedInstanceFamilies, or extend that list in the config.",
    resource_types=[NODE_GROUP],
    check=_families,
    enforcement_level=ADVISORY,
    config={
        "allowedInstanceFamilies": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_FAMILIES}
    },
)

POLICIES = [
    cluster_endpoint_restricted,
    cluster_reachable_from_deployer,
    cluster_secrets_encrypted,
    cluster_audit_logging,
    cluster_access_entries,
    node_group_launch_template,
    node_group_instance_families,
]
