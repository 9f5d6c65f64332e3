"""Alertmanager routing for the memory platform, rendered as the `alertmanager.yaml` document.

Seed 000's routing: critical alerts page (PagerDuty) and e-mail the on-call list with a short repeat
interval, warnings go to chat (Slack), everything else to a default webhook. Alerts are grouped by
alertname, cluster and service. A critical alert silences the warnings it explains: the same alert at
warning severity (a page-level burn-rate alert over its ticket-level twin), and every warning of a service
whose down alert is firing.

The document holds no credential that Alertmanager can read from a file. The PagerDuty routing key,
the Slack URL and the SMTP password are keys of one Kubernetes Secret (`credential_file_data`), which
the operator mounts at `/etc/alertmanager/secrets/<secret>/` (the Alertmanager CRD's `spec.secrets`);
the document names those files (`routing_key_file`, `api_url_file`, `smtp_auth_password_file`). So the
routing is plain data that a reviewer can read and amtool can check, in the plan as in the chart's
values. The default webhook's URL is the one credential left inline: webhook `url_file` needs
Alertmanager 0.26, and the amtool and Alertmanager the tests run (Debian bookworm's 0.25) reject it;
the program passes it as a secret Output, so it stays secret as a leaf of the release's values.
The repository and the tests hold only placeholders.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, SecretStr

from infra.config_types import ConfigModel
from infra.monitoring_data.model import Frozen
from infra.monitoring_data.rule_settings import PromDuration

RECEIVER_DEFAULT = "default-webhook"
RECEIVER_PAGER = "pager"
RECEIVER_EMAIL = "email"
RECEIVER_CHAT = "chat"
SECRETS_MOUNT = "/etc/alertmanager/secrets"  # where the operator mounts each of `spec.secrets` (CRD docs)
PAGERDUTY_ROUTING_KEY = "pagerduty-routing-key"
SLACK_API_URL = "slack-api-url"
SMTP_AUTH_PASSWORD = "smtp-auth-password"  # noqa: S105 - a Secret key, not a password
CREDENTIAL_FILE_KEYS = (PAGERDUTY_ROUTING_KEY, SLACK_API_URL, SMTP_AUTH_PASSWORD)


def _url_secret(scheme_prefixes: tuple[str, ...], field: str) -> AfterValidator:
    def check(value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(scheme_prefixes):
            raise ValueError(
                f"{field} must be a URL starting with {' or '.join(scheme_prefixes)}; "
                "set it from the Pulumi secret that holds it"
            )
        return value

    return AfterValidator(check)


class ReceiverCredentials(Frozen):
    """Secrets the receivers need. In the program they come from Pulumi secret config.

    Each field's alias is the top-level secret key of the stack file that holds it
    (`pulumi config set --secret memory-platform:<alias> ...`); `stack_keys()` lists them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    pagerduty_routing_key: SecretStr = Field(
        alias="alertPagerdutyRoutingKey", description="PagerDuty Events API v2 integration key."
    )
    slack_api_url: Annotated[SecretStr, _url_secret(("https://",), "slack_api_url")] = Field(
        alias="alertSlackApiUrl", description="Slack incoming-webhook URL (the URL is the credential)."
    )
    smtp_auth_password: SecretStr = Field(
        alias="alertSmtpPassword", description="Password of the SMTP account alerts are sent from."
    )
    default_webhook_url: Annotated[SecretStr, _url_secret(("https://", "http://"), "default_webhook_url")] = (
        Field(
            alias="alertWebhookUrl",
            description="Webhook that receives everything not routed elsewhere (may embed a token).",
        )
    )

    @classmethod
    def stack_keys(cls) -> dict[str, str]:
        """Stack-file secret key (without the project namespace) -> the credential field it fills."""
        return {str(field.alias): name for name, field in cls.model_fields.items()}


class CredentialFiles(Frozen):
    """The Kubernetes Secret whose keys Alertmanager reads the file-borne credentials from."""

    secret_name: str = Field(
        "alertmanager-receivers",
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="Secret in Alertmanager's namespace, listed in the Alertmanager's `spec.secrets`.",
    )
    mount_path: str = Field(SECRETS_MOUNT, description="Folder the operator mounts `spec.secrets` under.")

    def path(self, key: str) -> str:
        """The file Alertmanager reads the Secret's `key` from."""
        return f"{self.mount_path}/{self.secret_name}/{key}"


def credential_file_data(credentials: ReceiverCredentials) -> dict[str, str]:
    """The credentials Secret's content: one key per credential the document reads from a file."""
    return {
        PAGERDUTY_ROUTING_KEY: credentials.pagerduty_routing_key.get_secret_value(),
        SLACK_API_URL: credentials.slack_api_url.get_secret_value(),
        SMTP_AUTH_PASSWORD: credentials.smtp_auth_password.get_secret_value(),
    }


class AlertRoutingConfig(ConfigModel):
    """Where alerts go; receiver credentials are separate secret keys (see `SECRET_KEYS`)."""

    email_to: str = Field(
        default="oncall@example.com",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="On-call mailing list that receives critical alerts.",
    )
    email_from: str = Field(
        default="alerts@example.com",
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Sender address of alert e-mails.",
    )
    smtp_smarthost: str = Field(
        default="email-smtp.us-east-1.amazonaws.com:587",
        pattern=r"^[^:\s]+:[0-9]+$",
        description="SMTP relay as host:port.",
    )
    smtp_auth_username: str = Field(default="alerts", min_length=1, description="SMTP account alerts use.")
    slack_channel: str = Field(
        default="#memory-platform-alerts", pattern=r"^[#@]\S+$", description="Chat channel for warnings."
    )


