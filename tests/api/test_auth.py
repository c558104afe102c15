"""API keys on both surfaces of a live server: every RPC and every REST route, from the descriptors.

One table-driven test calls every method of every service in aegis/v1 (gRPC) and every route of
their google.api.http rules (REST) with no key, a wrong key, a key lacking the method's scope and
a key with it. Nothing is hand-listed, so a new RPC is covered the day it is added, and fails here
if it forgets to declare its scope.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

import aegis.v1
from aegis.api.errors import http_status_for
from aegis.api.grpc_transport import generic_handlers
from aegis.api.interceptors import AuthInterceptor
from aegis.api.pipeline import CallContext, Handler, Pipeline
from aegis.api.server import Server, build_pipeline
from aegis.api.service_binding import ServiceBinding
from aegis.app import Application, ConfigurationError
from aegis.auth import SCOPES, KeyFileError, Keyring, Principal, digest_of, load_keys, required_scope
from aegis.v1 import gate_pb2, gate_pb2_grpc
from tests.conftest import ROOT, LiveServer, default_settings, start_live, stop_live

CHALLENGE = 'Bearer realm="aegis"'


def contract_methods() -> list[MethodDescriptor]:
    """Every method of every service in every generated module of aegis.v1."""
    methods: list[MethodDescriptor] = []
    for module_info in pkgutil.iter_modules(aegis.v1.__path__):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"aegis.v1.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            methods.extend(service.methods)
    return methods


@dataclass(frozen=True)
class Route:
    method: MethodDescriptor
    http_method: str
    path: str
    body: bool


def rest_routes() -> list[Route]:
    routes = []
    for method in contract_methods():
        options = method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        rule = options.Extensions[annotations_pb2.http]
        for binding in (rule, *rule.additional_bindings):
            kind = binding.WhichOneof("pattern")
            verb, template = (
                (binding.custom.kind, binding.custom.path)
                if kind == "custom"
                else (kind.upper(), getattr(binding, kind))
            )
            path = re.sub(r"\{[^}]*\}", "x", template)
            routes.append(Route(method, verb, path, bool(binding.body)))
    return routes


def _key_names() -> dict[str, frozenset[str]]:
    names = {f"only-{scope}": frozenset({scope}) for scope in SCOPES}
    names.update({f"all-but-{scope}": frozenset(SCOPES) - {scope} for scope in SCOPES})
    return names


KEYS = _key_names()


def secret_of(name: str) -> str:
    return f"s3cr3t-{name}-0123456789abcdef"


def write_keys_file(path: Path, names: dict[str, frozenset[str]] = KEYS) -> Path:
    lines = ["keys:"]
    for name, scopes in names.items():
        lines += [
            f"  - name: {name}",
            f"    sha256: {digest_of(secret_of(name)).hex()}",
            f"    scopes: [{', '.join(sorted(scopes))}]",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
async def secured(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("auth")
    keys = write_keys_file(tmp / "keys.yaml")
    live = await start_live(default_settings(tmp, api_keys_file=str(keys)))
    yield live
    await stop_live(live)


# (case, the key to send for a method needing `scope`, whether auth must let it through, expected code)
def _credential(case: str, scope: str) -> str | None:
    return {
        "no key": None,
        "wrong key": "Bearer not-a-key-at-all",
        "lacking scope": f"Bearer {secret_of(f'all-but-{scope}')}",
        "right key": f"Bearer {secret_of(f'only-{scope}')}",
    }[case]


_EXPECTED = {
    "no key": grpc.StatusCode.UNAUTHENTICATED,
    "wrong key": grpc.StatusCode.UNAUTHENTICATED,
    "lacking scope": grpc.StatusCode.PERMISSION_DENIED,
    "right key": None,  # past authentication: whatever the servicer says, never 401/403
}
CASES = list(_EXPECTED)


def _scope(method: MethodDescriptor) -> str:
    scope = required_scope(method)
    assert scope is not None, f"{method.full_name} declares no (aegis.v1.required_scope)"
    return scope


@dataclass(frozen=True)
class Target:
    """One thing a caller can call: a gRPC method, or one REST route of a method's http rules."""

    surface: str
    method: MethodDescriptor
    route: Route | None = None

    def __str__(self) -> str:
        if self.route is None:
            return f"grpc {self.method.full_name}"
        return f"rest {self.route.http_method} {self.route.path}"


def targets() -> list[Target]:
    return [Target("grpc", method) for method in contract_methods()] + [
        Target("rest", route.method, route) for route in rest_routes()
    ]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("target", targets(), ids=str)
async def test_auth_every_rpc_and_route_on_both_surfaces(
    secured: LiveServer, target: Target, case: str
) -> None:
    """The table: every RPC and every REST route x no key, wrong key, key lacking scope, right key."""
    credential = _credential(case, _scope(target.method))
    if target.route is None:
        code, challenge = await _call_grpc(secured, target.method, credential)
    else:
        code, challenge = await _call_rest(secured, target.route, credential)
    expected = _EXPECTED[case]
    if expected is None:
        assert code not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED), code
        return
    assert code == expected
    assert challenge.startswith(CHALLENGE)


