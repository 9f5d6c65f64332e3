"""An output-only stack passes (it is not "0 resources"); (violate) a runaway loop of 101 topics."""
# expect: The stack declares 101 aws:sns/topic:Topic resources, more than 100.

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
pulumi.export("endpoint", "https://api.example.com")
for index in range(101 if violate else 0):
    aws.sns.Topic(f"t{index}")
