"""The litecoin kind's pieces that need no engine: ids from user agents, mining addresses, the image
inputs, peer liveness by pong, and which kind a compose project is."""

from pathlib import Path

from bitcoin.segwit_addr import decode

from fakenet import compose, kinds
from fakenet.image import content_hash
from fakenet.image_litecoin import build_inputs, context_tar
from fakenet.kinds.litecoin import LitecoinClient, mining_address, node_id

ROOT = Path(__file__).resolve().parents[2]


def test_ids_come_from_the_user_agent_comment():
    assert node_id("/LitecoinCore:0.21.2.1(8045529fe7387824)/") == "8045529fe7387824"
    assert node_id("/LitecoinCore:0.21.2.1/") == "" and node_id("") == ""


def test_each_node_mines_to_a_valid_regtest_address_of_its_own():
    first, second = mining_address("aa"), mining_address("bb")
    assert first != second and first.startswith("rltc1q")
    assert decode("rltc", first)[0] == 0 and len(decode("rltc", first)[1]) == 20


def test_the_image_is_hashed_over_its_own_files_only():
    inputs = build_inputs(ROOT)
    assert set(inputs) == {"Dockerfile", "bin/cli", "bin/fakenet-status", "bin/litecoin-node"}
    assert content_hash(inputs, "sha256:base") == content_hash(build_inputs(ROOT), "sha256:base")
    import tarfile

    with tarfile.open(fileobj=context_tar(inputs)) as tar:
        assert tar.getmember("bin/litecoin-node").mode == 0o755


class FakeRpc:
    """getpeerinfo answers in turn; a peer's pong bytes grow only if it is alive."""

    def __init__(self, *answers):
        self.answers, self.pinged = list(answers), False

    def getpeerinfo(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def ping(self):
        self.pinged = True


def peer(pid, ident, pongs):
    return {"id": pid, "subver": f"/LitecoinCore:0.21.2.1({ident})/", "bytesrecv_per_msg": {"pong": pongs}}


def test_a_peer_counts_only_if_it_answers_the_ping_and_once_per_node(monkeypatch):
    monkeypatch.setattr("fakenet.kinds.litecoin.PONG_WAIT", 0.2)
    before = [peer(0, "a", 32), peer(1, "a", 32), peer(2, "b", 32)]
    after = [peer(0, "a", 64), peer(1, "a", 64), peer(2, "b", 32)]  # b's connection is dead
    rpc = FakeRpc(before, after)
    assert LitecoinClient(rpc).peer_identities() == {"a"} and rpc.pinged


def test_the_kind_is_registered_and_a_project_without_containers_is_fakenet(monkeypatch):
    assert "litecoin" in kinds.names() and kinds.get("litecoin").runs_on("docker")
    assert compose.compose_file("litecoin").name == "litecoin.yml"
    import docker

    monkeypatch.setattr(docker, "from_env", lambda: (_ for _ in ()).throw(docker.errors.DockerException("no engine")))
    assert compose.kind_of("nothing-here") == "fakenet"


def test_each_link_is_dialled_by_its_earlier_end_only():
    from fakenet.kinds.litecoin import dialled

    peers = (("node", "10.0.0.2"), ("node2", "10.0.0.3"), ("node10", "10.0.0.11"))
    assert dialled("node", peers[1:]) == ["10.0.0.3", "10.0.0.11"]
    assert dialled("node2", (peers[0], peers[2])) == ["10.0.0.11"]  # node10 after node2, as people count
    assert dialled("node10", peers[:2]) == []
