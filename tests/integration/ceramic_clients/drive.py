"""Drive one Ceramic client library from PyPI, unchanged, in its own virtualenv.

Run by tests/integration/test_ceramic_clients.py with that venv's python: the clients pin
dependency versions that cannot share an environment with fakenet or with each other.

    python drive.py CLIENT ACTION URL [JSON ARG ...]   →   one line of JSON on stdout

The tests keep one process per client venv instead, which serves `call` (support/client_serve.py).

Only the clients' public calls are used; what they print goes to stderr.
"""

import contextlib
import json
import os
import sys


def ceramic_py(action, url, *args):
    from ceramic.client import Ceramic

    client = Ceramic(url)
    if action == "create":  # did, seed (hex), content
        return client.create_stream(*args)
    if action == "update":  # did, seed, stream id, new content
        return client.update_stream(*args)
    return getattr(client, action)(*args)  # get_stream, get_commits, get_data, pin_stream, unpin_stream


def ceramic_python(action, url, *args):
    """ceramic-python and ceramicsdk share this API (ceramicsdk is a fork); only DID differs."""
    from ceramic_python.ceramic_client import CeramicClient
    from ceramic_python.did import DID
    from multiformats import CID

    def did(seed):
        try:
            return DID(private_key=seed)  # ceramicsdk derives the did:key itself
        except TypeError:
            return DID(id=os.environ["CLIENT_DID"], private_key=seed)  # ceramic-python is told it

    if action == "create_tile":  # seed, content, opts: a tile genesis signed by the client
        signer = did(args[0])
        genesis = {"header": {"controllers": [signer.id], "unique": os.urandom(12).hex()}, "data": args[1]}
        return CeramicClient(url, signer).create_stream_from_genesis(0, signer.create_dag_jws(genesis), args[2])
    if action == "patch_tile":  # seed, stream id, JSON-Patch ops
        signer = did(args[0])
        client = CeramicClient(url, signer)
        genesis, prev = client.get_stream_commits(args[1])
        commit = {"header": {}, "data": args[2], "prev": CID.decode(prev), "id": CID.decode(genesis)}
        return client.apply_commit(args[1], signer.create_dag_jws(commit), {"anchor": True, "publish": True})
    if action == "create_model":  # seed, definition: the genesis js-ceramic's Model._makeRawGenesis writes,
        from ceramic_python.helper import base36_decode_with_prefix  # signed and sent with the library's calls
        signer = did(args[0])
        header = {"controllers": [signer.id], "model": bytes(base36_decode_with_prefix(args[2])), "sep": "model"}
        return CeramicClient(url, signer).create_stream_from_genesis(
            2, signer.create_dag_jws({"data": args[1], "header": header}), {"anchor": True, "publish": True})
    if action == "create_mid":  # seed, content, model stream id: the library's own document type
        from ceramic_python.model_instance_document import (ModelInstanceDocument,
                                                            ModelInstanceDocumentMetadataArgs)
        signer = did(args[0])
        doc = ModelInstanceDocument.create(CeramicClient(url, signer), args[1],
                                           ModelInstanceDocumentMetadataArgs(controller=signer.id, model=args[2]))
        return doc.stream_id
    if action == "replace_mid":  # seed, stream id, new content: load, then replace
        from ceramic_python.model_instance_document import ModelInstanceDocument
        doc = ModelInstanceDocument.load(CeramicClient(url, did(args[0])), args[1])
        try:
            return {"content": doc.replace(args[2]).content}
        except Exception as exc:  # the library raises a bare Exception carrying the node's answer
            return {"error": str(exc)}
    if action == "load_mid":  # stream id
        from ceramic_python.model_instance_document import ModelInstanceDocument
        doc = ModelInstanceDocument.load(CeramicClient(url, None), args[0])
        return {"content": doc.content, "model": doc.metadata.model, "controller": doc.metadata.controller}
    client = CeramicClient(url, None)
    if action == "load_stream":
        return client.load_stream(args[0], {})
    return getattr(client, action)(*args)  # get_stream_state, get_stream_commits


DRIVERS = {"ceramic-py": ceramic_py, "ceramic-python": ceramic_python, "ceramicsdk": ceramic_python}


def call(client, action, url, *args):
    """One call: the words of the command line above (each ARG JSON-encoded)."""
    return DRIVERS[client](action, url, *(json.loads(arg) for arg in args))


def main():
    with contextlib.redirect_stdout(sys.stderr):
        result = call(*sys.argv[1:])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
