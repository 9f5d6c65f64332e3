"""A SageMaker notebook in a subnet without direct internet access, or (violate) one left at the default."""
# expect: has direct internet access (directInternetAccess is Enabled, the default)

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
network = (
    {}
    if violate
    else {
        "direct_internet_access": "Disabled",
        "subnet_id": "subnet-0123456789abcdef0",
        "security_groups": ["sg-0123456789abcdef0"],
    }
)
aws.sagemaker.NotebookInstance(
    "nb", role_arn="arn:aws:iam::123456789012:role/sm", instance_type="ml.t3.medium", **network
)
