"""Releases rendered in the worker process while the program runs give exactly the plan a render in place
gives; a release whose record changed after it was handed over, or a dead worker, renders in place."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from test_helm_releases import CRD, DEPLOYMENT, OPAQUE_OBJECT, REPO, WIDGET, make_chart

from offline_plan import helm, helm_releases
from offline_plan.charts import ChartArchive, ChartCache
from offline_plan.prerender import Prerenderer


def release(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "urn": "urn:pulumi:dev::webapp::kubernetes:helm.sh/v3:Release::web",
        "type": helm.RELEASE_TYPE,
        "name": "web",
        "provider": "",
        "inputs": {
            "chart": "web",
            "version": "1.0.0",
            "name": "shop",
            "namespace": "shop",
            "repositoryOpts": {"repo": REPO},
            "values": values,
        },
    }


def written(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): path.read_text() for path in sorted(folder.rglob("*.yaml"))}


def releases_plan(
    records: list[dict[str, Any]], repo: Path, folder: Path, prerendered: Prerenderer | None
) -> tuple[helm_releases.ReleasesPlan, dict[str, str]]:
    plan = helm_releases.plan_releases(
        records, ChartCache(repo), folder, strict=True, prerendered=prerendered
    )
    return plan, written(folder)


def comparable(plan: helm_releases.ReleasesPlan, out: Path) -> Any:
    return plan.records, plan.errors, plan.warnings, plan.document(out), plan.summary()


def chart(tmp_path: Path) -> Path:
    templates = {"deployment.yaml": DEPLOYMENT, "secret.yaml": OPAQUE_OBJECT, "widget.yaml": WIDGET}
    return make_chart(tmp_path, templates=templates, crds={"widgets.yaml": CRD})


def test_a_release_rendered_in_the_worker_plans_exactly_as_one_rendered_in_place(tmp_path: Path) -> None:
    repo = chart(tmp_path)
    records = [release({"token": "[secret]", "widget": {"size": 2}, "unknownKey": True})]
    in_place, in_place_files = releases_plan(records, repo, tmp_path / "a" / "manifests", None)
    worker = Prerenderer(repo)
    try:
        worker.submit(records[0])
        assert worker.result(records[0]) is not None  # the worker did render it
        prerendered, worker_files = releases_plan(records, repo, tmp_path / "b" / "manifests", worker)
    finally:
        worker.close()
    assert worker_files == in_place_files
    assert len(worker_files) == 4  # CRD, Deployment, Secret, Widget
    assert comparable(prerendered, tmp_path / "b") == comparable(in_place, tmp_path / "a")
    assert any("unknownKey" in error for error in prerendered.errors)  # values still checked


def test_a_release_whose_record_changed_after_it_was_handed_over_renders_from_the_final_record(
    tmp_path: Path,
) -> None:
    repo = chart(tmp_path)
    submitted = release({"token": "first"})
    final = copy.deepcopy(submitted)
    final["inputs"]["values"]["token"] = "second"
    worker = Prerenderer(repo)
    try:
        worker.submit(submitted)
        assert worker.result(final) is None
        plan, files = releases_plan([final], repo, tmp_path / "manifests", worker)
    finally:
        worker.close()
    deployment = files["shop/shop/deployment-shop-web.yaml"]
    assert '"second"' in deployment or "value: second" in deployment
    assert "first" not in deployment
    assert plan.errors == []


def test_a_dead_worker_only_means_rendering_in_place(tmp_path: Path) -> None:
    repo = chart(tmp_path)
    records = [release({"token": "t"})]
    in_place, in_place_files = releases_plan(records, repo, tmp_path / "a" / "manifests", None)
    worker = Prerenderer(repo)
    try:
        worker._process.kill()
        worker._process.wait()
        worker.submit(records[0])
        assert worker.result(records[0]) is None
        after, files = releases_plan(records, repo, tmp_path / "b" / "manifests", worker)
    finally:
        worker.close()
    assert files == in_place_files
    assert comparable(after, tmp_path / "b") == comparable(in_place, tmp_path / "a")


def test_a_program_crd_making_a_kind_cluster_scoped_is_honoured_for_prerendered_releases(
    tmp_path: Path,
) -> None:
    """The worker renders with the built-in cluster-scoped kinds; the plan's own CRDs can add some."""
    repo = chart(tmp_path)
    records = [release({})]
    crd = {
        "urn": "urn:pulumi:dev::webapp::kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition::w",
        "type": "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
        "name": "w",
        "inputs": {"spec": {"scope": "Cluster", "names": {"kind": "Widget"}}},
    }
    worker = Prerenderer(repo)
    try:
        worker.submit(records[0])
        assert worker.result(records[0]) is not None
        _, files = releases_plan([*records, crd], repo, tmp_path / "manifests", worker)
    finally:
        worker.close()
    assert "shop/_cluster/widget-shop-widget.yaml" in files


def test_a_chart_warmed_before_its_release_arrives_renders_exactly_as_a_cold_one(tmp_path: Path) -> None:
    """The worker loads each cached chart, learns its values model and parses its CRDs while the program
    runs (`helm.warm`); the render that then takes the warm chart gives what a cold render gives, and a
    later release of the same chart (cold again: a warm chart serves one render) too."""
    repo = chart(tmp_path)
    record = release({"token": "[secret]", "widget": {"size": 2}, "unknownKey": True})
    cache = ChartCache(repo)
    archive = cache.locate("web", "1.0.0", REPO)
    assert isinstance(archive, ChartArchive)

    def rendered() -> Any:
        done = helm.render(record, cache)
        return done.objects, done.unredacted, done.values_problems, done.notes, done.problems

    cold = rendered()
    helm.warm(archive)
    assert archive.path in helm._WARM
    warm = rendered()
    assert archive.path not in helm._WARM  # the render took the warm chart
    assert warm == cold
    assert rendered() == cold
    assert any(kind == "CustomResourceDefinition" for kind in (body["kind"] for body in cold[0]))
    assert any("unknownKey" in problem for problem in cold[2])


def test_the_worker_warms_every_chart_of_the_cache_largest_archive_first(tmp_path: Path) -> None:
    """Which charts the program will install is known only when it registers them: the worker warms the
    cache's charts, the one that saves most first, until a release arrives (then serves it first)."""
    from offline_plan.prerender import _warm_first  # noqa: PLC0415

    make_chart(tmp_path, version="1.0.0", templates={"deployment.yaml": DEPLOYMENT})
    templates = {"deployment.yaml": DEPLOYMENT, "secret.yaml": OPAQUE_OBJECT, "widget.yaml": WIDGET}
    repo = make_chart(tmp_path, version="2.0.0", templates=templates, crds={"widgets.yaml": CRD})
    assert [(a.name, a.version) for a in _warm_first(ChartCache(repo))] == [
        ("web", "2.0.0"),
        ("web", "1.0.0"),
    ]
