"""The shipped broker configuration and generated accounts against a real Mosquitto: who may
connect, publish and read what.

What Mosquitto 2.0.11 really does with a forbidden publish: an MQTT 5 client gets a PUBACK
with reason code 0x87 "Not authorized"; an MQTT 3.1.1 client gets a plain PUBACK (3.1.1 has
no way to say no) and the message is silently dropped. Either way it never reaches a
subscriber. A forbidden subscription is granted in the SUBACK, and then nothing is delivered.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from paho.mqtt.reasoncodes import ReasonCode

from occupancy.deploy.mosquitto import MeterUnit, directives
from occupancy.ingest import const
from occupancy.ingest.const import subscriptions
from occupancy.ingest.mqtt_source import dead_letter_topic

from .conftest import PREFIX, SHIPPED_CONF, UNITS, Account, Site
from .mqtt import V5, V311, Recorder, wait_until

NOT_AUTHORIZED = 0x87
EAST_501, EAST_502, WEST_101, DONGYUAN = UNITS


@pytest.fixture(scope="module")
def ingester(running: Site) -> Iterator[Recorder]:
    """The ingester's account, subscribed to everything under the prefix it may read."""
    client = running.connected(running.ingester, "ingester")
    assert [code.value for code in client.subscribe(f"{PREFIX}/#")] == [1]
    yield client
    client.close()


def forbidden_then_sentinel(
    publisher: Recorder, sentinel_topic: str, forbidden: list[str], watcher: Recorder
) -> list[ReasonCode]:
    """Publish each forbidden topic, then one allowed sentinel; once the watcher has the
    sentinel, anything from the same connection published before it would have arrived too
    (Mosquitto delivers one publisher's messages in order), so absence is proven, not hoped."""
    answers = [publisher.publish(topic, b"forged") for topic in forbidden]
    sentinel = f"sentinel-{publisher.client_id}".encode()
    assert not publisher.publish(sentinel_topic, sentinel).is_failure
    watcher.wait_for(sentinel_topic, sentinel)
    arrived = [m.topic for m in watcher.received() if m.payload == b"forged"]
    assert arrived == [], f"forbidden publishes reached a subscriber: {arrived}"
    return answers


@pytest.mark.parametrize("protocol", [V5, V311])
def test_anonymous_clients_are_refused(running: Site, protocol) -> None:
    client = running.client(None, "anonymous", protocol=protocol)
    reason = client.connect()
    # MQTT 5: 0x87 Not authorized; 3.1.1: return code 5, which paho maps to the same.
    assert reason.is_failure and reason.value == NOT_AUTHORIZED, reason


def test_a_wrong_password_is_refused_and_generated_hashes_are_accepted(running: Site) -> None:
    """The hashes were computed in Python: a real Mosquitto accepting them is the proof."""
    account = running.meters[EAST_501]
    wrong = running.client(Account(account.username, account.password + "x"), "wrong")
    assert wrong.connect().value == NOT_AUTHORIZED
    unknown = running.client(Account("east.9-999", account.password), "unknown")
    assert unknown.connect().value == NOT_AUTHORIZED
    right = running.connected(account, "right")
    right.close()
    ingester = running.connected(running.ingester, "ingester-login")
    ingester.close()


def test_each_meter_publishes_its_own_topics_and_the_ingester_receives_them(
    running: Site,
) -> None:
    ingester = running.connected(running.ingester, "ingester-own")
    try:
        # The exact subscriptions the ingester makes, not a broader one.
        granted = ingester.subscribe(*subscriptions(PREFIX))
        assert [code.value for code in granted] == [1, 1]
        for unit in UNITS:
            meter = running.connected(running.meters[unit], "meter-own")
            try:
                for topic in unit.topics(PREFIX):
                    assert meter.publish(topic, f"{unit.username}".encode()).value == 0
                    ingester.wait_for(topic, unit.username.encode())
            finally:
                meter.close()
    finally:
        ingester.close()


def test_a_meter_cannot_publish_for_another_unit_nor_as_the_system(
    running: Site, ingester: Recorder
) -> None:
    meter = running.connected(running.meters[EAST_501], "meter-forger")
    forbidden = [
        *EAST_502.topics(PREFIX),  # the neighbour
        *WEST_101.topics(PREFIX),  # another community
        *DONGYUAN.topics(PREFIX),
        dead_letter_topic(PREFIX, "bad_json", EAST_501.topics(PREFIX)[0]),
        f"{PREFIX}/east/3-501/meter/extra",
        f"{PREFIX}/east/3-501",
        "occupancy/v2/east/3-501/meter",
    ]
    try:
        answers = forbidden_then_sentinel(meter, EAST_501.topics(PREFIX)[0], forbidden, ingester)
    finally:
        meter.close()
    assert [answer.value for answer in answers] == [NOT_AUTHORIZED] * len(forbidden)


