"""The node pools of `EksCluster`: one EKS managed node group per pool, with its own launch template.

Defaults and why:
- IMDSv2 is required with a hop limit of 1, so pods cannot reach the node's credentials.
- The root volume is gp3, encrypted with the cluster's EBS key (which Auto Scaling may use, or
  nodes could not launch with an encrypted volume).
- Nodes carry the pool label (`POOL_LABEL`) and the pool's taints; workloads select pools by it.
- Desired size is set once; the cluster autoscaler owns it afterwards (`ignore_changes`), between the
  pool's `minNodes` and `maxNodes` from the stack file.
- Each group's Auto Scaling group carries the cluster autoscaler's discovery tags
  (`autoscaler_discovery_tags`), written by the program rather than left to EKS's own tagging, so the
  autoscaler's `--node-group-auto-discovery` and its IAM condition match tags this program owns.
- The node role holds only the worker and ECR pull policies: the CNI and EBS CSI permissions
  live on their own IRSA roles.

The resources keep the names and parents they had inside `EksCluster` (launch templates and the
node role under the component, node groups under the EKS cluster), so no URN changed in the split.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal, Self

import pulumi
import pulumi_aws as aws
from pydantic import Field, model_validator

from infra.components._base import assume_role_policy, encryption_key
from infra.config_types import ConfigModel, InstanceType
from infra.tagging import aws_tags


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class Taint(ConfigModel):
    """A Kubernetes taint on every node of a pool."""

    key: str = Field(description="Taint key, e.g. 'dedicated'.", min_length=1, max_length=63)
    value: str = Field(default="", description="Taint value, e.g. 'database'.", max_length=63)
    effect: TaintEffect = Field(description="NoSchedule, PreferNoSchedule or NoExecute.")


class NodePool(ConfigModel):
    """One EKS managed node group with its own launch template."""

    name: str = Field(
        description="Pool name; also the value of the pool label on its nodes.",
        pattern=r"^[a-z][a-z0-9_]{1,30}$",
    )
    instance_type: InstanceType = Field(description="EC2 instance type of every node.")
    min_nodes: int = Field(ge=0, le=100, description="Lower bound of the autoscaling range.")
    max_nodes: int = Field(ge=1, le=100, description="Upper bound of the autoscaling range.")
    desired_nodes: int | None = Field(
        default=None, description="Initial size; defaults to min_nodes. Later changes are ignored."
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(default="ON_DEMAND", description="ON_DEMAND or SPOT.")
    spot_alternatives: tuple[InstanceType, ...] = Field(
        default=(),
        description=(
            "Further instance types of the same vCPU and memory a SPOT pool may launch, so one type's "
            "Spot shortage cannot empty the pool (required for SPOT)."
        ),
    )
    disk_size_gib: int = Field(default=50, ge=20, le=2000, description="Encrypted gp3 root volume.")
    max_unavailable: int = Field(
        default=1, ge=1, le=100, description="Nodes replaced at once during an update."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Extra Kubernetes node labels.")
    taints: tuple[Taint, ...] = Field(default=(), description="Kubernetes taints on every node.")

    @model_validator(mode="after")
    def _sizes_are_ordered(self) -> Self:
        if self.min_nodes > self.max_nodes:
            raise ValueError(
                f"minNodes ({self.min_nodes}) is greater than maxNodes ({self.max_nodes}); "
                "set minNodes <= maxNodes"
            )
        if self.capacity_type == "SPOT" and not self.spot_alternatives:
            raise ValueError(
                f"pool '{self.name}' is SPOT with the single instance type {self.instance_type}; list "
                "spotAlternatives of the same vCPU and memory (e.g. c6i.xlarge, c7i.xlarge for c5.xlarge) "
                "so one type's Spot shortage cannot empty it"
            )
        if self.spot_alternatives and self.capacity_type != "SPOT":
            raise ValueError(f"pool '{self.name}' lists spotAlternatives but is not SPOT; remove them")
        desired = self.desired_nodes
        if desired is not None and not self.min_nodes <= desired <= self.max_nodes:
            raise ValueError(
                f"desiredNodes ({desired}) must lie between minNodes ({self.min_nodes}) "
                f"and maxNodes ({self.max_nodes})"
            )
        return self

    @property
    def instance_types(self) -> list[str]:
        return [self.instance_type, *self.spot_alternatives]

    @property
    def initial_nodes(self) -> int:
        return self.desired_nodes if self.desired_nodes is not None else self.min_nodes


def reference_pools() -> tuple[NodePool, ...]:
    database_taint = Taint(key="dedicated", value="database", effect=TaintEffect.NO_SCHEDULE)
    return (
        NodePool(name="application", instance_type="m5.xlarge", min_nodes=3, max_nodes=10),
        NodePool(name="ml_workload", instance_type="c5.2xlarge", min_nodes=2, max_nodes=8),
        NodePool(
            name="database",
            instance_type="r5.xlarge",
            min_nodes=3,
            max_nodes=3,
            disk_size_gib=100,
            taints=(database_taint,),
        ),
    )


POOL_LABEL = "memory-platform.io/pool"
AUTOSCALER_ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"


def autoscaler_discovery_tags(cluster_name: str) -> dict[str, str]:
    """The Auto Scaling group tags Cluster Autoscaler discovers a cluster's node groups by.

    Upstream's auto-discovery (`--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,
    k8s.io/cluster-autoscaler/<cluster-name>`, cloudprovider/aws/README.md) matches the keys; the values are
    the ones its IAM policy conditions on (the autoscaler may only resize groups tagged for this cluster).
    """
    return {AUTOSCALER_ENABLED_TAG: "true", f"k8s.io/cluster-autoscaler/{cluster_name}": "owned"}


_EKS_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")


def node_volume_key(
    parent: pulumi.Resource,
    name: str,
    *,
    partition: str,
    account_id: str,
    tags: dict[str, str],
    create_service_linked_role: bool = True,
    after: Sequence[pulumi.Resource] = (),
) -> aws.kms.Key:
    """The KMS key of node root volumes and persistent volumes; Auto Scaling may use it for nodes.

    Managed node groups launch through EC2 Auto Scaling, whose service-linked role must be allowed to use
    a customer-managed key (EC2 Auto Scaling user guide, "Required AWS KMS key policy for use with
    encrypted volumes"). KMS rejects a key policy naming a principal that does not exist, so the role is
    created first (and kept on destroy: it is account-wide) unless the account already has it; `after`
    names what creates it elsewhere (another cluster's volume key, which waits for the role).
    """
    autoscaling = (
        f"arn:{partition}:iam::{account_id}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    first: list[pulumi.Resource] = list(after)
    if create_service_linked_role:
        first.append(
            aws.iam.ServiceLinkedRole(
                f"{name}-autoscaling-service-role",
                aws_service_name="autoscaling.amazonaws.com",
                description="EC2 Auto Scaling (EKS managed node groups); account-wide, kept on destroy",
                tags=aws_tags(tags, f"{name}-autoscaling-service-role"),
                opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True),
            )
        )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AutoScalingUsesKeyForNodeVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": autoscaling},
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AutoScalingGrantsForAttachedVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": autoscaling},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]
    return encryption_key(
        f"{name}-ebs",
        description=f"Encrypts {name} node and persistent volumes",
        tags=tags,
        parent=parent,
        service_statements=statements,
        depends_on=first,
    )


def _autoscaling_group_name(resources: Sequence[Any]) -> str:
    """The name of the one Auto Scaling group EKS reports for a managed node group."""
    groups = resources[0].autoscaling_groups if resources else None
    name = groups[0].name if groups else None
    if not name:
        raise ValueError(f"the node group reported no Auto Scaling group ({resources!r})")
    return str(name)


def node_role(
    parent: pulumi.Resource, name: str, *, partition: str, tags: dict[str, str]
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """The IAM role every node of every pool runs as, and its policy attachments.

    Node groups must wait for the attachments, not just the role: a node that boots before
    AmazonEKSWorkerNodePolicy is attached cannot join, and the group fails to create.
    """
    role = aws.iam.Role(
        f"{name}-nodes",
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        tags=aws_tags(tags, f"{name}-nodes"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-nodes-{managed}",
            role=role.name,
            policy_arn=f"arn:{partition}:iam::aws:policy/{managed}",
            opts=pulumi.ResourceOptions(parent=role),
        )
        for managed in _NODE_POLICIES
    ]
    return role, attachments


def node_group(
    parent: pulumi.Resource,
    name: str,
    cluster: aws.eks.Cluster,
    pool: NodePool,
    *,
    node_role: aws.iam.Role,
    ebs_key: aws.kms.Key,
    cluster_name: str,
    subnet_ids: Sequence[pulumi.Output[str]],
    tags: dict[str, str],
    auto_repair: bool,
    depends_on: Sequence[pulumi.Resource],
) -> aws.eks.NodeGroup:
    """One pool: its launch template (under `parent`) and its managed node group (under `cluster`)."""
    pool_name = pool.name.replace("_", "-")
    resource_name = f"{name}-{pool_name}"
    node_tags = aws_tags(tags, resource_name, pool=pool.name)
    template = aws.ec2.LaunchTemplate(
        resource_name,
        description=f"Nodes of the {pool.name} pool of {cluster_name}",
        update_default_version=True,
        metadata_options={
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled",
        },
        block_device_mappings=[
            {
                "device_name": "/dev/xvda",
                "ebs": {
                    "volume_size": pool.disk_size_gib,
                    "volume_type": "gp3",
                    "encrypted": "true",
                    "kms_key_id": ebs_key.arn,
                    "delete_on_termination": "true",
                },
            }
        ],
        monitoring={"enabled": True},
        tag_specifications=[
            {"resource_type": "instance", "tags": node_tags},
            {"resource_type": "volume", "tags": node_tags},
        ],
        tags=node_tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    group = aws.eks.NodeGroup(
        resource_name,
        cluster_name=cluster.name,
        # A prefix, not a fixed name: a change that replaces the group (instance type, capacity type,
        # subnets) creates the new group before deleting the old, and two groups cannot share a name.
        node_group_name_prefix=f"{pool_name}-",
        node_role_arn=node_role.arn,
        subnet_ids=list(subnet_ids),
        ami_type="AL2023_x86_64_STANDARD",
        instance_types=pool.instance_types,
        capacity_type=pool.capacity_type,
        scaling_config={
            "min_size": pool.min_nodes,
            "max_size": pool.max_nodes,
            "desired_size": pool.initial_nodes,
        },
        update_config={"max_unavailable": pool.max_unavailable},
        node_repair_config={"enabled": auto_repair},
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
        labels={**pool.labels, POOL_LABEL: pool.name},
        taints=[
            {"key": taint.key, "value": taint.value or None, "effect": _EKS_TAINT_EFFECTS[taint.effect]}
            for taint in pool.taints
        ],
        tags=node_tags,
        opts=pulumi.ResourceOptions(
            parent=cluster,
            depends_on=[*depends_on, node_role],
            ignore_changes=["scalingConfig.desiredSize"],
        ),
    )
    # EKS creates the group's one Auto Scaling group; node group tags do not reach it, so tag it directly.
    asg_name = group.resources.apply(_autoscaling_group_name)
    for index, (key, value) in enumerate(autoscaler_discovery_tags(cluster_name).items()):
        aws.autoscaling.Tag(
            f"{resource_name}-{('autoscaler-enabled', 'autoscaler-cluster')[index]}",
            autoscaling_group_name=asg_name,
            tag={"key": key, "value": value, "propagate_at_launch": False},
            opts=pulumi.ResourceOptions(parent=group),
        )
    return group
