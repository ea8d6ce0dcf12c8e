"""The exported stack file: what swarm must and must not do to a fakenet network."""

import stat

import yaml

from fakenet import kinds
from fakenet.stack import stack_document, write


def test_one_task_per_node_named_by_slot_with_its_own_volume_and_no_restarts():
    document = stack_document(kinds.get("fakenet"), "fakenet-node:abc", 5)
    service = document["services"]["node"]
    assert service["hostname"] == "node-{{.Task.Slot}}"
    assert service["environment"]["FAKENET_PEERS"].split() == [f"/dns4/node-{i}/tcp/4011" for i in range(1, 6)]
    assert service["deploy"] == {"replicas": 5, "endpoint_mode": "dnsrr", "restart_policy": {"condition": "none"},
                                 "labels": {"io.fakenet.project": "fakenet-stack"}}
    assert service["cap_add"] == ["NET_ADMIN"] and "healthcheck" not in service
    assert document["volumes"]["data"]["name"] == "{{.Service.Name}}-data-{{.Task.Slot}}"
    assert document["networks"]["p2p"]["driver"] == "overlay"


def test_the_file_is_private_and_holds_fresh_credentials(tmp_path):
    kind = kinds.get("fakenet")
    write(tmp_path / "a.yml", kind, "img", 2)
    write(tmp_path / "b.yml", kind, "img", 2)
    assert stat.S_IMODE((tmp_path / "a.yml").stat().st_mode) == 0o600
    env = [yaml.safe_load((tmp_path / f).read_text())["services"]["node"]["environment"] for f in ("a.yml", "b.yml")]
    assert env[0]["FAKENET_RPCPASSWORD"] != env[1]["FAKENET_RPCPASSWORD"]
