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
#include <sys/stat.h>
#include <unistd.h>

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
  std::string names;  // NUL-separated: a queue name may hold any byte but '/' and NUL
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

void ScanOne(int dfd, const char* name, bool details, Scan* s) {
  if (s->rows > 0) s->names.push_back('\0');
  s->names.append(name);
  const uint32_t index = s->rows++;
  s->fields.resize(s->fields.size() + kFields, NAN);
  double* row = &s->fields[static_cast<size_t>(index) * kFields];
  struct stat st;
  int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    // Unreadable (mode) or unlinked meanwhile: owner and mode may still be known.
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) SetOwner(row, st);
    s->errors.emplace_back(index, err);
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
    s->errors.emplace_back(index, errno);
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
    if (r < 0) s->errors.emplace_back(index, errno);
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

}  // namespace

// mqReadDir(dir, details?) → {ok, count, width, names: "a\0b\0…",
//                   fields: Float64Array(count × width, NaN = unknown), errors: [[row, errnoName], …]}
// details: read every queue file for NOTIFY, SIGNO and NOTIFY_PID (else NaN).
Napi::Value MqReadDir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir;
  if (!StringArg(info, 0, "dir", &dir)) return env.Undefined();
  bool details = false;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsBoolean()) return ThrowType(env, "details must be a boolean");
    details = info[1].As<Napi::Boolean>().Value();
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Fail(env, errno);
  Scan s;
  const int dfd = dirfd(d);
  for (struct dirent* e = readdir(d); e != nullptr; e = readdir(d)) {
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    ScanOne(dfd, name, details, &s);
  }
  closedir(d);

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
  ok.Set("names", Napi::String::New(env, s.names));
  ok.Set("fields", fields);
  ok.Set("errors", errors);
  return ok;
}

void InitQueueDir(Napi::Env env, Napi::Object exports) {
  exports.Set("mqReadDir", Napi::Function::New(env, MqReadDir, "mqReadDir"));
}

}  // namespace mqd