def test_over_mqtt_3_a_forbidden_publish_is_acknowledged_but_dropped(
    running: Site, ingester: Recorder
) -> None:
    """MQTT 3.1.1 cannot refuse a publish: the meter sees success, the data goes nowhere."""
    meter = running.connected(running.meters[EAST_501], "meter-v3", protocol=V311)
    try:
        answers = forbidden_then_sentinel(
            meter, EAST_501.topics(PREFIX)[1], EAST_502.topics(PREFIX), ingester
        )
    finally:
        meter.close()
    assert [answer.value for answer in answers] == [0, 0]


def test_meters_read_nothing(running: Site, ingester: Recorder) -> None:
    """Mosquitto grants the subscription and then delivers nothing: a meter cannot watch its
    neighbours' consumption."""
    snoop = running.connected(running.meters[EAST_502], "meter-snoop")
    publisher = running.connected(running.meters[EAST_501], "meter-publisher")
    try:
        granted = snoop.subscribe(f"{PREFIX}/#", *EAST_501.topics(PREFIX), "#")
        assert [code.value for code in granted] == [1, 1, 1, 1]
        topic = EAST_501.topics(PREFIX)[0]
        assert publisher.publish(topic, b"private").value == 0
        ingester.wait_for(topic, b"private")
        # Its own topic neither: meters write, they never read.
        assert snoop.publish(EAST_502.topics(PREFIX)[0], b"own").value == 0
        ingester.wait_for(EAST_502.topics(PREFIX)[0], b"own")
        assert snoop.received() == []
    finally:
        snoop.close()
        publisher.close()


def test_the_ingester_writes_only_dead_letters(running: Site) -> None:
    ingester = running.connected(running.ingester, "ingester-writer")
    # Another connection of the same account reads the dead letters back.
    reader = running.connected(running.ingester, "ingester-dead-letters")
    try:
        granted = reader.subscribe(f"{PREFIX}/_rejected/#", *subscriptions(PREFIX))
        assert [code.value for code in granted] == [1, 1, 1]
        reading = EAST_501.topics(PREFIX)[0]
        answers = forbidden_then_sentinel(
            ingester,
            dead_letter_topic(PREFIX, "bad_json", reading),
            [reading, EAST_502.topics(PREFIX)[1], "elsewhere/x"],
            reader,
        )
        assert [answer.value for answer in answers] == [NOT_AUTHORIZED] * 3
        # The bare reason level, used when the original topic was malformed, is allowed too.
        bare = dead_letter_topic(PREFIX, "bad_topic", "garbage")
        assert ingester.publish(bare, b"{}").value == 0
        reader.wait_for(bare, b"{}")
    finally:
        ingester.close()
        reader.close()


def test_the_ingester_may_share_its_subscription(running: Site) -> None:
    """OCCUPANCY_MQTT_SHARE_GROUP: the ACL is checked against the topic inside $share/."""
    first = running.connected(running.ingester, "share-a")
    second = running.connected(running.ingester, "share-b")
    meter = running.connected(running.meters[WEST_101], "meter-shared")
    try:
        for client in (first, second):
            shared = [f"$share/ingest/{topic}" for topic in subscriptions(PREFIX)]
            assert [code.value for code in client.subscribe(*shared)] == [1, 1]
        meter.publish_many((WEST_101.topics(PREFIX)[0], b"%d" % k) for k in range(20))
        wait_until(
            lambda: len(first.received()) + len(second.received()) == 20, "20 shared messages"
        )
        assert first.received() and second.received()  # split, not duplicated
    finally:
        for client in (first, second, meter):
            client.close()


def test_packet_size_leaves_room_for_the_largest_payload_the_ingester_accepts(
    site: Site,
) -> None:
    """One byte over the ingester's largest limit, on the longest topic, still reaches the
    ingester (which counts and dead-letters it); beyond max_packet_size the broker cuts the
    publisher off and delivers nothing."""
    limit = max(
        value
        for name, value in vars(const).items()
        if name.startswith("MAX_") and name.endswith("PAYLOAD_BYTES")
    )
    max_packet = int(dict(directives(SHIPPED_CONF.read_text()))["max_packet_size"])
    longest = MeterUnit("c" * const.MAX_ID_LENGTH, "栋" * const.MAX_ID_LENGTH)
    site.generate([*UNITS, longest])
    site.start()
    ingester = site.connected(site.ingester, "ingester-big")
    meter = site.connected(site.meters[longest], "meter-big")
    topic = longest.topics(PREFIX)[0]
    try:
        ingester.subscribe(*subscriptions(PREFIX))
        over = b"x" * (limit + 1)
        assert meter.publish(topic, over).value == 0
        ingester.wait_for(topic, over)
        meter.client.publish(topic, b"y" * max_packet, qos=1)
        # The broker sends DISCONNECT 0x95 (Packet too large) and closes; paho, still
        # writing, often reports its own socket error instead, so the broker's log is the
        # reliable witness.
        meter.wait_disconnected()
        name = meter.client_id
        wait_until(
            lambda: f"Client {name} disconnected due to oversize packet" in site.log(), "log"
        )
        meter.close()
        meter = site.connected(site.meters[longest], "meter-big-again")
        forbidden_then_sentinel(meter, topic, [], ingester)
        assert not any(m.payload.startswith(b"y") for m in ingester.received())
    finally:
        meter.close()
        ingester.close()
