// Down time is what faultline saw. When it stops, the outages still open are not known to go on:
// each ends, for the history, at the target's last probe, with a state change down -> unknown
// that the `outages` view shows as ended_by 'faultline_stopped'. Without it, a target down when
// faultline stopped would count as down for as long as faultline stayed stopped.
#pragma once

#include <cstdint>

#include "checks/expected.hpp"
#include "storage/sqlite_connection.hpp"

namespace faultline {

// The message of the down -> unknown changes written here.
inline constexpr const char* kStoppedMessage = "faultline stopped";

// For every target whose latest state change is to 'down', records a change down -> unknown
// (class 'ok', phase '', no detail, kStoppedMessage) at the target's last probe
// (targets.last_probe, else last_seen; never before the change it ends). Returns how many outages
// it ended. Only call it while nothing probes into this file: at a clean stop after the last batch,
// and at start under the HistoryLock, before the first row, for a faultline that stopped without
// doing it (killed, crashed, or a write that failed). Fails with SQLite's error, writing nothing.
Expected<std::int64_t> end_outages_of_stopped_run(SqliteConnection& db);

}  // namespace faultline
