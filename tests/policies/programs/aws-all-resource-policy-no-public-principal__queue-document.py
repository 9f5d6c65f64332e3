"""An SQS queue policy from get_policy_document: '*' narrowed by aws:SourceArn passes; (violate) without it."""
# expect: allows any principal ('*') in statement

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
conditions = (
    []
    if violate
    else [
        {
            "test": "ArnEquals",
            "variable": "aws:SourceArn",
            "values": ["arn:aws:sns:us-east-1:123456789012:events"],
        }
    ]
)
doc = aws.iam.get_policy_document(
    statements=[
        {
            "actions": ["sqs:SendMessage"],
            "resources": ["arn:aws:sqs:us-east-1:123456789012:q"],
            "principals": [{"type": "*", "identifiers": ["*"]}],
            "conditions": conditions,
        }
    ]
)
aws.sqs.QueuePolicy("q", queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/q", policy=doc.json)
