"""Topics, limits and defaults of the ingest contract (documented in docs/mqtt.md)."""

from __future__ import annotations

from occupancy.timeseries import REGISTER_MAX_GAP_SECONDS, REGISTER_MAX_POWER_KW

TOPIC_PREFIX = "occupancy/v1"
METER = "meter"
LIGHTS = "lights"
#: Topic levels: {prefix...}/{community}/{unit_id}/{kind}
KINDS = (METER, LIGHTS)
#: Characters MQTT reserves in topic levels; also refused in unit ids and communities.
TOPIC_RESERVED = frozenset("/+#")
MAX_ID_LENGTH = 64
MAX_PAYLOAD_BYTES = 64 * 1024
#: Formats that carry many readings per message (batch, SenML, line protocol) may be larger:
#: a head-end catching up a month of 15-minute readings sends ~3,000 of them (~130 KiB).
MAX_BATCH_PAYLOAD_BYTES = 1024 * 1024
#: Readings (batch elements, SenML records, line-protocol lines) per message at most, so one
#: message cannot hold the ingester's lock for long or blow past a store batch many times.
MAX_BATCH_READINGS = 10_000
#: Far beyond any household register (a 14 kW supply for a century is ~12 GWh).
MAX_REGISTER_KWH = 1e9
#: A meter serial (``"meter"`` in JSON, tag ``meter`` in line protocol, the SenML name
#: prefix): an id like the topic levels, so the same length limit.
MAX_METER_ID_LENGTH = 64

#: A reading stamped further ahead than this is a meter clock gone wrong, not the future.
MAX_FUTURE_SECONDS = 300.0
#: Older than this is a replay from another era; raw retention is 90 days anyway.
MAX_AGE_SECONDS = 400 * 86400.0
#: The converter's notes follow the very rules stores derive energy by (one definition, in
#: timeseries): a step above this power is a swap or glitch, a longer silence is a gap.
MAX_POWER_KW = REGISTER_MAX_POWER_KW
MAX_INTERVAL_SECONDS = REGISTER_MAX_GAP_SECONDS


def subscriptions(prefix: str = TOPIC_PREFIX) -> list[str]:
    return [f"{prefix}/+/+/{kind}" for kind in KINDS]


def meter_topic(community: str, unit_id: str, prefix: str = TOPIC_PREFIX) -> str:
    return f"{prefix}/{community}/{unit_id}/{METER}"


def lights_topic(community: str, unit_id: str, prefix: str = TOPIC_PREFIX) -> str:
    return f"{prefix}/{community}/{unit_id}/{LIGHTS}"
