// Loads native/getrlimit lazily: only callers that need a syscall pay the ~8 ms,
// and when the addon was never built (no compiler) read-only diagnosis still works
// from /proc; callers get the reason instead of an exception.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Avail, have, unavailable } from '../snapshot.js';

/** Every binding returns either its result or the errno's name; none throws on a failed syscall. */
export type Failure = { ok: false; errno: string; message: string };
export type Result<T extends object = object> = ({ ok: true } & T) | Failure;

export type RlimitResource = 'msgqueue' | 'nofile';
/** RLIM_INFINITY is reported as 'unlimited'. */
export type NativeRlimValue = number | 'unlimited';

export interface MqAttrIn {
  /** C long: numbers, or bigints for values beyond 2^53. */
  maxmsg: number | bigint;
  msgsize: number | bigint;
}

export interface NativeAddon {
  readonly constants: {
    O_RDONLY: number;
    O_WRONLY: number;
    O_RDWR: number;
    O_CREAT: number;
    O_EXCL: number;
    O_NONBLOCK: number;
    CLONE_NEWIPC: number;
  };
  getrlimit(resource: RlimitResource): Result<{ soft: NativeRlimValue; hard: NativeRlimValue }>;
  setrlimit(resource: RlimitResource, soft: NativeRlimValue, hard: NativeRlimValue): Result;
  /** prlimit(2) on another process; sets new limits when soft/hard are given, returns the old ones. */
  prlimit(
    pid: number,
    resource: RlimitResource,
    soft?: NativeRlimValue,
    hard?: NativeRlimValue,
  ): Result<{ soft: NativeRlimValue; hard: NativeRlimValue }>;
  /** mq_open(3) through libc, so libc's own name rules apply. attr null passes NULL. */
  mqOpen(name: string, oflag: number, mode: number, attr: MqAttrIn | null): Result<{ fd: number }>;
  /** Works on any queue descriptor, including an fd from open(2) on a file in an mqueue mount. */
  mqGetattr(fd: number): Result<{ flags: number; maxmsg: number; msgsize: number; curmsgs: number }>;
  mqSend(fd: number, data: Buffer, priority: number): Result;
  mqReceive(fd: number, bufferSize: number): Result<{ data: Buffer; priority: number }>;
  mqClose(fd: number): Result;
  mqUnlink(name: string): Result;
  /** setns(2) for the calling thread; used to read another IPC namespace's sysctls. */
  setns(fd: number, nstype: number): Result;
  /**
   * execvp(3) after undoing what Node changed (stdio flags, SIGPIPE/SIGXFSZ, the
   * signal mask). Returns only when the exec failed.
   */
  execvp(file: string, args: string[]): Failure;
}

let cached: Avail<NativeAddon> | undefined;

function addonPath(): string {
  // dist/ bundles and src/ sources both sit two levels below the package root.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', join('..', '..')]) {
    const candidate = join(here, up, 'native', 'getrlimit', 'build', 'Release', 'getrlimit.node');
    if (existsSync(candidate)) return candidate;
  }
  return join(here, '..', 'native', 'getrlimit', 'build', 'Release', 'getrlimit.node');
}

/** Whether the addon is usable, without paying to load it when nothing needed it yet. */
export function nativeStatus(): Avail<string> {
  if (cached) return cached.ok ? have('loaded') : cached;
  const path = process.env.MQ_DOCTOR_ADDON ?? addonPath();
  if (process.env.MQ_DOCTOR_NO_ADDON === '1') return unavailable('native addon disabled by MQ_DOCTOR_NO_ADDON=1');
  return existsSync(path) ? have('built (not loaded: not needed)') : loadNative() as Avail<never>;
}

export function loadNative(): Avail<NativeAddon> {
  if (cached) return cached;
  const path = process.env.MQ_DOCTOR_ADDON ?? addonPath();
  if (process.env.MQ_DOCTOR_NO_ADDON === '1') {
    cached = unavailable('native addon disabled by MQ_DOCTOR_NO_ADDON=1');
  } else if (!existsSync(path)) {
    cached = unavailable(
      `native addon not built (${path} missing; install a C++ compiler and run "npm rebuild mq-doctor")`,
    );
  } else {
    try {
      cached = have(createRequire(import.meta.url)(path) as NativeAddon);
    } catch (err) {
      cached = unavailable(`native addon failed to load: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return cached;
}
