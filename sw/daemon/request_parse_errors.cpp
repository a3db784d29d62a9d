#include "request_parse_errors.h"

#include <string>

#include <fmt/format.h>

namespace broker::daemon {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RequestParseErrors final : public grpc::experimental::Interceptor {
 public:
  explicit RequestParseErrors(grpc::experimental::ServerRpcInfo* info) : method_(info->method()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    // The sync server deserializes before this hook; a request it could not parse is null.
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) && m->GetRecvMessage() == nullptr)
      unparsed_ = true;
    if (m->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) && unparsed_ &&
        m->GetSendStatus().error_code() == grpc::StatusCode::INTERNAL)
      m->ModifySendStatus(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          fmt::format("{}: the request could not be parsed as this method's protobuf message (damaged, "
                      "truncated, or of another type)",
                      method_)));
    m->Proceed();
  }

 private:
  std::string method_;
  bool unparsed_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new RequestParseErrors(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> request_parse_errors() {
  return std::make_unique<Factory>();
}

}  // namespace broker::daemon
