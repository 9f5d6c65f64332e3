"""Stack policies see parents, providers and property dependencies resolved like AnalyzeStack does."""

from __future__ import annotations

from policy_cases import DEPLOYMENT, TAGS
from policy_testkit import mutate, record, run_policy


def test_aurora_needs_two_linked_instances() -> None:
    cluster = record("aws:rds/cluster:Cluster", "db", {"tags": TAGS})

    def instance(n: str, az: str) -> dict:
        return record(
            "aws:rds/clusterInstance:ClusterInstance",
            n,
            {"clusterIdentifier": "db-1", "availabilityZone": az},
            propertyDependencies={"clusterIdentifier": [cluster["urn"]]},
        )

    assert (
        run_policy(
            "aws-rds-cluster-multi-az", [cluster, instance("a", "us-east-1a"), instance("b", "us-east-1b")]
        )
        == []
    )
    violations = run_policy("aws-rds-cluster-multi-az", [cluster, instance("a", "us-east-1a")])
    assert [v.urn for v in violations] == [cluster["urn"]]
    assert run_policy(
        "aws-rds-cluster-multi-az", [cluster, instance("a", "us-east-1a"), instance("b", "us-east-1a")]
    )


def test_vpc_flow_logs_and_bucket_companions() -> None:
    vpc = record("aws:ec2/vpc:Vpc", "vpc", {})
    flow = record(
        "aws:ec2/flowLog:FlowLog", "flow", {"vpcId": "vpc-1"}, propertyDependencies={"vpcId": [vpc["urn"]]}
    )
    assert run_policy("aws-ec2-vpc-flow-logs-enabled", [vpc, flow]) == []
    assert run_policy("aws-ec2-vpc-flow-logs-enabled", [vpc])[0].urn == vpc["urn"]
    bucket = record("aws:s3/bucket:Bucket", "data", {"bucket": "data-bucket"})
    pab = record("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", {"bucket": "data-bucket"})
    assert run_policy("aws-s3-bucket-has-public-access-block", [bucket, pab]) == []
    assert run_policy("aws-s3-bucket-has-public-access-block", [bucket])
    assert run_policy("aws-s3-bucket-has-encryption-configuration", [bucket, pab])
    assert run_policy("aws-s3-bucket-has-tls-only-policy", [bucket, pab])


def _netpol(selector: dict) -> dict:
    return record(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "np",
        {"metadata": {"namespace": "memory"}, "spec": {"podSelector": selector}},
    )


def test_every_pod_selected_by_a_network_policy() -> None:
    deployment = record("kubernetes:apps/v1:Deployment", "api", DEPLOYMENT)
    name = "kubernetes-workload-pod-network-policy"
    assert run_policy(name, [deployment, _netpol({})]) == []
    assert run_policy(name, [deployment, _netpol({"matchLabels": {"app": "memory-api"}})]) == []
    assert (
        run_policy(name, [deployment, _netpol({"matchLabels": {"app": "other"}})])[0].urn == deployment["urn"]
    )
    assert run_policy(name, [deployment])
    release = record("kubernetes:helm.sh/v3:Release", "qdrant", {"chart": "qdrant", "version": "1.0.0"})
    assert run_policy(name, [release]) == []  # a release's pods are invisible


def test_multi_replica_workload_needs_a_pdb() -> None:
    deployment = record("kubernetes:apps/v1:Deployment", "api", DEPLOYMENT)
    pdb = record(
        "kubernetes:policy/v1:PodDisruptionBudget",
        "pdb",
        {"metadata": {"namespace": "memory"}, "spec": {"selector": {"matchLabels": {"app": "memory-api"}}}},
    )
    assert run_policy("kubernetes-workload-multi-replica-pdb", [deployment, pdb]) == []
    assert run_policy("kubernetes-workload-multi-replica-pdb", [deployment])
    single = record("kubernetes:apps/v1:Deployment", "one", mutate(DEPLOYMENT, "spec.replicas", 1))
    assert run_policy("kubernetes-workload-multi-replica-pdb", [single]) == []


def test_disaster_recovery_in_production_and_region() -> None:
    name = "stack-all-resource-disaster-recovery"
    dr_component = record("memory:dr:DisasterRecovery", "dr", {}, custom=False)
    dr_provider = record("pulumi:providers:aws", "dr-region", {"region": "us-west-2"})
    replica = record(
        "aws:rds/cluster:Cluster",
        "db-replica",
        {},
        parent=dr_component["urn"],
        provider=f"{dr_provider['urn']}::p1",
    )
    vpc = record("aws:ec2/vpc:Vpc", "vpc", {})
    config = {name: {"drRegion": "us-west-2"}}
    assert run_policy(name, [vpc], stack="staging") == []
    assert run_policy(name, [vpc], stack="production")
    assert run_policy(name, [dr_component, dr_provider, replica, vpc], config, stack="production") == []
    wrong = {name: {"drRegion": "eu-west-1"}}
    assert (
        run_policy(name, [dr_component, dr_provider, replica], wrong, stack="production")[0].urn
        == replica["urn"]
    )
    default_provider = record("aws:s3/bucket:Bucket", "dr-bucket", {}, parent=dr_component["urn"])
    assert run_policy(name, [dr_component, default_provider], config, stack="production")


