"""`EksCluster`: the Kubernetes control plane, its node pools and the provider every workload uses.

Defaults and why:
- Secrets are envelope-encrypted with a rotated customer-managed key; every control-plane log type
  goes to a CloudWatch log group with a retention and its own key.
- The API endpoint is private; it is public only for the CIDRs a stack file lists.
- Access is granted by EKS access entries (authentication mode API), never the aws-auth ConfigMap,
  from static lists in the stack file keyed by role ARN: `adminRoleArns` (the deploy role and the
  break-glass admins) get cluster-admin, `readOnlyRoleArns` (the preview/drift role) read everything
  (AmazonEKSAdminViewPolicy; Pulumi's refresh reads Secrets). Whoever runs Pulumi gets nothing
  implicit, so a preview by another identity plans no access change, and the cluster creator gets
  nothing either.
- One managed node group per pool (`eks_nodes`), each with its own launch template.
- Add-ons are EKS-managed at the versions the stack file pins (`cluster.addonVersions`; an unpinned one
  gets AWS's default for the cluster version). vpc-cni and kube-proxy
  come before the node groups (nodes cannot become Ready without a CNI); coredns and the EBS CSI
  driver after them (their pods need nodes, or the add-on hangs in CREATING). vpc-cni and the EBS
  CSI driver run with their own IRSA roles, so nodes carry neither permission.
- Deletion protection and node auto repair are on unless a stack file turns them off; the upgrade
  policy (STANDARD or EXTENDED support) is the stack file's choice.
- A default gp3 StorageClass encrypted with the EBS key, a `Retain` twin for data that must outlive its
  claim (Qdrant), and a `pulumi_kubernetes` Provider built from the cluster's outputs, which every
  Kubernetes resource of the project uses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from infra.components._base import ComponentArgs, encryption_key, logs_key_statement, policy_json
from infra.components.eks_config import ClusterConfig
from infra.components.eks_nodes import (
    POOL_LABEL,
    NodePool,
    autoscaler_discovery_tags,
    node_group,
    node_role,
    node_volume_key,
)
from infra.tagging import aws_tags

__all__ = ["DEFAULT_STORAGE_CLASS", "POOL_LABEL", "EksCluster", "EksClusterArgs"]

DEFAULT_STORAGE_CLASS = "gp3-encrypted"
# The same volumes, kept when their claim is deleted: for data that must outlive a StatefulSet (Qdrant).
RETAINED_STORAGE_CLASS = "gp3-encrypted-retain"


class EksClusterArgs(ComponentArgs):
    cluster_name: str
    config: ClusterConfig
    node_pools: tuple[NodePool, ...]
    vpc_id: pulumi.Output[str]
    private_subnet_ids: Sequence[pulumi.Output[str]]
    tags: dict[str, str]
    # Without `config.createAutoscalingServiceLinkedRole`: what creates that account-wide role elsewhere
    # (another cluster's `node_volume_key`); this cluster's volume key, whose policy names it, waits for it.
    volume_key_after: tuple[pulumi.Resource, ...] = ()
    # Addresses the public endpoint also admits, known only once created: another VPC's NAT gateways,
    # whose CI runner deploys this cluster too (the DR region's, from the primary's runner).
    deployer_addresses: Sequence[pulumi.Output[str]] = ()


class EksCluster(pulumi.ComponentResource):
    """EKS control plane, node groups, add-ons, OIDC provider, StorageClass and Kubernetes provider."""

    cluster_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    provider: k8s.Provider
    node_groups: dict[str, aws.eks.NodeGroup]
    kubernetes_version: str
    autoscaler_discovery_tags: dict[str, str]
    storage_class_name: str
    retained_storage_class_name: str

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("memory-platform:kubernetes:EksCluster", name, None, opts)
        config, tags = args.config, args.tags
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        identity = aws.get_caller_identity(opts=invoke)
        self._partition = aws.get_partition(opts=invoke).partition
        self._account_id = identity.account_id
        self._tags = tags
        self._addon_versions = config.addon_versions
        region = aws.get_region(opts=invoke).region
        self._region = region

        secrets_key = encryption_key(
            f"{name}-secrets",
            description=f"Envelope encryption of {name} Kubernetes secrets",
            tags=tags,
            parent=self,
        )
        log_group_name = f"/aws/eks/{args.cluster_name}/cluster"
        logs_key = encryption_key(
            f"{name}-logs",
            description=f"Encrypts the control-plane logs of {name}",
            tags=tags,
            parent=self,
            service_statements=[
                logs_key_statement(region, self._account_id, self._partition, log_group_name)
            ],
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            name=log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=logs_key.arn,
            tags=aws_tags(tags, f"{name}-control-plane"),
            opts=child,
        )

        cluster_role = aws.iam.Role(
            f"{name}-cluster",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "eks.amazonaws.com"},
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                        }
                    ],
                }
            ),
            tags=aws_tags(tags, f"{name}-cluster"),
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn=self._managed_policy("AmazonEKSClusterPolicy"),
            opts=pulumi.ResourceOptions(parent=cluster_role),
        )
        cluster_kms = aws.iam.RolePolicy(
            f"{name}-cluster-kms",
            role=cluster_role.id,
            policy=policy_json(
                [
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
                        "Resource": secrets_key.arn,
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=cluster_role),
        )

        public_cidrs: list[pulumi.Input[str]] = [
            *config.public_access_cidrs,
            *(address.apply(lambda ip: f"{ip}/32") for address in args.deployer_addresses),
        ]
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=config.version,
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": list(args.private_subnet_ids),
                "endpoint_private_access": True,
                "endpoint_public_access": bool(public_cidrs),
                "public_access_cidrs": public_cidrs or None,
            },
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=list(config.log_types),
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": False,
            },
            bootstrap_self_managed_addons=False,
            deletion_protection=config.deletion_protection,
            upgrade_policy={"support_type": config.upgrade_support_type},
            tags=aws_tags(tags, args.cluster_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, cluster_policy, cluster_kms]),
        )
        self.cluster_name = cluster.name
        self.kubernetes_version = config.version
        self.autoscaler_discovery_tags = autoscaler_discovery_tags(args.cluster_name)
        self.security_group_id = cluster.vpc_config.cluster_security_group_id
        self.oidc_issuer = (
            cluster.identities[0].oidcs[0].issuer.apply(lambda url: url.removeprefix("https://"))
        )
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=cluster.identities[0].oidcs[0].issuer,
            client_id_lists=["sts.amazonaws.com"],
            tags=aws_tags(tags, f"{name}-oidc"),
            opts=pulumi.ResourceOptions(parent=cluster),
        )
        self.oidc_provider_arn = oidc.arn

        access = [
            self._access_entry(name, cluster, key, arn, policy)
            for key, (arn, policy) in config.access_entries().items()
        ]

        cni_role, cni_grants = self._vpc_cni_role(name)
        network_addons = [
            # NetworkPolicies are enforced only with the add-on's network policy agent on; the managed
            # add-on's key is `enableNetworkPolicy`, a string (EKS user guide, "Restrict Pod network
            # traffic with Kubernetes network policies").
            self._addon(
                name,
                cluster,
                "vpc-cni",
                config.version,
                cni_role,
                depends_on=cni_grants,
                configuration_values={"enableNetworkPolicy": "true"},
            ),
            self._addon(name, cluster, "kube-proxy", config.version),
        ]
        ebs_key = node_volume_key(
            self,
            name,
            partition=self._partition,
            account_id=self._account_id,
            tags=tags,
            create_service_linked_role=config.create_autoscaling_service_linked_role,
            after=args.volume_key_after,
        )
        self.node_volume_key = ebs_key
        role, role_grants = node_role(self, name, partition=self._partition, tags=tags)
        self.node_groups = {
            pool.name: node_group(
                self,
                name,
                cluster,
                pool,
                node_role=role,
                ebs_key=ebs_key,
                cluster_name=args.cluster_name,
                subnet_ids=args.private_subnet_ids,
                tags=tags,
                auto_repair=config.node_auto_repair,
                depends_on=[*network_addons, *role_grants],
            )
            for pool in args.node_pools
        }
        after_nodes = list(self.node_groups.values())
        coredns = self._addon(name, cluster, "coredns", config.version, depends_on=after_nodes)
        csi_role, csi_grants = self._ebs_csi_role(name, ebs_key)
        ebs_csi = self._addon(
            name, cluster, "aws-ebs-csi-driver", config.version, csi_role, [*after_nodes, *csi_grants]
        )

        # Every Kubernetes object goes through this provider, so its dependencies order them all: nothing
        # is applied before there are nodes, DNS and a volume driver (Helm releases wait for pods that
        # could not schedule, StatefulSets for volumes nobody provisions), and on destroy every object,
        # Ingresses included (the load balancer controller clears their finalizers and ALBs), is gone
        # before the node groups and add-ons are deleted.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=_kubeconfig(cluster, region),
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*access, *after_nodes, coredns, ebs_csi]),
        )
        storage_class = self._storage_class(name, DEFAULT_STORAGE_CLASS, ebs_key, "Delete")
        self._storage_class(name, RETAINED_STORAGE_CLASS, ebs_key, "Retain")
        self.storage_class_name = DEFAULT_STORAGE_CLASS
        self.retained_storage_class_name = RETAINED_STORAGE_CLASS
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "oidcProviderArn": self.oidc_provider_arn,
                "securityGroupId": self.security_group_id,
                "storageClass": storage_class.metadata["name"],
            }
        )

    def _storage_class(
        self, name: str, class_name: str, ebs_key: aws.kms.Key, reclaim_policy: str
    ) -> k8s.storage.v1.StorageClass:
        """A gp3 StorageClass encrypted with the EBS key; only the default one is marked default."""
        annotations = {"storageclass.kubernetes.io/is-default-class": "true"}
        return k8s.storage.v1.StorageClass(
            f"{name}-{class_name}",
            metadata={
                "name": class_name,
                "annotations": annotations if class_name == DEFAULT_STORAGE_CLASS else {},
            },
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": ebs_key.arn, "fsType": "ext4"},
            reclaim_policy=reclaim_policy,
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )

    def service_account_role(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        policy: pulumi.Input[str] | None = None,
        managed_policies: Sequence[str] = (),
        parent: pulumi.Resource | None = None,
    ) -> aws.iam.Role:
        """An IRSA role only the one service account of one namespace can assume."""
        role, _ = self._irsa_role(
            name,
            namespace=namespace,
            service_account=service_account,
            policy=policy,
            managed_policies=managed_policies,
            parent=parent,
        )
        return role

    def _irsa_role(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        policy: pulumi.Input[str] | None = None,
        managed_policies: Sequence[str] = (),
        parent: pulumi.Resource | None = None,
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        """`service_account_role` and the policies granted to it, which its users must wait for."""
        condition = self.oidc_issuer.apply(
            lambda issuer: {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        )
        trust = policy_json(
            [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": self.oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": condition},
                }
            ]
        )
        owner = parent or self
        role = aws.iam.Role(
            name,
            assume_role_policy=trust,
            tags=aws_tags(self._tags, name),
            opts=pulumi.ResourceOptions(parent=owner),
        )
        role_child = pulumi.ResourceOptions(parent=role)
        grants: list[pulumi.Resource] = []
        if policy is not None:
            grants.append(aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=role_child))
        for managed in managed_policies:
            grants.append(
                aws.iam.RolePolicyAttachment(
                    f"{name}-{managed}",
                    role=role.name,
                    policy_arn=self._managed_policy(managed),
                    opts=role_child,
                )
            )
        return role, grants

    def _managed_policy(self, policy_name: str) -> str:
        return f"arn:{self._partition}:iam::aws:policy/{policy_name}"

    def _access_entry(
        self, name: str, cluster: aws.eks.Cluster, key: str, principal: str, policy: str
    ) -> aws.eks.AccessPolicyAssociation:
        resource_name = f"{name}-access-{key}"
        entry = aws.eks.AccessEntry(
            resource_name,
            cluster_name=cluster.name,
            principal_arn=principal,
            type="STANDARD",
            tags=aws_tags(self._tags, resource_name),
            opts=pulumi.ResourceOptions(parent=cluster),
        )
        return aws.eks.AccessPolicyAssociation(
            resource_name,
            cluster_name=cluster.name,
            principal_arn=entry.principal_arn,
            policy_arn=f"arn:{self._partition}:eks::aws:cluster-access-policy/{policy}",
            access_scope={"type": "cluster"},
            opts=pulumi.ResourceOptions(parent=entry),
        )

    def _addon(
        self,
        name: str,
        cluster: aws.eks.Cluster,
        addon: str,
        kubernetes_version: str,
        role: aws.iam.Role | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
        configuration_values: dict[str, Any] | None = None,
    ) -> aws.eks.Addon:
        version = self._addon_versions.pinned(addon) or (
            aws.eks.get_addon_version(
                addon_name=addon,
                kubernetes_version=kubernetes_version,
                most_recent=False,
                opts=pulumi.InvokeOptions(parent=self),
            ).version
        )
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=cluster.name,
            addon_name=addon,
            addon_version=version,
            service_account_role_arn=role.arn if role else None,
            configuration_values=json.dumps(configuration_values) if configuration_values else None,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=aws_tags(self._tags, f"{name}-{addon}"),
            opts=pulumi.ResourceOptions(parent=cluster, depends_on=list(depends_on)),
        )

    def _vpc_cni_role(self, name: str) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        return self._irsa_role(
            f"{name}-vpc-cni",
            namespace="kube-system",
            service_account="aws-node",
            managed_policies=["AmazonEKS_CNI_Policy"],
        )

    def _ebs_csi_role(self, name: str, ebs_key: aws.kms.Key) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        kms = policy_json(
            [
                {
                    "Effect": "Allow",
                    "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                    "Resource": ebs_key.arn,
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:DescribeKey",
                    ],
                    "Resource": ebs_key.arn,
                },
            ]
        )
        return self._irsa_role(
            f"{name}-ebs-csi",
            namespace="kube-system",
            service_account="ebs-csi-controller-sa",
            policy=kms,
            managed_policies=["service-role/AmazonEBSCSIDriverPolicy"],
        )


def _kubeconfig(cluster: aws.eks.Cluster, region: str) -> pulumi.Output[str]:
    """A kubeconfig that authenticates with `aws eks get-token`; it holds no credential."""

    def render(values: list[Any]) -> str:
        cluster_name, endpoint, authority = values
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": cluster_name,
                        "cluster": {"server": endpoint, "certificate-authority-data": authority},
                    }
                ],
                "contexts": [
                    {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
                ],
                "current-context": cluster_name,
                "users": [
                    {
                        "name": cluster_name,
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": "aws",
                                "args": [
                                    "eks",
                                    "get-token",
                                    "--cluster-name",
                                    cluster_name,
                                    "--region",
                                    region,
                                ],
                            }
                        },
                    }
                ],
            }
        )

    return pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(render)
