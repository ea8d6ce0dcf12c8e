"""The node's own error root: the node imports nothing from the harness above it.

NodeError
└── NodeConfigError      a data dir, config file, key or flag that cannot be used

Subpackages hang their errors under NodeError (streams/errors.py, cluster/errors.py, …).
"""


class NodeError(Exception):
    """Root of every error the node raises on purpose; `node` names the node concerned, if any."""

    def __init__(self, message: str, *, node: str | None = None):
        super().__init__(message)
        self.node = node


class NodeConfigError(NodeError):
    """A data dir, config, key file or command-line setting that cannot be used as given."""
