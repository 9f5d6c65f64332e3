"""The memory platform's Pulumi program: reads the stack config once, then wires the components."""

import pulumi

from infra import config
from infra.components.eks import EksCluster, EksClusterArgs
from infra.components.network import Network, NetworkArgs

stack = config.load()
tags = stack.tags.as_dict()
prefix = stack.stack_prefix

network = Network(prefix, NetworkArgs(config=stack.network, tags=tags))
cluster = EksCluster(
    prefix,
    EksClusterArgs(
        cluster_name=prefix,
        config=stack.cluster,
        node_pools=stack.node_pools,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        tags=tags,
    ),
)

# Workloads (load-balancer controller, Qdrant, memory API) need the data tier's outputs, which merge
# from another branch. TODO(lead, data-tier merge): connect them, e.g.
#   from infra.workloads import DataTierEndpoints, deploy_workloads
#   workloads = deploy_workloads(stack, network, cluster, DataTierEndpoints(
#       database_writer_endpoint=aurora.writer_endpoint, database_port=aurora.port,
#       database_secret_arn=aurora.master_secret_arn, redis_endpoint=redis.primary_endpoint,
#       redis_port=redis.port, redis_auth_secret_arn=redis.auth_secret_arn,
#       backup_bucket_name=backups.bucket_name, backup_bucket_arn=backups.bucket_arn))
#   pulumi.export("memoryApiRepositoryUrl", workloads.memory_api.repository_url)
# Until then tests/infra/test_workloads.py plans this program plus that call with literal endpoints.

pulumi.export("vpcId", network.vpc_id)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
