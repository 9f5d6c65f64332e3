"""The Qdrant snapshot CronJob: every collection of every peer, streamed to the backup bucket.

A peer holds only its own shards, so the job asks each peer in turn. Its IRSA role may write and read
only `qdrant/<stack>/` of the bucket (and use the bucket's key); it runs as a non-root user with the
restricted security context, on the application pool. Restore: docs/runbooks/qdrant-snapshot-restore.md.
The resources keep the names and parents they had as a method of `QdrantCluster`.
"""

from __future__ import annotations

import textwrap
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from infra.components._base import ComponentArgs, StrInput, policy_json
from infra.components._kubernetes import pool_placement
from infra.components.eks import EksCluster
from infra.components.eks_nodes import NodePool
from infra.standards import restricted_container_security_context, restricted_pod_security_context

SNAPSHOT_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.31.39"
ACCOUNT = "qdrant-snapshots"
SNAPSHOT_POD_LABELS = {"app.kubernetes.io/name": ACCOUNT}


class SnapshotTarget(ComponentArgs):
    """Where the snapshot CronJob uploads: a bucket, a key prefix, and the bucket's KMS key."""

    bucket_name: StrInput
    bucket_arn: StrInput
    prefix: str
    kms_key_arn: StrInput | None = None


class SnapshotJob(ComponentArgs):
    """What the job needs from its Qdrant cluster."""

    cluster: EksCluster
    namespace: str
    schedule: str
    peers: int
    peer_host_suffix: str
    node_pool: NodePool
    api_key_secret: str
    api_key_field: str
    labels: dict[str, str]


def snapshot_cron_job(
    parent: pulumi.Resource,
    name: str,
    target: SnapshotTarget,
    job: SnapshotJob,
    child: pulumi.ResourceOptions,
) -> None:
    """The IRSA role (under `parent`), ServiceAccount and CronJob (`child` options) uploading snapshots."""
    ns, labels = job.namespace, job.labels
    account = ACCOUNT
    prefix = target.prefix
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteAndReadSnapshots",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            "Resource": pulumi.Output.concat(target.bucket_arn, "/", prefix, "*"),
        },
        {
            "Sid": "ListSnapshotPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": target.bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        },
    ]
    if target.kms_key_arn is not None:
        statements.append(
            {
                "Sid": "UseBackupKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": target.kms_key_arn,
            }
        )
    role = job.cluster.service_account_role(
        f"{name}-snapshots",
        namespace=ns,
        service_account=account,
        policy=policy_json(statements),
        parent=parent,
    )
    k8s.core.v1.ServiceAccount(
        f"{name}-snapshots",
        metadata={
            "name": account,
            "namespace": ns,
            "labels": labels,
            "annotations": {"eks.amazonaws.com/role-arn": role.arn},
        },
        opts=child,
    )
    job_labels = {**labels, **SNAPSHOT_POD_LABELS}
    container = {
        "name": "snapshot",
        "image": SNAPSHOT_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/bash", "-c", SNAPSHOT_SCRIPT],
        "env": [
            {"name": "PEERS", "value": str(job.peers)},
            {"name": "PEER_HOST_SUFFIX", "value": job.peer_host_suffix},
            {"name": "BUCKET", "value": target.bucket_name},
            {"name": "PREFIX", "value": prefix},
            {"name": "HOME", "value": "/tmp"},  # noqa: S108 - an emptyDir
            {
                "name": "QDRANT_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": job.api_key_secret, "key": job.api_key_field}},
            },
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "securityContext": restricted_container_security_context(65532, 65532, explicit_unprivileged=True),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - an emptyDir
    }
    k8s.batch.v1.CronJob(
        f"{name}-snapshots",
        metadata={"name": account, "namespace": ns, "labels": labels},
        spec=cast(
            Any,
            {
                "schedule": job.schedule,
                "timeZone": "Etc/UTC",
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 3600,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "metadata": {"labels": job_labels},
                    "spec": {
                        "backoffLimit": 2,
                        "activeDeadlineSeconds": 4 * 3600,
                        "ttlSecondsAfterFinished": 7 * 24 * 3600,
                        "template": {
                            "metadata": {"labels": job_labels},
                            "spec": {
                                "serviceAccountName": account,
                                "automountServiceAccountToken": False,
                                "restartPolicy": "Never",
                                "securityContext": restricted_pod_security_context(
                                    65532, 65532, 65532, fs_group_change_policy="OnRootMismatch"
                                ),
                                **pool_placement(job.node_pool),
                                "containers": [container],
                                "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                            },
                        },
                    },
                },
            },
        ),
        opts=child,
    )


# Snapshots each collection on each peer (a peer holds only its own shards) and streams it to S3 as
# s3://$BUCKET/$PREFIX<UTC timestamp>/<peer>/<collection>/<snapshot>, then deletes it from the peer.
SNAPSHOT_SCRIPT = textwrap.dedent(
    """\
    set -euo pipefail
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"
    auth=(-H "api-key: ${QDRANT_API_KEY}")
    names() { grep -o '"name":"[^"]*"' | cut -d'"' -f4; }
    for index in $(seq 0 $((PEERS - 1))); do
      peer="qdrant-${index}"
      node="http://${peer}.${PEER_HOST_SUFFIX}:6333"
      for collection in $(curl -fsS "${auth[@]}" "${node}/collections" | names); do
        snapshot="$(curl -fsS -X POST "${auth[@]}" "${node}/collections/${collection}/snapshots?wait=true" \\
          | names | head -n 1)"
        target="s3://${BUCKET}/${PREFIX}${stamp}/${peer}/${collection}/${snapshot}"
        curl -fsS "${auth[@]}" "${node}/collections/${collection}/snapshots/${snapshot}" \\
          | aws s3 cp --only-show-errors - "${target}"
        curl -fsS -X DELETE "${auth[@]}" "${node}/collections/${collection}/snapshots/${snapshot}" >/dev/null
        echo "uploaded ${target}"
      done
    done
    """
)
