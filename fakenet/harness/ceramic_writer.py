"""An application writing to ceramic-one's API on a node, for scenarios: a Model created on 7007
(js-ceramic's form: a signed genesis naming the meta-model) and ModelInstanceDocument init and
data (update) events posted as CAR files to /ceramic/events, signed by a key drawn from the
scenario's seed; and writes that break the Model's schema, which a node must refuse.

The commits are built with the node package's DAG-JOSE signer (fakenet.node.streams.jose): this
is the client side of the API, as ceramicsdk would be, and what it writes is checked by the node
like any client's. The oracle (interests.py) imports none of it.
"""

from __future__ import annotations

import base64
import json
import random
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import dag_cbor
import jsonpatch
from multiformats import CID, multibase, varint

from fakenet.errors import ExpectationFailed
from fakenet.harness.api_client import ApiError
from fakenet.node.streams import ControllerKey, StreamID, jose
from fakenet.node.streams.streamid import MID

META_MODEL = "kh4q0ozorrgaq2mezktnrmdwleo1d"  # js-ceramic's Model.MODEL
NOTE = {"version": "2.0", "name": "Note", "interface": False, "implements": [], "accountRelation": {"type": "list"},
        "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                   "required": ["n"], "properties": {"n": {"type": "integer"}}}}


@dataclass
class Document:
    """A MID this writer posted: its init event, the tip it last wrote and that tip's content."""

    init: CID
    tip: CID
    content: dict
    events: list[str] = field(default_factory=list)  # the CIDs of its accepted events, init first


class CeramicWriter:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.key = ControllerKey.from_seed(self.rng.randbytes(32))

    def create_model(self, api_url: str, pin: bool = False) -> str:
        """A new Model each call (its name drawn from the seed): the same definition by the same
        key would be the same stream."""
        cid, data = self._signed(META_MODEL, {**NOTE, "name": f"Note{self.rng.randrange(10**9)}"})
        answer = _post(f"{api_url}/api/v0/streams", {"type": 2, "genesis": jose.to_wire(cid, data),
                                                      "opts": {"pin": pin}})
        return answer["streamId"]

    @staticmethod
    def register_interest(ceramic_one_url: str, model: str) -> None:
        """ceramic-one's POST /ceramic/interests/model/{model}."""
        _post(f"{ceramic_one_url}/ceramic/interests/model/{model}", {})

    def post(self, ceramic_one_url: str, model: str, count: int) -> list[Document]:
        """`count` new documents of the Model, each one signed init event with valid content."""
        return self.post_signed(ceramic_one_url, self.sign(model, count))

    def sign(self, model: str, count: int) -> list[tuple[Document, bytes]]:
        """`count` new documents' init events, signed and not yet posted (the event's bytes beside each)."""
        signed = []
        for _ in range(count):
            content = {"n": self.rng.randrange(2**31)}
            cid, data = self._signed(model, content, unique=self.rng.randbytes(12))
            signed.append((Document(cid, cid, content, [str(cid)]), data))
        return signed

    @staticmethod
    def post_signed(ceramic_one_url: str, signed: list[tuple[Document, bytes]], clients: int = 1) -> list[Document]:
        """Post events `sign` made, from `clients` concurrent connections (as many apps would);
        every one is accepted or this raises."""
        def one(item: tuple[Document, bytes]) -> Document:
            _post_event(ceramic_one_url, item[0].init, item[1])
            return item[0]

        if clients <= 1:
            return [one(item) for item in signed]
        with ThreadPoolExecutor(clients) as pool:
            return list(pool.map(one, signed))

    def update(self, ceramic_one_url: str, document: Document) -> str:
        """A signed data event on the document's tip with new valid content; the document moves on."""
        content = {"n": self.rng.randrange(2**31)}
        cid, data = self._update(ceramic_one_url, document, content)
        _post_event(ceramic_one_url, cid, data)
        document.tip, document.content = cid, content
        document.events.append(str(cid))
        return str(cid)

    def refused_create(self, ceramic_one_url: str, model: str) -> str:
        """An init event whose content breaks the Model's schema: the node must answer 400."""
        cid, data = self._signed(model, {"n": "not an integer"}, unique=self.rng.randbytes(12))
        _refused(ceramic_one_url, cid, data)
        return str(cid)

    def refused_update(self, ceramic_one_url: str, document: Document) -> str:
        """A data event whose content breaks the Model's schema: 400, and the document stays as it was."""
        cid, data = self._update(ceramic_one_url, document, {"n": -1.5})
        _refused(ceramic_one_url, cid, data)
        return str(cid)

    def _update(self, ceramic_one_url: str, document: Document, content: dict) -> tuple[CID, bytes]:
        """On the tip the node shows, as a client reads it first: the node may have added an anchor
        commit after the last event this writer posted."""
        patch = jsonpatch.make_patch(document.content, content).patch
        return jose.sign(self.key, {"id": document.init, "prev": _tip(ceramic_one_url, document), "header": {},
                                    "data": patch})

    def _signed(self, model: str, content: dict, unique: bytes | None = None) -> tuple[CID, bytes]:
        header = {"controllers": [self.key.did], "model": multibase.decode(model), "sep": "model"}
        if unique is not None:
            header["unique"] = unique
        return jose.sign(self.key, {"header": header, "data": content})


def _car(cid: CID, data: bytes) -> bytes:
    """CARv1 of a signed event: the JWS block, then the payload block it links to."""
    record = dag_cbor.decode(data)
    blocks = {cid: record["jws"], CID.decode(dag_cbor.decode(record["jws"])["payload"]): record["linkedBlock"]}
    header = dag_cbor.encode({"version": 1, "roots": [cid]})
    body = b"".join(varint.encode(len(bytes(c)) + len(d)) + bytes(c) + d for c, d in blocks.items())
    return varint.encode(len(header)) + header + body


def _tip(ceramic_one_url: str, document: Document) -> CID:
    """ceramic-one's GET /ceramic/streams/{id}: the stream's tip as that node holds it."""
    stream_id = StreamID(MID, document.init).encode()
    try:
        with urllib.request.urlopen(f"{ceramic_one_url}/ceramic/streams/{stream_id}", timeout=30) as answer:
            return CID.decode(json.load(answer)["event_cid"])
    except urllib.error.HTTPError as exc:
        raise ApiError(exc.code, f"GET {stream_id}: {exc.read().decode(errors='replace')[:500]}") from exc


def _post_event(ceramic_one_url: str, cid: CID, data: bytes) -> None:
    # Multibase base64 ('m', RFC 4648 without padding) by hand: multiformats registers an encoding
    # on its first use, and post_signed's threads racing to do so failed ("already registered").
    car = base64.b64encode(_car(cid, data)).decode().rstrip("=")
    _post(f"{ceramic_one_url}/ceramic/events", {"data": "m" + car})


def _refused(ceramic_one_url: str, cid: CID, data: bytes) -> None:
    """Post an event that must be refused as a client error; accepting it is a finding."""
    try:
        _post_event(ceramic_one_url, cid, data)
    except ApiError as exc:
        if exc.status == 400:
            return
        raise ExpectationFailed(f"a schema-breaking event {cid} got HTTP {exc.status}, not 400: {exc}",
                                expected=400, observed=exc.status) from exc
    raise ExpectationFailed(f"a schema-breaking event {cid} was accepted by {ceramic_one_url}", expected=400,
                            observed="accepted")


def _post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
    except urllib.error.HTTPError as exc:  # the node's reason is in the body: say it
        raise ApiError(exc.code, f"POST {url}: {exc.read().decode(errors='replace')[:500]}") from exc
    return json.loads(raw) if raw else None
