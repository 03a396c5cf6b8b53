// One pass over an mqueue mount for the daemon. With 10,000 queues a JS round
// trip per syscall (stat, open, read, getattr, close) costs more than the
// syscalls, and so does building one JS object per queue through N-API: the
// result is columns (one string of names, one Float64Array of numbers) that
// JS turns into objects at its own speed.
//
// The queue file reads "QSIZE:n NOTIFY:n SIGNO:n NOTIFY_PID:n" (ipc/mqueue.c
// mqueue_read_file). Reading it is one more syscall per queue, and it sets the
// inode's atime and ctime: it is only read when asked for (details), or when
// messages are queued (QSIZE is then not 0).
//
// The daemon reads the same mount every probe, and most queues are idle: a
// DirCache keeps what the last probe read of each queue, and a queue whose
// inode, mtime and ctime are unchanged is only stat'ed (see the DirCache comment).
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "addon.h"

namespace mqd {

namespace {

// Column order of `fields`; keep in step with MQ_DIR_FIELDS in src/probe/native.ts.
enum Field {
  kUid,
  kGid,
  kMode,
  kQsize,
  kMaxmsg,
  kMsgsize,
  kCurmsgs,
  kIno,
  kMtimeMs,
  kCtimeMs,
  kNotify,
  kSigno,
  kNotifyPid,
  kFields
};

// What identifies one state of a queue: ipc/mqueue.c sets atime, mtime and
// ctime to the current time on every mq_timedsend and mq_timedreceive, the
// only calls that change curmsgs and QSIZE (maxmsg and msgsize never change
// after mq_open creates the queue); mq_notify, mq_setattr, a read of the file
// and chmod/chown set ctime. A new queue is a new inode.
struct Stamp {
  uint64_t ino = 0;
  struct timespec mtime = {0, 0}, ctime = {0, 0};
  bool Same(const struct stat& st) const {
    return st.st_ino == ino && st.st_mtim.tv_sec == mtime.tv_sec && st.st_mtim.tv_nsec == mtime.tv_nsec &&
           st.st_ctim.tv_sec == ctime.tv_sec && st.st_ctim.tv_nsec == ctime.tv_nsec;
  }
};

struct CachedRow {
  Stamp stamp;
  double maxmsg, msgsize, curmsgs, qsize;
  uint32_t seen;  // the last probe that listed the queue
};

// The previous probe of one mount, for the daemon (mqDirCache()). A queue's
// row is taken from it, after one fstatat instead of openat, fstat,
// mq_getattr and close, when its stamp is unchanged and was already older
// than the probe that read it: the mqueue filesystem keeps whole seconds
// (tv_nsec is 0: it sets no s_time_gran), so a send in the second the queue
// was read in could leave the stamp as it was. Rows are trusted only when
// their stamp's second ended more than kSettledSeconds before that read
// began. A queue holding messages has its file read for QSIZE, which sets
// ctime to that read's second, so it is read again at every probe.
// Every kFullEvery-th probe, and any probe after the wall clock was stepped
// (a stamp taken after a step back could repeat an old one), reads every queue.
struct DirCache {
  std::unordered_map<std::string, CachedRow> rows;
  std::vector<uint32_t> order;  // the last read's rows in name order, as readdir listed them
  int64_t clockOffsetNs = 0;    // CLOCK_REALTIME - CLOCK_BOOTTIME at the last read
  uint32_t probes = 0;
  std::atomic<bool> busy{false};
};

constexpr int64_t kSettledSeconds = 1;
constexpr uint32_t kFullEvery = 16;
// More than NTP's slew (at most 500 µs/s) moves the offset between two probes.
constexpr int64_t kClockStepNs = 100'000'000;

struct Scan {
  std::vector<std::string> names;  // a queue name may hold any byte but '/' and NUL
  std::vector<double> fields;
  std::vector<std::pair<uint32_t, int>> errors;  // (row, errno)
  uint32_t rows = 0;
  // For a cache: each row's stamp as it was read, whether its attributes came
  // from the cache, and the cache they may come from (null: read every queue).
  bool stamped = false;
  DirCache* from = nullptr;
  uint32_t probe = 0;
  std::vector<Stamp> stamps;
  std::vector<uint8_t> cached;
};

double Millis(const struct timespec& t) {
  return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_nsec / 1000000);
}

void SetOwner(double* row, const struct stat& st) {
  row[kUid] = static_cast<double>(st.st_uid);
  row[kGid] = static_cast<double>(st.st_gid);
  row[kMode] = static_cast<double>(st.st_mode & 07777);
  row[kIno] = static_cast<double>(st.st_ino);
  row[kMtimeMs] = Millis(st.st_mtim);
  row[kCtimeMs] = Millis(st.st_ctim);
}

using Errors = std::vector<std::pair<uint32_t, int>>;

// Row `index` of an already sized Scan: touches only that row and `errors`,
// so that threads can fill disjoint rows at once.
void ScanOne(int dfd, bool details, Scan* s, uint32_t index, Errors* errors) {
  const char* name = s->names[index].c_str();
  double* row = &s->fields[static_cast<size_t>(index) * kFields];
  struct stat st;
  if (s->from != nullptr) {
    auto hit = s->from->rows.find(s->names[index]);
    if (hit != s->from->rows.end() && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && hit->second.stamp.Same(st)) {
      SetOwner(row, st);
      row[kMaxmsg] = hit->second.maxmsg;
      row[kMsgsize] = hit->second.msgsize;
      row[kCurmsgs] = hit->second.curmsgs;
      row[kQsize] = hit->second.qsize;
      hit->second.seen = s->probe;  // each row is one thread's: no two write one entry
      s->stamps[index] = hit->second.stamp;
      s->cached[index] = 1;
      return;
    }
  }
  int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    // Unreadable (mode) or unlinked meanwhile: owner and mode may still be known.
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) SetOwner(row, st);
    errors->emplace_back(index, err);
    return;
  }
  if (fstat(fd, &st) == 0) {
    SetOwner(row, st);
    if (s->stamped) s->stamps[index] = Stamp{static_cast<uint64_t>(st.st_ino), st.st_mtim, st.st_ctim};
  }
  struct mq_attr a;
  const bool attr = mq_getattr(fd, &a) == 0;
  if (attr) {
    row[kMaxmsg] = static_cast<double>(a.mq_maxmsg);
    row[kMsgsize] = static_cast<double>(a.mq_msgsize);
    row[kCurmsgs] = static_cast<double>(a.mq_curmsgs);
  } else {
    errors->emplace_back(index, errno);
  }
  if (attr && a.mq_curmsgs == 0 && !details) {
    // QSIZE counts the bytes of queued messages: none queued, none counted.
    // Most queues are empty most of the time, and this saves a syscall each.
    row[kQsize] = 0;
  } else {
    char buf[256];
    ssize_t r = read(fd, buf, sizeof buf - 1);
    unsigned long long qsize = 0;
    int notify = 0, signo = 0, pid = 0;
    if (r < 0) errors->emplace_back(index, errno);
    if (r > 0) {
      buf[r] = '\0';
      const int got = sscanf(buf, "QSIZE:%llu NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &qsize, &notify, &signo, &pid);
      if (got >= 1) row[kQsize] = static_cast<double>(qsize);
      if (got == 4 && details) {
        row[kNotify] = notify;
        row[kSigno] = signo;
        row[kNotifyPid] = pid;
      }
    }
  }
  close(fd);
}

struct Range {
  int dfd;
  bool details;
  Scan* scan;
  uint32_t from, to;
  Errors errors;
};

void* ScanRange(void* arg) {
  auto* r = static_cast<Range*>(arg);
  for (uint32_t i = r->from; i < r->to; i++) ScanOne(r->dfd, r->details, r->scan, i, &r->errors);
  return nullptr;
}

// Four syscalls a queue (openat, fstat, mq_getattr, close) cost ~5.5 µs on a
// 2-core VM, nearly all of it in the kernel, and lookups of existing names
// scale across CPUs: a large directory is split over the CPUs this process
// may run on (its affinity mask, which a container's cpuset narrows), at
// most 4, and none for fewer than 256 queues a thread: a thread costs ~50 µs
// to start, and 1,000 queues took 5.9 ms on one thread, 3.2 ms on two.
uint32_t ScanThreads(uint32_t rows) {
  constexpr uint32_t kMinRows = 256, kMax = 4;
  cpu_set_t set;
  uint32_t cpus = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = static_cast<uint32_t>(CPU_COUNT(&set));
  return std::max<uint32_t>(1, std::min({cpus, kMax, rows / kMinRows}));
}

// The whole directory, or the errno of opendir. Touches no JS value, so the
// daemon runs it on a libuv thread while its event loop keeps serving scrapes.
// The names first (readdir is one lock on the directory), then the rows;
// every openat is relative to the directory's descriptor, so a helper thread
// reads the same mount whatever namespaces it is in.
int ScanDir(const std::string& dir, bool details, Scan* s) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return errno;
  const int dfd = dirfd(d);
  for (struct dirent* e = readdir(d); e != nullptr; e = readdir(d)) {
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    s->names.emplace_back(name);
  }
  s->rows = static_cast<uint32_t>(s->names.size());
  s->fields.assign(static_cast<size_t>(s->rows) * kFields, NAN);
  if (s->stamped) {
    s->stamps.assign(s->rows, Stamp{});
    s->cached.assign(s->rows, 0);
  }
  const uint32_t threads = ScanThreads(s->rows);
  std::vector<Range> ranges(threads);
  std::vector<pthread_t> ids(threads);
  std::vector<bool> started(threads, false);
  for (uint32_t t = 0; t < threads; t++) {
    ranges[t] = Range{dfd, details, s, static_cast<uint32_t>(uint64_t{s->rows} * t / threads),
                      static_cast<uint32_t>(uint64_t{s->rows} * (t + 1) / threads), {}};
  }
  // A thread that cannot be made (RLIMIT_NPROC, say) leaves its rows to this one.
  for (uint32_t t = 1; t < threads; t++) started[t] = pthread_create(&ids[t], nullptr, ScanRange, &ranges[t]) == 0;
  ScanRange(&ranges[0]);
  for (uint32_t t = 1; t < threads; t++) {
    if (started[t]) pthread_join(ids[t], nullptr);
    else ScanRange(&ranges[t]);
  }
  for (auto& r : ranges) s->errors.insert(s->errors.end(), r.errors.begin(), r.errors.end());
  closedir(d);
  return 0;
}

