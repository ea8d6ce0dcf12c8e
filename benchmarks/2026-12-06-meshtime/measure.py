"""Start 64 local nodes (random-regular degree 3), stamp the harness's phases, keep the node logs."""
import json, os, sys, time, re, tempfile, collections
from pathlib import Path
from fakenet.harness.network import Network
from fakenet.harness import fleet as fleet_mod
from fakenet.kinds import fakenet_kind

debug = os.environ.get("DEBUGNODES") == "1"
if debug:
    orig_env = fakenet_kind.FakenetKind.environment
    fakenet_kind.FakenetKind.environment = lambda self, launch: {**orig_env(self, launch), "FAKENET_DEBUG": "1"}

work = Path(tempfile.mkdtemp(prefix="meshtime-", dir="/tmp/meshtime"))
phases = {}
answered = {}
orig_ai = fleet_mod.Fleet.answering_identity
def ai(self, name):
    r = orig_ai(self, name); answered[name] = time.time(); return r
fleet_mod.Fleet.answering_identity = ai
rounds = []
orig_og = fleet_mod.Fleet.observed_graph
def og(self):
    a = time.time(); c = time.process_time(); g = orig_og(self); rounds.append((a, time.time(), g.number_of_edges(), time.process_time() - c)); return g
fleet_mod.Fleet.observed_graph = og
trusted_at = {}
from fakenet.kinds import fakenet_kind as fk
orig_ti = fk.FakenetClient.trusted_identities
tcalls = []
def ti(self):
    a = time.time(); r = orig_ti(self); tcalls.append((a, time.time())); return r
fk.FakenetClient.trusted_identities = ti
net = Network(64, backend="local", topology="random-regular", start_timeout=240.0, workdir=work)
orig_eg = net.oracle.expect_graph
def eg(timeout=20.0):
    r = orig_eg(timeout=timeout); phases["meshed"] = time.time(); return r
net.oracle.expect_graph = eg
orig_wt = net._wait_trusted
def wt():
    phases["wait_trusted_from"] = time.time(); c = time.process_time(); orig_wt(); print("trust harness cpu %.2f" % (time.process_time() - c)); phases["trusted_only"] = time.time()
net._wait_trusted = wt
if os.environ.get("ORDER") == "old":
    def old_start(self=net):
        from fakenet.harness import topology as topologies
        from fakenet.harness.backends import NodeSpec
        fleet = self.fleet
        specs = [NodeSpec(name, tuple(topologies.peers_of(self.topology, name)), self.settings) for name in self.names]
        fleet.runtimes = self.backend.create(specs)
        for name in self.names:
            fleet.runtimes[name].start()
        fleet.learn_identities(known=fleet.parallel(fleet.answering_identity, self.names))
        fleet.timeline.restart_clock()
        self.oracle.expect_graph(timeout=fleet.start_timeout)
        self._wait_trusted()
    net.start = old_start
cpu0 = os.times()
phases["t0"] = time.time()
try:
    net.start()
    phases["started"] = time.time()
finally:
    net.close.__self__.backend._own_workdir = False
    net.close()
phases["last_answered"] = max(answered.values())
json.dump({"phases": phases, "answered": answered, "rounds": rounds}, open(work / "phases.json", "w"))
print(work)
t0 = phases["t0"]
for k, v in sorted(phases.items(), key=lambda kv: kv[1]):
    print(f"{k:20s} {v - t0:7.2f}")
print("last answered -> meshed  %.2f" % (phases["meshed"] - phases["last_answered"]))
print("last answered -> started %.2f" % (phases["started"] - phases["last_answered"]))
for a, b, e, c in rounds: print("  observe round %.2f-%.2f edges %d harness cpu %.2f s" % (a - t0, b - t0, e, c))
print("trust calls %d, first %.2f last end %.2f" % (len(tcalls), tcalls[0][0] - t0, max(b for a, b in tcalls) - t0))
print("RESULT order=%s meshed_after_last=%.2f started_after_last=%.2f graph_rounds=%d trust_calls=%d rpcs_after_last=%d" % (
    os.environ.get("ORDER", "new"), phases["meshed"] - phases["last_answered"], phases["started"] - phases["last_answered"],
    len(rounds), len(tcalls), 64 * len(rounds) + len(tcalls)))
