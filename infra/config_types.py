"""What every `*Config` model shares: the stack-file base model and the field types several reuse.

Each component's config model lives beside the component (`infra/components/<name>.py` or its
`<name>_config.py`); `infra.config.StackConfig` only assembles them. This module imports only
`infra.standards` (which imports nothing else of infra), so components and the stack model can
both import it without a cycle.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from infra.standards import INSTANCE_FAMILIES


class ConfigModel(BaseModel):
    """Frozen, strict about unknown keys, camelCase in stack files."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=True,
    )


def _instance_type(value: str) -> str:
    match = re.fullmatch(r"([a-z][a-z0-9-]*?)\.([0-9]*x?[a-z]+)", value)
    if not match:
        raise ValueError(f"'{value}' is not an EC2 instance type like 'm5.xlarge'")
    family = match.group(1)
    if family not in INSTANCE_FAMILIES:
        allowed = ", ".join(sorted(INSTANCE_FAMILIES))
        raise ValueError(f"instance family '{family}' is not supported; use one of: {allowed}")
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"'{value}' is not a network CIDR like '10.0.0.0/16' ({error})") from None
    return str(network)


_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$")


def _quantity(value: str) -> str:
    if not _QUANTITY.fullmatch(value):
        raise ValueError(f"'{value}' is not a Kubernetes quantity like '500m', '2', '512Mi' or '4Gi'")
    return value


_UNIT_BYTES = {"": 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}


def quantity_bytes(value: str) -> Decimal:
    """A memory quantity ('512Mi', '2Gi', '1073741824') in bytes."""
    match = _QUANTITY.fullmatch(value)
    if match is None or match.group(2) == "m":
        raise ValueError(f"'{value}' is not a memory quantity like '512Mi' or '4Gi'")
    return Decimal(value.removesuffix(match.group(2) or "")) * _UNIT_BYTES[match.group(2) or ""]


InstanceType = Annotated[str, AfterValidator(_instance_type)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Quantity = Annotated[str, AfterValidator(_quantity)]


class Resources(ConfigModel):
    """Requests and limits of one container (Kubernetes quantities)."""

    cpu_request: Quantity = Field(description="CPU the scheduler reserves, e.g. '500m'.")
    memory_request: Quantity = Field(description="Memory the scheduler reserves, e.g. '1Gi'.")
    cpu_limit: Quantity = Field(description="CPU ceiling, e.g. '2'.")
    memory_limit: Quantity = Field(description="Memory ceiling; the container is OOM-killed above it.")

    @property
    def memory_limit_gib(self) -> Decimal:
        """`memory_limit` in GiB (binary units, as Kubernetes counts them)."""
        return quantity_bytes(self.memory_limit) / 1024**3

    def as_kubernetes(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }
