"""The one error root of fakenet, and the whole tree of errors it raises on purpose.

FakenetError                              (node: the node concerned, if any)
├── ConfigError                           a data dir, config file, key, flag or setting that cannot be used
│   ├── MissingCapability                 the kind lacks what a facet or step needs (also an AttributeError:
│   │                                     `hasattr(net, "chain")` is False)
│   ├── ScenarioError   scenario/errors.py  a scenario file that cannot run (file, line, step, problem)
│   └── CacheBeyondModel  harness/model.py  writes that may fill a node's cache byte limit, which the
│                                         model does not predict (it predicts caches by count)
├── RpcError                              a JSON-RPC call answered with an error (code, rpc_message)
├── ApiError        harness/api_client.py an HTTP API answered with an error status (status)
├── ContainerError                        the container engine or compose failed (cmd, exit_code, output)
│   ├── EngineSilent                      the engine did not answer a wait's question within the time it could give
│   └── ImageRebuilt  bench/compose_net.py  `up` had to build the image first: no start-up time to measure
├── NodeGone                              a node the model has up ended and no step stopped it (outside: by
│                                         someone else, not by itself); the step's own error is its cause
├── WaitTimeout                           a condition was not met by its deadline (expected vs seen, logs)
├── ExpectationFailed                     the network is not what the oracle predicts (also an AssertionError);
│   │                                     expected, observed and difference as data
│   └── ModelRefused                      the expectation asks for what the model itself predicts false: the
│                                         scenario's fault, not a node's (asked, predicted, observed)
├── AmbiguousChain  harness/chain_model.py  a chain prediction the rules leave open (a tie's winner)
└── UsageError      cli.py                a bad command line: one line, exit 1

Anything that is not a FakenetError is a bug: the command line prints it with a traceback. Two
families stand apart on purpose. The sim loop's Deadlock and Livelock (fakenet/sim/loop.py) are
RuntimeErrors: the simulation itself cannot go on, whatever the scenario. The node
(fakenet/node/errors.py: NodeError and its subclasses, NodeConfigError for its own flags and files)
runs in containers without the harness and has its own root; the harness sees the node's errors
only as RpcError or ApiError answers.
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
    """A JSON-RPC error answer; `code` follows bitcoin-core's numbering. `answered`: the node sent it
    (its refusal), not the harness for a call that got no answer (both may be code -1: bitcoin-core's
    RPC_MISC_ERROR is the harness's "unreachable")."""

    def __init__(self, code: int, message: str, *, node: str | None = None, answered: bool = False,
                 in_process: bool = False):
        super().__init__(f"RPC error {code}: {message}", node=node)
        self.code = code
        self.rpc_message = message
        self.answered = answered
        # The call ran in this process (the sim backend): no engine or network carried it, so an answer
        # that never came is the node's own doing, as a refusal is.
        self.in_process = in_process


class ContainerError(FakenetError):
    """The container engine or compose failed."""

    def __init__(self, message: str, *, cmd=None, exit_code: int | None = None, output: str = "", node=None):
        super().__init__(message, node=node)
        self.cmd = cmd
        self.exit_code = exit_code
        self.output = output


class EngineSilent(ContainerError):
    """The engine did not answer within the time a wait could spare (DockerBackend.lost): the wait goes
    on looking at the nodes, which may well answer, and says so if its deadline passes."""


class NodeGone(FakenetError):
    """A step failed while a node the model has up had ended, and no step stopped it: `outside` when
    something else ended it (SIGKILL, an OOM kill, its container removed), not the node itself."""

    def __init__(self, message: str, *, outside: bool, node: str | None = None):
        super().__init__(message, node=node)
        self.outside = outside


class WaitTimeout(FakenetError):
    """A condition polled to a deadline was not met; the message says expected vs observed.
    `looks`: how many observations the deadline allowed, `answered`: whether every one was answered,
    `first_look`: the seconds the first took. A deadline that passed during one prompt, answered look
    gave the nodes no time (`within: 1ms`): the asker's fault. A slow look is the nodes' (one hung)."""

    PROMPT = 1.0  # seconds: a look of a healthy network; a slower one waited on some node

    def __init__(self, message: str, *, looks: int = 0, answered: bool = False, first_look: float = 0.0,
                 observed=None, node: str | None = None):
        super().__init__(message, node=node)
        self.looks, self.answered, self.first_look = looks, answered, first_look
        self.observed = observed  # the last observation, the one judged (None if no look was answered)

    @property
    def no_time(self) -> bool:
        return self.looks == 1 and self.answered and self.first_look < self.PROMPT


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
