"""`CiRunner`: GitHub Actions runners hosted by CodeBuild inside the VPC, so CI reaches the private EKS API.

The cluster's API endpoint is private (`cluster.publicAccessCidrs` empty), and GitHub-hosted runners are
outside the VPC: `pulumi preview`/`up`/`refresh` would fail on every Kubernetes resource. CodeBuild runs
GitHub Actions jobs as ephemeral runners in the stack's private subnets (AWS CodeBuild user guide,
"Self-hosted GitHub Actions runners in AWS CodeBuild"): a project whose source is the repository, a
webhook for `WORKFLOW_JOB_QUEUED`, and jobs that ask for `runs-on:
codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`.

What it creates and why:
- A security group for the runners (egress 443 only: GitHub, the Pulumi backend, AWS APIs, PyPI, through
  the NAT gateways) and an ingress rule on the cluster security group admitting them on 443, so they
  reach the private endpoint and nothing else of the cluster.
- A service role CodeBuild assumes (trust limited to this account's project) with only what a VPC build
  needs: its log group, ENIs in the private subnets, and the GitHub connection. Deploy credentials are
  not on it: jobs assume the deploy role through GitHub OIDC, as on GitHub-hosted runners.
- The project (no artifacts, logs to an encrypted log group with a retention) and its webhook.
The GitHub connection itself is created once by hand (an OAuth handshake; see the README's bootstrap).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, Self

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator, model_validator

from infra.components._base import ComponentArgs, aws_account, log_group_key, policy_json
from infra.config_types import ConfigModel
from infra.tagging import aws_tags

HTTPS = 443

_GITHUB_REPOSITORY = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)


class CiRunnerConfig(ConfigModel):
    """GitHub Actions runners inside the VPC (CodeBuild-hosted), so CI reaches a private API endpoint."""

    repository_url: str | None = Field(
        default=None,
        description=(
            "GitHub repository whose workflow jobs the runner takes, e.g. "
            "'https://github.com/example-org/memory-platform'. Unset, no runner is created."
        ),
    )
    connection_arn: str | None = Field(
        default=None,
        description=(
            "CodeConnections connection to GitHub (created once in the console, see README), e.g. "
            "'arn:aws:codeconnections:us-east-1:123456789012:connection/<uuid>'."
        ),
    )
    compute_type: Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] = Field(
        default="BUILD_GENERAL1_MEDIUM",
        description="CodeBuild compute of each runner (MEDIUM: 4 vCPU, 7 GiB; a whole-program preview fits).",
    )
    image: str = Field(
        default="aws/codebuild/standard:7.0",
        description=(
            "CodeBuild-managed image the runner starts from; Ubuntu-based, because actions/setup-python "
            "ships its Pythons for Ubuntu only."
        ),
    )
    log_retention_days: int = Field(default=90, ge=1, description="Retention of the runners' build logs.")

    @field_validator("repository_url")
    @classmethod
    def _github_repository(cls, value: str | None) -> str | None:
        if value is not None and not _GITHUB_REPOSITORY.fullmatch(value):
            raise ValueError(f"'{value}' is not a GitHub repository URL like 'https://github.com/org/repo'")
        return value

    @field_validator("connection_arn")
    @classmethod
    def _connection(cls, value: str | None) -> str | None:
        if value is not None and not _CONNECTION_ARN.fullmatch(value):
            raise ValueError(
                f"'{value}' is not a CodeConnections ARN like "
                "'arn:aws:codeconnections:us-east-1:123456789012:connection/<uuid>'"
            )
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.repository_url is None) != (self.connection_arn is None):
            raise ValueError("repositoryUrl and connectionArn are set together (the runner needs both)")
        return self

    @property
    def enabled(self) -> bool:
        return self.repository_url is not None


def runner_project_name(stack_prefix: str) -> str:
    """The CodeBuild project name, which workflow jobs name in `runs-on: codebuild-<name>-...`."""
    return f"{stack_prefix}-ci-runner"


class CiRunnerArgs(ComponentArgs):
    config: CiRunnerConfig
    project_name: str
    vpc_id: pulumi.Output[str]
    private_subnet_ids: Sequence[pulumi.Output[str]]
    cluster_security_group_id: pulumi.Output[str]
    tags: dict[str, str]


class CiRunner(pulumi.ComponentResource):
    """A CodeBuild project hosting ephemeral GitHub Actions runners in the private subnets."""

    project_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: CiRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("memory-platform:ci:CiRunner", name, None, opts)
        config, tags = args.config, args.tags
        if config.repository_url is None or config.connection_arn is None:
            raise ValueError("CiRunner needs ciRunner.repositoryUrl and ciRunner.connectionArn")
        child = pulumi.ResourceOptions(parent=self)
        account = aws_account(self)
        arn_prefix = f"arn:{account.partition}:codebuild:{account.region}:{account.account_id}"
        project_arn = f"{arn_prefix}:project/{args.project_name}"

        group = aws.ec2.SecurityGroup(
            f"{name}-runners",
            vpc_id=args.vpc_id,
            description="CodeBuild-hosted GitHub Actions runners: HTTPS out only",
            tags=aws_tags(tags, f"{name}-runners"),
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-runners-https-out",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="GitHub, the Pulumi backend, AWS APIs and package indexes, through NAT",
            tags=aws_tags(tags, f"{name}-runners-https-out"),
            opts=pulumi.ResourceOptions(parent=group),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-to-eks-api",
            security_group_id=args.cluster_security_group_id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="The CI runners reach the private Kubernetes API endpoint",
            tags=aws_tags(tags, f"{name}-to-eks-api"),
            opts=pulumi.ResourceOptions(parent=group),
        )

        log_group_name = f"/aws/codebuild/{args.project_name}"
        logs_key = log_group_key(
            f"{name}-logs",
            log_group_name=log_group_name,
            description=f"Encrypts the build logs of {args.project_name}",
            tags=tags,
            parent=self,
            account=account,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=logs_key.arn,
            tags=aws_tags(tags, f"{name}-logs"),
            opts=child,
        )

        role = aws.iam.Role(
            f"{name}-service",
            assume_role_policy=policy_json(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "codebuild.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": account.account_id},
                            "ArnLike": {"aws:SourceArn": project_arn},
                        },
                    }
                ]
            ),
            tags=aws_tags(tags, f"{name}-service"),
            opts=child,
        )
        subnet_arns = [
            subnet.apply(
                lambda subnet_id: (
                    f"arn:{account.partition}:ec2:{account.region}:{account.account_id}:subnet/{subnet_id}"
                )
            )
            for subnet in args.private_subnet_ids
        ]
        role_policy = aws.iam.RolePolicy(
            f"{name}-service",
            role=role.id,
            policy=policy_json(
                [
                    {
                        "Sid": "BuildLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": [log_group.arn, log_group.arn.apply(lambda arn: f"{arn}:*")],
                    },
                    {
                        "Sid": "VpcNetworkInterfaces",
                        "Effect": "Allow",
                        "Action": [
                            "ec2:CreateNetworkInterface",
                            "ec2:DeleteNetworkInterface",
                            "ec2:DescribeDhcpOptions",
                            "ec2:DescribeNetworkInterfaces",
                            "ec2:DescribeSecurityGroups",
                            "ec2:DescribeSubnets",
                            "ec2:DescribeVpcs",
                        ],
                        "Resource": "*",
                    },
                    {
                        "Sid": "VpcNetworkInterfacePermission",
                        "Effect": "Allow",
                        "Action": "ec2:CreateNetworkInterfacePermission",
                        "Resource": (
                            f"arn:{account.partition}:ec2:{account.region}:{account.account_id}:network-interface/*"
                        ),
                        "Condition": {
                            "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                            "ArnEquals": {"ec2:Subnet": subnet_arns},
                        },
                    },
                    {
                        "Sid": "GitHubConnection",
                        "Effect": "Allow",
                        "Action": [
                            "codeconnections:GetConnection",
                            "codeconnections:GetConnectionToken",
                            "codeconnections:UseConnection",
                            "codestar-connections:GetConnection",
                            "codestar-connections:GetConnectionToken",
                            "codestar-connections:UseConnection",
                        ],
                        "Resource": config.connection_arn,
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )

        project = aws.codebuild.Project(
            f"{name}-project",
            name=args.project_name,
            description="Ephemeral GitHub Actions runners in the VPC (pulumi preview/up/refresh)",
            service_role=role.arn,
            build_timeout=120,
            source={
                "type": "GITHUB",
                "location": config.repository_url,
                "auth": {"type": "CODECONNECTIONS", "resource": config.connection_arn},
            },
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "compute_type": config.compute_type,
                "image": config.image,
                "image_pull_credentials_type": "CODEBUILD",
                "privileged_mode": False,
            },
            vpc_config={
                "vpc_id": args.vpc_id,
                "subnets": list(args.private_subnet_ids),
                "security_group_ids": [group.id],
            },
            logs_config={"cloudwatch_logs": {"status": "ENABLED", "group_name": log_group.name}},
            tags=aws_tags(tags, args.project_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}],
            opts=pulumi.ResourceOptions(parent=project),
        )
        self.project_name = project.name
        self.security_group_id = group.id
        self.register_outputs({"projectName": self.project_name, "securityGroupId": self.security_group_id})
