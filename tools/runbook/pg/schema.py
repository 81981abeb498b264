"""The ID3C-like schema and demo data the tests and the playground load: package data in
runbook/pg/data, so an installed playground has them outside a checkout.
"""

from __future__ import annotations

from pathlib import Path


def data_dir() -> Path:
    """The schema and demo data, shipped inside the package so an installed playground has them."""
    return Path(__file__).resolve().parent / "data"


def id3c_schema_files() -> list[Path]:
    return [data_dir() / "id3c-schema.sql"]


def metabase_schema_files() -> list[Path]:
    return [data_dir() / "metabase-schema.sql"]


def demo_data_files() -> list[Path]:
    return [data_dir() / "demo-data.sql"]


def metabase_demo_data_files() -> list[Path]:
    return [data_dir() / "metabase-demo-data.sql"]
