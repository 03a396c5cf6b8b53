// Who holds a queue open: every /proc/PID/fd/N whose open file lies on one of
// the given mqueue superblocks (st_dev). One call for the whole of /proc: a JS
// round trip per descriptor costs ten times the syscall. statx follows the
// magic link to the open file itself with AT_STATX_DONT_SYNC, so a descriptor
// on a network filesystem is answered from the cache and never waits on its
// server; nothing is opened, read or changed.
//
// Threads that unshared their descriptor table (clone without CLONE_FILES) are
// not looked at: /proc/PID/fd is the thread-group leader's table.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "addon.h"

namespace mqd {

namespace {

// Columns of `matches`; keep in step with PROC_FD_FIELDS in src/probe/native.ts.
enum MatchField { kPid, kFd, kIno, kUid, kGid, kMode, kMatchFields };

double NowMs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_nsec) / 1e6;
}

// PF_KTHREAD (include/linux/sched.h): a kernel thread has no descriptor table to hold a queue with.
constexpr unsigned long kPfKthread = 0x00200000;

bool KernelThread(long pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  char buf[1024];
  if (ReadSmallFile(path, buf, sizeof buf) <= 0) return false;
  // The command may hold spaces and parentheses: the fields start after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  unsigned long flags = 0;
  // state ppid pgrp session tty_nr tpgid flags
  if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1) return false;
  return (flags & kPfKthread) != 0;
}

struct FileId {
  uint64_t dev;
  uint64_t ino;
  uint32_t mode;
  uint32_t uid;
  uint32_t gid;
};

// The open file behind /proc/PID/fd/NAME (dirfd: that fd directory).
bool StatFd(int dirfd, const char* name, FileId* out) {
#ifdef STATX_INO
  struct statx stx;
  if (statx(dirfd, name, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_INO | STATX_UID | STATX_GID, &stx) == 0) {
    out->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    out->ino = stx.stx_ino;
    out->mode = stx.stx_mode;
    out->uid = stx.stx_uid;
    out->gid = stx.stx_gid;
    return true;
  }
  if (errno != ENOSYS) return false;
#endif
  struct stat st;
  if (fstatat(dirfd, name, &st, 0) != 0) return false;
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  out->mode = st.st_mode;
  out->uid = st.st_uid;
  out->gid = st.st_gid;
  return true;
}

}  // namespace

