// SQLite's WAL checkpoints, run off the commit path (issue 15).
//
// SQLite's default copies the WAL back into the database file inside the COMMIT that takes the
// WAL past 1,000 pages: that commit (a firing batch, a group of API writes) then also writes and
// syncs the database file, which set the tail of the spread load's lateness and of the API's
// answers. Every writable session of a file instead registers attach_wal_checkpointer(): its
// commits only note the WAL's size, and once it passes kBackgroundPages a thread of the
// process (one per database file, with its own connection) runs a PASSIVE checkpoint, which
// never blocks a writer or a reader. The writers restart the WAL from its beginning once it is
// wholly copied, as before, so the WAL file stays about kBackgroundPages long. Under a stream of
// commits a round never copies it wholly: the commits made while it ran are left over, and
// another round leaves the next ones over (each round syncs the WAL and the database file; the
// API's load ran about ten rounds per cycle of the WAL). So once the thread's round of this
// cycle has left at most kFinishOnCommitPages, the next commit copies them itself (a PASSIVE
// checkpoint between two transactions: it catches up, and the next transaction restarts the
// WAL); should a reader keep it from copying everything, the thread takes over again. Should the
// thread fall behind (a reader pinning an old snapshot, a slow disk), a commit that finds the WAL
// past kCommitPathPages checkpoints it itself, as SQLite's default would: the WAL stays bounded.
//
// Lifetime: a file's checkpointer lives while any session of the file registered with it lives
// (SQLite 3.40 has no per-connection client data; the registration is held by a function whose
// destructor SQLite runs when the connection closes). Its thread starts at the first checkpoint
// asked for, and the last session's close stops it and closes its connection, so the WAL file is
// removed at the end as with SQLite's default.
//
// Thread-safety: attach_wal_checkpointer() may be called from any thread, each time with a
// session that thread owns.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <string>

namespace fangfan::storage_detail {

// The WAL size (in pages) at which a commit asks the background thread for a checkpoint.
inline constexpr int kBackgroundPages = 1000;
// What a commit copies itself once the thread's round copied the rest of the WAL: the pages
// committed while that round ran (see the top of this file).
inline constexpr int kFinishOnCommitPages = 256;
// The WAL size at which a commit checkpoints on its own thread (the thread fell behind).
inline constexpr int kCommitPathPages = 8 * kBackgroundPages;

// Replaces SQLite's automatic checkpoint of `session` (an open, writable SQLite session in WAL
// mode) with the background checkpointer of its database file. Throws soci::soci_error when
// SQLite refuses the registration.
void attach_wal_checkpointer(soci::session& session);

// What the checkpointer of a file did so far (tests): checkpoints run by its thread and by
// committing threads, the CPU its thread used (as of its last round), and the pages the commits
// appended to the WAL and the times it started again from its beginning (with several writing
// sessions at once, estimates). Zeros when the file has no checkpointer now.
struct WalCheckpointCounts {
  std::int64_t background = 0;
  std::int64_t on_commit_path = 0;
  std::int64_t thread_cpu_ns = 0;
  std::int64_t frames = 0;
  std::int64_t restarts = 0;
  std::int64_t finished_on_commit = 0;  // rounds' remainders copied by a commit
};
WalCheckpointCounts wal_checkpoint_counts(const std::string& database_file);

}  // namespace fangfan::storage_detail
