"""Lineage models: ETL jobs, their SQL versions and the stored column-level graph."""
