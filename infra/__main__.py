"""The memory platform's Pulumi program: reads the stack config once, then wires the components."""

import pulumi

from infra import config
from infra.components.aurora import AuroraPostgres, AuroraPostgresArgs, SecretReplicaTarget
from infra.components.ci_runner import CiRunner, CiRunnerArgs, runner_project_name
from infra.components.disaster_recovery import DisasterRecovery, DisasterRecoveryArgs, dr_stack_output
from infra.components.eks import EksCluster, EksClusterArgs
from infra.components.failover_dns import FailoverDns, FailoverDnsArgs
from infra.components.network import Network, NetworkArgs
from infra.components.observability import Observability, ObservabilityArgs
from infra.components.redis import RedisCache, RedisCacheArgs
from infra.components.workloads import Workloads, WorkloadsArgs
from infra.contracts import regional_hostname
from infra.monitoring_data.rule_settings import memory_api_rule_settings

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
if stack.ci_runner.enabled:
    runner = CiRunner(
        f"{prefix}-ci",
        CiRunnerArgs(
            config=stack.ci_runner,
            project_name=runner_project_name(prefix),
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            cluster_security_group_id=cluster.security_group_id,
            tags=tags,
        ),
    )
    pulumi.export("ciRunnerProject", runner.project_name)
observability = Observability(
    prefix,
    ObservabilityArgs(
        config=stack.observability,
        cluster=cluster,
        cluster_label=prefix,
        region=stack.primary_region,
        alert_receivers=config.load_alert_receivers(),
        rule_settings=memory_api_rule_settings(stack.memory_api.resources.memory_limit_gib),
        tags=tags,
    ),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
pulumi.export("otlpEndpoint", observability.otlp_http_endpoint)
database = AuroraPostgres(
    prefix,
    AuroraPostgresArgs(
        config=stack.database,
        vpc_id=network.vpc_id,
        subnet_ids=network.isolated_subnet_ids,
        availability_zones=network.availability_zones,
        client_security_group_id=cluster.security_group_id,
        global_database=stack.dr.enabled,
        global_rpo_seconds=stack.dr.rpo_seconds if stack.dr.enabled else None,
        secret_replica=(
            SecretReplicaTarget(region=stack.dr.region) if stack.dr.enabled and stack.dr.region else None
        ),
        tags=tags,
    ),
)
cache = RedisCache(
    prefix,
    RedisCacheArgs(
        config=stack.cache,
        vpc_id=network.vpc_id,
        subnet_ids=network.isolated_subnet_ids,
        availability_zones=network.availability_zones,
        client_security_group_id=cluster.security_group_id,
        tags=tags,
    ),
)
pulumi.export(
    "cache", {"endpoint": cache.endpoint, "port": cache.port, "authSecretArn": cache.auth_secret_arn}
)

disaster_recovery = None
if stack.dr.enabled:
    disaster_recovery = DisasterRecovery(
        prefix,
        DisasterRecoveryArgs(
            config=stack.dr,
            primary_region=stack.primary_region,
            database=stack.database,
            primary_cluster_arn=database.cluster_arn,
            primary_cluster_identifier=database.cluster_identifier,
            primary_writer=database.instances[0],
            primary_db_subnet_group_name=database.subnet_group_name,
            primary_db_security_group_id=database.security_group_id,
            tags=tags,
        ),
    )
pulumi.export(
    "database",
    {
        "writerEndpoint": database.writer_endpoint,
        "readerEndpoint": database.reader_endpoint,
        "port": database.port,
        "secretArn": database.secret_arn,
        # The host the memory API connects to: the global writer endpoint with DR, which follows the
        # writer to either region; otherwise the cluster's own writer endpoint.
        "appEndpointKind": "global-writer" if disaster_recovery is not None else "cluster-writer",
        "appEndpoint": (
            disaster_recovery.writer_endpoint if disaster_recovery is not None else database.writer_endpoint
        ),
    },
)

workloads = Workloads(
    prefix,
    WorkloadsArgs(
        environment=stack.environment,
        region=stack.primary_region,
        qdrant=stack.qdrant,
        memory_api=stack.memory_api,
        node_pools=stack.node_pools,
        network=network,
        cluster=cluster,
        database=database,
        cache=cache,
        disaster_recovery=disaster_recovery,
        otlp_endpoint=observability.otlp_http_endpoint,
        monitoring_crds=observability.prometheus_operator,
        api_regional_host=(
            regional_hostname(stack.memory_api.host, stack.primary_region)
            if stack.dr.dns is not None and stack.memory_api.host is not None
            else None
        ),
        tags=tags,
    ),
)
pulumi.export("memoryApiRepositoryUrl", workloads.memory_api.repository_url)

if disaster_recovery is not None:
    dr_output_parts = [disaster_recovery.output_values]
    if stack.dr.dns is not None and stack.memory_api.host is not None and stack.dr.region is not None:
        dns_config = stack.dr.dns
        failover_dns = FailoverDns(
            f"{prefix}-dns",
            FailoverDnsArgs(
                config=dns_config,
                api_hostname=stack.memory_api.host,
                primary_region=stack.primary_region,
                dr_region=stack.dr.region,
                active_region=stack.dr.active_region or stack.primary_region,
                primary_load_balancer=(
                    dns_config.primary_load_balancer_hostname
                    or workloads.memory_api.load_balancer_hostname
                    or ""
                ),
                # At merge with the DR compute: `dns_config.dr_load_balancer_hostname or
                # <DR region component>.api_load_balancer_hostname`.
                dr_load_balancer=dns_config.dr_load_balancer_hostname or "",
                tags=tags,
            ),
        )
        dr_output_parts.append(failover_dns.output_values)
    pulumi.export("disasterRecovery", dr_stack_output(*dr_output_parts))
