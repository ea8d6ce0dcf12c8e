import json, re, sys, collections, calendar, time
from pathlib import Path
work = Path(sys.argv[1])
ph = json.load(open(work / "phases.json"))
P = ph["phases"]; t0 = P["t0"]; last = P["last_answered"]
def ts(s):
    m = re.match(r"(\d+-\d+-\d+T\d+:\d+:\d+)\.(\d+)Z", s)
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) + int(m.group(2)) / 1000
ev = collections.Counter(); last_conn = []; listen = {}; fails_after = 0; conn_times = []
refused = timeouts = 0
for log in sorted(work.glob("*.log")):
    for line in log.read_text(errors="replace").splitlines():
        m = re.search(r"ts=(\S+) level=(\S+) node=(\S+) event=(\S+)", line)
        if not m: continue
        t = ts(m.group(1)); e = m.group(4); ev[e] += 1
        if e == "swarm_listening": listen[m.group(3)] = t
        if e == "peer_connected": conn_times.append(t)
        if e == "dial_failed":
            if "ConnectionRefused" in line or "Connect call failed" in line: refused += 1
            elif "Timeout" in line: timeouts += 1
            if t > last: fails_after += 1
        if e in ("handshake_failed",) : pass
print("events:", dict(ev))
print("dial_failed refused=%d timeout=%d after last answered=%d" % (refused, timeouts, fails_after))
print("listening: first %.2f last %.2f (t0-relative)" % (min(listen.values()) - t0, max(listen.values()) - t0))
print("last answered %.2f meshed %.2f trusted %.2f" % (last - t0, P["meshed"] - t0, P.get("started", P.get("trusted")) - t0))
conn_times.sort()
print("peer_connected: last %.2f; after last answered: %d of %d" % (conn_times[-1] - t0, sum(t > last for t in conn_times), len(conn_times)))
# per edge: both listening -> both ends list each other
import itertools
conn = collections.defaultdict(dict)  # (node, peer) -> first connected time
out = {}
for log in sorted(work.glob("*.log")):
    for line in log.read_text(errors="replace").splitlines():
        m = re.search(r"ts=(\S+) level=\S+ node=(\S+) event=peer_connected peer=(\S+) .*direction=(\S+)", line)
        if m:
            t = ts(m.group(1)); key = (m.group(2), m.group(3))
            conn[key].setdefault("any", t)
            if m.group(4) == "out": out.setdefault(key, t)
delays = []
for (u, v), d in conn.items():
    if u < v and (v, u) in conn:
        up = max(listen[u], listen[v]); done = max(d["any"], conn[(v, u)]["any"])
        delays.append((done - up, u, v, up - t0, done - t0))
delays.sort()
ds = [d[0] for d in delays]
print("edges %d; both-listening -> linked: median %.2f p90 %.2f max %.2f" % (len(ds), ds[len(ds)//2], ds[int(len(ds)*.9)], ds[-1]))
for d in delays[-5:]: print("  slowest: %.2f %s-%s up %.2f linked %.2f" % d)