// Whether `order` lists the rows in strictly increasing name order: then it is
// their sorted order (a strictly increasing walk visits each row at most once).
bool SortsNames(const std::vector<uint32_t>& order, const Scan& s) {
  if (order.size() != s.rows) return false;
  for (uint32_t i = 0; i < s.rows; i++) {
    if (order[i] >= s.rows || (i > 0 && !(s.names[order[i - 1]] < s.names[order[i]]))) return false;
  }
  return true;
}

// Rows in byte order of their names (readdir's order is the dcache's): the
// daemon's exported series are the first ones by name, and sorting 50,000
// names here costs its event loop nothing; for the CLI, 10,000 sort in 2 ms
// here and in 12-21 ms as JS objects. `last`: the order of the last read of
// the mount, which readdir repeats while no queue comes or goes: checked in
// one pass, it spares the daemon the sort (3.4 ms a probe at 10,000 queues).
void SortByName(Scan* s, std::vector<uint32_t>* last = nullptr) {
  std::vector<uint32_t> order;
  if (last != nullptr && SortsNames(*last, *s)) {
    order = *last;
  } else {
    order.resize(s->rows);
    for (uint32_t i = 0; i < s->rows; i++) order[i] = i;
    std::sort(order.begin(), order.end(), [s](uint32_t a, uint32_t b) { return s->names[a] < s->names[b]; });
    if (last != nullptr) *last = order;
  }
  std::vector<uint32_t> rank(s->rows);
  Scan out;
  out.rows = s->rows;
  out.stamped = s->stamped;
  out.from = s->from;
  out.probe = s->probe;
  out.names.reserve(s->rows);
  out.fields.resize(s->fields.size());
  if (s->stamped) {
    out.stamps.resize(s->rows);
    out.cached.resize(s->rows);
  }
  for (uint32_t to = 0; to < s->rows; to++) {
    const uint32_t from = order[to];
    rank[from] = to;
    out.names.push_back(std::move(s->names[from]));
    std::memcpy(&out.fields[static_cast<size_t>(to) * kFields], &s->fields[static_cast<size_t>(from) * kFields], kFields * sizeof(double));
    if (s->stamped) {
      out.stamps[to] = s->stamps[from];
      out.cached[to] = s->cached[from];
    }
  }
  for (auto& e : s->errors) out.errors.emplace_back(rank[e.first], e.second);
  std::sort(out.errors.begin(), out.errors.end());
  *s = std::move(out);
}

