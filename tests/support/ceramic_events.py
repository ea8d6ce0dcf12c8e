"""ceramic-one's event API as its clients use it: events built as a CARv1 of their blocks (written
here from the CAR spec, not with the node's code), posted as multibase; Models created on 7007."""

import dag_cbor
import requests
from multiformats import CID, multibase, varint

from fakenet.node.streams import ControllerKey, jose

ALICE = ControllerKey.from_seed(bytes(range(40, 72)))
CERAMIC_ONE_PORT = 5101  # ceramic-one's default port, as the node serves it


def one(node) -> str:
    return f"http://{node.ip}:{CERAMIC_ONE_PORT}"


def car(cid: CID, data: bytes) -> str:
    """The event's CARv1 (written here from the CAR spec, not with the node's code), base64 multibase."""
    if cid.codec.name == "dag-jose":
        record = dag_cbor.decode(data)
        payload = CID.decode(dag_cbor.decode(record["jws"])["payload"])
        blocks = {cid: record["jws"], payload: record["linkedBlock"]}
    else:
        blocks = {cid: data}
    header = dag_cbor.encode({"version": 1, "roots": [cid]})
    body = b"".join(varint.encode(len(bytes(c)) + len(d)) + bytes(c) + d for c, d in blocks.items())
    return multibase.encode(varint.encode(len(header)) + header + body, "base64")


def post_event(node, commit, expect=204):
    answer = requests.post(f"{one(node)}/ceramic/events", json={"data": car(*commit)}, timeout=30)
    assert answer.status_code == expect, answer.text
    return answer


def create_on_7007(node, stream_type, commit):
    answer = requests.post(f"{node.api_url}/api/v0/streams", timeout=30,
                           json={"type": stream_type, "genesis": jose.to_wire(*commit)})
    assert answer.status_code == 200, answer.text
    return answer.json()
