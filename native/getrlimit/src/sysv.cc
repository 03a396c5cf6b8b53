// System V message queues: msgget, msgsnd, msgrcv and msgctl, for probing the
// kernel.msg* limits of the caller's IPC namespace (ENOSPC, EINVAL, EAGAIN, EPERM).
#include <sys/ipc.h>
#include <sys/msg.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "addon.h"

// msgctl command of Linux >= 4.17; glibc < 2.28 and musl headers lack it.
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

namespace mqd {
namespace {

constexpr int64_t kMaxSafe = 9007199254740991;  // 2^53 - 1: every integer up to here is exact

bool IdArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t* out) {
  // Negative ids are passed through so the caller sees the kernel's EINVAL.
  return IntArg(info, i, name, INT32_MIN, INT32_MAX, out);
}

// msg_qbytes is an unsigned long: a number up to 2^53 - 1, or a bigint beyond.
bool QbytesArg(const Napi::CallbackInfo& info, size_t i, unsigned long* out) {
  Napi::Value v = info[i];
  if (v.IsBigInt()) {
    bool lossless;
    uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless && x <= ULONG_MAX) {
      *out = static_cast<unsigned long>(x);
      return true;
    }
  } else if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::trunc(d) == d && d >= 0 && d <= static_cast<double>(kMaxSafe) &&
        d <= static_cast<double>(ULONG_MAX)) {
      *out = static_cast<unsigned long>(d);
      return true;
    }
  }
  ThrowType(info.Env(), "qbytes must be an integer from 0 to 2^53-1, or a bigint that fits a C unsigned long");
  return false;
}

// Numbers while exact; a bigint only above 2^53 - 1 (set by a CAP_SYS_RESOURCE holder).
Napi::Value ULongValue(Napi::Env env, unsigned long v) {
  if (static_cast<uint64_t>(v) <= static_cast<uint64_t>(kMaxSafe)) return Napi::Number::New(env, static_cast<double>(v));
  return Napi::BigInt::New(env, static_cast<uint64_t>(v));
}

Napi::Object StatFields(Napi::Env env, const struct msqid_ds& ds) {
  Napi::Object o = Ok(env);
  // key_t is a signed int, as /proc/sysvipc/msg prints it.
  o.Set("key", static_cast<double>(ds.msg_perm.__key));
  o.Set("uid", static_cast<double>(ds.msg_perm.uid));
  o.Set("gid", static_cast<double>(ds.msg_perm.gid));
  o.Set("cuid", static_cast<double>(ds.msg_perm.cuid));
  o.Set("cgid", static_cast<double>(ds.msg_perm.cgid));
  o.Set("mode", static_cast<double>(ds.msg_perm.mode));
  o.Set("qbytes", ULongValue(env, ds.msg_qbytes));
  // Bytes and messages really queued: far below 2^53 in any memory.
  o.Set("qnum", static_cast<double>(ds.msg_qnum));
  o.Set("cbytes", static_cast<double>(ds.msg_cbytes));
  return o;
}

Napi::Value Msgget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t key, flags;
  // Keys above INT32_MAX are taken as their 32-bit pattern (0xdeadbeef works).
  if (!IntArg(info, 0, "key", INT32_MIN, UINT32_MAX, &key) || !IntArg(info, 1, "flags", INT32_MIN, INT32_MAX, &flags)) {
    return env.Undefined();
  }
  int id = msgget(static_cast<key_t>(static_cast<uint32_t>(key)), static_cast<int>(flags));
  if (id < 0) return Fail(env, errno);
  Napi::Object o = Ok(env);
  o.Set("msqid", static_cast<double>(id));
  return o;
}

// msgsnd/msgrcv are synchronous: without IPC_NOWAIT they block the event loop
// on a full or empty queue.
Napi::Value Msgsnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t msqid, size, mtype, flags;
  // size: msgmax is at most INT_MAX, so no larger message can ever be sent.
  // mtype is not checked: the kernel's EINVAL for mtype < 1 is the answer to report.
  if (!IdArg(info, 0, "msqid", &msqid) || !IntArg(info, 1, "size", 0, INT32_MAX, &size) ||
      !IntArg(info, 2, "mtype", -kMaxSafe, kMaxSafe, &mtype) || !IntArg(info, 3, "flags", INT32_MIN, INT32_MAX, &flags)) {
    return env.Undefined();
  }
  // struct msgbuf: a long mtype, then the text. calloc: large sizes come as
  // untouched zero pages, cheap even near msgmax.
  long* m = static_cast<long*>(std::calloc(1, sizeof(long) + static_cast<size_t>(size)));
  if (m == nullptr) return Fail(env, ENOMEM);
  *m = static_cast<long>(mtype);
  int rc = msgsnd(static_cast<int>(msqid), m, static_cast<size_t>(size), static_cast<int>(flags));
  int err = errno;
  std::free(m);
  if (rc != 0) return Fail(env, err);
  return Ok(env);
}

