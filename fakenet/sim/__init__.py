"""The simulator: many fakenet nodes as objects in one process and one event loop on virtual time.

loop.py (a loop whose clock jumps when nothing is ready), pipes.py (the in-memory transport and
its link rules), world.py (the nodes, the root seed, the trace), rpc.py (the harness's client
calling a node's JSON-RPC dispatcher directly). The backend on top is harness/backends/sim.py.
"""
