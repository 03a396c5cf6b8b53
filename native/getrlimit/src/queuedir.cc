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
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
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

struct Scan {
  std::vector<std::string> names;  // a queue name may hold any byte but '/' and NUL
  std::vector<double> fields;
  std::vector<std::pair<uint32_t, int>> errors;  // (row, errno)
  uint32_t rows = 0;
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
  int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    // Unreadable (mode) or unlinked meanwhile: owner and mode may still be known.
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) SetOwner(row, st);
    errors->emplace_back(index, err);
    return;
  }
  if (fstat(fd, &st) == 0) SetOwner(row, st);
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

// Rows in byte order of their names (readdir's order is the dcache's): the
// daemon's exported series are the first ones by name, and sorting 50,000
// names here costs its event loop nothing; for the CLI, 10,000 sort in 2 ms
// here and in 12-21 ms as JS objects.
void SortByName(Scan* s) {
  std::vector<uint32_t> order(s->rows);
  for (uint32_t i = 0; i < s->rows; i++) order[i] = i;
  std::sort(order.begin(), order.end(), [s](uint32_t a, uint32_t b) { return s->names[a] < s->names[b]; });
  std::vector<uint32_t> rank(s->rows);
  Scan out;
  out.rows = s->rows;
  out.names.reserve(s->rows);
  out.fields.resize(s->fields.size());
  for (uint32_t to = 0; to < s->rows; to++) {
    const uint32_t from = order[to];
    rank[from] = to;
    out.names.push_back(std::move(s->names[from]));
    std::memcpy(&out.fields[static_cast<size_t>(to) * kFields], &s->fields[static_cast<size_t>(from) * kFields], kFields * sizeof(double));
  }
  for (auto& e : s->errors) out.errors.emplace_back(rank[e.first], e.second);
  std::sort(out.errors.begin(), out.errors.end());
  *s = std::move(out);
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

class ReadDirWorker : public Napi::AsyncWorker {
 public:
  ReadDirWorker(Napi::Env env, std::string dir, bool details)
      : Napi::AsyncWorker(env, "mqReadDirAsync"), deferred_(Napi::Promise::Deferred::New(env)), dir_(std::move(dir)), details_(details) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    err_ = ScanDir(dir_, details_, &scan_);
    if (err_ == 0) SortByName(&scan_);
  }
  void OnOK() override { deferred_.Resolve(err_ != 0 ? Napi::Value(Fail(Env(), err_)) : ToJs(Env(), scan_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string dir_;
  bool details_;
  int err_ = 0;
  Scan scan_;
};

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

// mqReadDirAsync(dir, details?) → Promise of the same, rows sorted by name,
// read on a libuv thread. A path only: a thread of the pool is in whatever
// namespaces the process is, so a setns-entered namespace needs mqReadDir.
Napi::Value MqReadDirAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  bool details;
  if (!StringArg(info, 0, "dir", &dir) || !DetailsArg(info, 1, &details)) return env.Undefined();
  auto* worker = new ReadDirWorker(env, std::move(dir), details);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

void InitQueueDir(Napi::Env env, Napi::Object exports) {
  exports.Set("mqReadDir", Napi::Function::New(env, MqReadDir, "mqReadDir"));
  exports.Set("mqReadDirAsync", Napi::Function::New(env, MqReadDirAsync, "mqReadDirAsync"));
}

}  // namespace mqd
