// Every process's IPC namespace and real uid, for the daemon's probe: the uid
// a queue is charged to is its creator's real uid, and only a process shows
// which namespace it is in. In JS each process costs a readlink and a whole
// /proc/PID/status read and decode, ~50 µs; here ~20 µs, nearly all of it the
// kernel writing the status file, so a probe's fixed cost does not grow with
// the processes as fast.
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "addon.h"

namespace mqd {

namespace {

// Columns of `rows`; keep in step with PROC_SCAN_FIELDS in src/probe/native.ts.
enum ProcField { kPid, kIpcInode, kRealUid, kProcFields };

// "ipc:[4026531839]" (fs/nsfs.c ns_get_name).
bool IpcInode(long pid, uint64_t* out) {
  char path[64], link[64];
  std::snprintf(path, sizeof path, "/proc/%ld/ns/ipc", pid);
  const ssize_t n = readlink(path, link, sizeof link - 1);
  if (n <= 0) return false;
  link[n] = '\0';
  return std::sscanf(link, "ipc:[%" SCNu64 "]", out) == 1;
}

// The first of the four uids on the "Uid:" line (fs/proc/array.c task_state: real, effective, saved, fs).
bool RealUid(long pid, uint64_t* out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%ld/status", pid);
  // The Uid line comes ninth, well within the first 1 KB; the file is generated whole at the first read anyway.
  char buf[1024];
  if (ReadSmallFile(path, buf, sizeof buf) <= 0) return false;
  const char* line = std::strstr(buf, "\nUid:");
  return line != nullptr && std::sscanf(line + 5, "%" SCNu64, out) == 1;
}

}  // namespace

// procScan() → {ok, width, rows: Float64Array(n × 3: pid, ipcInode, realUid), skipped}
// skipped: processes that exited, or hid their namespace or status, while being read.
Napi::Value ProcScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return Fail(env, errno);
  std::vector<double> rows;
  uint32_t skipped = 0;
  for (struct dirent* e = readdir(proc); e != nullptr; e = readdir(proc)) {
    if (!AllDigits(e->d_name)) continue;
    const long pid = std::strtol(e->d_name, nullptr, 10);
    uint64_t ino, uid;
    if (!IpcInode(pid, &ino) || !RealUid(pid, &uid)) {
      skipped++;
      continue;
    }
    rows.push_back(static_cast<double>(pid));
    rows.push_back(static_cast<double>(ino));
    rows.push_back(static_cast<double>(uid));
  }
  closedir(proc);
  Napi::Float64Array r = Napi::Float64Array::New(env, rows.size());
  if (!rows.empty()) std::memcpy(r.Data(), rows.data(), rows.size() * sizeof(double));
  Napi::Object ok = Ok(env);
  ok.Set("width", Napi::Number::New(env, kProcFields));
  ok.Set("rows", r);
  ok.Set("skipped", Napi::Number::New(env, skipped));
  return ok;
}

void InitProcesses(Napi::Env env, Napi::Object exports) {
  exports.Set("procScan", Napi::Function::New(env, ProcScan, "procScan"));
}

}  // namespace mqd
