"""The memory platform's Pulumi program: reads the stack config once, then wires the components."""

import pulumi

from infra import config
from infra.components.eks import EksCluster, EksClusterArgs
from infra.components.network import Network, NetworkArgs
from infra.components.observability import Observability, ObservabilityArgs

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
observability = Observability(
    prefix,
    ObservabilityArgs(
        config=stack.observability,
        cluster=cluster,
        cluster_label=prefix,
        region=stack.primary_region,
        alert_receivers=config.load_alert_receivers(),
        tags=tags,
    ),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("otlpEndpoint", observability.otlp_grpc_endpoint)
