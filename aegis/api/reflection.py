"""gRPC server reflection, ``grpc.reflection.v1`` and ``v1alpha``, answered from a descriptor pool.

grpcio-reflection 1.85 offers only v1alpha, and it looks symbols up with
``DescriptorPool.FindFileContainingSymbol``, which knows no methods: ``grpcurl describe
aegis.v1.GateService.Decide`` and ``ghz --call aegis.v1.GateService.Decide`` fail with "Symbol
not found" (grpc/grpc#34743). This servicer resolves what grpc-go's reflection resolves
(services, methods, messages, nested types, fields, enums, enum values, oneofs, extensions).

The two protocol versions are the same messages under two package names (v1 was published as a
copy of v1alpha), so one implementation serves both: requests and responses of either version are
read and written with the v1alpha classes. So that tools can describe the v1 service too, its file
descriptor is derived from the v1alpha one (renamed, no new message) and added to the pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor
from grpc_reflection.v1alpha import reflection_pb2

__all__ = ["REFLECTION_SERVICES", "V1ALPHA_SERVICE", "V1_SERVICE", "ReflectionServicer", "add_reflection"]

V1_SERVICE = "grpc.reflection.v1.ServerReflection"
V1ALPHA_SERVICE = "grpc.reflection.v1alpha.ServerReflection"
REFLECTION_SERVICES = (V1_SERVICE, V1ALPHA_SERVICE)
V1_FILE = "grpc/reflection/v1/reflection.proto"
_METHOD = "ServerReflectionInfo"

# The generated reflection messages are untyped for mypy (grpc_reflection ships no py.typed).
Request = Any
Response = Any


class ReflectionServicer:
    """Answers every reflection request of a stream from ``pool`` (default: the process's pool).

    ``service_names`` is what ``list_services`` reports; the reflection services are added.
    """

    def __init__(
        self, service_names: Iterable[str], pool: descriptor_pool.DescriptorPool | None = None
    ) -> None:
        self._pool = pool if pool is not None else descriptor_pool.Default()
        _ensure_reflection_files(self._pool)
        self._services = tuple(sorted({*service_names, *REFLECTION_SERVICES}))

    async def ServerReflectionInfo(
        self, requests: AsyncIterator[Request], context: object
    ) -> AsyncIterator[Response]:
        async for request in requests:
            yield self.answer(request)

    def answer(self, request: Request) -> Response:
        """The response to one request; an unknown name is an error response, never a failed stream."""
        kind = request.WhichOneof("message_request")
        try:
            if kind == "file_by_filename":
                response = self._files(self._pool.FindFileByName(request.file_by_filename))
            elif kind == "file_containing_symbol":
                response = self._files(self._file_containing_symbol(request.file_containing_symbol))
            elif kind == "file_containing_extension":
                wanted = request.file_containing_extension
                extendee = self._pool.FindMessageTypeByName(wanted.containing_type)
                extension = self._pool.FindExtensionByNumber(extendee, wanted.extension_number)
                response = self._files(self._pool.FindFileContainingSymbol(extension.full_name))
            elif kind == "all_extension_numbers_of_type":
                response = self._extension_numbers(request.all_extension_numbers_of_type)
            elif kind == "list_services":
                response = reflection_pb2.ServerReflectionResponse(
                    list_services_response=reflection_pb2.ListServiceResponse(
                        service=[reflection_pb2.ServiceResponse(name=name) for name in self._services]
                    )
                )
            else:
                response = _error(grpc.StatusCode.INVALID_ARGUMENT, "the request sets no message_request")
        except KeyError:
            response = _error(grpc.StatusCode.NOT_FOUND, _not_found_message(request, kind))
        response.valid_host = request.host
        response.original_request.CopyFrom(request)
        return response

    def _file_containing_symbol(self, name: str) -> FileDescriptor:
        """The file declaring ``name``, including the members the pool's own lookup misses."""
        name = name.removeprefix(".")
        try:
            return self._pool.FindFileContainingSymbol(name)
        except KeyError:
            parent, _, member = name.rpartition(".")
            if not parent:
                raise
        # grpc/grpc#34743: methods are not symbols to the pool, nor are oneofs (upb).
        try:
            service = self._pool.FindServiceByName(parent)
        except KeyError:
            message = self._pool.FindMessageTypeByName(parent)
            if member in message.oneofs_by_name:
                return message.file
        else:
            if member in service.methods_by_name:
                return service.file
        raise KeyError(name)

    def _extension_numbers(self, type_name: str) -> Response:
        extendee = self._pool.FindMessageTypeByName(type_name)
        numbers = sorted(extension.number for extension in self._pool.FindAllExtensions(extendee))
        return reflection_pb2.ServerReflectionResponse(
            all_extension_numbers_response=reflection_pb2.ExtensionNumberResponse(
                base_type_name=extendee.full_name, extension_number=numbers
            )
        )

    @staticmethod
    def _files(file: FileDescriptor) -> Response:
        """``file`` first, then every file it imports, transitively (as grpc-go sends them)."""
        ordered: dict[str, FileDescriptor] = {}
        pending = [file]
        while pending:
            current = pending.pop(0)
            if current.name not in ordered:
                ordered[current.name] = current
                pending.extend(current.dependencies)
        return reflection_pb2.ServerReflectionResponse(
            file_descriptor_response=reflection_pb2.FileDescriptorResponse(
                file_descriptor_proto=[found.serialized_pb for found in ordered.values()]
            )
        )


def add_reflection(
    server: grpc.aio.Server, service_names: Iterable[str], pool: descriptor_pool.DescriptorPool | None = None
) -> ReflectionServicer:
    """Serve reflection v1 and v1alpha on ``server``, listing ``service_names`` and themselves."""
    servicer = ReflectionServicer(service_names, pool)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(name, {_METHOD: handler}) for name in REFLECTION_SERVICES]
    )
    return servicer


