"""EC2 launch template policies for EKS nodes: IMDSv2 with a hop limit of 1 (pods cannot reach the node's
instance role) and encrypted EBS volumes with a customer-managed key."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from policies.framework import Subject, as_list, dig, is_set, resource_policy, truthy

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def _imdsv2(subject: Subject) -> Iterator[str]:
    max_hops = int(subject.config.get("maxHopLimit", 1))
    options = subject.get("metadataOptions")
    if dig(options, "httpEndpoint") == "disabled":
        return
    if dig(options, "httpTokens") != "required":
        yield "does not require IMDSv2 (metadataOptions.httpTokens is not 'required')"
    hops = dig(options, "httpPutResponseHopLimit")
    if hops is None or int(hops) > max_hops:
        yield f"has metadataOptions.httpPutResponseHopLimit={hops}, above {max_hops}, so pods can reach IMDS"


launch_template_imdsv2 = resource_policy(
    name="aws-ec2-launch-template-imdsv2",
    description="Launch templates require IMDSv2 with a hop limit of 1.",
    severity=Severity.HIGH,
    remediation="Set metadata_options={'http_tokens': 'required', 'http_put_response_hop_limit': 1}.",
    resource_types=[LAUNCH_TEMPLATE],
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

POLICIES = [launch_template_imdsv2, launch_template_ebs_encrypted]
