"""The type tokens and camelCase input names the fixtures use exist in the installed pulumi-aws, and
the taggable-type list matches pulumi-aws's schemas (a type is taggable iff it has ``tags``)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pulumi_aws
import pytest
from policy_cases import RESOURCE_CASES

from policies.aws.tags import TAGGABLE_TYPES

AWS_ROOT = Path(pulumi_aws.__file__).parent
GETTER = re.compile(r'@pulumi\.getter(?:\(name="(\w+)"\))?\n\s+def (\w+)')


@cache
def aws_inputs(token: str) -> frozenset[str]:
    module = token.split(":")[1].split("/", maxsplit=1)[0]
    class_name = token.rsplit(":", 1)[1]
    for path in (AWS_ROOT / module).glob("*.py"):
        text = path.read_text()
        block = re.search(rf"class {class_name}(Init)?Args\b.*?(?=\nclass )", text, re.S)
        if f"'{token}'" in text and block is not None:
            return frozenset(m.group(1) or m.group(2) for m in GETTER.finditer(block.group(0)))
    raise AssertionError(f"{token} is not a resource in pulumi-aws {AWS_ROOT}")


AWS_CASES = sorted((n, c[0], c[1]) for n, c in RESOURCE_CASES.items() if c[0].startswith("aws:"))


@pytest.mark.parametrize(("name", "token", "inputs"), AWS_CASES, ids=[c[0] for c in AWS_CASES])
def test_fixture_inputs_are_real_pulumi_aws_input_names(name: str, token: str, inputs: dict) -> None:
    unknown = set(inputs) - aws_inputs(token)
    assert not unknown, f"{name}: {token} has no inputs {unknown}"


def test_taggable_types_are_exactly_those_with_a_tags_input() -> None:
    for token in (
        "aws:sns/topic:Topic",
        "aws:sqs/queue:Queue",
        "aws:dynamodb/table:Table",
        "aws:iam/user:User",
    ):
        assert token in TAGGABLE_TYPES, token
        assert "tags" in aws_inputs(token), token
    for token in (
        "aws:kms/alias:Alias",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:route53/record:Record",
        "aws:ec2/route:Route",
    ):
        assert token not in TAGGABLE_TYPES, token
        assert "tags" not in aws_inputs(token), token
