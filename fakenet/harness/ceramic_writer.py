"""An application writing to ceramic-one's API on a node, for scenarios: a Model created on 7007
(js-ceramic's form: a signed genesis naming the meta-model) and ModelInstanceDocument init events
posted as CAR files to /ceramic/events, signed by a key drawn from the scenario's seed.

The commits are built with the node package's DAG-JOSE signer (fakenet.node.streams.jose): this
is the client side of the API, as ceramicsdk would be, and what it writes is checked by the node
like any client's. The oracle (interests.py) imports none of it.
"""

from __future__ import annotations

import json
import random
import urllib.request

import dag_cbor
from multiformats import CID, multibase, varint

from fakenet.node.streams import ControllerKey, jose

META_MODEL = "kh4q0ozorrgaq2mezktnrmdwleo1d"  # js-ceramic's Model.MODEL
NOTE = {"version": "2.0", "name": "Note", "interface": False, "implements": [], "accountRelation": {"type": "list"},
        "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                   "required": ["n"], "properties": {"n": {"type": "integer"}}}}


class CeramicWriter:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.key = ControllerKey.from_seed(self.rng.randbytes(32))

    def create_model(self, api_url: str) -> str:
        """A new Model each call (its name drawn from the seed): the same definition by the same
        key would be the same stream."""
        cid, data = self._signed(META_MODEL, {**NOTE, "name": f"Note{self.rng.randrange(10**9)}"})
        answer = _post(f"{api_url}/api/v0/streams", {"type": 2, "genesis": jose.to_wire(cid, data)})
        return answer["streamId"]

    @staticmethod
    def register_interest(ceramic_one_url: str, model: str) -> None:
        """ceramic-one's POST /ceramic/interests/model/{model}."""
        _post(f"{ceramic_one_url}/ceramic/interests/model/{model}", {})

    def post(self, ceramic_one_url: str, model: str, count: int) -> list[str]:
        cids = []
        for _ in range(count):
            cid, data = self._signed(model, {"n": self.rng.randrange(2**31)}, unique=self.rng.randbytes(12))
            _post(f"{ceramic_one_url}/ceramic/events", {"data": multibase.encode(_car(cid, data), "base64")})
            cids.append(str(cid))
        return cids

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


def _post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None
