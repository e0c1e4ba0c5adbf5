#include "daemon/cli.hpp"
#include "daemon/internal_error.hpp"
#include "daemon/uv_signals.hpp"

namespace {

// The daemon's signals are held from the earliest point a program can run code: .preinit_array
// entries run once the dynamic loader has relocated every library and before any library's
// constructor or main(). Held here rather than in `faultline run`, because the milliseconds
// spent in static initialisation and option parsing were long enough for a SIGHUP sent right
// after exec to kill the daemon (exit 129) and a SIGTERM to skip the flush (exit 143). run_cli
// releases them again for every command but `run`, whose loop releases them once it handles them.
void hold_daemon_signals_at_exec(int /*argc*/, char** /*argv*/, char** /*envp*/) {
  faultline::hold_signals(faultline::kDaemonSignals);
}

[[gnu::section(".preinit_array"),
  gnu::used]] void (*const kHoldAtExec)(int, char**, char**) = &hold_daemon_signals_at_exec;

}  // namespace

int main(int argc, char** argv) {
  return faultline::guard_internal_errors([&] { return faultline::run_cli(argc, argv); });
}
