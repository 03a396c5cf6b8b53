// Type=notify (systemd/mq-doctor.service): READY=1 once the daemon listens and
// has probed once. Until then systemd keeps the unit "activating": units
// ordered after it wait, and a reload is folded into the start instead of
// sending a SIGHUP that would kill a Node process with no handler yet (seen in
// a boot test with Type=exec: `systemctl reload` right after the start killed it).
import { log } from '../log.js';
import { loadNative } from '../probe/native.js';

/**
 * $NOTIFY_SOCKET, taken out of the environment at the start: children (an --enforce
 * repair's systemctl, say) must not take the unit's socket for their own.
 */
export function takeNotifySocket(): string | undefined {
  const socket = process.env.NOTIFY_SOCKET;
  delete process.env.NOTIFY_SOCKET;
  return socket;
}

/** Whether READY=1 reached the socket; true when there is none (not run by systemd as Type=notify). */
export function notifyReady(socket: string | undefined, status: string): boolean {
  if (!socket) return true;
  // sun_path holds 108 bytes with the terminating NUL (an @name has none, but its leading NUL counts).
  if (!/^[/@]/.test(socket) || Buffer.byteLength(socket) > 107) {
    log.error({ socket }, 'NOTIFY_SOCKET is not an absolute path or an @abstract socket name of at most 107 bytes: READY=1 not sent');
    return false;
  }
  const lib = loadNative();
  if (!lib.ok || typeof lib.value.sdNotify !== 'function') {
    // NotifyAccess=main: only this process may send it (a systemd-notify child may not).
    log.error({ reason: lib.ok ? 'the native addon predates sdNotify (rebuild it)' : lib.reason }, 'cannot send READY=1 to systemd without the native addon: the unit stays "activating" until TimeoutStartSec');
    return false;
  }
  const r = lib.value.sdNotify(socket, `READY=1\nSTATUS=${status.replace(/\n/g, ' ')}`);
  if (!r.ok) log.error({ socket, errno: r.errno }, 'READY=1 could not be sent to systemd');
  return r.ok;
}
