"""Stack-file configuration of `MemoryApi` (the `memoryApi` key): image, autoscaling, public endpoint."""

from __future__ import annotations

import re
from typing import Any, Self

from pydantic import Field, field_validator, model_validator

from infra.config_types import ConfigModel, Resources

_IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")


class MemoryApiConfig(ConfigModel):
    """The memory API Deployment, its image, autoscaling and public endpoint."""

    image: str | None = Field(
        default=None,
        description=(
            "Image in this stack's ECR repository: a digest 'sha256:<64 hex>' or an immutable tag "
            "(CI pushes the commit SHA). Unset, only the repository and namespace are created."
        ),
    )
    host: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="Public DNS name of the API, e.g. 'api.memory.example.com'.",
    )
    certificate_arn: str | None = Field(
        default=None,
        description="ACM certificate (same region) serving `host` on the load balancer; with dr.dns it must "
        "also cover the region's own name, api-<region>.<rest of host> (a subject alternative name).",
    )
    min_replicas: int = Field(default=3, ge=1, le=100, description="HPA lower bound; also the initial size.")
    max_replicas: int = Field(default=10, ge=1, le=200, description="HPA upper bound.")
    target_cpu_percent: int = Field(default=70, ge=10, le=100, description="HPA CPU utilisation target.")
    target_memory_percent: int = Field(
        default=80, ge=10, le=100, description="HPA memory utilisation target."
    )
    resources: Resources = Field(
        default_factory=lambda: Resources(
            cpu_request="500m", memory_request="1Gi", cpu_limit="2", memory_limit="2Gi"
        ),
        description="Requests and limits of each API container.",
    )
    database_name: str = Field(
        default="memory", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="Aurora database the API uses."
    )
    kept_images: int = Field(
        default=50, ge=5, le=1000, description="ECR lifecycle: tagged images kept, newest first."
    )

    @field_validator("image")
    @classmethod
    def _immutable_image(cls, value: str | None) -> str | None:
        if value is None or _IMAGE_DIGEST.fullmatch(value):
            return value
        if value.startswith("sha256:"):
            raise ValueError(f"'{value}' is not a digest; a digest is 'sha256:' followed by 64 hex digits")
        if value == "latest":
            raise ValueError("'latest' is mutable; use the commit SHA CI pushed or a 'sha256:...' digest")
        if not _IMAGE_TAG.fullmatch(value):
            raise ValueError(f"'{value}' is not an image tag or 'sha256:...' digest")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _acm_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ACM_ARN.fullmatch(value):
            raise ValueError(
                f"'{value}' is not an ACM certificate ARN like "
                "'arn:aws:acm:us-east-1:123456789012:certificate/<uuid>'"
            )
        return value

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"minReplicas ({self.min_replicas}) is greater than maxReplicas ({self.max_replicas})"
            )
        if self.image is not None and (self.host is None or self.certificate_arn is None):
            raise ValueError("host and certificateArn are required once image is set (the API is public)")
        return self


def lifecycle_rules(kept_images: int) -> dict[str, Any]:
    """Expire untagged layers after a week; keep the newest `kept_images` tagged images."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images after 7 days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {kept_images} tagged images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": kept_images,
                },
                "action": {"type": "expire"},
            },
        ]
    }
