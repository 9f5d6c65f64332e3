"""AWSGuard-style fixtures: one compliant resource per policy, and single-property changes that break it."""

from __future__ import annotations

import json
from typing import Any

from policy_testkit import DELETE

TAGS = {"owner": "platform", "cost-center": "cc-1234", "environment": "staging"}
KMS = "arn:aws:kms:us-east-1:123456789012:key/abcd"
OIDC = "oidc.eks.us-east-1.amazonaws.com/id/ABC"

CONTAINER: dict[str, Any] = {
    "name": "api",
    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/memory-api:1.4.2",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "capabilities": {"drop": ["ALL"]},
    },
    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
    "ports": [{"containerPort": 8080}],
    "env": [{"name": "LOG_LEVEL", "value": "info"}],
}
POD_SPEC: dict[str, Any] = {
    "automountServiceAccountToken": False,
    "serviceAccountName": "memory-api",
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [CONTAINER],
    "volumes": [{"name": "tmp", "emptyDir": {}}],
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "memory-api"}},
        }
    ],
}
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "memory-api", "namespace": "memory"},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "memory-api"}},
        "template": {"metadata": {"labels": {"app": "memory-api"}}, "spec": POD_SPEC},
    },
}
C = "spec.template.spec.containers.0"
S = "spec.template.spec"
DEP = "kubernetes:apps/v1:Deployment"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{OIDC}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{OIDC}:sub": "system:serviceaccount:memory:memory-api",
                    f"{OIDC}:aud": "sts.amazonaws.com",
                }
            },
        }
    ],
}
TLS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}

# policy name -> (resource type, compliant inputs, [(property path, value that breaks it)])
RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], list[tuple[str, Any]]]] = {
    "aws-rds-cluster-storage-encrypted": (
        "aws:rds/cluster:Cluster",
        {"storageEncrypted": True, "kmsKeyId": KMS},
        [("storageEncrypted", False), ("kmsKeyId", DELETE)],
    ),
    "aws-rds-global-cluster-storage-encrypted": (
        "aws:rds/globalCluster:GlobalCluster",
        {"storageEncrypted": True, "engine": "aurora-postgresql"},
        [("storageEncrypted", False)],
    ),
    "aws-rds-cluster-instance-not-public": (
        "aws:rds/clusterInstance:ClusterInstance",
        {"publiclyAccessible": False, "instanceClass": "db.r7g.large"},
        [("publiclyAccessible", True)],
    ),
    "aws-rds-cluster-backup-retention": (
        "aws:rds/cluster:Cluster",
        {"backupRetentionPeriod": 7},
        [("backupRetentionPeriod", 3)],
    ),
    "aws-rds-cluster-deletion-protection": (
        "aws:rds/cluster:Cluster",
        {"deletionProtection": True},
        [("deletionProtection", False)],
    ),
    "aws-rds-cluster-final-snapshot": (
        "aws:rds/cluster:Cluster",
        {"skipFinalSnapshot": False, "finalSnapshotIdentifier": "db-final"},
        [("skipFinalSnapshot", True), ("finalSnapshotIdentifier", DELETE)],
    ),
    "aws-rds-cluster-managed-master-password": (
        "aws:rds/cluster:Cluster",
        {"manageMasterUserPassword": True, "masterUsername": "memory"},
        [("masterPassword", "[secret]"), ("manageMasterUserPassword", False)],
    ),
    "aws-rds-cluster-tls-enforced": (
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        {"family": "aurora-postgresql16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
        [("parameters.0.value", "0"), ("parameters", [])],
    ),
    "aws-elasticache-replication-group-encrypted-at-rest": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"atRestEncryptionEnabled": True, "kmsKeyId": KMS},
        [("atRestEncryptionEnabled", False), ("kmsKeyId", DELETE)],
    ),
    "aws-elasticache-replication-group-transit-encryption": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"transitEncryptionEnabled": True, "transitEncryptionMode": "required"},
        [("transitEncryptionEnabled", False), ("transitEncryptionMode", "preferred")],
    ),
    "aws-elasticache-replication-group-auth-required": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"authToken": "[secret]"},
        [("authToken", DELETE)],
    ),
    "aws-elasticache-replication-group-private": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"subnetGroupName": "cache", "securityGroupIds": ["sg-1"]},
        [("subnetGroupName", DELETE), ("securityGroupIds", [])],
    ),
    "aws-elasticache-replication-group-multi-az": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"automaticFailoverEnabled": True, "multiAzEnabled": True, "numCacheClusters": 2},
        [("automaticFailoverEnabled", False), ("multiAzEnabled", False), ("numCacheClusters", 1)],
    ),
    "aws-elasticache-replication-group-snapshot-retention": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"snapshotRetentionLimit": 7},
        [("snapshotRetentionLimit", 0)],
    ),
    "aws-eks-cluster-endpoint-restricted": (
        "aws:eks/cluster:Cluster",
        {
            "vpcConfig": {
                "endpointPrivateAccess": True,
                "endpointPublicAccess": True,
                "publicAccessCidrs": ["203.0.113.0/24"],
            }
        },
        [("vpcConfig.publicAccessCidrs", ["0.0.0.0/0"]), ("vpcConfig.publicAccessCidrs", DELETE)],
    ),
    "aws-eks-cluster-secrets-encrypted": (
        "aws:eks/cluster:Cluster",
        {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KMS}}},
        [("encryptionConfig.resources", []), ("encryptionConfig.provider", DELETE)],
    ),
    "aws-eks-cluster-audit-logging": (
        "aws:eks/cluster:Cluster",
        {"enabledClusterLogTypes": ["api", "audit", "authenticator"]},
        [("enabledClusterLogTypes", ["api"])],
    ),
    "aws-eks-cluster-access-entries-only": (
        "aws:eks/cluster:Cluster",
        {"accessConfig": {"authenticationMode": "API"}},
        [("accessConfig.authenticationMode", "API_AND_CONFIG_MAP")],
    ),
    "aws-eks-node-group-launch-template": (
        "aws:eks/nodeGroup:NodeGroup",
        {"launchTemplate": {"id": "lt-1", "version": "3"}},
        [
            ("launchTemplate", DELETE),
            ("launchTemplate.version", DELETE),
            ("remoteAccess", {"ec2SshKey": "k"}),
        ],
    ),
    "aws-eks-node-group-instance-families": (
        "aws:eks/nodeGroup:NodeGroup",
        {"instanceTypes": ["m7i.large"]},
        [("instanceTypes", ["p5.48xlarge"])],
    ),
    "aws-ec2-all-compute-imdsv2": (
        "aws:ec2/launchTemplate:LaunchTemplate",
        {
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpTokens": "required",
                "httpPutResponseHopLimit": 1,
            }
        },
        [("metadataOptions.httpTokens", "optional"), ("metadataOptions.httpPutResponseHopLimit", 2)],
    ),
    "aws-ec2-launch-template-ebs-encrypted": (
        "aws:ec2/launchTemplate:LaunchTemplate",
        {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KMS}}]},
        [
            ("blockDeviceMappings.0.ebs.encrypted", "false"),
            ("blockDeviceMappings.0.ebs.kmsKeyId", DELETE),
            ("blockDeviceMappings", []),
        ],
    ),
    "aws-ec2-security-group-no-public-ingress": (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"cidrIpv4": "10.0.0.0/16", "fromPort": 5432, "toPort": 5432, "ipProtocol": "tcp"},
        [("cidrIpv4", "0.0.0.0/0")],
    ),
    "aws-ec2-subnet-no-public-ip-on-launch": (
        "aws:ec2/subnet:Subnet",
        {"cidrBlock": "10.0.0.0/20", "mapPublicIpOnLaunch": False},
        [("mapPublicIpOnLaunch", True)],
    ),
    "aws-s3-bucket-encryption-kms": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {
            "bucket": "b",
            "rules": [
                {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS}}
            ],
        },
        [
            ("rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"),
            ("rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId", DELETE),
            ("rules", []),
        ],
    ),
    "aws-s3-bucket-public-access-block": (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {
            "bucket": "b",
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        [("blockPublicPolicy", False), ("restrictPublicBuckets", DELETE)],
    ),
    "aws-s3-bucket-policy-tls-only": (
        "aws:s3/bucketPolicy:BucketPolicy",
        {"bucket": "b", "policy": json.dumps(TLS_POLICY)},
        [("policy", json.dumps({"Version": "2012-10-17", "Statement": []})), ("policy", "not json")],
    ),
    "aws-s3-bucket-versioning-enabled": (
        "aws:s3/bucketVersioning:BucketVersioning",
        {"bucket": "b", "versioningConfiguration": {"status": "Enabled"}},
        [("versioningConfiguration.status", "Suspended")],
    ),
    "aws-iam-policy-no-wildcard-actions": (
        "aws:iam/policy:Policy",
        {
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}
                    ],
                }
            )
        },
        [
            ("policy", json.dumps({"Statement": [{"Effect": "Allow", "Action": "*:*", "Resource": "*"}]})),
            (
                "policy",
                json.dumps({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}),
            ),
        ],
    ),
    "aws-iam-all-principal-no-admin-policy": (
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
        [("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess")],
    ),
    "aws-iam-role-trust-scoped": (
        "aws:iam/role:Role",
        {"assumeRolePolicy": json.dumps(TRUST)},
        [
            (
                "assumeRolePolicy",
                json.dumps(
                    {
                        **TRUST,
                        "Statement": [
                            {
                                **TRUST["Statement"][0],
                                "Condition": {"StringLike": {f"{OIDC}:sub": "system:serviceaccount:*:*"}},
                            }
                        ],
                    }
                ),
            ),
            (
                "assumeRolePolicy",
                json.dumps(
                    {
                        "Statement": [
                            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
                        ]
                    }
                ),
            ),
        ],
    ),
    "aws-kms-key-rotation-enabled": (
        "aws:kms/key:Key",
        {"enableKeyRotation": True},
        [("enableKeyRotation", False)],
    ),
    "aws-kms-key-deletion-window": (
        "aws:kms/key:Key",
        {"deletionWindowInDays": 30},
        [("deletionWindowInDays", 7)],
    ),
    "aws-cloudwatch-log-group-encrypted": (
        "aws:cloudwatch/logGroup:LogGroup",
        {"kmsKeyId": KMS},
        [("kmsKeyId", DELETE)],
    ),
    "aws-cloudwatch-log-group-retention": (
        "aws:cloudwatch/logGroup:LogGroup",
        {"retentionInDays": 90},
        [("retentionInDays", 7), ("retentionInDays", 0)],
    ),
    "aws-secretsmanager-secret-cmk": (
        "aws:secretsmanager/secret:Secret",
        {"kmsKeyId": KMS},
        [("kmsKeyId", DELETE)],
    ),
    "aws-ecr-repository-kms": (
        "aws:ecr/repository:Repository",
        {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KMS}]},
        [("encryptionConfigurations.0.encryptionType", "AES256")],
    ),
    "aws-ecr-repository-immutable-scanned": (
        "aws:ecr/repository:Repository",
        {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
        [("imageTagMutability", "MUTABLE"), ("imageScanningConfiguration.scanOnPush", False)],
    ),
    "aws-backup-vault-cmk": ("aws:backup/vault:Vault", {"kmsKeyArn": KMS}, [("kmsKeyArn", DELETE)]),
    "aws-backup-plan-retention": (
        "aws:backup/plan:Plan",
        {"rules": [{"ruleName": "daily", "targetVaultName": "v", "lifecycle": {"deleteAfter": 35}}]},
        [("rules.0.lifecycle.deleteAfter", 1), ("rules", [])],
    ),
    "aws-route53-record-failover-health-check": (
        "aws:route53/record:Record",
        {
            "name": "api",
            "type": "A",
            "zoneId": "Z1",
            "setIdentifier": "primary",
            "healthCheckId": "hc-1",
            "failoverRoutingPolicies": [{"type": "PRIMARY"}],
        },
        [("healthCheckId", DELETE)],
    ),
    "aws-all-resource-required-tags": (
        "aws:ec2/vpc:Vpc",
        {"cidrBlock": "10.0.0.0/16", "tags": TAGS},
        [("tags.owner", DELETE), ("tags", DELETE)],
    ),
    "all-resource-inputs-no-secret-literal": (
        DEP,
        DEPLOYMENT,
        [
            (f"{C}.env.0", {"name": "DB_PASSWORD", "value": "hunter2hunter2"}),
            (f"{C}.env.0", {"name": "DATABASE_URL", "value": "postgres://memory:s3cretpw@db:5432/memory"}),
            ("metadata.annotations", {"leak": "AKIAIOSFODNN7EXAMPLE"}),
        ],
    ),
    "kubernetes-workload-pod-run-as-non-root": (
        DEP,
        DEPLOYMENT,
        [(f"{C}.securityContext.runAsNonRoot", False), (f"{C}.securityContext.runAsUser", 0)],
    ),
    "kubernetes-workload-pod-no-privilege-escalation": (
        DEP,
        DEPLOYMENT,
        [(f"{C}.securityContext.allowPrivilegeEscalation", True)],
    ),
    "kubernetes-workload-pod-not-privileged": (DEP, DEPLOYMENT, [(f"{C}.securityContext.privileged", True)]),
    "kubernetes-workload-pod-no-windows-host-process": (
        DEP,
        DEPLOYMENT,
        [(f"{S}.securityContext.windowsOptions", {"hostProcess": True})],
    ),
    "kubernetes-workload-pod-apparmor-confined": (
        DEP,
        DEPLOYMENT,
        [(f"{C}.securityContext.appArmorProfile", {"type": "Unconfined"})],
    ),
    "kubernetes-workload-pod-selinux-default": (
        DEP,
        DEPLOYMENT,
        [
            (f"{C}.securityContext.seLinuxOptions", {"type": "spc_t"}),
            (f"{S}.securityContext.seLinuxOptions", {"role": "sysadm_r"}),
        ],
    ),
    "kubernetes-workload-pod-default-proc-mount": (
        DEP,
        DEPLOYMENT,
        [(f"{C}.securityContext.procMount", "Unmasked")],
    ),
    "kubernetes-workload-pod-safe-sysctls": (
        DEP,
        DEPLOYMENT,
        [(f"{S}.securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}])],
    ),
    "kubernetes-workload-pod-seccomp-runtime-default": (
        DEP,
        DEPLOYMENT,
        [(f"{S}.securityContext.seccompProfile.type", "Unconfined")],
    ),
    "kubernetes-workload-pod-drop-all-capabilities": (
        DEP,
        DEPLOYMENT,
        [
            (f"{C}.securityContext.capabilities.drop", []),
            (f"{C}.securityContext.capabilities.add", ["SYS_ADMIN"]),
        ],
    ),
    "kubernetes-workload-pod-allowed-volume-types": (
        DEP,
        DEPLOYMENT,
        [(f"{S}.volumes.0", {"name": "nfs", "nfs": {"server": "x", "path": "/"}})],
    ),
    "kubernetes-workload-pod-no-host-access": (
        DEP,
        DEPLOYMENT,
        [
            (f"{S}.hostNetwork", True),
            (f"{S}.hostPID", True),
            (f"{S}.volumes.0", {"name": "h", "hostPath": {"path": "/"}}),
            (f"{C}.ports.0.hostPort", 8080),
        ],
    ),
    "kubernetes-workload-container-image-pinned": (
        DEP,
        DEPLOYMENT,
        [(f"{C}.image", "nginx:latest"), (f"{C}.image", "nginx"), (f"{C}.image", "registry:5000/team/app")],
    ),
    "kubernetes-workload-container-resources": (
        DEP,
        DEPLOYMENT,
        [(f"{C}.resources.limits", DELETE), (f"{C}.resources.requests.memory", DELETE)],
    ),
    "kubernetes-workload-container-probes": (
        DEP,
        DEPLOYMENT,
        [(f"{C}.readinessProbe", DELETE), (f"{C}.livenessProbe", DELETE)],
    ),
    "kubernetes-workload-pod-service-account-token": (
        DEP,
        DEPLOYMENT,
        [(f"{S}.automountServiceAccountToken", DELETE)],
    ),
    "kubernetes-workload-replicas-spread": (DEP, DEPLOYMENT, [(f"{S}.topologySpreadConstraints", DELETE)]),
    "kubernetes-helm-release-chart-version-pinned": (
        "kubernetes:helm.sh/v3:Release",
        {"chart": "qdrant", "version": "1.12.4"},
        [("version", DELETE), ("version", "^1.12"), ("version", "1.x")],
    ),
}
