"""Issue 14 S3 and F5 on port 7007: what a web page, a large body or a malformed body can do.

Each test fails on the API before the hardening (writes from any origin, text/plain and
bodiless POSTs accepted, 16 MiB bodies read, plain-text 500s) and passes after.
"""

import json

import pytest
import requests

from support import local_nodes as local

EVIL = "https://evil.example"
APP = "https://app.example"
CORS = {"CORS_ALLOWED_ORIGINS": r"^https://app\.example$"}  # or --cors-allowed-origins


@pytest.fixture
def node(tmp_path, start_nodes):
    (a,) = start_nodes(local.full_mesh(tmp_path, 1, variables=CORS), wait_peers=False)
    return a


@pytest.fixture(scope="module")
def refusing(tmp_path_factory):
    """One node for the module's tests that change nothing on it (each request is refused or only
    reads): a node each cost ~0.3 CPU s to start, twenty times. A request that broke the node would
    still fail its own test, and every test after it."""
    (a,) = local.full_mesh(tmp_path_factory.mktemp("refusing"), 1, variables=CORS)
    try:
        a.start()
        a.wait_ready()
        yield a
    finally:
        a.close()


def _stream(node) -> str:
    return requests.post(f"{node.api_url}/api/v0/streams", json={"content": {"n": 1}}, timeout=10).json()["streamId"]


def _is_json_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json") and "error" in response.json()


# -- S3: a foreign web page --------------------------------------------------------------------

@pytest.mark.parametrize("headers,body", [
    ({"Content-Type": "text/plain"}, json.dumps({"content": {"from": "a page"}})),  # a no-cors fetch
    ({"Content-Type": "application/x-www-form-urlencoded"}, "content=1"),  # an HTML form
    ({}, None),  # a bodiless POST, also sent without a preflight
])
def test_writes_a_browser_sends_without_preflight_are_refused(node, headers, body):
    _is_json_error(requests.post(f"{node.api_url}/api/v0/streams", data=body, headers=headers, timeout=10), 415)
    stream_id = _stream(node)
    _is_json_error(requests.post(f"{node.api_url}/api/v0/pins/{stream_id}", data=body, headers=headers,
                                 timeout=10), 415)
    assert requests.get(f"{node.api_url}/api/v0/pins", timeout=10).json()["pinnedStreamIds"] == []


