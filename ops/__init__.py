"""Operator tooling for the memory platform's data tier: DR status, switchover, failover, backup checks.

The `platform-ops` console script (`ops.cli:main`) is what the on-call operator runs; the runbooks in
`docs/runbooks/` walk through when to use each command.
"""
