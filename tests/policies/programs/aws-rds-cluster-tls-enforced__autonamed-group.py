"""Issue 16: an autonamed parameter group forcing TLS, attached by its name (unknown at preview), is not a
mandatory violation: the cluster is judged by the group; (violate) the group does not force TLS."""
# expect: does not set rds.force_ssl=1
# preview-only: without a preview the unresolved name is dropped with its dependency, so nothing links them

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
group = aws.rds.ClusterParameterGroup(
    "tls",
    family="aurora-postgresql16",
    parameters=[{"name": "rds.force_ssl", "value": "0" if violate else "1"}],
)
aws.rds.Cluster(
    "db",
    engine="aurora-postgresql",
    db_cluster_parameter_group_name=group.name,
    manage_master_user_password=True,
    master_username="app",
)
