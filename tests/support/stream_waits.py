"""Waiting until a node loads a stream with given content, through its 7007 API, with the node's
log in the failure."""

import requests

from fakenet.harness.waits import wait_for


def loads_with(node, stream_id: str, content, why: str, timeout: float = 15) -> None:
    wait_for(lambda: requests.get(f"{node.api_url}/api/v0/streams/{stream_id}", timeout=10).json(),
             lambda doc: doc.get("state", {}).get("content") == content, timeout=timeout,
             expected=f"{why}: {stream_id} loads on {node.name} with {content}", logs=node.logs)