def test_stack_tags_and_count() -> None:
    tagged = record("aws:ec2/vpc:Vpc", "a", {"tags": TAGS})
    other_env = record("aws:ec2/vpc:Vpc", "b", {"tags": {**TAGS, "environment": "production"}})
    assert run_policy("stack-all-resource-one-environment-tag", [tagged]) == []
    assert run_policy("stack-all-resource-one-environment-tag", [tagged, other_env])
    untagged = record("aws:ec2/vpc:Vpc", "c", {})
    # Missing tags are the resource policy's finding alone: reported once, not twice.
    assert run_policy("stack-all-resource-one-environment-tag", [tagged, untagged]) == []
    assert len(run_policy("aws-all-resource-required-tags", [tagged, untagged])) == 1
    assert run_policy("stack-all-resource-count-sanity", [tagged]) == []
    assert run_policy("stack-all-resource-count-sanity", []) == []  # an output-only stack is valid
    many = [record("aws:ec2/subnet:Subnet", f"s{i}", {}) for i in range(5)]
    assert run_policy(
        "stack-all-resource-count-sanity", many, {"stack-all-resource-count-sanity": {"maxPerType": 4}}
    )


def test_a_global_secondary_needs_only_one_instance_but_the_primary_two() -> None:
    primary = record("aws:rds/cluster:Cluster", "primary", {"tags": TAGS})
    secondary = record("aws:rds/cluster:Cluster", "secondary", {"tags": TAGS, "globalClusterIdentifier": "g"})
    global_cluster = record(
        "aws:rds/globalCluster:GlobalCluster",
        "g",
        {"globalClusterIdentifier": "g", "sourceDbClusterIdentifier": "arn:primary"},
        propertyDependencies={"sourceDbClusterIdentifier": [primary["urn"]]},
    )

    def instance(n: str, cluster: dict) -> dict:
        return record(
            "aws:rds/clusterInstance:ClusterInstance",
            n,
            {"clusterIdentifier": cluster["name"]},
            propertyDependencies={"clusterIdentifier": [cluster["urn"]]},
        )

    lone = [primary, secondary, global_cluster, instance("p1", primary), instance("s1", secondary)]
    assert [v.urn for v in run_policy("aws-rds-cluster-multi-az", lone)] == [primary["urn"]]
    paired = [*lone, instance("p2", primary)]
    assert run_policy("aws-rds-cluster-multi-az", paired) == []
    without_standby = [primary, secondary, global_cluster, instance("p1", primary), instance("p2", primary)]
    assert [v.urn for v in run_policy("aws-rds-cluster-multi-az", without_standby)] == [secondary["urn"]]


def _cluster_with_k8s(public: bool) -> list[dict]:
    subnet = record("aws:ec2/subnet:Subnet", "private-a", {})
    vpc_config = {"endpointPrivateAccess": True, "endpointPublicAccess": public, "subnetIds": ["subnet-1"]}
    if public:
        vpc_config["publicAccessCidrs"] = ["203.0.113.0/24"]
    cluster = record(
        "aws:eks/cluster:Cluster",
        "eks",
        {"vpcConfig": vpc_config},
        propertyDependencies={"vpcConfig": [subnet["urn"]]},
    )
    provider = record(
        "pulumi:providers:kubernetes",
        "k8s",
        {"kubeconfig": "{}"},
        propertyDependencies={"kubeconfig": [cluster["urn"]]},
    )
    namespace = record(
        "kubernetes:core/v1:Namespace",
        "ns",
        {"metadata": {"name": "memory"}},
        provider=f"{provider['urn']}::id",
    )
    return [subnet, cluster, provider, namespace]


def _runner(subnet_urn: str, event: str = "WORKFLOW_JOB_QUEUED") -> list[dict]:
    project = record(
        "aws:codebuild/project:Project",
        "runner",
        {"vpcConfig": {"vpcId": "vpc-1", "subnets": ["subnet-1"], "securityGroupIds": ["sg-1"]}},
        propertyDependencies={"vpcConfig": [subnet_urn]},
    )
    hook = record(
        "aws:codebuild/webhook:Webhook",
        "hook",
        {"projectName": "runner", "filterGroups": [{"filters": [{"type": "EVENT", "pattern": event}]}]},
        propertyDependencies={"projectName": [project["urn"]]},
    )
    return [project, hook]


def test_private_only_cluster_needs_a_deployer_inside_the_vpc() -> None:
    name = "aws-eks-cluster-reachable-from-deployer"
    private = _cluster_with_k8s(public=False)
    subnet, cluster = private[0], private[1]
    [violation] = run_policy(name, private)
    assert violation.mandatory and violation.urn == cluster["urn"]
    assert run_policy(name, [*private, *_runner(subnet["urn"])]) == []
    assert run_policy(name, [*private, *_runner(subnet["urn"], event="PUSH")])  # not a GitHub Actions runner
    assert run_policy(
        name, [*private, *_runner("urn:other-vpc-subnet")]
    )  # runner outside the cluster's subnets
    assert run_policy(name, _cluster_with_k8s(public=True)) == []  # CIDR-limited public endpoint
    assert run_policy(name, private[:3]) == []  # no Kubernetes resources deployed through the provider
