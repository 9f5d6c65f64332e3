"""A private subnet, or (violate) one handing out public IPs."""

# expect: gives every instance launched into it a public IP
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ec2.Subnet("app", vpc_id="vpc-1", cidr_block="10.0.1.0/24", map_public_ip_on_launch=violate)
