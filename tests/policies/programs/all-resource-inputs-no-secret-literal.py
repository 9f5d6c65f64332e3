"""A container reading its password from a mounted file (PGPASSFILE) and a placeholder key
(OPENAI_API_KEYS="not-needed") passes; (violate) a literal DB_PASSWORD fails."""

# expect: sets environment variable DB_PASSWORD to a literal
import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).parent))
from _k8s import container, deployment, pod

violate = pulumi.Config("corpus").get_bool("violate")
env = [
    {"name": "PGPASSFILE", "value": "/etc/pgpass/.pgpass"},
    {"name": "OPENAI_API_KEYS", "value": "not-needed"},
]
if violate:
    env.append({"name": "DB_PASSWORD", "value": "hunter2-hunter2"})
deployment(pod(containers=[container(env=env)]))
