"""Inline YAML holding a ConfigMap, with the Secret built from a Pulumi secret, passes; (violate) the
Secret's password written into the YAML itself fails."""

# expect: writes Secret db's stringData.password as a literal in its inline YAML
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
import pulumi_kubernetes as k8s

violate = pulumi.Config("corpus").get_bool("violate")
text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: web}\ndata: {LOG_LEVEL: info}\n"
if violate:
    text += "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: web}\nstringData: {password: s3cr3t-Pa55}\n"
else:  # the password comes from stack config, as a Pulumi secret
    password = pulumi.Config("corpus").get_secret("dbPassword") or pulumi.Output.secret("from-stack-config")
    k8s.core.v1.Secret("db", metadata={"name": "db", "namespace": "web"}, string_data={"password": password})
k8s.yaml.v2.ConfigGroup("app", yaml=text)
