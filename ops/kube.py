"""A narrow Kubernetes client for EKS: JSON GET/PATCH/POST, authenticated like `aws eks get-token`.

The DR evacuation needs a handful of Kubernetes calls (the apps/v1 `scale` subresource of the memory API
Deployment and the Qdrant StatefulSet, their status, and one batch/v1 Job), so it speaks the REST API
directly with the standard library instead of adding the `kubernetes` package. `KubeApi` is the whole
boundary: tests serve it from a small local HTTP server.

Connection: `eks:DescribeCluster` in the cluster's own region gives the endpoint and the CA bundle. The
bearer token is what `aws eks get-token` makes: a presigned STS `GetCallerIdentity` URL (60 s, signed
with the `x-k8s-aws-id: <cluster name>` header), base64url-encoded without padding behind `k8s-aws-v1.`.
A token is valid for 15 minutes at most (EKS), so a new one is made for every request.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ops.aws import call
from ops.errors import OpsError

if TYPE_CHECKING:
    from ops.runtime import Runtime

K8S_AWS_ID_HEADER = "x-k8s-aws-id"
TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105 - the token format's prefix, not a secret
PRESIGN_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 20
MERGE_PATCH = "application/merge-patch+json"


class KubeApi(Protocol):
    """JSON requests against one cluster's API server; paths are absolute (`/apis/apps/v1/...`)."""

    def get(self, path: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist (404)."""
        ...

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]: ...


KubeFactory = Callable[["Runtime", str, str], KubeApi]


@dataclass(frozen=True)
class ClusterConnection:
    name: str
    region: str
    endpoint: str
    ca_pem: str | None


def cluster_connection(runtime: Runtime, region: str, cluster_name: str) -> ClusterConnection:
    """Endpoint and CA of an EKS cluster, from eks:DescribeCluster in its region."""
    eks = runtime.client("eks", region)
    cluster = call(
        eks,
        "describe_cluster",
        name=cluster_name,
        next_step=f"check drClusterName/primaryClusterName in the outputs and eks:DescribeCluster access in "
        f"{region}",
    )["cluster"]
    data = (cluster.get("certificateAuthority") or {}).get("data")
    return ClusterConnection(
        name=cluster_name,
        region=region,
        endpoint=str(cluster["endpoint"]),
        ca_pem=base64.b64decode(data).decode(errors="replace") if data else None,
    )


def eks_token(runtime: Runtime, region: str, cluster_name: str) -> str:
    """A bearer token for `cluster_name`, made the way `aws eks get-token` makes it."""
    sts = runtime.client("sts", region)

    def keep_header(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if K8S_AWS_ID_HEADER in params:
            context[K8S_AWS_ID_HEADER] = params.pop(K8S_AWS_ID_HEADER)

    def sign_header(request: Any, **_: Any) -> None:
        if K8S_AWS_ID_HEADER in request.context:
            request.headers[K8S_AWS_ID_HEADER] = request.context[K8S_AWS_ID_HEADER]

    events = sts.meta.events
    events.register("provide-client-params.sts.GetCallerIdentity", keep_header, unique_id="ops-k8s-id")
    events.register("before-sign.sts.GetCallerIdentity", sign_header, unique_id="ops-k8s-sign")
    url = sts.generate_presigned_url(
        "get_caller_identity",
        Params={K8S_AWS_ID_HEADER: cluster_name},
        ExpiresIn=PRESIGN_SECONDS,
        HttpMethod="GET",
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


class HttpKube:
    """`KubeApi` over HTTPS with a fresh bearer token per request."""

    def __init__(self, endpoint: str, ca_pem: str | None, token: Callable[[], str], label: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.label = label
        self._token = token
        self._context = ssl.create_default_context(cadata=ca_pem) if ca_pem else None

    def _request(self, method: str, path: str, body: dict[str, Any] | None, content_type: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the endpoint is the cluster's https URL
            self.endpoint + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self._token()}",
                "Accept": "application/json",
                "Content-Type": content_type,
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=REQUEST_TIMEOUT_SECONDS, context=self._context
            ) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "GET":
                return None
            detail = exc.read().decode(errors="replace")[:300]
            raise OpsError(
                f"Kubernetes {method} {path} on {self.label} failed: HTTP {exc.code} {detail}",
                "check that your IAM principal has an EKS access entry on that cluster "
                "(cluster.adminRoleArns), then re-run: finished steps are skipped",
            ) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise OpsError(
                f"cannot reach the Kubernetes API of {self.label} at {self.endpoint}: {exc}",
                "the endpoint is private: run from a host in that VPC (the CI runners) or over its VPN, "
                "then re-run: finished steps are skipped",
            ) from exc

    def get(self, path: str) -> dict[str, Any] | None:
        result = self._request("GET", path, None, "application/json")
        return dict(result) if result is not None else None

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._request("PATCH", path, body, MERGE_PATCH))

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._request("POST", path, body, "application/json"))


def eks_kube(runtime: Runtime, region: str, cluster_name: str) -> KubeApi:
    """The default `KubeFactory`: DescribeCluster, then HTTPS with `aws eks get-token` tokens."""
    connection = cluster_connection(runtime, region, cluster_name)
    return HttpKube(
        connection.endpoint,
        connection.ca_pem,
        lambda: eks_token(runtime, region, cluster_name),
        f"EKS cluster {cluster_name} ({region})",
    )


def http_status(url: str, host: str | None = None) -> int:
    """The HTTP status of a GET (TLS verified), or 0 when nothing answers: the API readiness probe."""
    request = urllib.request.Request(url, method="GET")  # noqa: S310 - https URL of the API
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, TimeoutError, OSError, ssl.SSLError):
        return 0


__all__ = [
    "ClusterConnection",
    "HttpKube",
    "KubeApi",
    "KubeFactory",
    "cluster_connection",
    "eks_kube",
    "eks_token",
    "http_status",
]