def test_a_foreign_origin_gets_no_cors_grant_and_its_preflight_is_refused(refusing):
    preflight = requests.options(f"{refusing.api_url}/api/v0/streams", timeout=10, headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    _is_json_error(preflight, 403)
    assert "Access-Control-Allow-Origin" not in preflight.headers
    read = requests.get(f"{refusing.api_url}/api/v0/node/healthcheck", headers={"Origin": EVIL}, timeout=10)
    assert read.status_code == 200 and "Access-Control-Allow-Origin" not in read.headers


def test_a_write_carrying_a_foreign_origin_is_refused_before_it_happens(node):
    stream_id = _stream(node)
    _is_json_error(requests.post(f"{node.api_url}/api/v0/admin/pins/{stream_id}", json={},
                                 headers={"Origin": EVIL}, timeout=10), 403)
    assert requests.get(f"{node.api_url}/api/v0/admin/pins", timeout=10).json()["pinnedStreamIds"] == []


def test_an_allowed_origin_gets_its_preflight_and_reads(node):
    preflight = requests.options(f"{node.api_url}/api/v0/streams", timeout=10, headers={
        "Origin": APP, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == APP
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    created = requests.post(f"{node.api_url}/api/v0/streams", json={"content": {"n": 2}},
                            headers={"Origin": APP}, timeout=10)
    assert created.status_code == 200 and created.headers["Access-Control-Allow-Origin"] == APP


def test_bodies_over_one_mib_get_a_json_413(refusing):
    big = json.dumps({"content": {"blob": "x" * (1024 * 1024)}})
    _is_json_error(requests.post(f"{refusing.api_url}/api/v0/streams", data=big, timeout=30,
                                 headers={"Content-Type": "application/json"}), 413)

    def chunks():  # no Content-Length: the limit must hold while reading, too
        yield b'{"content": {"blob": "'
        for _ in range(33):
            yield b"x" * 65536
        yield b'"}}'

    _is_json_error(requests.post(f"{refusing.api_url}/api/v0/streams", data=chunks(), timeout=30,
                                 headers={"Content-Type": "application/json"}), 413)
    assert requests.get(f"{refusing.api_url}/api/v0/node/healthcheck", timeout=10).status_code == 200


def test_the_body_limit_is_configurable(tmp_path, start_nodes):
    limit = {"API_BODY_LIMIT": "2000"}  # or --api-body-limit
    (a,) = start_nodes(local.full_mesh(tmp_path, 1, variables=limit), wait_peers=False)
    _is_json_error(requests.post(f"{a.api_url}/api/v0/streams", json={"content": "x" * 2000}, timeout=10), 413)
    assert requests.post(f"{a.api_url}/api/v0/streams", json={"content": "x" * 1000}, timeout=10).status_code == 200


def test_an_admin_token_guards_pin_and_unpin(tmp_path, start_nodes):
    token = {"API_ADMIN_TOKEN": "s3cret"}  # by environment: never on a command line
    (a,) = start_nodes(local.full_mesh(tmp_path, 1, variables=token), wait_peers=False)
    stream_id = _stream(a)
    for base in ("/api/v0/pins", "/api/v0/admin/pins"):
        _is_json_error(requests.post(f"{a.api_url}{base}/{stream_id}", json={}, timeout=10), 401)
        _is_json_error(requests.post(f"{a.api_url}{base}/{stream_id}", json={}, timeout=10,
                                     headers={"Authorization": "Bearer wrong"}), 401)
    token = {"Authorization": "Bearer s3cret"}
    assert requests.post(f"{a.api_url}/api/v0/admin/pins/{stream_id}", json={}, headers=token,
                         timeout=10).json() == {"streamId": stream_id, "isPinned": True}
    _is_json_error(requests.delete(f"{a.api_url}/api/v0/pins/{stream_id}", timeout=10), 401)
    assert requests.delete(f"{a.api_url}/api/v0/pins/{stream_id}", headers=token, timeout=10).status_code == 200


# -- F5: malformed bodies ------------------------------------------------------------------------

MALFORMED = [
    ("/api/v0/streams", "[1, 2]"),
    ("/api/v0/streams", '"just a string"'),
    ("/api/v0/streams", '{"content": 1, "metadata": 5}'),
    ("/api/v0/streams", '{"content": 1, "opts": []}'),
    ("/api/v0/streams", '{"genesis": {"jws": 1}}'),
    ("/api/v0/streams", '{"genesis": {"jws": {"payload": "!!", "signatures": []}, "linkedBlock": "@"}}'),
    ("/api/v0/streams", '{"genesis": 7}'),
    ("/api/v0/streams", '{"genesis": "zz"}'),
    ("/api/v0/streams", '{"type": "caip10-link", "genesis": {"header": {}}}'),
    ("/api/v0/streams", '{"content": ' + "[" * 5000 + "]" * 5000 + "}"),
    ("/api/v0/streams", '{"content": {"a": 1'),
    ("/api/v0/streams", b'{"content": "\xff\xfe"}'),
    ("/api/v0/commits", '{"streamId": 5, "commit": "00"}'),
    ("/api/v0/commits", '{"streamId": "kjzl6cwe1", "commit": {}}'),
    ("/api/v0/commits", "{}"),
    ("/api/v0/multiqueries", '{"queries": 3}'),
    ("/api/v0/multiqueries", '{"queries": [], "timeout": "soon"}'),
    # Not JSON (RFC 8259), though Python's json reads them: a NaN timeout passed the `< 0` check and
    # put NaN in asyncio's timer heap, delaying every timer of the node by seconds (strict_json.py).
    ("/api/v0/multiqueries", '{"queries": [], "timeout": NaN}'),
    ("/api/v0/multiqueries", '{"queries": [], "timeout": Infinity}'),
    ("/api/v0/multiqueries", '{"queries": [], "timeout": 1e999}'),
    ("/api/v0/multiqueries", '{"queries": [], "timeout": 1%s}' % ("0" * 400)),  # an int: no float holds it in s
    ("/api/v0/multiqueries", '{"queries": [], "timeout": 600001}'),
    ("/api/v0/streams", '{"content": {"n": -Infinity}}'),
]


@pytest.mark.parametrize("path,body", MALFORMED)
def test_malformed_bodies_get_a_json_400(refusing, path, body):
    response = requests.post(f"{refusing.api_url}{path}", data=body, timeout=10,
                             headers={"Content-Type": "application/json"})
    _is_json_error(response, 400)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_a_number_json_has_not_is_named_in_the_400(refusing, number):
    response = requests.post(f"{refusing.api_url}/api/v0/multiqueries", data='{"queries": [], "timeout": %s}' % number,
                             headers={"Content-Type": "application/json"}, timeout=10)
    _is_json_error(response, 400)
    assert "request body is not JSON" in response.json()["error"], response.text
    assert number in response.json()["error"] or "out of range" in response.json()["error"], response.text


def test_unknown_routes_and_methods_answer_json(refusing):
    _is_json_error(requests.get(f"{refusing.api_url}/api/v0/nope", timeout=10), 404)
    response = requests.put(f"{refusing.api_url}/api/v0/streams", json={}, timeout=10)
    _is_json_error(response, 405)
    assert response.headers["Allow"] == "POST"
