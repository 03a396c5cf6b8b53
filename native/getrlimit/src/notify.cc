// sd_notify(3) for the daemon under Type=notify: "READY=1" once it serves, so
// that systemd holds back a reload (SIGHUP) and the units ordered after it
// until the process can take them. Node has no AF_UNIX datagram sockets.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "addon.h"

namespace mqd {

namespace {

// sdNotify(socketPath, state): socketPath is $NOTIFY_SOCKET (a path, or "@name"
// for the abstract namespace), state e.g. "READY=1\nSTATUS=...".
Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, state;
  if (!StringArg(info, 0, "socketPath", &path) || !StringArg(info, 1, "state", &state)) return env.Undefined();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path) || (path[0] != '/' && path[0] != '@')) {
    return ThrowType(env, "socketPath must be an absolute path or an @abstract name shorter than sun_path");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(env, errno);
  ssize_t n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (n < 0) return Fail(env, err);
  return Ok(env);
}

}  // namespace

void InitNotify(Napi::Env env, Napi::Object exports) {
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
}

}  // namespace mqd
