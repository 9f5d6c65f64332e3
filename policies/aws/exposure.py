"""Public exposure, judged on every pulumi-aws type whose inputs can make it public (read from the SDK's
classes, see ``policies.aws.sdk``): ``publiclyAccessible`` databases and brokers, instances that take a
public IP, internet-facing load balancers, function URLs without auth and public-read object ACLs."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.aws.sdk import types_with
from policies.framework import ADVISORY, Subject, as_list, dig, resource_policy, truthy

PUBLICLY_ACCESSIBLE = types_with("publiclyAccessible")
# Aurora keeps its own policy (aws-rds-cluster-instance-not-public, stable since the first release).
AURORA = frozenset({"aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"})
PUBLIC_IP = types_with("associatePublicIpAddress") | {"aws:ec2/launchTemplate:LaunchTemplate"}
LOAD_BALANCERS = types_with("internal")
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
ACL_TYPES = types_with("acl")


NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"


def _publicly_accessible(subject: Subject) -> Iterator[str]:
    if truthy(subject.get("publiclyAccessible")):
        yield "has publiclyAccessible=true, which gives it an endpoint reachable from the internet"
    # A notebook reaches the internet directly unless told otherwise (the API default is Enabled).
    if (
        subject.resource_type == NOTEBOOK
        and subject.get("directInternetAccess", default="Enabled") != "Disabled"
    ):
        yield "has direct internet access (directInternetAccess is Enabled, the default)"


publicly_accessible = resource_policy(
    name="aws-all-resource-not-publicly-accessible",
    description="No database, warehouse, broker or replication instance is publicly accessible.",
    severity=Severity.CRITICAL,
    remediation=(
        "Remove publicly_accessible (it defaults to False), or set a SageMaker notebook's "
        "direct_internet_access='Disabled' with a subnet_id, and reach the service through the VPC."
    ),
    resource_types=(PUBLICLY_ACCESSIBLE - AURORA) | {NOTEBOOK},
    check=_publicly_accessible,
)


def _public_ip(subject: Subject) -> Iterator[str]:
    if truthy(subject.get("associatePublicIpAddress")):
        yield "gets a public IP address (associatePublicIpAddress=true)"
    for index, interface in enumerate(as_list(subject.get("networkInterfaces"))):
        if truthy(dig(interface, "associatePublicIpAddress")):
            yield f"gives network interface {index} a public IP address (associatePublicIpAddress=true)"


compute_no_public_ip = resource_policy(
    name="aws-ec2-all-compute-no-public-ip",
    description="Instances, launch templates and launch configurations do not take public IP addresses.",
    severity=Severity.HIGH,
    remediation=(
        "Set associate_public_ip_address=False and launch into private subnets; expose services through a "
        "load balancer and reach instances with SSM Session Manager."
    ),
    resource_types=PUBLIC_IP,
    check=_public_ip,
)


def _internet_facing(subject: Subject) -> Iterator[str]:
    if not truthy(subject.get("internal")):
        yield "is internet-facing (internal is unset or false)"


load_balancer_internal = resource_policy(
    name="aws-elb-load-balancer-internal",
    description="Load balancers are internal unless the service is meant for the internet.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set internal=True, or keep it internet-facing on purpose and restrict its security group "
        "to 443 (tag security-group-role=load-balancer)."
    ),
    resource_types=LOAD_BALANCERS,
    check=_internet_facing,
    enforcement_level=ADVISORY,
)


def _function_url(subject: Subject) -> Iterator[str]:
    if subject.get("authorizationType") == "NONE":
        yield "lets anyone on the internet invoke the function (authorizationType=NONE)"


function_url_auth = resource_policy(
    name="aws-lambda-function-url-auth",
    description="Lambda function URLs require IAM authentication.",
    severity=Severity.HIGH,
    remediation="Set authorization_type='AWS_IAM', or put the function behind API Gateway with an authorizer.",
    resource_types=[FUNCTION_URL],
    check=_function_url,
)


def _acl(subject: Subject) -> Iterator[str]:
    acl = subject.get("acl")
    if acl in PUBLIC_ACLS:
        yield f"grants the canned ACL {acl}, which makes its objects readable outside the account"


s3_no_public_acl = resource_policy(
    name="aws-s3-all-resource-no-public-acl",
    description="S3 buckets and objects never use a public canned ACL.",
    severity=Severity.CRITICAL,
    remediation="Use acl='private' (or no ACL with BucketOwnershipControls BucketOwnerEnforced).",
    resource_types=ACL_TYPES,
    check=_acl,
)

POLICIES = [
    publicly_accessible,
    compute_no_public_ip,
    load_balancer_internal,
    function_url_auth,
    s3_no_public_acl,
]
