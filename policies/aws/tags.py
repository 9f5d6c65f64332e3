"""Required tags (owner, cost-center, environment) on every taggable AWS resource.

A type is taggable when its pulumi-aws Args class has ``tags`` (``policies.aws.sdk``); a test checks the
catalog against the installed pulumi-aws. Tags set on the provider's ``defaultTags`` (an explicit
provider's input, or the default provider's ``aws:defaultTags`` config) count, because AWS applies them to
every resource of that provider. This is the pack's one tag policy: every finding is reported once.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from infra.standards import REQUIRED_TAGS
from policies.aws.sdk import types_with
from policies.framework import ADVISORY, Subject, as_list, resource_policy, tags_of

# Every pulumi-aws type whose inputs accept ``tags``, read from the SDK's own classes.
TAGGABLE_TYPES = types_with("tags")


def missing_tags(subject: Subject) -> list[str]:
    required = as_list(subject.config.get("requiredTags", list(REQUIRED_TAGS)))
    tags = tags_of(subject)
    return [t for t in required if not tags.get(t)]


def _required_tags(subject: Subject) -> Iterator[str]:
    missing = missing_tags(subject)
    if missing:
        yield f"is missing the required {'tag' if len(missing) == 1 else 'tags'} {', '.join(missing)}"


required_tags = resource_policy(
    name="aws-all-resource-required-tags",
    description="Every taggable AWS resource carries the owner, cost-center and environment tags.",
    severity=Severity.MEDIUM,
    remediation="Add the tags through the shared tags helper (or the provider's default_tags).",
    resource_types=TAGGABLE_TYPES,
    check=_required_tags,
    enforcement_level=ADVISORY,
    config={
        "requiredTags": {"type": "array", "items": {"type": "string"}, "default": list(REQUIRED_TAGS)},
    },
)

POLICIES = [required_tags]
