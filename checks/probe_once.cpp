#include "checks/probe_once.hpp"

#include <uv.h>

#include <optional>

#include "checks/probe_kinds.hpp"

namespace faultline {

ProbeResult probe_once(std::shared_ptr<const ProbeSpec> spec) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::optional<ProbeResult> result;
  {
    ProbeKinds probers(&loop);
    probers.start(std::move(spec), [&](ProbeResult r) { result = std::move(r); });
    while (!result && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
  }
  // Let libuv release the probers' handles (and wait out an abandoned DNS lookup).
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return result.value_or(ProbeResult{});
}

}  // namespace faultline