async def _call_grpc(
    live: LiveServer, method: MethodDescriptor, credential: str | None
) -> tuple[grpc.StatusCode, str]:
    metadata = () if credential is None else (("authorization", credential),)
    call = live.channel.unary_unary(
        f"/{method.containing_service.full_name}/{method.name}",
        request_serializer=None,
        response_deserializer=None,
    )
    try:
        await call(b"", metadata=metadata)
    except grpc.aio.AioRpcError as err:
        return err.code(), str(dict(err.trailing_metadata() or ()).get("www-authenticate", ""))
    return grpc.StatusCode.OK, ""


async def _call_rest(live: LiveServer, route: Route, credential: str | None) -> tuple[grpc.StatusCode, str]:
    headers = {} if credential is None else {"Authorization": credential}
    response = await live.rest.request(
        route.http_method, route.path, headers=headers, json={} if route.body else None
    )
    if response.status_code == 200:
        return grpc.StatusCode.OK, ""
    code = next(c for c in grpc.StatusCode if c.value[0] == response.json()["code"])
    # The HTTP status is the one the code maps to: 401 and 403 are never anything else.
    assert response.status_code == http_status_for(code)
    return code, response.headers.get("www-authenticate", "")


def test_auth_every_contract_method_declares_a_known_scope() -> None:
    methods = contract_methods()
    assert len(methods) >= 5
    assert {m.full_name: required_scope(m) for m in methods if required_scope(m) is None} == {}
    assert len(rest_routes()) >= 5


async def test_auth_probes_metrics_and_reflection_stay_open(secured: LiveServer) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await secured.rest.get(path)).status_code == 200, path
    stub = health_pb2_grpc.HealthStub(secured.channel)
    reply = await stub.Check(health_pb2.HealthCheckRequest(service=""))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_auth_bad_request_from_a_stranger_is_401_not_400(secured: LiveServer) -> None:
    """Authentication comes before telling anyone what is wrong with their request."""
    response = await secured.rest.post("/v1/gate/decision", content=b"{not json")
    raw = secured.channel.unary_unary("/aegis.v1.GateService/Decide", request_serializer=None)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\xff\xff\xff")
    assert response.status_code == 401
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "bearer", "Token abc", "Bearer two words"]
)
async def test_auth_malformed_authorization_is_401(secured: LiveServer, header: str) -> None:
    response = await secured.rest.get("/v1/slo", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith(CHALLENGE)


async def test_auth_scheme_is_case_insensitive(secured: LiveServer) -> None:
    response = await secured.rest.get(
        "/v1/slo", headers={"Authorization": f"bEaReR {secret_of('only-read')}"}
    )
    assert response.status_code == 200


class _Recorder:
    def __init__(self) -> None:
        self.principals: list[object] = []

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        self.principals.append(context.attributes.get("principal"))
        return await proceed(request, context)


async def test_auth_principal_is_on_the_context(tmp_path: Path) -> None:
    app = Application(default_settings(tmp_path, api_keys_file=str(write_keys_file(tmp_path / "k.yaml"))))
    recorder = _Recorder()
    server = Server(app, pipeline=Pipeline([*build_pipeline(app).interceptors, recorder]))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = gate_pb2_grpc.GateServiceStub(channel)
            secret = secret_of("all-but-read")
            await stub.Decide(
                gate_pb2.DecideRequest(slo_id="api-availability"),
                metadata=(("authorization", f"Bearer {secret}"),),
            )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.http_port}") as rest:
            await rest.get("/v1/slo", headers={"Authorization": f"Bearer {secret_of('only-read')}"})
    finally:
        await server.stop(grace=0.5)
    assert recorder.principals == [
        Principal("all-but-read", frozenset({"gate", "admin"})),
        Principal("only-read", frozenset({"read"})),
    ]
    with pytest.raises(AttributeError):
        recorder.principals[0].name = "other"  # type: ignore[attr-defined]


# --- Fail closed: a method that declares no scope ----------------------------------------------


