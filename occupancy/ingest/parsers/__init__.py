"""Payload formats, chosen by name (Telegraf's ``data_format`` idea)."""

from occupancy.ingest.parsers import jsonv1
from occupancy.ingest.parsers.base import Parser, PayloadError, parse_timestamp

PARSERS: dict[str, Parser] = {"json": jsonv1.parse}

__all__ = ["PARSERS", "Parser", "PayloadError", "parse_timestamp"]
