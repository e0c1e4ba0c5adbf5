#include "checks/path_trace_once.hpp"

#include <uv.h>

#include <optional>

#include "checks/path_tracer.hpp"

namespace faultline {

PathTrace trace_once(const std::string& address, int port, TraceOptions options) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::optional<PathTrace> result;
  {
    PathTracer tracer(&loop);
    tracer.start(address, port, options, [&](PathTrace t) { result = std::move(t); });
    while (!result && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
  }
  // Let libuv release the tracer's handles.
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return result.value_or(PathTrace{});
}

}  // namespace faultline
