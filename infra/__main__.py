"""The memory platform's Pulumi program: reads the stack config once, then wires the components."""

import pulumi

from infra import config
from infra.components.aurora import AuroraPostgres, AuroraPostgresArgs, SecretReplicaTarget
from infra.components.ci_runner import CiRunner, CiRunnerArgs, runner_project_name
from infra.components.disaster_recovery import DisasterRecovery, DisasterRecoveryArgs, dr_stack_output
from infra.components.dr_region import DrRegion, DrRegionArgs
from infra.components.eks import EksCluster, EksClusterArgs
from infra.components.failover_dns import FailoverDns, FailoverDnsArgs
from infra.components.network import Network, NetworkArgs
from infra.components.observability import Observability, ObservabilityArgs
from infra.components.redis import RedisCache, RedisCacheArgs
from infra.components.workloads import Workloads, WorkloadsArgs, primary_database_client
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


def api_regional_host(region: str) -> str | None:
    """The API's own name in `region`, which Route 53 health-checks, when DNS fails over between regions."""
    if stack.dr.dns is None or stack.memory_api.host is None:
        return None
    return regional_hostname(stack.memory_api.host, region)


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
        api_regional_host=api_regional_host(stack.primary_region),
        tags=tags,
    ),
)
pulumi.export("memoryApiRepositoryUrl", workloads.memory_api.repository_url)

if disaster_recovery is not None:
    assert stack.dr.region is not None  # StackConfig requires it when dr.enabled
    dr_parts = [disaster_recovery.output_values]
    dr_load_balancer: pulumi.Input[str] | None = None
    if stack.dr.compute.enabled:
        replica_repository_url = workloads.memory_api.replica_repository_url
        assert replica_repository_url is not None  # the primary's MemoryApi replicates when DR is on
        dr_region = DrRegion(
            f"{prefix}-dr",
            DrRegionArgs(
                config=stack.dr.compute,
                environment=stack.environment,
                region=stack.dr.region,
                disaster_recovery=disaster_recovery,
                cluster=stack.cluster,
                ci_runner=stack.ci_runner,
                cache=stack.cache,
                qdrant=stack.qdrant,
                memory_api=stack.memory_api,
                database=primary_database_client(database, stack.dr.region, disaster_recovery),
                image_repository_url=replica_repository_url,
                api_regional_host=api_regional_host(stack.dr.region),
                primary_cluster=cluster,
                primary_nat_addresses=network.nat_public_ips,
                tags=tags,
            ),
        )
        dr_parts.append(dr_region.output_values)
        dr_load_balancer = dr_region.api_load_balancer_hostname
    if stack.dr.dns is not None and stack.memory_api.host is not None:
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
                dr_load_balancer=dns_config.dr_load_balancer_hostname or dr_load_balancer or "",
                tags=tags,
            ),
        )
        dr_parts.append(failover_dns.output_values)
    pulumi.export("disasterRecovery", dr_stack_output(*dr_parts))
