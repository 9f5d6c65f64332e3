"""Review-time tooling: a reviewer's report of an offline plan (cost, deploy time, diff, policy, diagram)."""
