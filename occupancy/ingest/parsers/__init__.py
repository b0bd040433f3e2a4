"""Payload formats, chosen by name (Telegraf's ``data_format`` idea).

``auto`` (the default of ``OCCUPANCY_INGEST_DATA_FORMAT``) recognises each of the others by
the payload's shape; naming one format makes the ingester refuse the rest.
"""

from occupancy.ingest.parsers import auto, batch, jsonv1, lineprotocol, senml
from occupancy.ingest.parsers.base import DocParser, Parser, PayloadError, parse_timestamp

PARSERS: dict[str, Parser] = {
    "auto": auto.parse,
    "json": jsonv1.parse,
    "batch": batch.parse,
    "senml": senml.parse,
    "influx": lineprotocol.parse,
}

__all__ = ["PARSERS", "DocParser", "Parser", "PayloadError", "parse_timestamp"]
