// The measuring helper behind `--measure`: a forked child that takes on the
// target's credentials (user namespace, uid, gid, soft RLIMIT_MSGQUEUE),
// usually inside a fresh IPC namespace, and then creates scratch queues on
// command. The kernel charges them exactly as it would charge the target, so
// whatever /proc cannot show (other namespaces' queues, a user namespace's
// recorded ceiling, set-uid creators) shows up in which opens succeed.
//
// Why a child: setns(CLONE_NEWUSER) and unshare(CLONE_NEWUSER) refuse a
// threaded process, and Node always has threads; a forked child has one. The
// search itself (which sizes to try) lives in src/probe/measure.ts; the child
// only executes commands, so it stays small and calls nothing but syscalls
// (malloc is unsafe in a child forked from a threaded process).
//
// Protocol: three int64 words each way. Command [op, a, b]; reply [err, x, y]
// (err is 0 or an errno): kInfo → [0, msg_max, msgsize_max]; kSoft a → set the
// soft RLIMIT_MSGQUEUE (-1: unlimited); kOpen maxmsg msgsize → [0, fd, held];
// kRelease n → close the n most recent (0: all). The first reply is the outcome of the set-up: [err,
// step, 0]. Every queue the child creates is unlinked at once and only its
// descriptor kept, so its name is never visible for longer than one syscall
// and nothing outlives the child, whatever ends it.
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>

#include "addon.h"

namespace mqd {
namespace {

enum Op : int64_t { kInfo = 1, kSoft = 2, kOpen = 3, kRelease = 4, kExit = 5 };

// Set-up steps, reported with a failed set-up so JS can say which one failed.
enum Step : int64_t {
  kStepRlimit = 1,
  kStepUnshareIpc = 2,
  kStepSetnsUser = 3,
  kStepSetnsIpc = 4,
  kStepUnshareUser = 5,
  kStepIdMap = 6,
  kStepRootForSysctls = 7,
  kStepGid = 8,
  kStepUid = 9,
};

struct Options {
  int64_t soft = -2;  // -2: keep; -1: RLIM_INFINITY
  bool unshareIpcFirst = false;
  int usernsFd = -1;
  int ipcnsFd = -1;
  bool unshareUser = false;
  bool unshareIpcAfter = false;
  int64_t rootUid = -1;  // in the target's user namespace, to write a fresh namespace's sysctls
  int64_t uid = -1;
  int64_t gid = -1;
  bool sysctls = false;
  char prefix[64] = {0};  // scratch names: PREFIX-N (no leading '/': the syscall takes the bare name)
};

constexpr int kMaxHeld = 256;

bool WriteAll(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Async-signal-safe decimal formatting (no snprintf in the child).
size_t FormatInt(char* out, int64_t v) {
  char tmp[24];
  size_t n = 0;
  bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u > 0);
  size_t k = 0;
  if (neg) out[k++] = '-';
  while (n > 0) out[k++] = tmp[--n];
  out[k] = '\0';
  return k;
}

bool WriteFileText(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, text, strlen(text));
  close(fd);
  return ok;
}

int64_t ReadSysctl(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[32];
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return -1;
  int64_t v = 0;
  for (ssize_t i = 0; i < r && buf[i] >= '0' && buf[i] <= '9'; i++) v = v * 10 + (buf[i] - '0');
  return v;
}

// A fresh IPC namespace starts from msg_max 10 and msgsize_max 8192; its owner
// may raise them to the hard caps, so fewer and larger probes cover a budget.
void RaiseFreshSysctls() {
  WriteFileText("/proc/sys/fs/mqueue/msg_max", "65536");
  WriteFileText("/proc/sys/fs/mqueue/msgsize_max", "16777216");
}

bool SetSoft(int64_t soft) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_MSGQUEUE, &rl) != 0) return false;
  rl.rlim_cur = soft < 0 ? RLIM_INFINITY : static_cast<rlim_t>(soft);
  return setrlimit(RLIMIT_MSGQUEUE, &rl) == 0;
}

