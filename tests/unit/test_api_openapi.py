"""The OpenAPI document served on 7007 describes every route the app serves, and nothing else."""

from types import SimpleNamespace

from fakenet.node import api, api_openapi
from fakenet.node.settings import Settings


def test_every_route_is_documented_and_every_documented_route_exists(tmp_path):
    node = SimpleNamespace(settings=Settings(datadir=tmp_path, name="n", network="fakenet", bind="127.0.0.1",
                                             announce="/ip4/127.0.0.1/tcp/4011"))
    served = {(route.resource.canonical, route.method.lower()) for route in api.make_app(node).router.routes()
              if route.method != "HEAD"}
    documented = {(path, method) for path, ops in api_openapi.document()["paths"].items() for method in ops}
    assert served == documented


def test_the_multiquery_timeout_s_documented_range_is_the_one_the_api_takes():
    post = api_openapi.document()["paths"]["/api/v0/multiqueries"]["post"]
    timeout = post["requestBody"]["content"]["application/json"]["schema"]["properties"]["timeout"]
    assert (timeout["minimum"], timeout["maximum"]) == (0, api.MAX_MULTIQUERY_TIMEOUT_MS)
