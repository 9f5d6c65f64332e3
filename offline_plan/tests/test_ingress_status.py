"""An Ingress gets the status a load balancer controller gives it, so programs can use its DNS name."""

from __future__ import annotations

from pathlib import Path

from tiny_programs import plan_of, write_program

PROGRAM = """
import pulumi, pulumi_kubernetes as k8s
rule = {"host": "shop.example.org", "http": {"paths": [{"path": "/", "pathType": "Prefix",
        "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}
def ingress(name, annotations):
    return k8s.networking.v1.Ingress(
        name,
        metadata={"name": name, "namespace": "shop", "annotations": annotations},
        spec={"ingressClassName": "alb", "rules": [rule]},
    )
signed = ingress("storefront", {
    "alb.ingress.kubernetes.io/certificate-arn":
        "arn:aws:acm:ap-southeast-2:111122223333:certificate/0000-1111",
})
plain = ingress("admin", {})
for key, item in (("signed", signed), ("plain", plain)):
    pulumi.export(key, item.status.apply(lambda s: s.load_balancer.ingress[0].hostname))
"""


def test_an_ingress_reports_an_alb_name_in_its_certificates_region(program: Path) -> None:
    plan = plan_of(write_program(program, PROGRAM), preview=False)
    signed, plain = plan.outputs["signed"], plan.outputs["plain"]
    assert signed.startswith("k8s-shop-storefro-") and signed.endswith(".ap-southeast-2.elb.amazonaws.com")
    assert plain.startswith("k8s-shop-admin-") and plain.endswith(".eu-central-1.elb.amazonaws.com")
    assert plan_of(program, preview=False).outputs["signed"] == signed  # deterministic, like every id
