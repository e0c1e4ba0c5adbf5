#include "storage/stopped_outages.hpp"

namespace faultline {
namespace {

// The latest change of each target by (time, id), the order the outages view reads them in.
// A target not probed since version 4 has no last_probe: last_seen, stamped by its probes and
// by config loads, is the nearest there is.
constexpr const char* kEndOpenOutages = R"sql(
INSERT INTO state_changes (target_id, time, from_state, to_state, class, phase, detail, message)
SELECT t.id, max(coalesce(t.last_probe, t.last_seen), s.time), 'down', 'unknown', 'ok', '', NULL,
       ?1
FROM targets t
JOIN state_changes s ON s.id = (SELECT l.id FROM state_changes l WHERE l.target_id = t.id
                                ORDER BY l.time DESC, l.id DESC LIMIT 1)
WHERE s.to_state = 'down'
)sql";

}  // namespace

Expected<std::int64_t> end_outages_of_stopped_run(SqliteConnection& db) {
  auto st = db.prepare(kEndOpenOutages);
  if (!st) return unexpected("cannot end the open outages: " + st.error());
  st->bind_text(1, kStoppedMessage);
  if (auto s = st->run(); !s) return unexpected("cannot end the open outages: " + s.error());
  return static_cast<std::int64_t>(sqlite3_changes(db.handle()));
}

}  // namespace faultline
