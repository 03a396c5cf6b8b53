#include <cerrno>
#include <cmath>
#include <cstring>

#include "addon.h"

namespace mqd {
namespace {

// A table, not a switch: EAGAIN == EWOULDBLOCK and EOPNOTSUPP == ENOTSUP on
// Linux, and the first spelling listed is the one reported (glibc's choice).
// strerrorname_np would do, but only on glibc >= 2.32, and musl lacks it.
struct ErrnoEntry {
  int value;
  const char* name;
};
constexpr ErrnoEntry kErrnos[] = {
    {EPERM, "EPERM"},     {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},     {EIO, "EIO"},         {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},     {EBADF, "EBADF"},     {ECHILD, "ECHILD"},
    {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},   {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},   {EBUSY, "EBUSY"},     {EEXIST, "EEXIST"},
    {EXDEV, "EXDEV"},     {ENODEV, "ENODEV"},   {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"},   {EINVAL, "EINVAL"},   {ENFILE, "ENFILE"},
    {EMFILE, "EMFILE"},   {ENOTTY, "ENOTTY"},   {EFBIG, "EFBIG"},
    {ENOSPC, "ENOSPC"},   {ESPIPE, "ESPIPE"},   {EROFS, "EROFS"},
    {EPIPE, "EPIPE"},     {ERANGE, "ERANGE"},   {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"},   {ELOOP, "ELOOP"},     {EMSGSIZE, "EMSGSIZE"},
    {EOPNOTSUPP, "EOPNOTSUPP"}, {ETIMEDOUT, "ETIMEDOUT"}, {EOVERFLOW, "EOVERFLOW"},
    {EUSERS, "EUSERS"},   {EDQUOT, "EDQUOT"},
    {ENOMSG, "ENOMSG"},   {EIDRM, "EIDRM"},  // System V: msgrcv with nothing to take, a removed queue
};

}  // namespace

std::string ErrnoName(int err) {
  for (const ErrnoEntry& e : kErrnos) {
    if (e.value == err) return e.name;
  }
  return "E" + std::to_string(err);
}

Napi::Object Ok(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", true);
  return o;
}

Napi::Object Fail(Napi::Env env, int err) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", false);
  o.Set("errno", ErrnoName(err));
  o.Set("message", std::strerror(err));
  return o;
}

Napi::Value ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi,
            int64_t* out) {
  Napi::Value v = info[i];
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    // Callers pass bounds no wider than 2^53, so the comparisons are exact.
    if (std::isfinite(d) && std::trunc(d) == d && d >= static_cast<double>(lo) &&
        d <= static_cast<double>(hi)) {
      *out = static_cast<int64_t>(d);
      return true;
    }
  }
  ThrowType(info.Env(), std::string(name) + " must be an integer from " + std::to_string(lo) +
                            " to " + std::to_string(hi));
  return false;
}

bool StringArg(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (info[i].IsString()) {
    *out = info[i].As<Napi::String>().Utf8Value();
    if (out->find('\0') == std::string::npos) return true;
    ThrowType(info.Env(), std::string(name) + " must not contain NUL characters");
    return false;
  }
  ThrowType(info.Env(), std::string(name) + " must be a string");
  return false;
}

}  // namespace mqd
