"""Copies of primary-region data in the DR region: `ReplicaKey` (a DR-region CMK for a replica) and
`ImageReplication` (the API's images). Both are disaster-recovery components: the policy pack's
`stack-all-resource-disaster-recovery` counts what they create as DR resources (`DR_COMPONENT_TYPES`).

`ReplicaKey`: a rotated CMK in the DR region, under its own provider for that region, for a
replica of a primary-region secret (Secrets Manager re-encrypts a replica under a key of its region).
Its policy is the primary keys' (`encryption_key`): the account administers it and IAM policies grant
its use, so the DR region's API role decrypts the replica with `kms:Decrypt` via Secrets Manager there.

`ImageReplication`:
- A registry-level `ReplicationConfiguration` in the primary region: every image pushed to a repository
  under the API's prefix is copied to the same repository name in the DR region, so the DR region's
  pods pull from their own region when the primary is gone. A registry has one replication
  configuration; only stacks with DR on create it. ECR replicates pushes made after the rule exists,
  so the image running when DR is first turned on must be pushed again (CI's next release does it).
- The replicated repository is created by ECR, not by this program, so its settings come from a
  repository creation template (`appliedFor: REPLICATION`) in the DR region matching the prefix:
  immutable tags, the same lifecycle rules, and KMS with a DR-region CMK (without a template ECR
  would pick the encryption itself; the policy pack requires a customer-managed key on repositories).
- The template's KMS key needs a custom role ECR assumes to create the repository (AWS: "Required if
  using repository tags or KMS encryption"); it may only create, replicate into and tag repositories
  under the prefix, and grant ECR the use of that one key.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.components._base import (
    ComponentArgs,
    assume_role_policy,
    encryption_key,
    in_region,
    policy_json,
)
from infra.tagging import aws_tags

# The component types whose resources are DR resources (with `DisasterRecovery` itself).
DR_COMPONENT_TYPES = ("DisasterRecovery", "ReplicaKey", "ImageReplication")


class ReplicaKey(pulumi.ComponentResource):
    """A CMK in another region (the DR region), for the replica of a secret."""

    arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        region: str,
        description: str,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("memory-platform:dr:ReplicaKey", name, None, opts)
        provider = aws.Provider(name, region=region, opts=pulumi.ResourceOptions(parent=self))
        key = encryption_key(name, description=description, tags=tags, parent=self, provider=provider)
        self.arn = key.arn
        self.register_outputs({"arn": self.arn})


class ImageReplica(ComponentArgs):
    """Where the API's images are replicated: the DR region, through its provider."""

    region: str
    provider: aws.Provider


class ImageReplicationArgs(ComponentArgs):
    repository: aws.ecr.Repository
    prefix: str  # every repository under `prefix/` is replicated
    target: ImageReplica
    lifecycle: dict[str, Any]  # the replicas' lifecycle policy (the source repository's)
    tags: dict[str, str]


class ImageReplication(pulumi.ComponentResource):
    """ECR replication of `prefix/*` into the DR region, with a creation template for the replicas."""

    replica_repository_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: ImageReplicationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("memory-platform:dr:ImageReplication", name, None, opts)
        self.replica_repository_url = _replicate(
            name,
            repository=args.repository,
            prefix=args.prefix,
            target=args.target,
            lifecycle=args.lifecycle,
            tags=args.tags,
            parent=self,
        )
        self.register_outputs({"replicaRepositoryUrl": self.replica_repository_url})


def _replicate(
    name: str,
    *,
    repository: aws.ecr.Repository,
    prefix: str,
    target: ImageReplica,
    lifecycle: dict[str, Any],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """Replicates `prefix`/* to `target`; returns the replica repository's URL in the DR region."""
    dr = pulumi.ResourceOptions(parent=parent, provider=target.provider)
    key = encryption_key(
        f"{name}-images-dr",
        description=f"Encrypts the {target.region} replicas of the {name} images",
        tags=tags,
        parent=parent,
        provider=target.provider,
    )
    role = aws.iam.Role(
        f"{name}-images-dr",
        assume_role_policy=assume_role_policy("ecr.amazonaws.com"),
        tags=aws_tags(tags, f"{name}-images-dr"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # The repository's ARN with the DR region and the whole prefix: arn:<partition>:ecr:<region>:<account>:...
    replicas = repository.arn.apply(
        lambda arn: in_region(arn, target.region).rsplit(":", 1)[0] + f":repository/{prefix}/*"
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-images-dr",
        role=role.id,
        policy=policy_json(
            [
                {
                    "Effect": "Allow",
                    "Action": ["ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"],
                    "Resource": replicas,
                },
                {
                    "Effect": "Allow",
                    "Action": ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"],
                    "Resource": key.arn,
                },
            ]
        ),
        opts=pulumi.ResourceOptions(parent=role),
    )
    template = aws.ecr.RepositoryCreationTemplate(
        f"{name}-images-dr",
        prefix=prefix,
        description=f"Replicas of the {name} images",
        applied_fors=["REPLICATION"],
        image_tag_mutability="IMMUTABLE",
        encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}],
        lifecycle_policy=json.dumps(lifecycle),
        custom_role_arn=role.arn,
        resource_tags=aws_tags(tags, f"{name}-images-dr"),
        opts=pulumi.ResourceOptions.merge(dr, pulumi.ResourceOptions(depends_on=[role_policy])),
    )
    aws.ecr.ReplicationConfiguration(
        f"{name}-images",
        replication_configuration={
            "rules": [
                {
                    "destinations": [{"region": target.region, "registry_id": repository.registry_id}],
                    "repository_filters": [{"filter": f"{prefix}/", "filter_type": "PREFIX_MATCH"}],
                }
            ]
        },
        # The template first, or ECR creates the replica repository without it.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[template]),
    )
    # <account>.dkr.ecr.<region>.<suffix>/<name>: the same URL with the DR region.
    return repository.repository_url.apply(
        lambda url: url.replace(f".dkr.ecr.{url.split('.')[3]}.", f".dkr.ecr.{target.region}.", 1)
    )
