"""The docker backend's start: what it asks the engine per node, and both ways the harness reaches
a node (its fixed container address; published loopback ports)."""

from urllib.parse import urlsplit

import pytest

from fakenet import code_mounts, engine_reads
from fakenet.harness.backends.docker import routes_to_containers
from fakenet.harness.network import Network

pytestmark = pytest.mark.docker


def _record_engine_calls(client) -> list[tuple[str, str]]:
    """(method, path without the API version) of every call the backend's client makes from now on."""
    calls: list[tuple[str, str]] = []
    request = client.api.request  # the API client is a requests.Session: every call passes here

    def recorded(method, url, *args, **kwargs):
        calls.append((method, url.split("/v1.", 1)[-1].split("/", 1)[-1].split("?")[0]))
        return request(method, url, *args, **kwargs)
    client.api.request = recorded
    return calls


def test_a_start_asks_the_engine_for_a_volume_a_container_and_a_start_per_node_and_no_inspect():
    net = Network(2, backend="docker", publish=False)
    if not routes_to_containers(net.backend.client):
        pytest.skip("this host does not route to container addresses: the backend publishes ports instead")
    net.backend.image = net.backend.kind.image(lambda line: None, net.backend.client)
    code_mounts.for_image(net.backend.client, net.backend.image)  # a first copy of the code is taken before
    calls = _record_engine_calls(net.backend.client)
    with net:
        inspects = [path for method, path in calls if method == "GET" and path.startswith("containers/")]
        assert inspects == [], f"expected no container inspect while starting, observed {inspects}"
        per_node = [sum(1 for method, path in calls if method == "POST" and path.endswith(suffix))
                    for suffix in ("volumes/create", "containers/create", "/start")]
        assert per_node == [2, 2, 2], f"expected one volume, container and start per node, observed {per_node}"
        for name, runtime in net.fleet.runtimes.items():  # the address dialled is the one the engine gave
            runtime.container.reload()
            engine = runtime.container.attrs["NetworkSettings"]["Networks"][net.backend.network_name]["IPAddress"]
            assert urlsplit(runtime.url("rpc")).hostname == engine == runtime.address(), name


def test_published_ports_are_reached_on_loopback_at_the_port_the_engine_bound():
    with Network(2, backend="docker", publish=True) as net:  # started means meshed: both answered there
        for name, runtime in net.fleet.runtimes.items():
            url = urlsplit(runtime.url("rpc"))
            bound = runtime.container.attrs["NetworkSettings"]["Ports"]["6433/tcp"][0]["HostPort"]
            assert (url.hostname, url.port) == ("127.0.0.1", int(bound)), name
            assert runtime.client.ready(), name


def test_nodes_read_their_code_from_read_only_binds_where_the_engine_is_fuse_overlayfs():
    net = Network(2, backend="docker")
    if not code_mounts.engine_shares_host(engine_reads.of(net.backend.client)):
        pytest.skip("no fuse-overlayfs engine on this host: nodes read their code from the image")
    with net:  # started means meshed: both nodes ran from the binds
        for name, runtime in net.fleet.runtimes.items():
            runtime.container.reload()
            binds = {m["Destination"]: m["RW"] for m in runtime.container.attrs["Mounts"] if m["Type"] == "bind"}
            assert binds == {"/opt/fakenet": False, "/usr/lib/python3.11": False}, name
