#include "storage/sqlite_store.hpp"

#include <spdlog/spdlog.h>

#include "checks/utc_time.hpp"
#include "storage/open_database.hpp"
#include "storage/stopped_outages.hpp"
#include "storage/store_writer.hpp"

namespace faultline {
namespace {

bool same_target(const TargetRecord& record, const TargetInfo& info) {
  return record.name == info.name && record.url == info.url && record.kind == info.kind &&
         record.labels == info.labels;
}

TargetRef make_record(const TargetInfo& info) {
  return std::make_shared<const TargetRecord>(
      TargetRecord{info.name, info.url, info.kind, info.labels});
}

}  // namespace

Expected<std::unique_ptr<SqliteStore>> SqliteStore::open(const StorageOptions& options) {
  // Opened before locking: a read-only or foreign file is reported as such, not as a lock file
  // that cannot be created beside it. Opening changes nothing another daemon would notice.
  auto db = open_database(options);
  if (!db) return unexpected(db.error());
  auto lock = HistoryLock::acquire(options.path);
  if (!lock) return unexpected("storage database '" + options.path + "': " + lock.error());
  // Now that no other faultline can write here, whatever is still open was left by one that
  // stopped without ending its outages. Not fatal: they would only run on into this run.
  if (auto ended = end_outages_of_stopped_run(*db); !ended) {
    spdlog::warn("storage database '{}': {}", options.path, ended.error());
  } else if (*ended > 0) {
    spdlog::info(
        "storage: {} outage(s) still open when faultline last stopped end at their "
        "target's last probe",
        *ended);
  }
  // Not make_unique: the constructor is private.
  return std::unique_ptr<SqliteStore>(new SqliteStore(options, std::move(*lock), std::move(*db)));
}

SqliteStore::SqliteStore(const StorageOptions& options, HistoryLock lock, SqliteConnection db)
    : options_(options),
      lock_(std::move(lock)),
      queue_(options.queue_capacity),
      writer_(std::make_unique<StoreWriter>(options_, queue_, std::move(db))) {}

SqliteStore::~SqliteStore() = default;

void SqliteStore::on_targets(const std::vector<const TargetInfo*>& targets) {
  std::unordered_map<const TargetInfo*, TargetRef> records;
  TargetsRow row;
  row.at_ms = unix_now_ms();
  for (const TargetInfo* info : targets) {
    auto it = records_.find(info);
    TargetRef ref =
        it != records_.end() && same_target(*it->second, *info) ? it->second : make_record(*info);
    records.emplace(info, ref);
    row.targets.push_back(std::move(ref));
  }
  // Targets absent from the new set are forgotten, so a reused address cannot alias them.
  records_ = std::move(records);
  queue_.push(std::move(row));
}

TargetRef SqliteStore::record_for(const TargetInfo& target) {
  TargetRef& ref = records_[&target];
  if (!ref || !same_target(*ref, target)) ref = make_record(target);
  return ref;
}

void SqliteStore::on_result(const TargetInfo& target, const ProbeResult& result) {
  ResultRow row;
  row.target = record_for(target);
  row.time_ms = result.started_at_ms;
  row.cls = result.cls;
  row.phase = result.phase;
  row.detail = detail_text(result);
  row.http_status = result.http_status;
  row.sys_errno = result.sys_errno;
  row.timings = result.timings;
  row.reused = result.reused;
  row.idle_ms = result.idle_ms;
  row.slow = result.slow;
  if (!result.ok() || options_.record_successes) {
    row.message = result.message;
    row.remote_addr = result.remote_addr;
  }
  queue_.push(std::move(row));
}

void SqliteStore::on_state_change(const TargetInfo& target, const StateChange& change) {
  queue_.push(StateRow{record_for(target), change});
}

void SqliteStore::on_idle_finding(const TargetInfo& target, const IdleFinding& finding,
                                  std::int64_t at_ms) {
  queue_.push(IdleRow{record_for(target), at_ms, finding});
}

void SqliteStore::on_path_trace(const TargetInfo& target, const PathTrace& trace) {
  if (!trace.ran()) return;
  queue_.push(PathTraceRow{record_for(target), trace});
}

void SqliteStore::flush(std::chrono::milliseconds budget) {
  if (!writer_->flush(budget)) {
    spdlog::warn("storage: {} rows not yet written to '{}' after waiting {}ms", queue_.pending(),
                 options_.path, budget.count());
  }
}

StorageStats SqliteStore::stats() const {
  StorageStats s;
  s.queue_rows = queue_.pending();
  s.rows_dropped_total = queue_.dropped_total();
  s.write_errors_total = writer_->write_errors();
  s.rows_written_total = writer_->rows_written();
  return s;
}

}  // namespace faultline
