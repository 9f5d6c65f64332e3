"""The compute half of an evacuation: scale the target region's workloads, rebuild Qdrant, check the API.

Every step reads the cluster's real state first and skips what is already done, so re-running
`platform-ops dr failover` after an interruption resumes where it stopped:
- scaling: the `scale` subresource (apps/v1) of the memory API Deployment and the Qdrant StatefulSet is
  raised to `drApiReplicas` / `drQdrantReplicas` (the pilot light runs 0 or 1); a workload already at or
  above that count is left alone (never scaled down by the tool).
- Qdrant: rebuilt from the database that now writes, by a one-off Job `<apiDeployment>-reindex` running
  `memory-api reindex` from the API Deployment's own pod template (same image, service account, secrets,
  network policy); the Job has no container port, so the Service never routes to it. A completed Job of
  that name means done (it is kept for `REINDEX_JOB_TTL_SECONDS`, then Kubernetes deletes it). Reindexing
  was chosen over restoring the replicated Qdrant snapshot: it needs no per-peer presigned URLs, loses no
  writes made after the last snapshot, and is faster at this stack's sizes (docs/runbooks/dr-failover.md,
  "RTO"). `--qdrant skip` leaves Qdrant alone after a manual snapshot restore.
- API readiness: the Deployment's ready replicas, then `GET https://<region's API name>/health/ready`,
  the same request Route 53's health check of that region makes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.contracts import API_READINESS_PATH
from ops.config import DrConfig
from ops.errors import OpsError
from ops.kube import KubeApi
from ops.runtime import Runtime, wait_until

REINDEX_JOB_TTL_SECONDS = 3600
REINDEX_BACKOFF_LIMIT = 2
REINDEX_ARGS = ["reindex"]
NOT_IN_A_JOB = ("ports", "startupProbe", "livenessProbe", "readinessProbe", "lifecycle")
RESUME = "re-run the same command: finished steps are skipped"


@dataclass(frozen=True)
class Workload:
    """One scalable workload (apps/v1) and the replica count the evacuation wants (None: keep its own)."""

    kind: Literal["deployments", "statefulsets"]
    namespace: str
    name: str
    replicas: int | None

    @property
    def path(self) -> str:
        return f"/apis/apps/v1/namespaces/{self.namespace}/{self.kind}/{self.name}"

    @property
    def label(self) -> str:
        kind = "Deployment" if self.kind == "deployments" else "StatefulSet"
        return f"{kind} {self.namespace}/{self.name}"


@dataclass
class RegionWorkloads:
    """The target region's cluster, its two workloads, and the API name Route 53 checks there."""

    runtime: Runtime
    region: str
    cluster_name: str
    api: Workload
    qdrant: Workload
    api_name: str | None
    timeout_seconds: float
    interval_seconds: float
    reindex: bool = True
    _kube: KubeApi | None = field(default=None, repr=False)

    @property
    def kube(self) -> KubeApi:
        if self._kube is None:
            self._kube = self.runtime.kube(self.runtime, self.region, self.cluster_name)
        return self._kube

    @property
    def job_name(self) -> str:
        return f"{self.api.name}-reindex"

    @property
    def job_path(self) -> str:
        return f"/apis/batch/v1/namespaces/{self.api.namespace}/jobs/{self.job_name}"

    # -- scaling -----------------------------------------------------------------------------------
    def _object(self, workload: Workload) -> dict[str, Any]:
        found = self.kube.get(workload.path)
        if found is None:
            raise OpsError(
                f"{workload.label} does not exist in EKS cluster {self.cluster_name} ({self.region})",
                "deploy the DR region's workloads with `pulumi up` (dr compute enabled), then " + RESUME,
            )
        return found

    def scaled(self, workload: Workload) -> str | None:
        """Why scaling `workload` is already done, or None when it is not."""
        if workload.replicas is None:
            return "keeps its own replica count"
        scale = self.kube.get(workload.path + "/scale")
        if scale is None:
            self._object(workload)  # raises the clear message
            raise OpsError(f"{workload.label} has no scale subresource", RESUME)
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        if current >= workload.replicas:
            return f"{workload.label} already has {current} replicas (wanted {workload.replicas})"
        return None

    def scale(self, workload: Workload) -> str:
        done = self.scaled(workload)
        if done:
            return "skipped: " + done
        assert workload.replicas is not None
        self.kube.patch(workload.path + "/scale", {"spec": {"replicas": workload.replicas}})
        return f"{workload.label} scaled to {workload.replicas}"

    def _ready(self, workload: Workload) -> tuple[bool, str]:
        found = self._object(workload)
        wanted = workload.replicas or int((found.get("spec") or {}).get("replicas") or 1) or 1
        ready = int((found.get("status") or {}).get("readyReplicas") or 0)
        return ready >= wanted, f"{workload.label} {ready}/{wanted} ready"

    def wait_ready(self, workload: Workload) -> str:
        return wait_until(
            self.runtime,
            f"{workload.label} in {self.region} to be ready",
            lambda: self._ready(workload),
            timeout_seconds=self.timeout_seconds,
            interval_seconds=self.interval_seconds,
            next_step=f"check `kubectl -n {workload.namespace} get pods` in {self.cluster_name} (nodes "
            f"scaling up, image pulls, pending volumes), then " + RESUME,
        )

    # -- Qdrant ------------------------------------------------------------------------------------
    def reindexed(self) -> str | None:
        if not self.reindex:
            return "--qdrant skip: Qdrant is left as it is"
        job = self.kube.get(self.job_path)
        if job is not None and int((job.get("status") or {}).get("succeeded") or 0) >= 1:
            finished = (job.get("status") or {}).get("completionTime") or "earlier"
            return f"Job {self.api.namespace}/{self.job_name} already completed ({finished})"
        return None

    def run_reindex(self) -> str:
        done = self.reindexed()
        if done:
            return "skipped: " + done
        if self.kube.get(self.job_path) is None:
            deployment = self._object(self.api)
            self.kube.post(
                f"/apis/batch/v1/namespaces/{self.api.namespace}/jobs", reindex_job(deployment, self.job_name)
            )

        def probe() -> tuple[bool, str]:
            job = self.kube.get(self.job_path) or {}
            status = job.get("status") or {}
            if any(
                c.get("type") == "Failed" and c.get("status") == "True" for c in status.get("conditions", [])
            ):
                raise OpsError(
                    f"Job {self.api.namespace}/{self.job_name} failed: "
                    + "; ".join(str(c.get("message")) for c in status.get("conditions", [])),
                    f"read `kubectl -n {self.api.namespace} logs job/{self.job_name}`, fix the cause, delete "
                    f"the Job, then " + RESUME,
                )
            succeeded = int(status.get("succeeded") or 0)
            return succeeded >= 1, f"reindex job active={status.get('active', 0)} succeeded={succeeded}"

        state = wait_until(
            self.runtime,
            f"Job {self.job_name} (memory-api reindex) in {self.region}",
            probe,
            timeout_seconds=self.timeout_seconds,
            interval_seconds=self.interval_seconds,
            next_step=f"the reindex is still running: follow `kubectl -n {self.api.namespace} logs -f "
            f"job/{self.job_name}`, then " + RESUME,
        )
        return f"Qdrant rebuilt from the database by Job {self.job_name} ({state})"

    # -- the API -----------------------------------------------------------------------------------
    def api_ready(self) -> str:
        done, state = self._ready(self.api)
        if not done:
            raise OpsError(f"the memory API is not ready: {state}", RESUME)
        if self.api_name is None:
            return state
        url = f"https://{self.api_name}{API_READINESS_PATH}"
        status = self.runtime.http_get(url)
        if status != 200:
            raise OpsError(
                f"GET {url} answered {status or 'nothing'}, expected 200",
                "check the ALB target group and the Ingress in that region (its rules must accept "
                f"{self.api_name}), then " + RESUME,
            )
        return f"{state}; GET {url} -> 200"


def reindex_job(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    """A batch/v1 Job running `memory-api reindex` from the API Deployment's pod template."""
    metadata = deployment["metadata"]
    template = copy.deepcopy(deployment["spec"]["template"])
    spec = template["spec"]
    container = spec["containers"][0]
    container["args"] = REINDEX_ARGS
    for key in NOT_IN_A_JOB:  # no port: the Service (named target port) never routes to the Job
        container.pop(key, None)
    spec["containers"] = [container]
    spec["restartPolicy"] = "Never"
    labels = {**(template.get("metadata") or {}).get("labels", {}), "platform-ops/job": "reindex"}
    template["metadata"] = {"labels": labels}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": metadata["namespace"], "labels": labels},
        "spec": {
            "backoffLimit": REINDEX_BACKOFF_LIMIT,
            "ttlSecondsAfterFinished": REINDEX_JOB_TTL_SECONDS,
            "template": template,
        },
    }


def target_workloads(
    runtime: Runtime,
    config: DrConfig,
    region: str,
    *,
    timeout_seconds: float,
    interval_seconds: float,
    reindex: bool,
) -> RegionWorkloads | None:
    """The workloads of `region`, or None when the outputs do not describe its compute."""
    to_dr = region == config.dr_region
    cluster = config.dr_cluster_name if to_dr else config.primary_cluster_name
    names = (config.api_namespace, config.api_deployment, config.qdrant_namespace, config.qdrant_stateful_set)
    if cluster is None or any(n is None for n in names):
        return None
    assert config.api_namespace
    assert config.api_deployment
    assert config.qdrant_namespace
    assert config.qdrant_stateful_set
    return RegionWorkloads(
        runtime=runtime,
        region=region,
        cluster_name=cluster,
        api=Workload(
            "deployments",
            config.api_namespace,
            config.api_deployment,
            config.dr_api_replicas if to_dr else None,
        ),
        qdrant=Workload(
            "statefulsets",
            config.qdrant_namespace,
            config.qdrant_stateful_set,
            config.dr_qdrant_replicas if to_dr else None,
        ),
        api_name=config.api_target_for_region(region) if config.dns_configured else None,
        timeout_seconds=timeout_seconds,
        interval_seconds=interval_seconds,
        reindex=reindex,
    )
