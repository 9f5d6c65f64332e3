"""Observability as data: Prometheus alert and SLO rules, Alertmanager routing and Grafana dashboards.

Each module renders plain dicts. The `Observability` component wraps them in Kubernetes objects
(`PrometheusRule`, the Alertmanager config Secret, dashboard ConfigMaps); the offline plan writes them to
files; the tests feed them to the real `promtool`, `amtool`, Prometheus and Alertmanager.
"""
