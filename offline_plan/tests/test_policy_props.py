"""Policies see a resource's inputs exactly as the analyzer shows them, however lazily they are built.

The analyzer deserializes the properties afresh for each policy and wraps them in
`pulumi_policy.proxy.unknown_checking_proxy`; the offline check builds the same proxies level by level.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.deserialize import _serialize_property
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
    unknown_checking_proxy,
)

from offline_plan.policy_check import LoadedPack, evaluate
from offline_plan.policy_props import policy_props

INPUTS: dict[str, Any] = {
    "metadata": {"name": "web", "labels": {"app": "web", "team": UNKNOWN_STRING_VALUE}},
    "spec": {
        "replicas": 3,
        "paused": UNKNOWN_BOOLEAN_VALUE,
        "template": {
            "spec": {
                "containers": [
                    {"name": "app", "image": UNKNOWN_STRING_VALUE, "ports": [{"containerPort": 80}]},
                    {"name": "sidecar", "env": UNKNOWN_ARRAY_VALUE, "args": ["a", UNKNOWN_STRING_VALUE]},
                ],
                "volumes": [],
            }
        },
        "selector": UNKNOWN_OBJECT_VALUE,
        "empty": {},
        "none": None,
    },
}


def observe(value: Any) -> Any:
    """Everything a policy can read from `value`: types, lengths, keys, items (or the error), slices."""
    if isinstance(value, Mapping):
        seen: dict[str, Any] = {
            "proxy": isinstance(value, _DictProxy),
            "len": len(value),
            "keys": list(value),
        }
        for key in value:
            seen[f"[{key}]"] = read(lambda key=key: value[key])
            seen[f"get({key})"] = read(lambda key=key: value.get(key))
        seen["missing"] = read(lambda: value["no-such-key"])
        seen["items"] = attempt(lambda: [(k, observe(v)) for k, v in value.items()])
        seen["target"] = _serialize_property(value)
        return seen
    if isinstance(value, Sequence) and not isinstance(value, str):
        seen = {"proxy": isinstance(value, _ListProxy), "len": len(value)}
        for index in range(-len(value), len(value) + 1):
            seen[f"[{index}]"] = read(lambda index=index: value[index])
        seen["slice"] = attempt(lambda: [observe(item) for item in value[1:]])
        seen["iter"] = attempt(lambda: [observe(item) for item in value])
        seen["target"] = _serialize_property(value)
        return seen
    return value


def read(access: Any) -> Any:
    return attempt(lambda: observe(access()))


def attempt(access: Any) -> Any:
    try:
        return ("value", access())
    except UnknownValueError as error:
        return ("unknown", error.message, error.props, error.unknown_type_sentinel)
    except (KeyError, IndexError) as error:
        return ("missing", type(error).__name__, str(error))


def test_lazy_props_read_exactly_like_the_analyzers_proxy() -> None:
    eager = unknown_checking_proxy(copy.deepcopy(INPUTS))
    assert observe(policy_props(INPUTS)) == observe(eager)
    assert observe(policy_props([INPUTS, 1])) == observe(unknown_checking_proxy([copy.deepcopy(INPUTS), 1]))


def test_reading_an_unknown_names_its_path_as_the_sdk_does() -> None:
    props = policy_props(INPUTS)
    with pytest.raises(UnknownValueError) as raised:
        props["spec"]["template"]["spec"]["containers"][1]["args"][1]
    assert raised.value.message == (
        "string value at .spec.template.spec.containers.1.args.1 can't be known during preview"
    )


def test_writes_through_props_stay_in_that_policys_copy() -> None:
    first = policy_props(INPUTS)
    first["metadata"]["labels"]["team"] = "platform"
    first["spec"]["template"]["spec"]["containers"][0]["name"] = "changed"
    first["__target"]["added"] = True
    assert first["metadata"]["labels"]["team"] == "platform"
    assert first["added"] is True
    second = policy_props(INPUTS)
    assert second["spec"]["template"]["spec"]["containers"][0]["name"] == "app"
    assert "added" not in second
    assert INPUTS["metadata"]["labels"]["team"] == UNKNOWN_STRING_VALUE


def record(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "urn": "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::web",
        "type": "kubernetes:apps/v1:Deployment",
        "name": "web",
        "custom": True,
        "inputs": inputs,
    }


def policy(name: str, validate: Any) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(name, f"{name} policy", validate, EnforcementLevel.MANDATORY)


def test_a_policy_reading_an_unknown_is_reported_advisory_and_does_not_spill_into_the_next() -> None:
    def relabel(args: ResourceValidationArgs, report: ReportViolation) -> None:
        args.props["metadata"]["labels"]["app"] = "relabelled"

    def image(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.props["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":latest"):
            report("latest")

    def label(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.props["metadata"]["labels"]["app"] != "web":
            report(f"app label is {args.props['metadata']['labels']['app']}")

    pack = LoadedPack("pack", [policy("relabel", relabel), policy("image", image), policy("label", label)])
    violations = evaluate(pack, [record(INPUTS)])
    assert [(v.policy_name, v.enforcement_level, v.message) for v in violations] == [
        (
            "image",
            "advisory",
            "can't run policy 'image' during preview: "
            "string value at .spec.template.spec.containers.0.image can't be known during preview",
        )
    ]


def test_policies_that_do_not_read_a_large_record_do_not_pay_for_it() -> None:
    """84 policies x 430 records in production: a policy pays for what it reads, not for every record."""
    schema = {f"p{i}": {"type": "string", "x": [i, {"y": i}]} for i in range(3000)}
    big = {"spec": {"versions": [{"schema": schema}]}}
    skip = [policy(f"skip-{n}", lambda args, report: None) for n in range(40)]
    started = time.perf_counter()
    evaluate(LoadedPack("pack", skip), [record(big)])
    # The analyzer-style eager walk of 40 copies of this record takes several seconds.
    assert time.perf_counter() - started < 2.0


def test_each_policy_sees_the_records_options_afresh_as_the_analyzer_builds_them() -> None:
    """Options are parsed once per evaluation; a policy that changes its `opts` changes only its own."""
    options = {
        "protect": True,
        "ignoreChanges": ["tags"],
        "aliases": ["urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::old"],
        "customTimeouts": {"create": "1h30m", "delete": "500ms"},
        "additionalSecretOutputs": ["token"],
    }
    seen: list[Any] = []

    def meddle(args: ResourceValidationArgs, report: ReportViolation) -> None:
        args.opts.ignore_changes.append("spec")
        args.opts.aliases.clear()
        args.opts.custom_timeouts.create_seconds = 0.0
        args.opts.additional_secret_outputs.append("password")

    def look(args: ResourceValidationArgs, report: ReportViolation) -> None:
        opts = args.opts
        timeouts = opts.custom_timeouts
        seen.append(
            (
                opts.protect,
                opts.ignore_changes,
                opts.aliases,
                (timeouts.create_seconds, timeouts.update_seconds, timeouts.delete_seconds),
                opts.additional_secret_outputs,
                opts.parent,
            )
        )

    resource = {**record({}), "options": options, "parent": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"}
    evaluate(
        LoadedPack("pack", [policy("look", look), policy("meddle", meddle), policy("again", look)]),
        [resource],
    )
    expected = (
        True,
        ["tags"],
        ["urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::old"],
        (5400.0, 0.0, 0.5),
        ["token"],
        "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
    )
    assert seen == [expected, expected]