def _error(code: grpc.StatusCode, message: str) -> Response:
    return reflection_pb2.ServerReflectionResponse(
        error_response=reflection_pb2.ErrorResponse(error_code=code.value[0], error_message=message)
    )


def _not_found_message(request: Request, kind: str) -> str:
    if kind == "file_by_filename":
        return f"file not found: {request.file_by_filename}"
    if kind == "file_containing_symbol":
        return f"symbol not found: {request.file_containing_symbol}"
    if kind == "file_containing_extension":
        wanted = request.file_containing_extension
        return f"extension {wanted.extension_number} of {wanted.containing_type} not found"
    return f"type not found: {request.all_extension_numbers_of_type}"


def _ensure_reflection_files(pool: descriptor_pool.DescriptorPool) -> None:
    """Both reflection protocols must be describable through themselves."""
    for proto in (_file_proto(reflection_pb2.DESCRIPTOR), _v1_file_proto()):
        try:
            pool.FindFileByName(proto.name)
        except KeyError:
            pool.Add(proto)


def _file_proto(file: FileDescriptor) -> descriptor_pb2.FileDescriptorProto:
    return descriptor_pb2.FileDescriptorProto.FromString(file.serialized_pb)


def _v1_file_proto() -> descriptor_pb2.FileDescriptorProto:
    """grpc/reflection/v1/reflection.proto: the v1alpha file under the v1 name, package and options."""
    proto = _file_proto(reflection_pb2.DESCRIPTOR)
    old, new = f".{proto.package}.", ".grpc.reflection.v1."
    proto.name = V1_FILE
    proto.package = new.strip(".")
    proto.options.Clear()
    proto.options.go_package = "google.golang.org/grpc/reflection/grpc_reflection_v1"
    proto.options.java_package = "io.grpc.reflection.v1"
    proto.options.java_outer_classname = "ServerReflectionProto"
    proto.options.java_multiple_files = True

    def renamed(type_name: str) -> str:
        return new + type_name.removeprefix(old)

    messages = list(proto.message_type)
    while messages:
        message = messages.pop()
        messages.extend(message.nested_type)
        for field in message.field:
            if field.type_name.startswith(old):
                field.type_name = renamed(field.type_name)
    for service in proto.service:
        for method in service.method:
            method.input_type = renamed(method.input_type)
            method.output_type = renamed(method.output_type)
    return proto
