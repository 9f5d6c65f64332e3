"""`ClusterConfig`: the stack-file settings of `EksCluster` (control plane, logs, access entries).

It lives beside the component it configures, as every `*Config` model does; `EksCluster` reads it,
the stack model (`infra.config`) assembles it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from infra.config_types import Cidr, ConfigModel

EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
SUPPORTED_EKS_VERSIONS = ("1.34", "1.35", "1.36")
_ADDON_VERSION = r"^v\d+\.\d+\.\d+(-[a-z]+)?-eksbuild\.\d+$"


class AddonVersions(ConfigModel):
    """Exact EKS add-on versions (`aws eks describe-addon-versions --kubernetes-version <v>`).

    Pinned, a version changes only when the stack file changes; unset, EKS's default for the cluster
    version at deploy time is used, which moves under the stack without a diff. Each pin names its source
    in the stack file.
    """

    vpc_cni: str | None = Field(
        default=None, pattern=_ADDON_VERSION, description="vpc-cni, e.g. v1.20.4-eksbuild.1."
    )
    coredns: str | None = Field(
        default=None, pattern=_ADDON_VERSION, description="coredns, e.g. v1.12.4-eksbuild.1."
    )
    kube_proxy: str | None = Field(
        default=None,
        pattern=_ADDON_VERSION,
        description="kube-proxy (its minor is the cluster's), e.g. v1.34.1-eksbuild.2.",
    )
    aws_ebs_csi_driver: str | None = Field(
        default=None, pattern=_ADDON_VERSION, description="aws-ebs-csi-driver, e.g. v1.48.0-eksbuild.2."
    )

    def pinned(self, addon: str) -> str | None:
        """The pinned version of an add-on by its EKS name (`vpc-cni`, `aws-ebs-csi-driver`, ...)."""
        version: str | None = getattr(self, addon.replace("-", "_"))
        return version


class ClusterConfig(ConfigModel):
    """The EKS control plane."""

    version: str = Field(default="1.34", description="Kubernetes minor version of the control plane.")
    public_access_cidrs: tuple[Cidr, ...] = Field(
        default=(),
        description="CIDRs allowed to the public API endpoint; empty keeps the endpoint private.",
    )
    log_types: tuple[str, ...] = Field(
        default=EKS_LOG_TYPES, description="Control-plane log types sent to CloudWatch."
    )
    log_retention_days: int = Field(default=90, ge=1, description="Retention of control-plane logs.")
    admin_role_arns: tuple[str, ...] = Field(
        default=(),
        description="IAM roles granted cluster-admin through EKS access entries (deploy role, break-glass).",
    )
    read_only_role_arns: tuple[str, ...] = Field(
        default=(),
        description="IAM roles that may read every object, Secrets included (the preview/drift role).",
    )
    deletion_protection: bool = Field(
        default=True,
        description="EKS refuses to delete the cluster until this is off (off only in a disposable stack).",
    )
    upgrade_support_type: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD",
        description=(
            "End of standard support: STANDARD lets EKS upgrade the control plane automatically, EXTENDED "
            "keeps the version (billed at the extended-support rate) until you upgrade it."
        ),
    )
    node_auto_repair: bool = Field(
        default=True, description="EKS replaces managed nodes that report unhealthy (node auto repair)."
    )
    addon_versions: AddonVersions = Field(
        default_factory=AddonVersions,
        description="Exact versions of the EKS add-ons (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver).",
    )
    create_autoscaling_service_linked_role: bool = Field(
        default=True,
        description=(
            "Create AWSServiceRoleForAutoScaling, which the EBS key's policy names (KMS refuses a principal "
            "that does not exist); false in an account that already has it (it is account-wide)."
        ),
    )

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        if value not in SUPPORTED_EKS_VERSIONS:
            raise ValueError(f"'{value}' is not supported; use one of {', '.join(SUPPORTED_EKS_VERSIONS)}")
        return value

    @field_validator("log_types")
    @classmethod
    def _known_log_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [kind for kind in value if kind not in EKS_LOG_TYPES]
        if unknown:
            raise ValueError(f"unknown log type(s) {unknown}; allowed: {', '.join(EKS_LOG_TYPES)}")
        return value

    @field_validator("public_access_cidrs")
    @classmethod
    def _not_the_internet(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(ipaddress.ip_network(cidr).prefixlen == 0 for cidr in value):
            raise ValueError("0.0.0.0/0 would expose the API server to the internet; list your CIDRs")
        return value

    @field_validator("admin_role_arns", "read_only_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/.+", arn)]
        if bad:
            raise ValueError(f"{bad} are not IAM role ARNs like 'arn:aws:iam::123456789012:role/Admin'")
        return value

    @model_validator(mode="after")
    def _kube_proxy_matches_the_control_plane(self) -> Self:
        kube_proxy = self.addon_versions.kube_proxy
        if kube_proxy is not None and not kube_proxy.startswith(f"v{self.version}."):
            raise ValueError(
                f"addonVersions.kubeProxy {kube_proxy} is not for Kubernetes {self.version}; "
                f"kube-proxy's minor "
                f"must be the cluster's (a v{self.version}.x-eksbuild.N version)"
            )
        return self

    @model_validator(mode="after")
    def _one_entry_per_role(self) -> Self:
        arns = [*self.admin_role_arns, *self.read_only_role_arns]
        repeated = sorted({arn for arn in arns if arns.count(arn) > 1})
        if repeated:
            raise ValueError(
                f"{repeated} listed twice in adminRoleArns/readOnlyRoleArns; list each role once"
            )
        names = [access_entry_key(arn) for arn in arns]
        clashing = sorted({arn for arn in arns if names.count(access_entry_key(arn)) > 1})
        if clashing:
            raise ValueError(
                f"{clashing} share a role name; access entries are named after it, keep it unique"
            )
        return self

    def access_entries(self) -> dict[str, tuple[str, str]]:
        """Resource key -> (role ARN, EKS access policy name), from the ARN, never a list index."""
        entries = dict.fromkeys(self.admin_role_arns, "AmazonEKSClusterAdminPolicy")
        entries |= dict.fromkeys(self.read_only_role_arns, "AmazonEKSAdminViewPolicy")
        return {access_entry_key(arn): (arn, policy) for arn, policy in entries.items()}


def access_entry_key(role_arn: str) -> str:
    """A resource-name part from a role ARN: its role name, lower-case (stable while the ARN is)."""
    return re.sub(r"[^a-z0-9-]+", "-", role_arn.rsplit("/", 1)[-1].lower()).strip("-")