// "0 <outside> 1": the fresh user namespace's root is the caller itself, so
// the charge one level up is the caller's own (and the new level's ceiling
// is the soft limit set just before).
bool MapSelfAsRoot(int64_t outsideUid, int64_t outsideGid) {
  char line[48] = "0 ";
  size_t n = 2;
  n += FormatInt(line + n, outsideUid);
  memcpy(line + n, " 1", 3);
  if (!WriteFileText("/proc/self/uid_map", line)) return false;
  WriteFileText("/proc/self/setgroups", "deny");  // absent before 3.19: then gid_map needs nothing
  n = 2;
  n += FormatInt(line + n, outsideGid);
  memcpy(line + n, " 1", 3);
  return WriteFileText("/proc/self/gid_map", line);
}

void CloseRange(unsigned lo, unsigned hi) {
  if (lo > hi) return;
  if (syscall(SYS_close_range, lo, hi, 0) == 0) return;
  // Before 5.9: one by one, as far as the descriptor table can reach.
  struct rlimit rl;
  unsigned top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? static_cast<unsigned>(rl.rlim_cur) : 65536;
  for (unsigned fd = lo; fd <= hi && fd < top; fd++) close(static_cast<int>(fd));
}

void CloseAllBut(int a, int b) {
  unsigned lo = static_cast<unsigned>(a < b ? a : b), hi = static_cast<unsigned>(a < b ? b : a);
  CloseRange(3, lo - 1);
  CloseRange(lo + 1, hi - 1);
  CloseRange(hi + 1, ~0U);
}

[[noreturn]] void Child(const Options& o, int in, int out, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  // A terminal's ^C or the parent's SIGPIPE must not leave half a search behind.
  signal(SIGPIPE, SIG_DFL);
  int64_t reply[3] = {0, 0, 0};
  auto fail = [&](Step step) {
    reply[0] = errno ? errno : EINVAL;
    reply[1] = step;
    WriteAll(out, reply, sizeof reply);
    _exit(1);
  };
  const int64_t outsideUid = static_cast<int64_t>(geteuid());
  const int64_t outsideGid = static_cast<int64_t>(getegid());
  // The soft limit first: a user namespace created below records it as its ceiling.
  if (o.soft != -2 && !SetSoft(o.soft)) fail(kStepRlimit);
  if (o.unshareIpcFirst) {
    if (unshare(CLONE_NEWIPC) != 0) fail(kStepUnshareIpc);
    if (o.sysctls) RaiseFreshSysctls();
  }
  if (o.usernsFd >= 0 && setns(o.usernsFd, CLONE_NEWUSER) != 0) fail(kStepSetnsUser);
  if (o.ipcnsFd >= 0 && setns(o.ipcnsFd, CLONE_NEWIPC) != 0) fail(kStepSetnsIpc);
  if (o.unshareUser) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0) fail(kStepUnshareUser);
    if (!MapSelfAsRoot(outsideUid, outsideGid)) fail(kStepIdMap);
    if (o.sysctls) RaiseFreshSysctls();
  }
  if (o.unshareIpcAfter) {
    if (unshare(CLONE_NEWIPC) != 0) fail(kStepUnshareIpc);
    // Only the root of the namespace's owner may write its sysctls (ipc/mq_sysctl.c).
    if (o.sysctls && o.rootUid >= 0) {
      if (syscall(SYS_setresuid, -1, static_cast<uid_t>(o.rootUid), -1) != 0) fail(kStepRootForSysctls);
      RaiseFreshSysctls();
    }
  }
  // Raw syscalls: glibc's setresuid signals every thread it knows of, and a
  // forked child must not trust that list.
  if (o.gid >= 0 && syscall(SYS_setresgid, o.gid, o.gid, o.gid) != 0) fail(kStepGid);
  if (o.uid >= 0 && syscall(SYS_setresuid, o.uid, o.uid, o.uid) != 0) fail(kStepUid);
  // Node's descriptors are of no use here, and under a low RLIMIT_NOFILE they
  // could leave no free number: an EMFILE must only ever mean queue memory.
  CloseAllBut(in, out);
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < kMaxHeld + 8) {
    nofile.rlim_cur = nofile.rlim_max < kMaxHeld + 8 ? nofile.rlim_max : kMaxHeld + 8;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  WriteAll(out, reply, sizeof reply);

  int held[kMaxHeld];
  int nheld = 0;
  uint64_t serial = 0;
  int64_t cmd[3];
  while (ReadAll(in, cmd, sizeof cmd)) {
    reply[0] = reply[1] = reply[2] = 0;
    switch (cmd[0]) {
      case kInfo:
        reply[1] = ReadSysctl("/proc/sys/fs/mqueue/msg_max");
        reply[2] = ReadSysctl("/proc/sys/fs/mqueue/msgsize_max");
        break;
      case kSoft:
        if (!SetSoft(cmd[1])) reply[0] = errno;
        break;
      case kOpen: {
        if (nheld >= kMaxHeld) {
          reply[0] = ENFILE;
          break;
        }
        char name[96];
        size_t n = strlen(o.prefix);
        memcpy(name, o.prefix, n);
        name[n++] = '-';
        FormatInt(name + n, static_cast<int64_t>(++serial));
        struct mq_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.mq_maxmsg = static_cast<long>(cmd[1]);
        attr.mq_msgsize = static_cast<long>(cmd[2]);
        int fd = static_cast<int>(syscall(SYS_mq_open, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr));
        if (fd < 0) {
          reply[0] = errno;
          break;
        }
        syscall(SYS_mq_unlink, name);
        held[nheld++] = fd;
        reply[1] = fd;
        reply[2] = nheld;
        break;
      }
      case kRelease: {
        // a = 0: every queue held; otherwise the a most recent ones.
        int keep = cmd[1] <= 0 || cmd[1] >= nheld ? 0 : nheld - static_cast<int>(cmd[1]);
        reply[1] = nheld - keep;
        while (nheld > keep) close(held[--nheld]);
        break;
      }
      case kExit:
        _exit(0);
      default:
        reply[0] = EINVAL;
    }
    if (!WriteAll(out, reply, sizeof reply)) break;
  }
  _exit(0);
}

