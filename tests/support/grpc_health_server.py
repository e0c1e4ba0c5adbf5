#!/usr/bin/python3
"""A gRPC health server for the tests of grpc:// and grpcs:// targets (Debian python3-grpcio).

It serves grpc.health.v1.Health/Check through a generic handler with identity serializers, so
the test reads and writes the protobuf bytes itself, as faultline does. The service asked
about decides the answer:

  ""          SERVING             "sick"      NOT_SERVING
  "starting"  UNKNOWN             "draining"  grpc-status 14 UNAVAILABLE
  "garbage"   a message that is not a HealthCheckResponse
  any other   grpc-status 5 NOT_FOUND, as the standard health servicer answers

A second server on another port has no services at all (grpc-status 12 UNIMPLEMENTED).
Usage: grpc_health_server.py [--tls CERT KEY]. Prints "PORTS <health> <bare>" once both listen
on 127.0.0.1, then serves until killed.
"""

import sys
from concurrent import futures

import grpc

STATUS = {"": 1, "sick": 2, "starting": 0}


def read_service(request):
    """HealthCheckRequest{string service = 1}: tag 0x0a, a one-byte length, the name."""
    if not request:
        return ""
    if request[0] != 0x0A or len(request) < 2 or request[1] != len(request) - 2:
        raise ValueError("unexpected request bytes %r" % request)
    return request[2:].decode()


def check(request, context):
    service = read_service(request)
    if service == "draining":
        context.abort(grpc.StatusCode.UNAVAILABLE, "draining: 100% of calls refused")
    if service == "garbage":
        return b"\xff\xfenot protobuf"
    if service not in STATUS:
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
    status = STATUS[service]
    # HealthCheckResponse{ServingStatus status = 1}: tag 0x08, the value; 0 is left out.
    return b"\x08" + bytes([status]) if status else b""


def main():
    credentials = None
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        with open(sys.argv[2], "rb") as cert, open(sys.argv[3], "rb") as key:
            credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {"Check": grpc.unary_unary_rpc_method_handler(
            check, request_deserializer=None, response_serializer=None)})
    servers, ports = [], []
    for handlers in ([handler], []):
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=handlers)
        if credentials:
            ports.append(server.add_secure_port("127.0.0.1:0", credentials))
        else:
            ports.append(server.add_insecure_port("127.0.0.1:0"))
        server.start()
        servers.append(server)
    print("PORTS %d %d" % tuple(ports), flush=True)
    servers[0].wait_for_termination()


if __name__ == "__main__":
    main()