// procFdScan(devices: number[], budgetMs: number) →
//   {ok, processes, descriptors, truncated, matches: Float64Array(n × 6: pid, fd, ino, uid, gid, mode),
//    unreadable: [[pid, errnoName], …, [pid, errnoName, fd] where only that descriptor's open file could not be examined]}
// Only regular files (queues) match: the mount's root directory shares its device.
// truncated: the budget ran out before every process was read.
Napi::Value ProcFdScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) return ThrowType(env, "devices must be an array of numbers");
  Napi::Array devs = info[0].As<Napi::Array>();
  std::unordered_set<uint64_t> devices;
  for (uint32_t i = 0; i < devs.Length(); i++) {
    Napi::Value v = devs.Get(i);
    if (!v.IsNumber()) return ThrowType(env, "devices must be an array of numbers");
    devices.insert(static_cast<uint64_t>(v.As<Napi::Number>().Int64Value()));
  }
  int64_t budget;
  if (!IntArg(info, 1, "budgetMs", 1, 3600 * 1000, &budget)) return env.Undefined();

  DIR* proc = opendir("/proc");
  if (proc == nullptr) return Fail(env, errno);
  const double started = NowMs();
  const pid_t self = getpid();
  std::vector<double> matches;
  // pid, errno, and the descriptor when only its open file could not be examined (-1: the whole process).
  struct Unread {
    uint32_t pid;
    int err;
    int fd;
  };
  std::vector<Unread> unreadable;
  uint32_t processes = 0;
  double descriptors = 0;
  bool truncated = false;
  char path[64];
  for (struct dirent* e = readdir(proc); e != nullptr; e = readdir(proc)) {
    if (!AllDigits(e->d_name)) continue;
    const long pid = std::strtol(e->d_name, nullptr, 10);
    if (pid == self) continue;
    if (NowMs() - started > static_cast<double>(budget)) {
      truncated = true;
      break;
    }
    std::snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    const int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      // ENOENT/ESRCH: it exited meanwhile, and holds nothing any more; nor does a kernel thread.
      const int err = errno;
      if (err != ENOENT && err != ESRCH && !KernelThread(pid)) unreadable.push_back({static_cast<uint32_t>(pid), err, -1});
      continue;
    }
    DIR* fds = fdopendir(dfd);
    if (fds == nullptr) {
      unreadable.push_back({static_cast<uint32_t>(pid), errno, -1});
      close(dfd);
      continue;
    }
    int denied = 0;
    for (struct dirent* f = readdir(fds); f != nullptr; f = readdir(fds)) {
      if (!AllDigits(f->d_name)) continue;
      descriptors++;
      FileId id;
      if (!StatFd(dfd, f->d_name, &id)) {
        const int err = errno;
        if (err == ENOENT) continue;  // closed meanwhile: it holds nothing
        // The ptrace check that guards /proc/PID/fd/N is the process's, and
        // readlink goes through it and nothing else: EACCES there is the whole
        // process unread (a directory we may list, descriptors we may not follow
        // without CAP_SYS_PTRACE over it). Any other failure is this descriptor's
        // open file: a FUSE mount without allow_other refuses even root's stat
        // (EACCES), a server its own errors; that descriptor alone is unknown.
        char link[16];
        const int lerr = readlinkat(dfd, f->d_name, link, sizeof link) < 0 ? errno : 0;
        if (lerr == ENOENT) continue;
        if (lerr == EACCES || lerr == EPERM) {
          denied = lerr;
          break;
        }
        unreadable.push_back({static_cast<uint32_t>(pid), err, static_cast<int>(std::strtol(f->d_name, nullptr, 10))});
        continue;
      }
      if (!S_ISREG(id.mode) || devices.count(id.dev) == 0) continue;
      matches.push_back(static_cast<double>(pid));
      matches.push_back(static_cast<double>(std::strtol(f->d_name, nullptr, 10)));
      matches.push_back(static_cast<double>(id.ino));
      matches.push_back(static_cast<double>(id.uid));
      matches.push_back(static_cast<double>(id.gid));
      matches.push_back(static_cast<double>(id.mode & 07777));
    }
    closedir(fds);  // closes dfd too
    if (denied != 0) {
      unreadable.push_back({static_cast<uint32_t>(pid), denied, -1});
    } else {
      processes++;
    }
  }
  closedir(proc);

  Napi::Float64Array m = Napi::Float64Array::New(env, matches.size());
  if (!matches.empty()) std::memcpy(m.Data(), matches.data(), matches.size() * sizeof(double));
  Napi::Array bad = Napi::Array::New(env, unreadable.size());
  for (uint32_t i = 0; i < unreadable.size(); i++) {
    const Unread& u = unreadable[i];
    Napi::Array entry = Napi::Array::New(env, u.fd < 0 ? 2 : 3);
    entry.Set(0u, Napi::Number::New(env, u.pid));
    entry.Set(1u, Napi::String::New(env, ErrnoName(u.err)));
    if (u.fd >= 0) entry.Set(2u, Napi::Number::New(env, u.fd));
    bad.Set(i, entry);
  }
  Napi::Object ok = Ok(env);
  ok.Set("processes", Napi::Number::New(env, processes));
  ok.Set("descriptors", Napi::Number::New(env, descriptors));
  ok.Set("truncated", Napi::Boolean::New(env, truncated));
  ok.Set("width", Napi::Number::New(env, kMatchFields));
  ok.Set("matches", m);
  ok.Set("unreadable", bad);
  return ok;
}

void InitHolders(Napi::Env env, Napi::Object exports) {
  exports.Set("procFdScan", Napi::Function::New(env, ProcFdScan, "procFdScan"));
}

}  // namespace mqd
