"""One place for AWS tags and Kubernetes labels, so every resource carries the same ones."""

from collections.abc import Mapping

MANAGED_BY = "pulumi"
PART_OF = "memory-platform"


def aws_tags(base: Mapping[str, str], name: str, **extra: str) -> dict[str, str]:
    """The stack's tags plus a `Name` (shown in the AWS console) and any extra tags."""
    return {**base, **extra, "Name": name}


def k8s_labels(component: str, name: str, **extra: str) -> dict[str, str]:
    """Recommended Kubernetes labels (app.kubernetes.io/*) for an object of a component."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        **extra,
    }
