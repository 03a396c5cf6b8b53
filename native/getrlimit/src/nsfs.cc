// Namespaces as the kernel relates them, for the charge that RLIMIT_MSGQUEUE
// adds at every user-namespace level (kernel/ucount.c): which user namespace
// owns an IPC namespace, a user namespace's parent and its owner, and the
// queues of an IPC namespace read through a mount that nobody else sees.
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "addon.h"

namespace mqd {
namespace {

Napi::Value FdResult(Napi::Env env, int fd) {
  if (fd < 0) return Fail(env, errno);
  Napi::Object o = Ok(env);
  o.Set("fd", fd);
  return o;
}

// nsRelated(fd, "owner" | "parent") → {ok, fd}: NS_GET_USERNS (the user
// namespace that owns any namespace) or NS_GET_PARENT (of a user namespace).
// EPERM when the answer lies outside the caller's own user namespace.
Napi::Value NsRelated(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  std::string which;
  if (!IntArg(info, 0, "fd", 0, INT32_MAX, &fd) || !StringArg(info, 1, "which", &which)) return env.Undefined();
  unsigned long request;
  if (which == "owner") {
    request = NS_GET_USERNS;
  } else if (which == "parent") {
    request = NS_GET_PARENT;
  } else {
    return ThrowType(env, "which must be 'owner' or 'parent'");
  }
  return FdResult(env, ioctl(static_cast<int>(fd), request));
}

// nsOwnerUid(fd) → {ok, uid}: the uid that created a user namespace, as the caller's
// own user namespace sees it (the overflow uid when it has no mapping there).
Napi::Value NsOwnerUid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!IntArg(info, 0, "fd", 0, INT32_MAX, &fd)) return env.Undefined();
  uid_t uid;
  if (ioctl(static_cast<int>(fd), NS_GET_OWNER_UID, &uid) != 0) return Fail(env, errno);
  Napi::Object o = Ok(env);
  o.Set("uid", static_cast<double>(uid));
  return o;
}

// mqueueMount() → {ok, fd}: a read-only mqueue mount of the calling thread's
// IPC namespace (the new mount API: fsopen, fsconfig, fsmount), attached
// nowhere. Every IPC namespace has one mqueue superblock, so this shows the
// same queues as any other mount of it; closing the fd is the whole cleanup.
// Needs CAP_SYS_ADMIN in the user namespaces owning the mount and IPC namespaces.
Napi::Value MqueueMount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fs = static_cast<int>(syscall(SYS_fsopen, "mqueue", FSOPEN_CLOEXEC));
  if (fs < 0) return Fail(env, errno);
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    int err = errno;
    close(fs);
    return Fail(env, err);
  }
  int mnt = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  int err = errno;
  close(fs);
  if (mnt < 0) return Fail(env, err);
  return FdResult(env, mnt);
}

}  // namespace

void InitNsfs(Napi::Env env, Napi::Object exports) {
  exports.Set("nsRelated", Napi::Function::New(env, NsRelated, "nsRelated"));
  exports.Set("nsOwnerUid", Napi::Function::New(env, NsOwnerUid, "nsOwnerUid"));
  exports.Set("mqueueMount", Napi::Function::New(env, MqueueMount, "mqueueMount"));
}

}  // namespace mqd
