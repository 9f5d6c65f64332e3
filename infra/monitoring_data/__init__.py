"""Observability as data: Prometheus alert and SLO rules, Alertmanager routing and Grafana dashboards.

Each module renders plain dicts. The `Observability` component wraps them in Kubernetes objects and chart
values (`PrometheusRule`, the Alertmanager routing in kube-prometheus-stack's `alertmanager.config`,
dashboard ConfigMaps); the offline plan writes them to files (`prometheus-rules/`, `alertmanager/`); the
tests feed them to the real `promtool`, `amtool`, Prometheus and Alertmanager.
"""
