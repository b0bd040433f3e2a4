"""What the shipped broker keeps for a stopped ingester: queued messages across a broker
restart, 20,000 of them in one outage (and what Mosquitto's default limit would lose), the
ingester's own receive window, and new accounts on a reload without a restart."""

from __future__ import annotations

import time
from pathlib import Path

from occupancy.deploy.mosquitto import MeterUnit, directives
from occupancy.ingest.const import subscriptions

from .conftest import PREFIX, SHIPPED_CONF, UNITS, Site
from .mqtt import Recorder, wait_until

#: The ingester's MQTT 5 session, as occupancy/ingest/mqtt_source.py asks for it.
SESSION_EXPIRY = 24 * 3600
EAST_501 = UNITS[0]
METER_TOPIC = EAST_501.topics(PREFIX)[0]
#: Enough to prove a queue far above Mosquitto's default of 1000, small enough for CI.
OUTAGE_MESSAGES = 20_000


def shipped(name: str) -> str:
    return dict(directives(SHIPPED_CONF.read_text()))[name]


def ingester_session(site: Site, client_id: str, **options) -> Recorder:
    """The ingester's kind of connection: fixed client id, clean start off, session expiry."""
    return site.client(
        site.ingester,
        "ingester",
        client_id=client_id,
        clean_start=False,
        session_expiry=SESSION_EXPIRY,
        **options,
    )


def go_offline(site: Site, client_id: str) -> None:
    """Subscribe once with a persistent session, then leave: the broker queues from now on."""
    ingester = ingester_session(site, client_id)
    assert not ingester.connect().is_failure
    ingester.subscribe(*subscriptions(PREFIX))
    ingester.close()


