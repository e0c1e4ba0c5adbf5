// Reading a config file from disk, bounded: faultline reads only regular files of at most
// kMaxConfigFileBytes, so that a device (/dev/zero, /dev/urandom), a pipe or a runaway file
// cannot make it read forever or exhaust memory.
#pragma once

#include <cstdint>
#include <string>

#include "checks/expected.hpp"

namespace faultline {

// 64 MiB. A config of 100,000 targets, each with two labels and a header, is about 21 MB; with
// a name and a URL only, about 8 MB. The YAML tree of a file costs about forty times its size
// in memory while it is read.
inline constexpr std::uint64_t kMaxConfigFileBytes = 64ull << 20;

// The contents of the file at `path`, or why it cannot be read: it does not exist or may not
// be read ("cannot read the config file: Permission denied"), it is a directory or not a
// regular file, or it is larger than kMaxConfigFileBytes. Never blocks on a FIFO.
Expected<std::string> read_config_file(const std::string& path);

}  // namespace faultline
