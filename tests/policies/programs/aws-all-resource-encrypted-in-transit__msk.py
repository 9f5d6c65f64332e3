"""An MSK cluster with TLS between clients and brokers, or (violate) one that accepts plaintext clients."""
# expect: lets clients connect to its brokers in plaintext (encryptionInTransit.clientBroker PLAINTEXT)

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
aws.msk.Cluster(
    "kafka",
    cluster_name="kafka",
    kafka_version="3.6.0",
    number_of_broker_nodes=3,
    broker_node_group_info={
        "instance_type": "kafka.m5.large",
        "client_subnets": ["subnet-a", "subnet-b", "subnet-c"],
        "security_groups": ["sg-0123456789abcdef0"],
    },
    encryption_info={
        "encryption_in_transit": {"client_broker": "PLAINTEXT" if violate else "TLS", "in_cluster": True}
    },
)
