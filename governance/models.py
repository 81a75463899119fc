"""Governance models: definitions, committees, policies, vendor contracts."""
