"""An Aurora cluster with two instances, or (violate) one."""

# expect: has 1 instance; at least 2 in different Availability Zones
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
cluster = aws.rds.Cluster("db", engine="aurora-postgresql")
for index in range(1 if violate else 2):
    aws.rds.ClusterInstance(
        f"db-{index}",
        cluster_identifier=cluster.id,
        instance_class="db.r7g.large",
        engine="aurora-postgresql",
        availability_zone=f"us-east-1{'ab'[index]}",
    )