Napi::Value Msgrcv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t msqid, maxSize, mtype, flags;
  if (!IdArg(info, 0, "msqid", &msqid) || !IntArg(info, 1, "maxSize", 0, INT32_MAX, &maxSize) ||
      !IntArg(info, 2, "mtype", -kMaxSafe, kMaxSafe, &mtype) || !IntArg(info, 3, "flags", INT32_MIN, INT32_MAX, &flags)) {
    return env.Undefined();
  }
  long* m = static_cast<long*>(std::malloc(sizeof(long) + static_cast<size_t>(maxSize)));
  if (m == nullptr) return Fail(env, ENOMEM);
  ssize_t n = msgrcv(static_cast<int>(msqid), m, static_cast<size_t>(maxSize), static_cast<long>(mtype),
                     static_cast<int>(flags));
  int err = errno;
  long got = n >= 0 ? *m : 0;
  std::free(m);
  if (n < 0) return Fail(env, err);
  Napi::Object o = Ok(env);
  o.Set("size", static_cast<double>(n));
  o.Set("mtype", static_cast<double>(got));
  return o;
}

Napi::Value MsgctlStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t msqid;
  if (!IdArg(info, 0, "msqid", &msqid)) return env.Undefined();
  struct msqid_ds ds;
  if (msgctl(static_cast<int>(msqid), IPC_STAT, &ds) != 0) return Fail(env, errno);
  return StatFields(env, ds);
}

// MSG_STAT_ANY takes an index into the namespace's queue table (not a msqid),
// needs no read permission, and returns the queue's msqid.
Napi::Value MsgctlStatAny(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t index;
  if (!IntArg(info, 0, "index", INT32_MIN, INT32_MAX, &index)) return env.Undefined();
  struct msqid_ds ds;
  int id = msgctl(static_cast<int>(index), MSG_STAT_ANY, &ds);
  if (id < 0) return Fail(env, errno);
  Napi::Object o = StatFields(env, ds);
  o.Set("msqid", static_cast<double>(id));
  return o;
}

Napi::Value MsgctlSetQbytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t msqid;
  unsigned long qbytes;
  if (!IdArg(info, 0, "msqid", &msqid) || !QbytesArg(info, 1, &qbytes)) return env.Undefined();
  // IPC_SET also writes uid, gid and mode: take them from IPC_STAT unchanged.
  // The full unsigned long is passed on: Linux >= 5.4 keeps only its low 32
  // bits (2^32 + 5 sets 5), and that is the kernel's answer to report.
  struct msqid_ds ds;
  if (msgctl(static_cast<int>(msqid), IPC_STAT, &ds) != 0) return Fail(env, errno);
  ds.msg_qbytes = qbytes;
  if (msgctl(static_cast<int>(msqid), IPC_SET, &ds) != 0) return Fail(env, errno);
  return Ok(env);
}

Napi::Value MsgctlRmid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t msqid;
  if (!IdArg(info, 0, "msqid", &msqid)) return env.Undefined();
  if (msgctl(static_cast<int>(msqid), IPC_RMID, nullptr) != 0) return Fail(env, errno);
  return Ok(env);
}

}  // namespace

void AddSysvConstants(Napi::Object c) {
  c.Set("IPC_CREAT", IPC_CREAT);
  c.Set("IPC_EXCL", IPC_EXCL);
  c.Set("IPC_NOWAIT", IPC_NOWAIT);
  c.Set("IPC_PRIVATE", static_cast<double>(IPC_PRIVATE));
  c.Set("MSG_NOERROR", MSG_NOERROR);
  c.Set("MSG_STAT_ANY", MSG_STAT_ANY);
}

void InitSysv(Napi::Env env, Napi::Object exports) {
  exports.Set("msgget", Napi::Function::New(env, Msgget, "msgget"));
  exports.Set("msgsnd", Napi::Function::New(env, Msgsnd, "msgsnd"));
  exports.Set("msgrcv", Napi::Function::New(env, Msgrcv, "msgrcv"));
  exports.Set("msgctlStat", Napi::Function::New(env, MsgctlStat, "msgctlStat"));
  exports.Set("msgctlStatAny", Napi::Function::New(env, MsgctlStatAny, "msgctlStatAny"));
  exports.Set("msgctlSetQbytes", Napi::Function::New(env, MsgctlSetQbytes, "msgctlSetQbytes"));
  exports.Set("msgctlRmid", Napi::Function::New(env, MsgctlRmid, "msgctlRmid"));
}

}  // namespace mqd
