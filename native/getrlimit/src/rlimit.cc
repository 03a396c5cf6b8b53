#include <sys/resource.h>

#include <cerrno>
#include <cmath>

#include "addon.h"

namespace mqd {
namespace {

bool ResourceArg(const Napi::CallbackInfo& info, size_t i, int* out) {
  if (info[i].IsString()) {
    std::string s = info[i].As<Napi::String>().Utf8Value();
    if (s == "msgqueue") {
      *out = RLIMIT_MSGQUEUE;
      return true;
    }
    if (s == "nofile") {
      *out = RLIMIT_NOFILE;
      return true;
    }
  }
  ThrowType(info.Env(), "resource must be 'msgqueue' or 'nofile'");
  return false;
}

bool RlimArg(const Napi::CallbackInfo& info, size_t i, const char* name, rlim_t* out) {
  Napi::Value v = info[i];
  if (v.IsString() && v.As<Napi::String>().Utf8Value() == "unlimited") {
    *out = RLIM_INFINITY;
    return true;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    // 2^64 itself is representable as a double but not as an rlim_t.
    if (std::isfinite(d) && std::trunc(d) == d && d >= 0 && d < 18446744073709551616.0) {
      *out = static_cast<rlim_t>(d);
      return true;
    }
  }
  ThrowType(info.Env(), std::string(name) + " must be a non-negative integer or 'unlimited'");
  return false;
}

// glibc's C++ prototype of prlimit takes enum __rlimit_resource; musl's takes int.
#ifdef __GLIBC__
__rlimit_resource PrlimitResource(int r) { return static_cast<__rlimit_resource>(r); }
#else
int PrlimitResource(int r) { return r; }
#endif

Napi::Value RlimValue(Napi::Env env, rlim_t v) {
  if (v == RLIM_INFINITY) return Napi::String::New(env, "unlimited");
  return Napi::Number::New(env, static_cast<double>(v));
}

Napi::Object Limits(Napi::Env env, const struct rlimit& rl) {
  Napi::Object o = Ok(env);
  o.Set("soft", RlimValue(env, rl.rlim_cur));
  o.Set("hard", RlimValue(env, rl.rlim_max));
  return o;
}

Napi::Value GetRlimit(const Napi::CallbackInfo& info) {
  int resource;
  if (!ResourceArg(info, 0, &resource)) return info.Env().Undefined();
  struct rlimit rl;
  if (getrlimit(resource, &rl) != 0) return Fail(info.Env(), errno);
  return Limits(info.Env(), rl);
}

Napi::Value SetRlimit(const Napi::CallbackInfo& info) {
  int resource;
  struct rlimit rl;
  if (!ResourceArg(info, 0, &resource) || !RlimArg(info, 1, "soft", &rl.rlim_cur) ||
      !RlimArg(info, 2, "hard", &rl.rlim_max)) {
    return info.Env().Undefined();
  }
  if (setrlimit(resource, &rl) != 0) return Fail(info.Env(), errno);
  return Ok(info.Env());
}

Napi::Value Prlimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid;
  int resource;
  // Negative pids are passed through: the kernel's answer (ESRCH) is the point.
  if (!IntArg(info, 0, "pid", INT32_MIN, INT32_MAX, &pid) || !ResourceArg(info, 1, &resource)) {
    return env.Undefined();
  }
  bool set = !info[2].IsUndefined() || !info[3].IsUndefined();
  struct rlimit next, old;
  if (set && (!RlimArg(info, 2, "soft", &next.rlim_cur) || !RlimArg(info, 3, "hard", &next.rlim_max))) {
    return env.Undefined();
  }
  if (prlimit(static_cast<pid_t>(pid), PrlimitResource(resource), set ? &next : nullptr, &old) != 0) {
    return Fail(env, errno);
  }
  return Limits(env, old);
}

}  // namespace

void InitRlimit(Napi::Env env, Napi::Object exports) {
  exports.Set("getrlimit", Napi::Function::New(env, GetRlimit, "getrlimit"));
  exports.Set("setrlimit", Napi::Function::New(env, SetRlimit, "setrlimit"));
  exports.Set("prlimit", Napi::Function::New(env, Prlimit, "prlimit"));
}

}  // namespace mqd
