"""An ALB Ingress with an ACM certificate that redirects HTTP to HTTPS, or (violate) one that serves HTTP too."""

# expect: serves its hosts without TLS
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
import pulumi_kubernetes as k8s

violate = pulumi.Config("corpus").get_bool("violate")
annotations = {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
}
if not violate:
    annotations["alb.ingress.kubernetes.io/ssl-redirect"] = "443"
backend = {"service": {"name": "web", "port": {"number": 80}}}
k8s.networking.v1.Ingress(
    "web",
    metadata={"name": "web", "namespace": "web", "annotations": annotations},
    spec={
        "ingressClassName": "alb",
        "rules": [
            {
                "host": "web.example.com",
                "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
            }
        ],
    },
)
