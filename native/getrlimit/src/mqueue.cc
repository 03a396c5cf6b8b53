#include <fcntl.h>
#include <mqueue.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "addon.h"

namespace mqd {
namespace {

// mq_attr fields are C long; BigInts carry values a double would round.
bool LongField(Napi::Env env, Napi::Object attr, const char* name, long* out) {
  Napi::Value v = attr.Get(name);
  if (v.IsBigInt()) {
    bool lossless;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (lossless && x >= LONG_MIN && x <= LONG_MAX) {
      *out = static_cast<long>(x);
      return true;
    }
  } else if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    // -2^63 and 2^63 are exact doubles; LONG_MAX is not.
    if (std::isfinite(d) && std::trunc(d) == d && d >= static_cast<double>(LONG_MIN) &&
        d < -static_cast<double>(LONG_MIN)) {
      *out = static_cast<long>(d);
      return true;
    }
  }
  ThrowType(env, std::string("attr.") + name + " must be an integer (number or bigint) that fits a C long");
  return false;
}

bool FdArg(const Napi::CallbackInfo& info, size_t i, int64_t* fd) {
  // Negative descriptors are passed through so the caller sees EBADF.
  return IntArg(info, i, "fd", INT32_MIN, INT32_MAX, fd);
}

Napi::Value MqOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  int64_t oflag, mode;
  if (!StringArg(info, 0, "name", &name) || !IntArg(info, 1, "oflag", INT32_MIN, INT32_MAX, &oflag) ||
      !IntArg(info, 2, "mode", 0, UINT32_MAX, &mode)) {
    return env.Undefined();
  }
  struct mq_attr attr = {};
  struct mq_attr* attrp = nullptr;
  if (info[3].IsObject()) {
    Napi::Object o = info[3].As<Napi::Object>();
    if (!LongField(env, o, "maxmsg", &attr.mq_maxmsg) || !LongField(env, o, "msgsize", &attr.mq_msgsize)) {
      return env.Undefined();
    }
    attrp = &attr;
  } else if (!info[3].IsNull() && !info[3].IsUndefined()) {
    return ThrowType(env, "attr must be {maxmsg, msgsize} or null");
  }
  // mq_open is variadic: mode and attr exist only with O_CREAT, as in C.
  mqd_t q = (oflag & O_CREAT) ? mq_open(name.c_str(), static_cast<int>(oflag), static_cast<mode_t>(mode), attrp)
                              : mq_open(name.c_str(), static_cast<int>(oflag));
  if (q == static_cast<mqd_t>(-1)) return Fail(env, errno);
  Napi::Object o = Ok(env);
  o.Set("fd", static_cast<double>(q));
  return o;
}

Napi::Value MqGetattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!FdArg(info, 0, &fd)) return env.Undefined();
  struct mq_attr a;
  if (mq_getattr(static_cast<mqd_t>(fd), &a) != 0) return Fail(env, errno);
  Napi::Object o = Ok(env);
  o.Set("flags", static_cast<double>(a.mq_flags));
  o.Set("maxmsg", static_cast<double>(a.mq_maxmsg));
  o.Set("msgsize", static_cast<double>(a.mq_msgsize));
  o.Set("curmsgs", static_cast<double>(a.mq_curmsgs));
  return o;
}

// mqSend/mqReceive are synchronous and block the event loop on a full or empty
// queue unless it was opened with O_NONBLOCK; mq-doctor only ever probes.
Napi::Value MqSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, prio;
  if (!FdArg(info, 0, &fd)) return env.Undefined();
  if (!info[1].IsBuffer()) return ThrowType(env, "data must be a Buffer");
  // Not capped at MQ_PRIO_MAX: the kernel's EINVAL is the answer to report.
  if (!IntArg(info, 2, "priority", 0, UINT32_MAX, &prio)) return env.Undefined();
  Napi::Buffer<char> data = info[1].As<Napi::Buffer<char>>();
  if (mq_send(static_cast<mqd_t>(fd), data.Data(), data.Length(), static_cast<unsigned>(prio)) != 0) {
    return Fail(env, errno);
  }
  return Ok(env);
}

Napi::Value MqReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, size;
  if (!FdArg(info, 0, &fd) || !IntArg(info, 1, "bufferSize", 0, INT32_MAX, &size)) {
    return env.Undefined();
  }
  char* buf = static_cast<char*>(std::malloc(size > 0 ? size : 1));
  if (buf == nullptr) return Fail(env, ENOMEM);
  unsigned prio = 0;
  ssize_t n = mq_receive(static_cast<mqd_t>(fd), buf, static_cast<size_t>(size), &prio);
  int err = errno;
  Napi::Value result;
  if (n < 0) {
    result = Fail(env, err);
  } else {
    Napi::Object o = Ok(env);
    o.Set("data", Napi::Buffer<char>::Copy(env, buf, static_cast<size_t>(n)));
    o.Set("priority", static_cast<double>(prio));
    result = o;
  }
  std::free(buf);
  return result;
}

Napi::Value MqClose(const Napi::CallbackInfo& info) {
  int64_t fd;
  if (!FdArg(info, 0, &fd)) return info.Env().Undefined();
  if (mq_close(static_cast<mqd_t>(fd)) != 0) return Fail(info.Env(), errno);
  return Ok(info.Env());
}

Napi::Value MqUnlink(const Napi::CallbackInfo& info) {
  std::string name;
  if (!StringArg(info, 0, "name", &name)) return info.Env().Undefined();
  if (mq_unlink(name.c_str()) != 0) return Fail(info.Env(), errno);
  return Ok(info.Env());
}

}  // namespace

void InitMqueue(Napi::Env env, Napi::Object exports) {
  exports.Set("mqOpen", Napi::Function::New(env, MqOpen, "mqOpen"));
  exports.Set("mqGetattr", Napi::Function::New(env, MqGetattr, "mqGetattr"));
  exports.Set("mqSend", Napi::Function::New(env, MqSend, "mqSend"));
  exports.Set("mqReceive", Napi::Function::New(env, MqReceive, "mqReceive"));
  exports.Set("mqClose", Napi::Function::New(env, MqClose, "mqClose"));
  exports.Set("mqUnlink", Napi::Function::New(env, MqUnlink, "mqUnlink"));
}

}  // namespace mqd
