"""Lambda settings that only describe secrets (PASSWORD_MIN_LENGTH, OAUTH_TOKEN_URL, SECRETS_PREFIX) pass;
(violate) a literal STRIPE_SECRET_KEY, which is a secret although it ends in "key", fails."""
# expect: sets environment variable STRIPE_SECRET_KEY to a literal

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
variables = {
    "PASSWORD_MIN_LENGTH": "12",
    "OAUTH_TOKEN_URL": "https://auth.example.com/oauth2/token",
    "SECRETS_PREFIX": "/pay/prod/",
    "STRIPE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe-AbCdEf",
}
if violate:
    variables["STRIPE_SECRET_KEY"] = "sk_live_51H8x2eKq9ZyAbCdEf"
aws.lambda_.Function(
    "pay",
    role="arn:aws:iam::123456789012:role/pay",
    runtime="python3.12",
    handler="app.handler",
    code=pulumi.AssetArchive({}),
    environment={"variables": variables},
)