bool BoolField(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

bool IntField(Napi::Env env, Napi::Object o, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::trunc(d) == d && d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) {
      *out = static_cast<int64_t>(d);
      return true;
    }
  }
  ThrowType(env, std::string("options.") + key + " must be an integer from " + std::to_string(lo) + " to " +
                     std::to_string(hi));
  return false;
}

// How long the parent waits for one reply: a child that hangs (it never
// should) is killed rather than blocking mq-doctor.
int ReplyTimeoutMs(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() > i && info[i].IsNumber()) return info[i].As<Napi::Number>().Int32Value();
  return 2000;
}

bool Await(int fd, int timeoutMs) {
  struct pollfd p = {fd, POLLIN, 0};
  for (;;) {
    int r = poll(&p, 1, timeoutMs);
    if (r < 0 && errno == EINTR) continue;
    return r == 1;
  }
}

Napi::Object Reply(Napi::Env env, const int64_t* r) {
  Napi::Object o = Ok(env);
  o.Set("err", r[0] == 0 ? env.Null() : Napi::String::New(env, ErrnoName(static_cast<int>(r[0]))));
  o.Set("x", static_cast<double>(r[1]));
  o.Set("y", static_cast<double>(r[2]));
  return o;
}

void Reap(pid_t pid) {
  // The child exits at once on kExit or EOF; a short grace, then SIGKILL.
  for (int i = 0; i < 200; i++) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, nullptr);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// measureStart(options) → {ok, pid, wfd, rfd, setup: {err, step}}
