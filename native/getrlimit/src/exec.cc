// execvp for the container preflight: Node 20 has no process.execve, and the
// application must replace mq-doctor (same PID, PID 1 in a container) so that
// signals sent to the container reach it.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "addon.h"

namespace mqd {

namespace {

// Node leaves its own marks on the process that an exec'd program would
// inherit and not expect: non-blocking and close-on-exec stdio, ignored
// SIGPIPE/SIGXFSZ, and a blocked signal mask on the main thread.
void RestoreProcessDefaults(const std::vector<int>& inherited) {
  for (int fd = 0; fd <= 2; fd++) {
    int fdFlags = fcntl(fd, F_GETFD);
    if (fdFlags >= 0) fcntl(fd, F_SETFD, fdFlags & ~FD_CLOEXEC);
    int flFlags = fcntl(fd, F_GETFL);
    if (flFlags >= 0) fcntl(fd, F_SETFL, flFlags & ~O_NONBLOCK);
  }
  // Node made 0-15 close-on-exec at start-up (uv_disable_stdio_inheritance):
  // what mq-doctor itself inherited (socket activation's fd 3, a CI runner's
  // pipes) must reach the application as it would without mq-doctor.
  for (int fd : inherited) {
    int fdFlags = fcntl(fd, F_GETFD);
    if (fdFlags >= 0) fcntl(fd, F_SETFD, fdFlags & ~FD_CLOEXEC);
  }
  signal(SIGPIPE, SIG_DFL);
  signal(SIGXFSZ, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace

// execvp(file, [argv0, ...args][, inheritedFds]): returns only on failure, as
// {ok:false, errno}. inheritedFds: descriptors to pass on besides 0-2.
Napi::Value Execvp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file;
  if (!StringArg(info, 0, "file", &file)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsArray()) return ThrowType(env, "args must be an array of strings");
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<std::string> args;
  args.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) return ThrowType(env, "args must be an array of strings");
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s.find('\0') != std::string::npos) return ThrowType(env, "args must not contain NUL");
    args.push_back(std::move(s));
  }
  if (args.empty()) return ThrowType(env, "args must hold at least argv[0]");
  std::vector<int> inherited;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsArray()) return ThrowType(env, "inheritedFds must be an array of descriptor numbers");
    Napi::Array fds = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < fds.Length(); i++) {
      Napi::Value v = fds.Get(i);
      if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() < 0 || v.As<Napi::Number>().DoubleValue() > INT32_MAX) {
        return ThrowType(env, "inheritedFds must be an array of descriptor numbers");
      }
      inherited.push_back(v.As<Napi::Number>().Int32Value());
    }
  }
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  RestoreProcessDefaults(inherited);
  execvp(file.c_str(), argv.data());
  int err = errno;
  // Still here: put SIGPIPE back as Node had it, so a later write to a closed
  // pipe is an EPIPE error, not a killed process.
  signal(SIGPIPE, SIG_IGN);
  return Fail(env, err);
}

void InitExec(Napi::Env env, Napi::Object exports) {
  exports.Set("execvp", Napi::Function::New(env, Execvp, "execvp"));
}

}  // namespace mqd
