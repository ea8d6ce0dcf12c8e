"""The one error root of fakenet.

FakenetError
├── ConfigError          a data dir, config file, key or flag that cannot be used
│   └── MissingCapability    the node kind lacks what a facet or step needs (also an AttributeError)
├── RpcError             a JSON-RPC call answered with an error (carries `code`)
├── ContainerError       the container engine or compose failed (carries `cmd`, `exit_code`, `output`)
├── WaitTimeout          a condition was not met by its deadline (says what was expected and seen)
└── ExpectationFailed    the network is not what the oracle predicts (also an AssertionError);
    │                    carries expected, observed and their difference as data
    └── ModelRefused     the expectation asks for what the model itself predicts false: the
                         scenario's fault, not a node's (carries asked, predicted, observed)

Anything that is not a FakenetError is a bug: the command line prints it with a traceback.
"""


class FakenetError(Exception):
    """Root of every error fakenet raises on purpose; `node` names the node concerned, if any."""

    def __init__(self, message: str, *, node: str | None = None):
        super().__init__(message)
        self.node = node


class ConfigError(FakenetError):
    """A data dir, config, key file or command-line setting that cannot be used as given."""


class MissingCapability(ConfigError, AttributeError):
    """The node kind has no such capability: `net.chain` on a kind without a chain, a streams step
    for a kind without streams. An AttributeError too, so `hasattr(net, "chain")` is False."""


class RpcError(FakenetError):
    """A JSON-RPC error answer; `code` follows bitcoin-core's numbering."""

    def __init__(self, code: int, message: str, *, node: str | None = None):
        super().__init__(f"RPC error {code}: {message}", node=node)
        self.code = code
        self.rpc_message = message


class ContainerError(FakenetError):
    """The container engine or compose failed."""

    def __init__(self, message: str, *, cmd=None, exit_code: int | None = None, output: str = "", node=None):
        super().__init__(message, node=node)
        self.cmd = cmd
        self.exit_code = exit_code
        self.output = output


class WaitTimeout(FakenetError):
    """A condition polled to a deadline was not met; the message says expected vs observed."""


class ExpectationFailed(FakenetError, AssertionError):
    """An `expect_*` found the network other than the model predicts. The message explains it in
    words; `expected`, `observed` and `difference` carry the same as data (for reports)."""

    def __init__(self, message: str, *, expected=None, observed=None, difference=None, node: str | None = None):
        super().__init__(message, node=node)
        self.expected, self.observed, self.difference = expected, observed, difference

    @property
    def predicted(self):
        return self.expected


class ModelRefused(ExpectationFailed):
    """The scenario expects what the model predicts is false (availability across a partition):
    `expected` is what was asked, `predicted` the model's answer, `observed` what the nodes said."""

    def __init__(self, message: str, *, asked, predicted, observed=None, difference=None, node: str | None = None):
        super().__init__(message, expected=asked, observed=observed, difference=difference, node=node)
        self._predicted = predicted

    @property
    def predicted(self):
        return self._predicted
