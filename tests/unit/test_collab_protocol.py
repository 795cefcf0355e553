"""The y-websocket codec (services/gateway/collab/protocol.py) against bytes the real clients write.

The vectors were recorded in node with yjs 13.6.33, y-protocols 1.0.7 and lib0 0.2.120, writing
each message the way y-websocket 3.1's WebsocketProvider does (``writeVarUint(type)`` then
y-protocols' writer): a doc of client 1234567 with ``files["main.py"] = Y.Text('print("hé")\\n')``
and ``meta.language = "python"``; an Awareness with a non-ASCII name. SERVER_AWARENESS and
SERVER_EVENT go the other way: our output, which y-protocols' ``applyAwarenessUpdate`` and lib0's
``readVarString`` read back as the values asserted here."""

from __future__ import annotations

import json
from typing import Any

import pycrdt
import pytest
from pycrdt import Doc, Map, Text

from services.gateway.collab import protocol
from services.gateway.collab.documents import FILES, META, measure, seed_update
from services.gateway.collab.protocol import AwarenessEntry, AwarenessTooLarge, ProtocolError, UnknownMessage

STEP1 = bytes.fromhex("0000050187ad4b0e")
FULL_UPDATE = bytes.fromhex(
    "010387ad4b0027010566696c6573076d61696e2e707902040087ad4b000d7072696e74282268c3a922290a2801046d657461086c616e"
    "6775616765017706707974686f6e00"
)
STEP2 = bytes.fromhex("000145") + FULL_UPDATE
UPDATE = bytes.fromhex("000218010187ad4b0027010566696c6573076d61696e2e70790200")
EMPTY_STEP2 = bytes.fromhex("0001020000")
AWARENESS = bytes.fromhex(
    "016d0187ad4b01677b2275736572223a7b226e616d65223a225a6fc3ab20f09fa68a222c22636f6c6f72223a2223333062636564222c"
    "22636f6c6f724c69676874223a22233330626365643333227d2c22637572736f72223a7b22616e63686f72223a312c2268656164223a"
    "327d7d"
)
# The same client's state and another's (clientID 99) in one update, as a server relays them.
AWARENESS_TWO = bytes.fromhex(
    "0187010287ad4b01677b2275736572223a7b226e616d65223a225a6fc3ab20f09fa68a222c22636f6c6f72223a2223333062636564"
    "222c22636f6c6f724c69676874223a22233330626365643333227d2c22637572736f72223a7b22616e63686f72223a312c2268656164"
    "223a327d7d6301177b2275736572223a7b226e616d65223a22426f62227d7d"
)
# removeAwarenessStates: clock 2, state null.
AWARENESS_REMOVED = bytes.fromhex("010a0187ad4b02046e756c6c")
# A fresh Awareness of clientID 2^32-1 (yjs picks random uint32s): clock 0, state {}.
AWARENESS_BIG_ID = bytes.fromhex("010a01ffffffff0f00027b7d")
QUERY = bytes.fromhex("03")
AUTH = bytes.fromhex("02000d726561642d6f6e6c7920e29c8b")
EVENT = bytes.fromhex("642b7b2274797065223a22726f6c65222c22726f6c65223a22766965776572222c226e6f7465223a22c3a9227d")

ANN = {"name": "Ann Ó", "color": "#ee6352", "colorLight": "#ee635233", "role": "editor"}
SERVER_AWARENESS = bytes.fromhex(
    "017e0187ad4b01787b2275736572223a7b226e616d65223a22416e6e205c7530306433222c22636f6c6f72223a2223656536333532222c"
    "22636f6c6f724c69676874223a22236565363335323333222c22726f6c65223a22656469746f72227d2c22637572736f72223a7b2261"
    "6e63686f72223a312c2268656164223a327d7d"
)
SERVER_EVENT = bytes.fromhex("64297b2274797065223a2277656c636f6d65222c2275736572223a7b226e616d65223a225a6fc3ab227d7d")


def test_sync_messages_round_trip_and_carry_the_yjs_document() -> None:
    doc: Doc[Any] = Doc()
    doc.apply_update(FULL_UPDATE)
    step1 = protocol.decode(STEP1)
    assert (step1.type, step1.sub, step1.payload) == (protocol.MESSAGE_SYNC, protocol.SYNC_STEP1, doc.get_state())
    assert protocol.sync_step1(step1.payload) == STEP1
    step2 = protocol.decode(STEP2)
    assert (step2.sub, step2.payload) == (protocol.SYNC_STEP2, FULL_UPDATE)
    assert protocol.sync_step2(FULL_UPDATE) == STEP2
    update = protocol.decode(UPDATE)
    assert update.sub == protocol.SYNC_UPDATE
    assert protocol.sync_update(update.payload) == UPDATE
    assert protocol.decode(EMPTY_STEP2).payload == protocol.EMPTY_UPDATE
    # The document model the web app writes: files -> Y.Text, meta.language.
    assert str(doc.get(FILES, type=Map)["main.py"]) == 'print("hé")\n'
    assert doc.get(META, type=Map)["language"] == "python"
    assert measure(doc) == (1, len('print("hé")\n'.encode()))


def test_our_encoders_agree_with_pycrdts() -> None:
    assert protocol.sync_update(FULL_UPDATE) == pycrdt.create_update_message(FULL_UPDATE)
    assert protocol.awareness(b"\x00") == pycrdt.create_awareness_message(b"\x00")
    for value in (0, 127, 128, 300, 2**32 - 1, 2**53 - 1):
        assert protocol.var_uint(value) == pycrdt.write_var_uint(value)