def _unscoped_service() -> ServiceDescriptor:
    """A service like the next RPC someone adds and forgets to scope: t.Unscoped/Ping, unary."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(empty_pb2.DESCRIPTOR.serialized_pb)
    proto = descriptor_pb2.FileDescriptorProto(
        name="t/unscoped.proto", package="t", syntax="proto3", dependency=["google/protobuf/empty.proto"]
    )
    service = proto.service.add(name="Unscoped")
    service.method.add(name="Ping", input_type=".google.protobuf.Empty", output_type=".google.protobuf.Empty")
    pool.Add(proto)
    return pool.FindServiceByName("t.Unscoped")


class _Unscoped:
    async def Ping(self, request: Message, context: CallContext) -> Message:
        return type(request)()


@pytest.fixture
async def undeclared_method_server(tmp_path: Path) -> AsyncIterator[str]:
    keyring = Keyring(load_keys(write_keys_file(tmp_path / "keys.yaml")))
    pipeline = Pipeline([AuthInterceptor(keyring)])
    server = grpc.aio.server()
    bindings = [ServiceBinding(_unscoped_service(), _Unscoped())]
    server.add_generic_rpc_handlers(generic_handlers(bindings, pipeline, logging.getLogger("t")))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(0)


@pytest.mark.parametrize("name", list(KEYS))
async def test_auth_method_without_scope_is_refused_to_every_key(
    undeclared_method_server: str, name: str
) -> None:
    async with grpc.aio.insecure_channel(undeclared_method_server) as channel:
        ping = channel.unary_unary("/t.Unscoped/Ping", request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await ping(b"", metadata=(("authorization", f"Bearer {secret_of(name)}"),))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "declares no scope" in (caught.value.details() or "")


# --- The keys file --------------------------------------------------------------------------------

GOOD_DIGEST = "a" * 64
A = f"{{name: a, sha256: {GOOD_DIGEST}, scopes: [read]}}"
PASTED_SECRET = "my-plaintext-secret-that-must-never-be-echoed"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("keys: [unclosed\n", "not valid YAML"),
        ("- name: a\n", "expected a mapping with one field, keys"),
        ("keys: []\n", "keys is empty"),
        ("keys: [5]\n", "keys[0]: expected a mapping"),
        (
            f"keys: [{{name: a, sha256: {GOOD_DIGEST}, scopes: [read], secret: x}}]\n",
            "unknown field 'secret'",
        ),
        (f"keys: [{{name: '', sha256: {GOOD_DIGEST}, scopes: [read]}}]\n", "keys[0].name"),
        (f"keys: [{{name: a, sha256: {PASTED_SECRET}, scopes: [read]}}]\n", "keys[0].sha256 (key 'a')"),
        (f"keys: [{{name: a, sha256: {GOOD_DIGEST}, scopes: []}}]\n", "keys[0].scopes (key 'a')"),
        (f"keys: [{{name: a, sha256: {GOOD_DIGEST}, scopes: [write]}}]\n", "unknown scope 'write'"),
        (
            f"keys: [{A}, {A.replace(GOOD_DIGEST, 'b' * 64)}]\n",
            "two keys are named 'a'",
        ),
        (
            f"keys: [{A}, {A.replace('name: a', 'name: b')}]\n",
            "keys 'a' and 'b' have the same sha256",
        ),
    ],
)
def test_keys_file_errors_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text)
    with pytest.raises(KeyFileError) as caught:
        load_keys(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert PASTED_SECRET not in str(caught.value)


def test_keys_file_missing_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nope\.yaml"):
        Application(default_settings(tmp_path, api_keys_file=str(tmp_path / "nope.yaml")))


def test_keyring_authenticates_by_digest_only() -> None:
    keyring = Keyring(load_keys_from({"ci": {"gate"}}))
    assert keyring.authenticate(secret_of("ci")) == Principal("ci", frozenset({"gate"}))
    assert keyring.authenticate(secret_of("ci") + " ") is None
    assert keyring.authenticate(digest_of(secret_of("ci")).hex()) is None, "the digest is not the key"


def load_keys_from(names: dict[str, set[str]]) -> list[object]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return list(
            load_keys(write_keys_file(Path(tmp) / "k.yaml", {n: frozenset(s) for n, s in names.items()}))
        )


async def test_keys_reload_swaps_keys_and_keeps_them_when_the_file_turns_bad(tmp_path: Path) -> None:
    path = write_keys_file(tmp_path / "keys.yaml", {"old": frozenset({"read"})})
    live = await start_live(default_settings(tmp_path, api_keys_file=str(path)))
    try:

        async def status(name: str) -> int:
            headers = {"Authorization": f"Bearer {secret_of(name)}"}
            return (await live.rest.get("/v1/slo", headers=headers)).status_code

        assert await status("old") == 200
        write_keys_file(path, {"new": frozenset({"read"})})
        live.app.reload_keys()
        assert (await status("old"), await status("new")) == (401, 200)
        path.write_text("keys: [broken\n")
        live.app.reload_keys()
        assert await status("new") == 200
    finally:
        await stop_live(live)


async def test_no_keys_on_a_public_address_is_a_loud_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for host, loud in (("0.0.0.0", True), ("127.0.0.1", False)):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="aegis"):
            server = Server(Application(default_settings(tmp_path, host=host)))
            await server.start()
            await server.stop(grace=0.1)
        warned = [r for r in caplog.records if "NO API KEYS" in r.getMessage()]
        assert bool(warned) is loud, host
        if loud:
            assert warned[0].levelno == logging.WARNING


@pytest.mark.parametrize("document", ["README.md", "docs/security.md"])
def test_auth_documented_scopes_match_the_contract(document: str) -> None:
    """The scope tables people read say what the descriptors say, for every method."""
    text = (ROOT / document).read_text()
    documented: dict[str, str] = {}
    for scope, methods in re.findall(r"^\| `(read|gate|admin)` \| (.*) \|$", text, flags=re.MULTILINE):
        for method in re.findall(r"`(\w+Service/\w+)`", methods):
            documented[method] = scope
    declared = {
        f"{m.containing_service.name}/{m.name}": required_scope(m) for m in contract_methods()
    }
    assert documented == declared
