"""An EBS volume: encrypted, or (violate) not. Only Aurora and launch templates were checked before."""
# expect: has encrypted false, so its data is stored unencrypted

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
aws.ebs.Volume("data", availability_zone="us-east-1a", size=20, encrypted=not violate)
