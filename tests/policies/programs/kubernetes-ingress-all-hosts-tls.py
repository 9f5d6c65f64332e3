"""An Ingress with TLS for its host, or (violate) without."""

# expect: serves its hosts without TLS
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

sys.path.insert(0, str(Path(__file__).parent))

violate = pulumi.Config("corpus").get_bool("violate")
tls = [] if violate else [{"hosts": ["api.example.com"], "secretName": "api-tls"}]
k8s.networking.v1.Ingress(
    "api",
    metadata={"name": "api", "namespace": "web"},
    spec={
        "tls": tls,
        "rules": [
            {
                "host": "api.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "api", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
    },
)