def test_awareness_round_trips_byte_for_byte() -> None:
    for frame in (AWARENESS, AWARENESS_TWO, AWARENESS_REMOVED, AWARENESS_BIG_ID):
        message = protocol.decode(frame)
        assert message.type == protocol.MESSAGE_AWARENESS
        assert protocol.awareness(protocol.encode_awareness(protocol.decode_awareness(message.payload))) == frame
    [entry] = protocol.decode_awareness(protocol.decode(AWARENESS).payload)
    assert (entry.client_id, entry.clock) == (1234567, 1)
    assert json.loads(entry.state)["user"]["name"] == "Zoë 🦊"
    [removed] = protocol.decode_awareness(protocol.decode(AWARENESS_REMOVED).payload)
    assert (removed.clock, removed.removed) == (2, True)
    [big] = protocol.decode_awareness(protocol.decode(AWARENESS_BIG_ID).payload)
    assert (big.client_id, big.clock, big.state) == (2**32 - 1, 0, "{}")


def test_awareness_rewrite_binds_the_first_client_and_overwrites_user() -> None:
    payload = protocol.decode(AWARENESS_TWO).payload
    bound, entries = protocol.rewrite_awareness(payload, bound=None, user=ANN, max_state_bytes=4096)
    # Client 99's entry (someone else's cursor) is gone; ours keeps its cursor, with our user.
    assert bound == 1234567
    assert [e.client_id for e in entries] == [1234567]
    assert json.loads(entries[0].state) == {"user": ANN, "cursor": {"anchor": 1, "head": 2}}
    assert protocol.awareness(protocol.encode_awareness(entries)) == SERVER_AWARENESS
    # A socket bound to another clientID relays none of it.
    assert protocol.rewrite_awareness(payload, bound=99, user=ANN, max_state_bytes=4096)[1] == [
        AwarenessEntry(99, 1, json.dumps({"user": ANN}, separators=(",", ":")))
    ]
    assert protocol.rewrite_awareness(protocol.decode(AWARENESS).payload, bound=7, user=ANN, max_state_bytes=4096) == (
        7,
        [],
    )
    # A removal stays a removal (no user is added to it).
    removal = protocol.decode(AWARENESS_REMOVED).payload
    assert protocol.rewrite_awareness(removal, bound=1234567, user=ANN, max_state_bytes=4096)[1] == [
        AwarenessEntry(1234567, 2, "null")
    ]


def test_awareness_rewrite_refuses_what_would_break_other_clients() -> None:
    def one(state: str) -> bytes:
        return protocol.encode_awareness([AwarenessEntry(5, 1, state)])

    with pytest.raises(AwarenessTooLarge):
        protocol.rewrite_awareness(one(json.dumps({"x": "a" * 5000})), bound=None, user=ANN, max_state_bytes=4096)
    for state in ('{"x": NaN}', "[1, 2]", "not json", "[" * 3000 + "]" * 3000):
        with pytest.raises(ProtocolError):
            protocol.rewrite_awareness(one(state), bound=None, user=ANN, max_state_bytes=8192)
    # A lone surrogate escape is valid JSON; it is relayed escaped, as ASCII.
    _, [entry] = protocol.rewrite_awareness(one('{"x": "\\ud800"}'), bound=None, user=ANN, max_state_bytes=4096)
    assert entry.state.isascii()
    assert json.loads(entry.state)["x"] == "\ud800"


def test_other_messages() -> None:
    assert protocol.decode(QUERY).type == protocol.MESSAGE_QUERY_AWARENESS
    assert protocol.query_awareness() == QUERY
    auth = protocol.decode(AUTH)
    assert (auth.type, auth.sub, auth.payload.decode()) == (protocol.MESSAGE_AUTH, 0, "read-only ✋")
    assert protocol.permission_denied("read-only ✋") == AUTH
    assert protocol.event({"type": "role", "role": "viewer", "note": "é"}) == EVENT
    assert protocol.event({"type": "welcome", "user": {"name": "Zoë"}}) == SERVER_EVENT


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00",  # sync without its step
        b"\x00\x00\x05\x01",  # a state vector shorter than its length
        STEP1 + b"\x00",  # trailing bytes
        b"\x00\x03\x00",  # no sync step 3
        b"\x01\x05\x01\x01\x01\x02\xff",  # awareness with a string that is not UTF-8
        b"\x80\x80\x80\x80\x80\x80\x80\x80\x01",  # an integer past 2^53
    ],
)
def test_malformed_frames_are_protocol_errors(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        protocol.rewrite_awareness(protocol.decode(frame).payload, bound=None, user=ANN, max_state_bytes=4096)


def test_unknown_message_types() -> None:
    for kind in (4, 7, 99, 100):
        with pytest.raises(UnknownMessage):
            protocol.decode(protocol.var_uint(kind))


def test_seed_holds_the_snippets_files_in_order() -> None:
    files = [{"name": "main.py", "content": "import util\n"}, {"name": "util.py", "content": "X = 'ü'\n"}]
    doc: Doc[Any] = Doc()
    doc.apply_update(seed_update("python", files))
    tree = doc.get(FILES, type=Map)
    assert {name: str(text) for name, text in tree.items()} == {"main.py": "import util\n", "util.py": "X = 'ü'\n"}
    assert isinstance(tree["main.py"], Text)
    assert doc.get(META, type=Map).to_py() == {"language": "python", "order": ["main.py", "util.py"]}
