"""`python -m fakenet.node`: a node process started as the `fakenet-node` command starts one
(early.py: its ports bound before its imports, asyncio without ssl, the collector frozen after
them), for the local backend's fresh processes. Not `-m fakenet.node.early`: the module would run
twice, as __main__ and as the settings' fakenet.node.early, each with its own bound sockets."""

import sys

from fakenet.node.early import main

sys.exit(main())
