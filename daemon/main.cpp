#include "daemon/cli.hpp"
#include "daemon/internal_error.hpp"

int main(int argc, char** argv) {
  return faultline::guard_internal_errors([&] { return faultline::run_cli(argc, argv); });
}
