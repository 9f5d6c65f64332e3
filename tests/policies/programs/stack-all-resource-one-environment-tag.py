"""Two topics tagged environment=staging, or (violate) one tagged production."""
# expect: The stack mixes environment tag values

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
for name, environment in (("a", "staging"), ("b", "production" if violate else "staging")):
    aws.sns.Topic(name, tags={"environment": environment})