int64_t Nanos(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// The cache for the next probe: the rows this one read whole, where their
// stamp had settled (the rows it took from the cache stay); queues no longer
// listed leave it. In place: rebuilding 10,000 entries cost 3-6 ms a probe.
void Refill(DirCache* c, const Scan& s, time_t started) {
  for (uint32_t i = 0; i < s.rows; i++) {
    if (s.cached[i] != 0) continue;
    const double* row = &s.fields[static_cast<size_t>(i) * kFields];
    const Stamp& st = s.stamps[i];
    const bool known = st.ino != 0 && !std::isnan(row[kMaxmsg]) && !std::isnan(row[kQsize]);
    if (known && std::max(st.mtime.tv_sec, st.ctime.tv_sec) + kSettledSeconds < started) {
      c->rows[s.names[i]] = CachedRow{st, row[kMaxmsg], row[kMsgsize], row[kCurmsgs], row[kQsize], s.probe};
    } else {
      c->rows.erase(s.names[i]);
    }
  }
  for (auto it = c->rows.begin(); it != c->rows.end();) it = it->second.seen == s.probe ? std::next(it) : c->rows.erase(it);
}

Napi::Value ToJs(Napi::Env env, const Scan& s) {
  std::string joined;
  for (uint32_t i = 0; i < s.rows; i++) {
    if (i > 0) joined.push_back('\0');
    joined.append(s.names[i]);
  }
  Napi::Float64Array fields = Napi::Float64Array::New(env, s.fields.size());
  if (!s.fields.empty()) std::memcpy(fields.Data(), s.fields.data(), s.fields.size() * sizeof(double));
  Napi::Array errors = Napi::Array::New(env, s.errors.size());
  for (uint32_t i = 0; i < s.errors.size(); i++) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::Number::New(env, s.errors[i].first));
    pair.Set(1u, Napi::String::New(env, ErrnoName(s.errors[i].second)));
    errors.Set(i, pair);
  }
  Napi::Object ok = Ok(env);
  ok.Set("count", Napi::Number::New(env, s.rows));
  ok.Set("width", Napi::Number::New(env, kFields));
  ok.Set("names", Napi::String::New(env, joined));
  ok.Set("fields", fields);
  ok.Set("errors", errors);
  ok.Set("cached", Napi::Number::New(env, static_cast<double>(std::count(s.cached.begin(), s.cached.end(), 1))));
  return ok;
}

