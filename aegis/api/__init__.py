"""The API surfaces of AegisSLO: gRPC servicers and their JSON REST transcoding.

The REST side is not hand-written: `aegis.api.transcoder` reads the `google.api.http` rules from the
protobuf descriptors and republishes the gRPC servicers, so the contract in proto/ stays the single
source of truth for both transports. See docs/rest.md.
"""
