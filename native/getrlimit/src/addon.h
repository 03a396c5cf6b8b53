// Shared helpers. Every binding follows one contract: a failed syscall is a
// value ({ok:false, errno, message}), a wrong argument is a pending TypeError.
// Exceptions are disabled, so a helper that returns false has already set the
// TypeError and the caller must return at once.
#pragma once

#include <napi.h>

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace mqd {

// {ok: true}; callers add their own fields.
Napi::Object Ok(Napi::Env env);
// {ok: false, errno: "EINVAL", message: strerror(err)}. Pass errno saved right
// after the call: building JS values may clobber it.
Napi::Object Fail(Napi::Env env, int err);
std::string ErrnoName(int err);

Napi::Value ThrowType(Napi::Env env, const std::string& message);

// An integral JS number within [lo, hi].
bool IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi,
            int64_t* out);
// A JS string without NUL: the C side would silently cut it there.
bool StringArg(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out);

// A /proc entry name that is a PID (or a descriptor number): digits only, at least one.
bool AllDigits(const char* s);
// One read(2) of at most size - 1 bytes of a small file (a /proc text), NUL-terminated; -1 with errno set on failure.
ssize_t ReadSmallFile(const char* path, char* buf, size_t size);

void InitRlimit(Napi::Env env, Napi::Object exports);
void InitMqueue(Napi::Env env, Napi::Object exports);
void InitExec(Napi::Env env, Napi::Object exports);
void InitQueueDir(Napi::Env env, Napi::Object exports);
void InitHolders(Napi::Env env, Napi::Object exports);
void InitProcesses(Napi::Env env, Napi::Object exports);
void InitSysv(Napi::Env env, Napi::Object exports);
void InitNsfs(Napi::Env env, Napi::Object exports);
void InitMeasure(Napi::Env env, Napi::Object exports);
void InitNotify(Napi::Env env, Napi::Object exports);
// IPC_* and MSG_* into the constants object, before it is frozen.
void AddSysvConstants(Napi::Object constants);

}  // namespace mqd
