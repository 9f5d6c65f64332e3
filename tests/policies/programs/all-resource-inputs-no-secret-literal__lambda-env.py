"""A Lambda environment naming a Secrets Manager ARN passes; (violate) a literal API_KEY."""
# expect: sets environment variable API_KEY to a literal

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
value = "sk-live-0123456789abcdef" if violate else "arn:aws:secretsmanager:us-east-1:123456789012:secret:api"
aws.lambda_.Function(
    "hook",
    role="arn:aws:iam::123456789012:role/hook",
    runtime="python3.12",
    handler="app.handler",
    code=pulumi.AssetArchive({}),
    environment={"variables": {"API_KEY": value}},
)
