// Secrets a config exposes to every user of the host: header values (Authorization, cookies,
// API keys) or proxy credentials in a config file anyone can read, and credential files or a
// metrics password file anyone can read.
#pragma once

#include <string>
#include <vector>

#include "daemon/config.hpp"

namespace faultline {

// One warning per exposure, each naming the file, what it holds, its mode and how to fix it;
// empty when nothing is exposed. "Readable by others" is the file's mode (S_IROTH); a file
// that cannot be stat()ed is not reported. Reads file metadata only.
std::vector<std::string> secret_exposure_warnings(const Config& config);

}  // namespace faultline
