"""EC2 compute policies: IMDSv2 with a hop limit of 1 on every compute kind (containers cannot reach the
instance role) and encrypted EBS volumes with a customer-managed key in launch templates."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.aws.sdk import types_with
from policies.framework import Subject, as_list, dig, is_set, resource_policy, truthy

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


# Every compute kind with instance-metadata settings, read from the SDK's classes.
METADATA_TYPES = types_with("metadataOptions", "instanceMetadataOptions")


def _imdsv2(subject: Subject) -> Iterator[str]:
    max_hops = int(subject.config.get("maxHopLimit", 1))
    key = (
        "instanceMetadataOptions"
        if subject.resource_type in types_with("instanceMetadataOptions")
        else "metadataOptions"
    )
    options = subject.get(key)
    if dig(options, "httpEndpoint") == "disabled":
        return
    tokens = dig(options, "httpTokens")
    if tokens != "required":
        state = f"'{tokens}'" if tokens else "unset"
        yield f"does not require IMDSv2 ({key}.httpTokens is {state}, not 'required')"
    hops = dig(options, "httpPutResponseHopLimit")
    if hops is None:
        yield (
            f"leaves {key}.httpPutResponseHopLimit unset, so the AMI's default (2 on EKS and Amazon Linux 2023 "
            "images) lets containers reach the instance role"
        )
    elif int(hops) > max_hops:
        yield f"has {key}.httpPutResponseHopLimit {hops}, above {max_hops}, so containers can reach the instance role"


compute_imdsv2 = resource_policy(
    name="aws-ec2-all-compute-imdsv2",
    description="Every instance, launch template and launch configuration requires IMDSv2 with a hop limit of 1.",
    severity=Severity.HIGH,
    remediation="Set metadata_options={'http_tokens': 'required', 'http_put_response_hop_limit': 1}.",
    resource_types=METADATA_TYPES,
    check=_imdsv2,
    config={"maxHopLimit": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1}},
)


def _ebs_encrypted(subject: Subject) -> Iterator[str]:
    mappings = [m for m in as_list(subject.get("blockDeviceMappings")) if dig(m, "ebs") is not None]
    if not mappings:
        yield "defines no EBS block device mapping, so volume encryption depends on the account default"
    for mapping in mappings:
        device = dig(mapping, "deviceName", default="?")
        if not truthy(dig(mapping, "ebs", "encrypted")):
            yield f"leaves EBS volume {device} unencrypted"
        elif not is_set(dig(mapping, "ebs", "kmsKeyId")):
            yield f"encrypts EBS volume {device} with the AWS-managed key instead of a customer-managed key"


launch_template_ebs_encrypted = resource_policy(
    name="aws-ec2-launch-template-ebs-encrypted",
    description="Launch templates encrypt every EBS volume with a customer-managed KMS key.",
    severity=Severity.HIGH,
    remediation="Set block_device_mappings[].ebs with encrypted='true' and kms_key_id of a customer-managed key.",
    resource_types=[LAUNCH_TEMPLATE],
    check=_ebs_encrypted,
)

POLICIES = [compute_imdsv2, launch_template_ebs_encrypted]
