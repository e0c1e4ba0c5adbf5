#include "daemon/cli.hpp"

int main(int argc, char** argv) {
  return faultline::run_cli(argc, argv);
}
