"""An instance without, or (violate) with, a public IP."""
# expect: gets a public IP address

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ec2.Instance("vm", ami="ami-123", instance_type="t3.micro", associate_public_ip_address=violate)
