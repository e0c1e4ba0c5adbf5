// What an operator should look at, for each kind of failure.
#pragma once

#include <string_view>

#include "checks/probe_result.hpp"

namespace faultline {

// A short, specific advice text for the result's class/phase/detail; empty for ok.
std::string_view advice_for(const ProbeResult& result);

}  // namespace faultline
