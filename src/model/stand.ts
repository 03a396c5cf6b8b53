// Where the target stands, decided once from the snapshot: the advice that
// works on a host (sysctl -w, sysctl.d) is wrong in a container (read-only
// /proc/sys, no boot), and a hard limit cannot rise without CAP_SYS_RESOURCE,
// even for root.
import type { ConfiguredLimits, Snapshot } from '../snapshot.js';
import { parseRelease } from './era.js';

export type Place = 'host' | 'container' | 'rootless container';

export interface Stand {
  place: Place;
  /** The IPC namespace: the host's, a private one, or unknown. */
  ipc: 'host' | 'private' | 'unknown';
  /** The target runs in a user namespace other than the initial one. */
  childUserNs: boolean;
  /** uid 0 (in its own user namespace). */
  root: boolean;
  /** CAP_SYS_RESOURCE in the initial user namespace: raises hard limits, lifts queues_max and msg_max. */
  sysResource: boolean;
  procSysWritable: boolean | null;
  unit: string | null;
  /** systemd is PID 1 of the target's own (a container's) PID namespace: its unit is that systemd's, not the host's. */
  ownSystemd: boolean;
  /** Descends from a login (pam_loginuid set loginuid): limits.d reached it. null: unknown. */
  login: boolean | null;
  /** The root of a user namespace may write its IPC namespace's sysctls (Linux 6.9, 6.6.45, 6.1.104). null: release unknown. */
  usernsRootWritesIpcSysctls: boolean | null;
  /** mq-doctor looks at another process (--pid). */
  pid: number | null;
  /** What its unit or pam_limits grants it at its start (null: not read). */
  configured: ConfiguredLimits | null;
  why: string[];
}

/** Alexey Gladkov's "Allow to change ipc/mq sysctls inside ipc namespace": mainline 6.9, and the 6.6.45 and 6.1.104 stable releases. */
export function usernsMayWriteIpcSysctls(release: string): boolean | null {
  const v = parseRelease(release);
  if (!v) return null;
  const [major, minor, patch] = v;
  if (major !== 6) return major > 6;
  if (minor >= 9) return true;
  if (minor === 6) return patch >= 45;
  if (minor === 1) return patch >= 104;
  return false;
}

export function standOf(snap: Snapshot): Stand {
  const t = snap.target;
  const ipc = t.ipcNamespace.ok ? (t.ipcNamespace.value.initial ? 'host' : 'private') : 'unknown';
  const childUserNs = t.userNamespace.ok ? !t.userNamespace.value.initial : false;
  const s = t.surroundings?.ok ? t.surroundings.value : null;
  const markers = s?.containerMarkers ?? [];
  const container = markers.length > 0 || ipc === 'private';
  const place: Place = container ? (childUserNs ? 'rootless container' : 'container') : 'host';
  const why = [
    ...(ipc === 'private' ? ['a private IPC namespace'] : []),
    ...markers,
    ...(childUserNs ? ['a user namespace of its own'] : []),
  ];
  return {
    place,
    ipc,
    childUserNs,
    root: t.credentials.ok ? t.credentials.value.effectiveUid === 0 : false,
    sysResource: t.capabilities.ok ? t.capabilities.value.sysResource : false,
    procSysWritable: s?.procSysWritable ?? null,
    unit: t.systemdUnit.ok ? t.systemdUnit.value : null,
    ownSystemd: s?.systemdInit === true,
    login: s ? s.loginUid !== null : null,
    usernsRootWritesIpcSysctls: snap.kernel.release.ok ? usernsMayWriteIpcSysctls(snap.kernel.release.value) : null,
    pid: t.self ? null : t.pid,
    configured: s?.configured ?? null,
    why,
  };
}

/** "host, root without CAP_SYS_RESOURCE", "container (a private IPC namespace, /.dockerenv), uid 1000". */
export function standText(s: Stand, uid: number | null): string {
  const who = s.root ? (s.sysResource ? 'root with CAP_SYS_RESOURCE' : 'root without CAP_SYS_RESOURCE') : `uid ${uid ?? '?'}${s.sysResource ? ' with CAP_SYS_RESOURCE' : ''}`;
  const place = s.place === 'host' ? (s.ipc === 'host' ? 'host' : 'host, IPC namespace unknown') : `${s.place} (${s.why.join(', ')}${s.ipc === 'host' ? "; the host's IPC namespace" : ''})`;
  const via = [s.unit ? `in ${s.unit}` : '', s.login === true ? 'from a login session' : s.login === false && !s.unit ? 'not from a login session' : ''].filter(Boolean).join(', ');
  return `${place}; ${who}${via ? `; ${via}` : ''}`;
}
