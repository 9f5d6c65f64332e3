"""AWS resource and stack policies, one module per service."""