Napi::Value MeasureStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) return ThrowType(env, "options must be an object");
  Napi::Object opts = info[0].As<Napi::Object>();
  Options o;
  int64_t usernsFd = -1, ipcnsFd = -1;
  Napi::Value soft = opts.Get("soft");
  if (soft.IsString() && soft.As<Napi::String>().Utf8Value() == "unlimited") {
    o.soft = -1;
  } else if (!soft.IsUndefined() && !soft.IsNull() && !IntField(env, opts, "soft", 0, (1LL << 53), &o.soft)) {
    return env.Undefined();
  }
  if (!IntField(env, opts, "usernsFd", 0, INT32_MAX, &usernsFd) || !IntField(env, opts, "ipcnsFd", 0, INT32_MAX, &ipcnsFd) ||
      !IntField(env, opts, "rootUid", 0, UINT32_MAX - 1, &o.rootUid) || !IntField(env, opts, "uid", 0, UINT32_MAX - 1, &o.uid) ||
      !IntField(env, opts, "gid", 0, UINT32_MAX - 1, &o.gid)) {
    return env.Undefined();
  }
  o.usernsFd = static_cast<int>(usernsFd);
  o.ipcnsFd = static_cast<int>(ipcnsFd);
  o.unshareIpcFirst = BoolField(opts, "unshareIpcFirst");
  o.unshareUser = BoolField(opts, "unshareUser");
  o.unshareIpcAfter = BoolField(opts, "unshareIpcAfter");
  o.sysctls = BoolField(opts, "sysctls");
  Napi::Value prefix = opts.Get("prefix");
  if (!prefix.IsString()) return ThrowType(env, "options.prefix must be a string");
  std::string p = prefix.As<Napi::String>().Utf8Value();
  if (p.empty() || p.size() >= sizeof o.prefix - 1 || p.find('/') != std::string::npos || p.find('\0') != std::string::npos) {
    return ThrowType(env, "options.prefix must be 1 to 62 bytes without '/'");
  }
  memcpy(o.prefix, p.c_str(), p.size() + 1);

  int toChild[2], fromChild[2];
  if (pipe2(toChild, O_CLOEXEC) != 0) return Fail(env, errno);
  if (pipe2(fromChild, O_CLOEXEC) != 0) {
    int err = errno;
    close(toChild[0]);
    close(toChild[1]);
    return Fail(env, err);
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(toChild[0]);
    close(toChild[1]);
    close(fromChild[0]);
    close(fromChild[1]);
    return Fail(env, err);
  }
  if (pid == 0) Child(o, toChild[0], fromChild[1], parent);
  close(toChild[0]);
  close(fromChild[1]);
  int64_t r[3];
  const bool got = Await(fromChild[0], ReplyTimeoutMs(info, 1)) && ReadAll(fromChild[0], r, sizeof r);
  if (!got || r[0] != 0) {
    close(toChild[1]);
    close(fromChild[0]);
    Reap(pid);
    Napi::Object f = Fail(env, got ? static_cast<int>(r[0]) : ETIMEDOUT);
    f.Set("step", static_cast<double>(got ? r[1] : 0));
    return f;
  }
  Napi::Object ok = Ok(env);
  ok.Set("pid", static_cast<double>(pid));
  ok.Set("wfd", toChild[1]);
  ok.Set("rfd", fromChild[0]);
  return ok;
}

// measureCall(wfd, rfd, op, a, b[, timeoutMs]) → {ok, err: errno name | null, x, y}
Napi::Value MeasureCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t wfd, rfd, op, a, b;
  if (!IntArg(info, 0, "wfd", 0, INT32_MAX, &wfd) || !IntArg(info, 1, "rfd", 0, INT32_MAX, &rfd) ||
      !IntArg(info, 2, "op", 1, 5, &op) || !IntArg(info, 3, "a", -1, (1LL << 53), &a) ||
      !IntArg(info, 4, "b", 0, (1LL << 53), &b)) {
    return env.Undefined();
  }
  int64_t cmd[3] = {op, a, b};
  if (!WriteAll(static_cast<int>(wfd), cmd, sizeof cmd)) return Fail(env, errno ? errno : EPIPE);
  int64_t r[3];
  if (!Await(static_cast<int>(rfd), ReplyTimeoutMs(info, 5))) return Fail(env, ETIMEDOUT);
  if (!ReadAll(static_cast<int>(rfd), r, sizeof r)) return Fail(env, EPIPE);
  return Reply(env, r);
}

// measureEnd(pid, wfd, rfd): ends the child (its descriptors, and with them
// every charge it held, go with it) and reaps it.
Napi::Value MeasureEnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid, wfd, rfd;
  if (!IntArg(info, 0, "pid", 1, INT32_MAX, &pid) || !IntArg(info, 1, "wfd", 0, INT32_MAX, &wfd) ||
      !IntArg(info, 2, "rfd", 0, INT32_MAX, &rfd)) {
    return env.Undefined();
  }
  int64_t cmd[3] = {kExit, 0, 0};
  WriteAll(static_cast<int>(wfd), cmd, sizeof cmd);
  close(static_cast<int>(wfd));
  close(static_cast<int>(rfd));
  Reap(static_cast<pid_t>(pid));
  return Ok(env);
}

}  // namespace

void InitMeasure(Napi::Env env, Napi::Object exports) {
  exports.Set("measureStart", Napi::Function::New(env, MeasureStart, "measureStart"));
  exports.Set("measureCall", Napi::Function::New(env, MeasureCall, "measureCall"));
  exports.Set("measureEnd", Napi::Function::New(env, MeasureEnd, "measureEnd"));
}

}  // namespace mqd
