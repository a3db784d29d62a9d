// A request that is not a valid protobuf message of its method's type never reaches our
// handlers: gRPC answers it with INTERNAL and an empty message, which reads as a daemon bug.
// This server interceptor turns that answer into INVALID_ARGUMENT saying what was wrong.
#pragma once
#include <memory>

#include <grpcpp/support/server_interceptor.h>

namespace broker::daemon {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> request_parse_errors();

}  // namespace broker::daemon
