"""bitcoin-core's RPC error codes, the ones fakenet answers with."""

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
MISC_ERROR = -1
TYPE_ERROR = -3
INVALID_ADDRESS_OR_KEY = -5
INVALID_PARAMETER = -8
CLIENT_NODE_NOT_ADDED = -24
CLIENT_NODE_NOT_CONNECTED = -29
CLIENT_NODE_ALREADY_ADDED = -23


class RpcFailure(Exception):
    """Raised by a method to answer with a JSON-RPC error object."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


async def mapped(coroutine, table: tuple[tuple[type[Exception], int], ...]):
    """Await `coroutine`; an exception listed in `table` becomes the RPC error with its code
    (first match wins, so list subclasses before their bases)."""
    try:
        return await coroutine
    except tuple(kind for kind, _ in table) as exc:
        code = next(code for kind, code in table if isinstance(exc, kind))
        raise RpcFailure(code, str(exc)) from exc
