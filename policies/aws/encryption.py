"""Encryption at rest and in transit, judged on every pulumi-aws type that has the switch (read from the
SDK's classes, see ``policies.aws.sdk``), not on a list of the types this project happens to use.

Types with a policy of their own (Aurora, ElastiCache replication groups) are left to it, so one problem
is reported once."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import Severity

from policies.aws.sdk import types_with
from policies.framework import ADVISORY, Subject, as_list, dig, is_set, resource_policy, truthy

# Types whose own policy already judges the same switch (aws-rds-*, aws-elasticache-*).
OWN_POLICY = frozenset(
    {
        "aws:rds/cluster:Cluster",
        "aws:rds/globalCluster:GlobalCluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
    }
)
# Copies and imports inherit the source's encryption unless the flag asks for more.
INHERITS = frozenset(
    {
        "aws:ebs/snapshotCopy:SnapshotCopy",
        "aws:ec2/amiCopy:AmiCopy",
        "aws:docdb/globalCluster:GlobalCluster",
        "aws:neptune/globalCluster:GlobalCluster",
    }
)
FLAGS = ("storageEncrypted", "encrypted", "atRestEncryptionEnabled")
KINESIS = "aws:kinesis/stream:Stream"
# serverSideEncryption is a switch on DAX and Firehose; DynamoDB tables are always encrypted (its block
# only picks the key) and on S3 objects it names the algorithm of an always-encrypted bucket.
SSE_SWITCH = frozenset(
    {"aws:dax/cluster:Cluster", "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"}
)
DYNAMODB = "aws:dynamodb/table:Table"
AT_REST = (
    types_with(*FLAGS) | types_with("encryptAtRest", "kmsMasterKeyId", "encryptionType") | SSE_SWITCH
) - OWN_POLICY
SQS = "aws:sqs/queue:Queue"
SNS = "aws:sns/topic:Topic"


def _at_rest(subject: Subject) -> Iterator[str]:
    for flag in FLAGS:
        if flag in subject.props or _declares(subject.resource_type, flag):
            value = subject.get(flag)
            if value is None and subject.resource_type not in INHERITS:
                yield f"has {flag} unset, so its data is stored unencrypted"
            elif value is not None and not truthy(value):  # some of these inputs are strings ("false")
                yield f"has {flag} false, so its data is stored unencrypted"
    if _declares(subject.resource_type, "encryptAtRest") and not truthy(
        subject.get("encryptAtRest", "enabled")
    ):
        yield "has encryptAtRest.enabled unset or false, so its indices are stored unencrypted"
    if subject.resource_type == KINESIS and subject.get("encryptionType") != "KMS":
        yield "has encryptionType NONE (or unset), so its records are stored unencrypted"
    if subject.resource_type in SSE_SWITCH and not truthy(subject.get("serverSideEncryption", "enabled")):
        yield "has serverSideEncryption.enabled unset or false, so its data is stored unencrypted"
    if subject.resource_type == SNS and not is_set(subject.get("kmsMasterKeyId")):
        yield "has no kmsMasterKeyId, so its messages are stored unencrypted"
    if (
        subject.resource_type == SQS
        and not is_set(subject.get("kmsMasterKeyId"))
        and subject.get("sqsManagedSseEnabled") is False
    ):
        yield "has sqsManagedSseEnabled=false and no kmsMasterKeyId, so its messages are stored unencrypted"


def _declares(resource_type: str, name: str) -> bool:
    return resource_type in types_with(name)


encrypted_at_rest = resource_policy(
    name="aws-all-resource-encrypted-at-rest",
    description="Every storage and data service that can encrypt at rest does.",
    severity=Severity.HIGH,
    remediation=(
        "Turn the service's encryption switch on (storage_encrypted / encrypted / encrypt_at_rest / "
        "kms_master_key_id) and give it kms_key_id of a customer-managed KMS key."
    ),
    resource_types=AT_REST,
    check=_at_rest,
)

TRANSIT = types_with("transitEncryptionEnabled") - OWN_POLICY
LISTENERS = types_with("sslPolicy")
DOMAIN_ENDPOINTS = types_with("domainEndpointOptions")
API_DOMAINS = types_with("securityPolicy")
CDN = types_with("viewerCertificate")
OLD_VIEWER_TLS = ("SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016")
OLD_TLS = re.compile(r"TLS-?1-?[01](?![0-9])|TLS_1_[01]|2015-05|2016-08|TLS10|TLS11", re.IGNORECASE)


KAFKA = frozenset({"aws:msk/cluster:Cluster"})


def _in_transit(subject: Subject) -> Iterator[str]:
    if subject.resource_type in TRANSIT and not truthy(subject.get("transitEncryptionEnabled")):
        yield "has transitEncryptionEnabled unset or false, so clients connect in plaintext"
    if subject.resource_type in LISTENERS:
        yield from _listener(subject)
    if subject.resource_type in DOMAIN_ENDPOINTS:
        if not truthy(subject.get("domainEndpointOptions", "enforceHttps")):
            yield "does not enforce HTTPS (domainEndpointOptions.enforceHttps is unset or false)"
        policy = subject.get("domainEndpointOptions", "tlsSecurityPolicy")
        if policy and OLD_TLS.search(str(policy)):
            yield f"accepts TLS 1.0/1.1 (tlsSecurityPolicy {policy})"
        if not truthy(subject.get("nodeToNodeEncryption", "enabled")):
            yield "does not encrypt traffic between its nodes (nodeToNodeEncryption.enabled is unset or false)"
    if subject.resource_type in CDN:
        yield from _cdn(subject)
    if subject.resource_type in KAFKA:
        yield from _kafka(subject)
    if subject.resource_type in API_DOMAINS:
        policy = subject.get("securityPolicy")
        if policy and OLD_TLS.search(str(policy)):
            yield f"accepts TLS 1.0 (securityPolicy {policy})"


def _cdn(subject: Subject) -> Iterator[str]:
    behaviors = [subject.get("defaultCacheBehavior"), *as_list(subject.get("orderedCacheBehaviors"))]
    for behavior in behaviors:
        if dig(behavior, "viewerProtocolPolicy") == "allow-all":
            path = dig(behavior, "pathPattern", default="the default behavior")
            yield f"serves {path} over plain HTTP (viewerProtocolPolicy allow-all)"
    version = subject.get("viewerCertificate", "minimumProtocolVersion")
    if version in OLD_VIEWER_TLS:
        yield f"accepts viewers on {version} (viewerCertificate.minimumProtocolVersion)"


def _kafka(subject: Subject) -> Iterator[str]:
    transit = subject.get("encryptionInfo", "encryptionInTransit", default={})
    client = dig(transit, "clientBroker", default="TLS")  # the MSK API default is TLS
    if client != "TLS":
        yield f"lets clients connect to its brokers in plaintext (encryptionInTransit.clientBroker {client})"
    if dig(transit, "inCluster") is False:
        yield "sends traffic between its brokers in plaintext (encryptionInTransit.inCluster=false)"


def _listener(subject: Subject) -> Iterator[str]:
    protocol = str(subject.get("protocol", default="")).upper()
    if protocol in ("HTTP", "TCP", "UDP", "TCP_UDP"):
        actions = as_list(subject.get("defaultActions"))
        redirects = all(
            dig(a, "type") == "redirect"
            and str(dig(a, "redirect", "protocol", default="")).upper() == "HTTPS"
            for a in actions
        )
        if not (actions and redirects):
            yield f"serves plaintext {protocol} without redirecting to HTTPS"
    policy = subject.get("sslPolicy")
    if policy and OLD_TLS.search(str(policy)):
        yield f"uses sslPolicy {policy}, which accepts TLS 1.0/1.1"


encrypted_in_transit = resource_policy(
    name="aws-all-resource-encrypted-in-transit",
    description="Listeners, caches and search domains accept only TLS 1.2+ connections.",
    severity=Severity.HIGH,
    remediation=(
        "Use HTTPS/TLS listeners with ssl_policy ELBSecurityPolicy-TLS13-1-2-2021-06 (HTTP only to redirect "
        "to HTTPS), set transit_encryption_enabled=True (MSK: client_broker TLS, in_cluster true), and enforce HTTPS with a TLS 1.2 policy on domains."
    ),
    resource_types=TRANSIT | LISTENERS | DOMAIN_ENDPOINTS | API_DOMAINS | CDN | KAFKA,
    check=_in_transit,
)

KMS_KEY_INPUTS = ("kmsKeyId", "kmsKeyArn")


def _customer_key(subject: Subject) -> Iterator[str]:
    if any(subject.get(flag) is not None and not truthy(subject.get(flag)) for flag in FLAGS):
        return  # unencrypted: aws-all-resource-encrypted-at-rest reports it
    if subject.resource_type == DYNAMODB:
        if not is_set(subject.get("serverSideEncryption", "kmsKeyArn")) and not truthy(
            subject.get("serverSideEncryption", "enabled")
        ):
            yield "is encrypted with an AWS-owned key, not a customer-managed one (serverSideEncryption unset)"
    elif subject.resource_type in types_with("encryptAtRest"):
        if not is_set(subject.get("encryptAtRest", "kmsKeyId")):
            yield "is encrypted with an AWS-managed key, not a customer-managed one (no encryptAtRest.kmsKeyId)"
    elif not any(is_set(subject.get(name)) for name in KMS_KEY_INPUTS):
        yield "is encrypted with an AWS-managed key, not a customer-managed one (no kmsKeyId)"


customer_managed_key = resource_policy(
    name="aws-all-resource-customer-managed-key",
    description="Encrypted storage uses a customer-managed KMS key, so access to the key can be audited and revoked.",
    severity=Severity.LOW,
    remediation="Set kms_key_id (or kms_master_key_id) to a customer-managed KMS key with rotation on.",
    resource_types=(AT_REST & types_with(*KMS_KEY_INPUTS)) | types_with("encryptAtRest") | {DYNAMODB},
    check=_customer_key,
    enforcement_level=ADVISORY,
)

POLICIES = [encrypted_at_rest, encrypted_in_transit, customer_managed_key]
