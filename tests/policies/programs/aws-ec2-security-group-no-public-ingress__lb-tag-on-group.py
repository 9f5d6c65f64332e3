"""HTTPS from the internet on a vpc rule whose *group* carries the load-balancer tag (passes), or (violate)
a group without it. The rule itself carries no tag: the convention is judged on the rule's group."""

# expect: allows HTTPS from 0.0.0.0/0, but its security group is not a load balancer's
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
tags = {} if violate else {"security-group-role": "load-balancer"}
group = aws.ec2.SecurityGroup("web", vpc_id="vpc-1", tags=tags)
aws.vpc.SecurityGroupIngressRule(
    "https", security_group_id=group.id, ip_protocol="tcp", from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0"
)
