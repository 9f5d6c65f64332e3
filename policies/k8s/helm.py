"""Helm release policy: every release pins an exact chart version, so a preview shows what will run."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pulumi_policy import Severity

from policies.framework import Subject, resource_policy

RELEASE = "kubernetes:helm.sh/v3:Release"
EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


def _pinned(subject: Subject) -> Iterator[str]:
    version = subject.get("version")
    if not version:
        yield f"installs chart {subject.get('chart', default='?')} without a version, i.e. whatever is newest"
    elif not EXACT_VERSION.match(str(version)):
        yield f"installs chart version '{version}', which is a range rather than one exact version"


release_chart_pinned = resource_policy(
    name="kubernetes-helm-release-chart-version-pinned",
    description="Helm releases pin an exact chart version.",
    severity=Severity.MEDIUM,
    remediation="Set version to an exact chart version such as '1.2.3'.",
    resource_types=[RELEASE],
    check=_pinned,
)

POLICIES = [release_chart_pinned]