bool DetailsArg(const Napi::CallbackInfo& info, size_t i, bool* out) {
  *out = false;
  if (info.Length() <= i || info[i].IsUndefined()) return true;
  if (!info[i].IsBoolean()) {
    ThrowType(info.Env(), "details must be a boolean");
    return false;
  }
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

// Tells a DirCache from any other external a caller might pass.
constexpr napi_type_tag kDirCacheTag = {0x6d71646f63746f72ULL, 0x6469726361636865ULL};

class ReadDirWorker : public Napi::AsyncWorker {
 public:
  ReadDirWorker(Napi::Env env, std::string dir, bool details, Napi::External<DirCache> cache)
      : Napi::AsyncWorker(env, "mqReadDirAsync"), deferred_(Napi::Promise::Deferred::New(env)), dir_(std::move(dir)), details_(details) {
    if (!cache.IsEmpty()) {
      cache_ = cache.Data();
      keep_ = Napi::Persistent(cache);
    }
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    // Details (NOTIFY and the rest) are not cached: mq_notify changes only ctime. A
    // cache another read is using (two probes of one mount at once) is left to it.
    DirCache* c = cache_ != nullptr && !details_ && !cache_->busy.exchange(true) ? cache_ : nullptr;
    // One reading of the wall clock: the second this read began, and its offset from boot time.
    const int64_t started = Nanos(CLOCK_REALTIME);
    const int64_t offset = started - Nanos(CLOCK_BOOTTIME);
    if (c != nullptr) {
      scan_.stamped = true;
      scan_.probe = ++c->probes;
      const bool stepped = std::llabs(offset - c->clockOffsetNs) > kClockStepNs;
      if (scan_.probe % kFullEvery != 1 && !stepped) scan_.from = c;
    }
    err_ = ScanDir(dir_, details_, &scan_);
    if (err_ == 0) SortByName(&scan_, c != nullptr ? &c->order : nullptr);
    if (c != nullptr) {
      if (err_ == 0) Refill(c, scan_, static_cast<time_t>(started / 1'000'000'000));
      else c->rows.clear();
      c->clockOffsetNs = offset;
      c->busy.store(false);
    }
  }
  void OnOK() override { deferred_.Resolve(err_ != 0 ? Napi::Value(Fail(Env(), err_)) : ToJs(Env(), scan_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string dir_;
  bool details_;
  DirCache* cache_ = nullptr;
  Napi::Reference<Napi::External<DirCache>> keep_;  // the cache outlives the read
  int err_ = 0;
  Scan scan_;
};

bool CacheArg(const Napi::CallbackInfo& info, size_t i, Napi::External<DirCache>* out) {
  if (info.Length() <= i || info[i].IsUndefined()) return true;
  if (!info[i].IsExternal() || !info[i].As<Napi::External<DirCache>>().CheckTypeTag(&kDirCacheTag)) {
    ThrowType(info.Env(), "cache must come from mqDirCache()");
    return false;
  }
  *out = info[i].As<Napi::External<DirCache>>();
  return true;
}

}  // namespace

// mqReadDir(dir, details?) → {ok, count, width, names: "a\0b\0…" (in byte order),
//                   fields: Float64Array(count × width, NaN = unknown), errors: [[row, errnoName], …]}
// details: read every queue file for NOTIFY, SIGNO and NOTIFY_PID (else NaN).
Napi::Value MqReadDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  bool details;
  if (!StringArg(info, 0, "dir", &dir) || !DetailsArg(info, 1, &details)) return env.Undefined();
  Scan s;
  const int err = ScanDir(dir, details, &s);
  if (err == 0) SortByName(&s);
  return err != 0 ? Napi::Value(Fail(env, err)) : ToJs(env, s);
}

// mqReadDirAsync(dir, details?, cache?) → Promise of the same, rows sorted by name,
// read on a libuv thread; `cached`: rows whose attributes came from the cache.
// A path only: a thread of the pool is in whatever namespaces the process is, so
// a setns-entered namespace needs mqReadDir.
Napi::Value MqReadDirAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  bool details;
  Napi::External<DirCache> cache;
  if (!StringArg(info, 0, "dir", &dir) || !DetailsArg(info, 1, &details) || !CacheArg(info, 2, &cache)) return env.Undefined();
  auto* worker = new ReadDirWorker(env, std::move(dir), details, cache);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// mqDirCache() → an opaque cache for the reads of one mount (see DirCache).
Napi::Value MqDirCache(const Napi::CallbackInfo& info) {
  auto cache = Napi::External<DirCache>::New(info.Env(), new DirCache, [](Napi::Env, DirCache* c) { delete c; });
  cache.TypeTag(&kDirCacheTag);
  return cache;
}

void InitQueueDir(Napi::Env env, Napi::Object exports) {
  exports.Set("mqDirCache", Napi::Function::New(env, MqDirCache, "mqDirCache"));
  exports.Set("mqReadDir", Napi::Function::New(env, MqReadDir, "mqReadDir"));
  exports.Set("mqReadDirAsync", Napi::Function::New(env, MqReadDirAsync, "mqReadDirAsync"));
}

}  // namespace mqd
