"""Which pulumi-aws resource types carry the inputs the pack judges, read from the SDK's own classes.

Every generated resource module of pulumi-aws declares ``class <Name>Args`` (or ``<Name>InitArgs``) whose
``@pulumi.getter`` properties are the resource's input names, and registers its type token with
``super(<Name>, __self__).__init__('<token>', ...)``. ``scan()`` reads those; ``sdk_catalog.json`` keeps,
for each type, the judged inputs it has, so the pack loads in milliseconds. A test regenerates the
catalog from the installed pulumi-aws and fails when it differs; refresh it with
``uv run python -m policies.aws.sdk``.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

CATALOG = Path(__file__).with_name("sdk_catalog.json")
# Inputs a policy judges wherever they occur (camelCase, as the engine sends them).
JUDGED_INPUTS = (
    "tags",
    "publiclyAccessible",
    "associatePublicIpAddress",
    "internal",
    "authorizationType",
    "storageEncrypted",
    "encrypted",
    "atRestEncryptionEnabled",
    "encryptAtRest",
    "kmsMasterKeyId",
    "encryptionType",
    "serverSideEncryption",
    "kmsKeyId",
    "kmsKeyArn",
    "transitEncryptionEnabled",
    "sslPolicy",
    "securityPolicy",
    "domainEndpointOptions",
    "defaultCacheBehavior",
    "viewerCertificate",
    "mapPublicIpOnLaunch",
    "metadataOptions",
    "instanceMetadataOptions",
    "policy",
    "accessPolicies",
    "assumeRolePolicy",
    "inlinePolicies",
    "policyArn",
    "managedPolicyArns",
    "acl",
    "accessLogs",
    "enableLogFileValidation",
    "ingress",
    "cidrIpv4",
    "cidrBlocks",
    "environment",
)
_TOKEN = re.compile(r"super\((\w+), __self__\)\.__init__\(\s*'(aws:[^']+)'")
_GETTER = re.compile(r'@pulumi\.getter(?:\(name="(\w+)"\))?\n\s+def (\w+)')


def scan(root: Path | None = None, *, everything: bool = False) -> dict[str, list[str]]:
    """Type token -> the judged inputs its Args class declares, for every resource in pulumi-aws
    (``everything``: also the types that declare none)."""
    if root is None:
        import pulumi_aws  # noqa: PLC0415 (only the refresh and its test need the SDK's files)

        root = Path(pulumi_aws.__file__).parent
    catalog: dict[str, list[str]] = {}
    for path in sorted(root.glob("*/*.py")):
        if path.name.startswith(("_", "get_")) or path.name == "outputs.py":
            continue
        text = path.read_text(encoding="utf-8")
        for class_name, token in _TOKEN.findall(text):
            block = re.search(rf"^class {class_name}(?:Init)?Args:\n(.*?)(?=^class |\Z)", text, re.S | re.M)
            if block is None:
                continue
            inputs = {m.group(1) or m.group(2) for m in _GETTER.finditer(block.group(1))}
            judged = sorted(inputs.intersection(JUDGED_INPUTS))
            if judged or everything:
                catalog[token] = judged
    return dict(sorted(catalog.items()))


@cache
def catalog() -> dict[str, frozenset[str]]:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    return {token: frozenset(inputs) for token, inputs in data["types"].items()}


@cache
def types_with(*inputs: str) -> frozenset[str]:
    """Every pulumi-aws resource type that declares any of ``inputs``."""
    return frozenset(t for t, names in catalog().items() if names.intersection(inputs))


def version() -> str:
    return str(json.loads(CATALOG.read_text(encoding="utf-8"))["pulumiAws"])


def resource_type_count() -> int:
    """How many resource types the catalogued pulumi-aws has in all."""
    return int(json.loads(CATALOG.read_text(encoding="utf-8"))["resourceTypes"])


def write() -> None:
    from importlib.metadata import version as installed  # noqa: PLC0415

    everything = scan(everything=True)
    judged = {token: inputs for token, inputs in everything.items() if inputs}
    document = {"pulumiAws": installed("pulumi_aws"), "resourceTypes": len(everything), "types": judged}
    CATALOG.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
    sys.stdout.write(f"Wrote {CATALOG} ({len(catalog())} of {resource_type_count()} types)\n")