class AlertmanagerSettings(Frozen):
    """The stack's routing plus Alertmanager's timing; timing defaults are seed 000's."""

    routing: AlertRoutingConfig = Field(
        default_factory=AlertRoutingConfig, description="Where alerts go (from the stack config)."
    )
    group_by: tuple[str, ...] = ("alertname", "cluster", "service")
    group_wait: PromDuration = "10s"
    group_interval: PromDuration = "10s"
    repeat_interval: PromDuration = "1h"
    critical_group_wait: PromDuration = "5s"
    critical_repeat_interval: PromDuration = Field("5m", description="Short, so a page is not forgotten.")
    warning_repeat_interval: PromDuration = "30m"
    resolve_timeout: PromDuration = "5m"
    service_down_alert_name: str = Field(
        "MemoryApiDown", description="Alert whose firing silences the same service's warnings."
    )


def _routes(settings: AlertmanagerSettings) -> dict[str, Any]:
    critical = ['severity="critical"']
    return {
        "receiver": RECEIVER_DEFAULT,
        "group_by": list(settings.group_by),
        "group_wait": settings.group_wait,
        "group_interval": settings.group_interval,
        "repeat_interval": settings.repeat_interval,
        "routes": [
            {
                "receiver": RECEIVER_PAGER,
                "matchers": list(critical),
                "group_wait": settings.critical_group_wait,
                "repeat_interval": settings.critical_repeat_interval,
                "continue": True,
            },
            {
                "receiver": RECEIVER_EMAIL,
                "matchers": list(critical),
                "group_wait": settings.critical_group_wait,
                "repeat_interval": settings.critical_repeat_interval,
            },
            {
                "receiver": RECEIVER_CHAT,
                "matchers": ['severity="warning"'],
                "repeat_interval": settings.warning_repeat_interval,
            },
        ],
    }


def _inhibit_rules(settings: AlertmanagerSettings) -> list[dict[str, Any]]:
    return [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"warning|info"'],
            "equal": ["alertname", "cluster", "service"],
        },
        {
            "source_matchers": [f'alertname="{settings.service_down_alert_name}"'],
            "target_matchers": ['severity=~"warning|info"'],
            "equal": ["cluster", "service"],
        },
    ]


_TITLE = "[{{ .Status | toUpper }}] {{ .GroupLabels.alertname }} ({{ .GroupLabels.service }})"
_BODY = (
    "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\n"
    "Runbook: {{ .Annotations.runbook_url }}\n\n{{ end }}"
)


def _receivers(
    settings: AlertmanagerSettings, webhook_url: object, files: CredentialFiles
) -> list[dict[str, Any]]:
    return [
        {"name": RECEIVER_DEFAULT, "webhook_configs": [{"url": webhook_url, "send_resolved": True}]},
        {
            "name": RECEIVER_PAGER,
            "pagerduty_configs": [
                {
                    "routing_key_file": files.path(PAGERDUTY_ROUTING_KEY),
                    "send_resolved": True,
                    "description": _TITLE,
                    "links": [{"href": "{{ (index .Alerts 0).Annotations.runbook_url }}", "text": "Runbook"}],
                }
            ],
        },
        {
            "name": RECEIVER_EMAIL,
            "email_configs": [
                {
                    "to": settings.routing.email_to,
                    "send_resolved": True,
                    "headers": {"Subject": _TITLE},
                    "text": _BODY,
                }
            ],
        },
        {
            "name": RECEIVER_CHAT,
            "slack_configs": [
                {
                    "api_url_file": files.path(SLACK_API_URL),
                    "channel": settings.routing.slack_channel,
                    "send_resolved": True,
                    "title": _TITLE,
                    "text": _BODY,
                }
            ],
        },
    ]


def render_alertmanager_config(
    settings: AlertmanagerSettings, default_webhook_url: object, files: CredentialFiles | None = None
) -> dict[str, Any]:
    """The Alertmanager configuration document; its only credential is `default_webhook_url`.

    Pass the webhook URL as a secret Output in the program (a string in tests); the other credentials are
    read from the files of `files`' Secret, filled with `credential_file_data`.
    """
    files = files or CredentialFiles()
    return {
        "global": {
            "resolve_timeout": settings.resolve_timeout,
            "smtp_smarthost": settings.routing.smtp_smarthost,
            "smtp_from": settings.routing.email_from,
            "smtp_auth_username": settings.routing.smtp_auth_username,
            "smtp_auth_password_file": files.path(SMTP_AUTH_PASSWORD),
            "smtp_require_tls": True,
        },
        "route": _routes(settings),
        "inhibit_rules": _inhibit_rules(settings),
        "receivers": _receivers(settings, default_webhook_url, files),
        # Explicit, so the chart's default template glob is not merged in: the values are the document.
        "templates": [],
    }


def receiver_names() -> tuple[str, ...]:
    """Every receiver the rendered configuration defines."""
    return (RECEIVER_DEFAULT, RECEIVER_PAGER, RECEIVER_EMAIL, RECEIVER_CHAT)