def payloads(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    """Readings of the real size (~45 bytes), distinct so each one can be accounted for."""
    return [
        (METER_TOPIC, b'{"ts": %d, "kwh": %.2f}' % (1772323200 + 900 * k, 1000 + k / 10))
        for k in range(start, start + count)
    ]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_queued_messages_survive_a_broker_restart(site: Site) -> None:
    broker = site.start()
    go_offline(site, "ingester-restart")
    meter = site.connected(site.meters[EAST_501], "meter")
    meter.publish_many(payloads(500))
    meter.close()
    broker.stop()  # SIGTERM, as systemctl stop and docker stop send: Mosquitto saves its db
    assert (site.root / "data" / "mosquitto.db").exists()

    site.start()  # same data directory, same port
    ingester = ingester_session(site, "ingester-restart")
    assert not ingester.connect().is_failure
    try:
        assert ingester.session_present, "the session did not survive the restart"
        wait_until(lambda: len(ingester.received()) == 500, "500 queued messages")
        assert sorted(m.payload for m in ingester.received()) == sorted(p for _, p in payloads(500))
    finally:
        ingester.close()


def test_a_long_outage_is_queued_in_full_and_the_default_limit_would_lose_it(
    site: Site, capsys
) -> None:
    """20,000 readings while the ingester is away all arrive; with Mosquitto's default
    max_queued_messages (1000) the same outage loses all but 1000, silently: the meters got
    their PUBACKs, the ingester gets no error. That difference is why the setting ships."""
    assert int(shipped("max_queued_messages")) >= OUTAGE_MESSAGES
    received: dict[str, list] = {}
    memory: dict[str, int] = {}
    for config, overrides in (("shipped", {}), ("default", {"max_queued_messages": "1000"})):
        data = site.root / f"data-{config}"
        data.mkdir()
        broker = site.start(persistence_location=f"{data}/", **overrides)
        go_offline(site, f"ingester-{config}")
        meter = site.connected(site.meters[EAST_501], f"meter-{config}")
        before = rss_bytes(broker.pid or 0)
        started = time.monotonic()
        meter.publish_many(payloads(OUTAGE_MESSAGES), timeout=40)
        published = time.monotonic() - started
        grown = memory[config] = rss_bytes(broker.pid or 0) - before
        meter.close()

        ingester = ingester_session(site, f"ingester-{config}")
        started = time.monotonic()
        assert not ingester.connect().is_failure
        try:
            expected = OUTAGE_MESSAGES if config == "shipped" else 1000
            wait_until(
                lambda: len(ingester.received()) >= expected,  # noqa: B023 - called right here
                f"{expected} messages",
                30,
            )
            drained = time.monotonic() - started
            # Whatever else was queued would follow within the same burst.
            time.sleep(0.3)
            received[config] = ingester.received()
        finally:
            ingester.close()
        broker.stop()
        # The one trace of the loss: a notice in the broker's log (docs/deploy.md says to
        # alert on it).
        dropped = f"Outgoing messages are being dropped for client ingester-{config}"
        assert (dropped in site.log()) == (config == "default")
        with capsys.disabled():
            print(
                f"\n[{config}] published {OUTAGE_MESSAGES} QoS 1 in {published:.2f} s; broker "
                f"RSS +{grown / 1e6:.1f} MB ({grown / OUTAGE_MESSAGES:.0f} B/message); "
                f"{len(received[config])} delivered in {drained:.2f} s after reconnecting"
            )
    # mosquitto.conf's RAM estimate (~420 bytes a queued reading) holds, with room to spare.
    assert memory["shipped"] < 1000 * OUTAGE_MESSAGES
    shipped_payloads = sorted(m.payload for m in received["shipped"])
    assert shipped_payloads == sorted(p for _, p in payloads(OUTAGE_MESSAGES))
    # The default keeps the oldest 1000 and drops everything after them.
    assert len(received["default"]) == 1000
    assert sorted(m.payload for m in received["default"]) == sorted(p for _, p in payloads(1000))


def test_the_ingesters_receive_maximum_is_not_capped_by_max_inflight_messages(
    site: Site,
) -> None:
    """For MQTT 5 subscribers Mosquitto sends up to the client's own Receive Maximum
    unacknowledged (the ingester's backpressure window); max_inflight_messages is what the
    broker announces to publishers instead."""
    inflight = int(shipped("max_inflight_messages"))
    window = inflight + 500
    site.start()
    ingester = ingester_session(site, "ingester-window", receive_maximum=window, manual_ack=True)
    assert not ingester.connect().is_failure
    meter = site.connected(site.meters[EAST_501], "meter-window")
    try:
        assert meter.connack_props is not None
        assert meter.connack_props.ReceiveMaximum == inflight
        ingester.subscribe(*subscriptions(PREFIX))
        meter.publish_many(payloads(window + 300))
        # Nothing is acknowledged: exactly the window arrives, then the broker waits.
        wait_until(lambda: len(ingester.received()) >= window, f"{window} unacknowledged")
        time.sleep(0.3)
        assert len(ingester.received()) == window
        # Acknowledging lets more through. (Mosquitto 2.0.11 then overshoots: each ack can
        # release up to a whole window, so unacknowledged messages may exceed the receive
        # maximum; the ingester must bound its own memory too, which it does.)
        for message in ingester.received()[:100]:
            ingester.client.ack(message.mid, message.qos)
        wait_until(lambda: len(ingester.received()) >= window + 100, "more after 100 acks")
    finally:
        meter.close()
        ingester.close()


def test_a_reload_lets_new_meters_in_and_removed_ones_out(site: Site) -> None:
    """After `occupancy mqtt-accounts` rewrites the files, SIGHUP (systemctl reload) is
    enough: no restart, no dropped connections."""
    broker = site.start()
    ingester = site.connected(site.ingester, "ingester-reload")
    ingester.subscribe(*subscriptions(PREFIX))
    newcomer = MeterUnit("east", "3-503")
    removed = site.meters[UNITS[1]]
    try:
        site.generate([unit for unit in UNITS if unit != UNITS[1]] + [newcomer])
        assert newcomer in site.meters
        broker.reload()

        def newcomer_connects() -> bool:
            client = site.client(site.meters[newcomer], "newcomer")
            if client.connect().is_failure:
                return False
            client.close()
            return True

        wait_until(newcomer_connects, "the new account after SIGHUP", timeout=5)
        meter = site.connected(site.meters[newcomer], "newcomer-publishes")
        assert meter.publish(newcomer.topics(PREFIX)[1], b"hello").value == 0
        ingester.wait_for(newcomer.topics(PREFIX)[1], b"hello")
        meter.close()
        gone = site.client(removed, "removed")
        assert gone.connect().is_failure
        # The ingester's session was never interrupted.
        assert ingester.client.is_connected()
    finally:
        ingester.close()
