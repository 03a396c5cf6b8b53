// Entry point of getrlimit.node; the contract is NativeAddon in src/probe/native.ts.
#include <fcntl.h>
#include <sched.h>

#include <cerrno>

#include "addon.h"

namespace mqd {

Napi::Value Setns(const Napi::CallbackInfo& info) {
  int64_t fd, nstype;
  if (!IntArg(info, 0, "fd", INT32_MIN, INT32_MAX, &fd) ||
      !IntArg(info, 1, "nstype", INT32_MIN, INT32_MAX, &nstype)) {
    return info.Env().Undefined();
  }
  if (setns(static_cast<int>(fd), static_cast<int>(nstype)) != 0) return Fail(info.Env(), errno);
  return Ok(info.Env());
}

// From the C headers rather than hard-coded in JS: O_* differ between
// architectures (O_NONBLOCK is 0x80 on MIPS, 0x800 on x86).
Napi::Object Constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("O_RDONLY", O_RDONLY);
  c.Set("O_WRONLY", O_WRONLY);
  c.Set("O_RDWR", O_RDWR);
  c.Set("O_CREAT", O_CREAT);
  c.Set("O_EXCL", O_EXCL);
  c.Set("O_NONBLOCK", O_NONBLOCK);
  c.Set("CLONE_NEWIPC", CLONE_NEWIPC);
  c.Set("CLONE_NEWUSER", CLONE_NEWUSER);
  AddSysvConstants(c);
  c.Freeze();
  return c;
}

}  // namespace mqd

// Global scope: NODE_API_MODULE pastes the name into an identifier.
static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("constants", mqd::Constants(env));
  exports.Set("setns", Napi::Function::New(env, mqd::Setns, "setns"));
  mqd::InitRlimit(env, exports);
  mqd::InitMqueue(env, exports);
  mqd::InitExec(env, exports);
  mqd::InitQueueDir(env, exports);
  mqd::InitHolders(env, exports);
  mqd::InitProcesses(env, exports);
  mqd::InitSysv(env, exports);
  mqd::InitNsfs(env, exports);
  mqd::InitMeasure(env, exports);
  mqd::InitNotify(env, exports);
  return exports;
}

NODE_API_MODULE(getrlimit, Init)
