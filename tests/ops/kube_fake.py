"""A small Kubernetes API server for the drills: apps/v1 scale, Deployment/StatefulSet status, batch/v1 Jobs.

It runs on a loopback port and speaks JSON over HTTP like the real API server, so `ops.kube.HttpKube`
talks to it unchanged. Requests must carry an EKS bearer token as `aws eks get-token` makes it (a
presigned STS GetCallerIdentity URL signed with `x-k8s-aws-id: <cluster>`); anything else gets 401.
Behaviour is state, not a script: scaling sets `spec.replicas` and the controllers "converge" at once
(`readyReplicas` follows `spec.replicas`); a created Job completes after `job_polls` reads. The same
server answers `GET /health/ready` for the cluster's API names (by Host header) with 200 only while the
memory API Deployment has ready replicas, like the ALB in front of it.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.contracts import API_READINESS_PATH

API_TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"app.kubernetes.io/name": "memory-api"}},
    "spec": {
        "serviceAccountName": "memory-api",
        "containers": [
            {
                "name": "memory-api",
                "image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/memory-api:abc123",
                "command": ["memory-api"],
                "args": ["serve"],
                "ports": [{"name": "http", "containerPort": 8000}],
                "readinessProbe": {"httpGet": {"path": API_READINESS_PATH, "port": "http"}},
                "env": [{"name": "MEMORY_API_DATABASE_HOST", "value": "global-writer.example"}],
            }
        ],
    },
}


@dataclass
class Cluster:
    """One EKS cluster's objects: {(kind, namespace, name): object}."""

    name: str
    api_names: set[str] = field(default_factory=set)
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    job_polls: int = 2
    requests: list[tuple[str, str]] = field(default_factory=list)

    def add_workload(self, kind: str, namespace: str, name: str, replicas: int) -> None:
        spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"app": name}}}
        if kind == "deployments":
            spec["template"] = copy.deepcopy(API_TEMPLATE)
        self.objects[(kind, namespace, name)] = {
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
            "status": {"replicas": replicas, "readyReplicas": replicas},
        }

    def replicas(self, kind: str, namespace: str, name: str) -> int:
        return int(self.objects[(kind, namespace, name)]["spec"]["replicas"])

    def jobs(self) -> list[dict[str, Any]]:
        return [obj for (kind, _, _), obj in self.objects.items() if kind == "jobs"]

    def api_ready(self) -> bool:
        return any(
            kind == "deployments" and int(obj["status"].get("readyReplicas") or 0) > 0
            for (kind, _, _), obj in self.objects.items()
        )


def is_eks_token(header: str | None) -> bool:
    """True for `Bearer k8s-aws-v1.<base64url of a presigned STS GetCallerIdentity URL>` whose signature
    covers the `x-k8s-aws-id` header (what EKS's authenticator checks before calling STS)."""
    prefix = "Bearer k8s-aws-v1."
    if not header or not header.startswith(prefix):
        return False
    encoded = header.removeprefix(prefix)
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    signed_headers = query.get("X-Amz-SignedHeaders", [""])[0].split(";")
    return (
        bool(parts.hostname and parts.hostname.startswith("sts."))
        and query.get("Action") == ["GetCallerIdentity"]
        and "x-k8s-aws-id" in signed_headers
        and "X-Amz-Signature" in query
    )


class FakeKubernetes:
    """Serves any number of clusters, one loopback port each."""

    def __init__(self) -> None:
        self.clusters: dict[str, Cluster] = {}
        self._servers: dict[str, ThreadingHTTPServer] = {}

    def cluster(self, name: str, *api_names: str) -> Cluster:
        cluster = Cluster(name, set(api_names))
        self.clusters[name] = cluster
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(cluster))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers[name] = server
        return cluster

    def url(self, name: str) -> str:
        host, port = self._servers[name].server_address[:2]
        return f"http://{host!s}:{port}"

    def cluster_for_api_name(self, host: str) -> str | None:
        return next((n for n, c in self.clusters.items() if host in c.api_names), None)

    def close(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()


def _handler(cluster: Cluster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return dict(json.loads(self.rfile.read(length) or b"{}"))

        def _route(self, method: str) -> None:
            path = urlsplit(self.path).path
            cluster.requests.append((method, path))
            if path == API_READINESS_PATH:  # the ALB in front of the API, routed by Host
                host = (self.headers.get("Host") or "").split(":")[0]
                if host not in cluster.api_names:
                    self._reply(404, {"message": f"no Ingress rule for host {host}"})
                else:
                    self._reply(200 if cluster.api_ready() else 503, {})
                return
            if not is_eks_token(self.headers.get("Authorization")):
                self._reply(401, {"kind": "Status", "message": "Unauthorized"})
                return
            parts = path.strip("/").split("/")
            # /apis/<group>/<version>/namespaces/<ns>/<kind>[/<name>[/scale]]
            if len(parts) < 6 or parts[0] != "apis" or parts[3] != "namespaces":
                self._reply(404, {"message": "not found"})
                return
            namespace, kind = parts[4], parts[5]
            name = parts[6] if len(parts) > 6 else None
            sub = parts[7] if len(parts) > 7 else None
            if method == "POST" and kind == "jobs" and name is None:
                job = self._body()
                key = ("jobs", namespace, job["metadata"]["name"])
                if key in cluster.objects:
                    self._reply(409, {"message": "AlreadyExists"})
                    return
                job["status"] = {"active": 1}
                job["_polls"] = 0
                cluster.objects[key] = job
                self._reply(201, job)
                return
            obj = cluster.objects.get((kind, namespace, name or ""))
            if obj is None:
                self._reply(404, {"kind": "Status", "message": f"{kind} {name} not found"})
                return
            if kind == "jobs" and method == "GET":
                obj["_polls"] += 1
                if obj["_polls"] >= cluster.job_polls:
                    obj["status"] = {"succeeded": 1, "completionTime": "2026-12-01T00:00:00Z"}
            if sub == "scale":
                if method == "PATCH":
                    replicas = int(self._body()["spec"]["replicas"])
                    obj["spec"]["replicas"] = replicas
                    obj["status"].update(replicas=replicas, readyReplicas=replicas)
                self._reply(
                    200,
                    {
                        "kind": "Scale",
                        "apiVersion": "autoscaling/v1",
                        "spec": {"replicas": obj["spec"]["replicas"]},
                        "status": {"replicas": obj["status"].get("replicas", 0)},
                    },
                )
                return
            self._reply(200, {k: v for k, v in obj.items() if not k.startswith("_")})

        def do_GET(self) -> None:
            self._route("GET")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler
