// MQ-EXISTING: prepare_open() on the dentry the lookup found. An existing queue
// with O_CREAT|O_EXCL is EEXIST, otherwise its mode decides (EACCES); a missing
// one without O_CREAT is ENOENT. Opening an existing queue ignores the attr.
import type { Avail, QueueInfo, Snapshot } from '../../snapshot.js';
import { type CheckResult, fail, pass, unknown } from '../check-result.js';
import type { MqOpenRequest } from '../types.js';
import { docAnchor, type MqOpenCheck } from './check.js';

function mayAccess(q: QueueInfo, req: MqOpenRequest, snap: Snapshot): Avail<boolean> {
  const { credentials, capabilities } = snap.target;
  if (!credentials.ok) return credentials;
  if (!capabilities.ok) return capabilities;
  const c = credentials.value;
  const want = { rdonly: 4, wronly: 2, rdwr: 6 }[req.access];
  const bits = c.fsUid === q.uid ? (q.mode >> 6) & 7 : c.fsGid === q.gid || c.groups.includes(q.gid) ? (q.mode >> 3) & 7 : q.mode & 7;
  if ((bits & want) === want) return { ok: true, value: true };
  // generic_permission(): CAP_DAC_OVERRIDE opens anything for read/write, CAP_DAC_READ_SEARCH for read.
  if (capabilities.value.dacOverride) return { ok: true, value: true };
  return { ok: true, value: want === 4 && capabilities.value.dacReadSearch };
}

const mode = (q: QueueInfo) => q.mode.toString(8).padStart(4, '0');

export const existingCheck: MqOpenCheck = {
  id: 'MQ-EXISTING',
  title: 'existing queue (O_CREAT, O_EXCL, permission)',
  kernel: 'prepare_open() in do_mq_open()',
  doc: docAnchor('MQ-EXISTING'),
  run(c) {
    const { req, snap, existing } = c;
    if (c.existenceUnknown && !snap.queues.ok) return [unknown(`whether ${req.name} exists: ${snap.queues.reason}`, { root: true })];
    if (existing) {
      if (req.create && req.exclusive) {
        return [fail({ kind: 'request', errno: 'EEXIST', rule: 'queue-exists', summary: `${req.name} already exists and O_EXCL was given.`, remedy: `Unlink it first (mq_unlink("${req.name}")) or open it without O_EXCL.` })];
      }
      const out: CheckResult[] = [];
      const access = mayAccess(existing, req, snap);
      if (!access.ok) out.push(unknown(`permission on ${req.name}: ${access.reason}`));
      else if (!access.value) {
        out.push(
          fail({
            kind: 'request',
            errno: 'EACCES',
            rule: 'permission',
            summary: `${req.name} is owned by uid ${existing.uid} with mode ${mode(existing)}: ${req.access} access is denied.`,
            remedy: `Have its owner chmod it, or open it ${req.access === 'rdwr' ? 'read-only or write-only as its mode allows' : 'as a user its mode allows'}.`,
          }),
        );
      }
      let warn: string | undefined;
      if (req.attr) {
        const old = existing.attr.ok ? `${existing.attr.value.maxmsg} × ${existing.attr.value.msgsize}` : 'unknown (its attrs could not be read)';
        warn = `${req.name} already exists: the kernel ignores the requested attr ${req.attr.maxmsg} × ${req.attr.msgsize}; the queue keeps its own ${old}. Unlink it to recreate it with the new size.`;
        c.warnings.push(warn);
      }
      return out.length ? out : [pass(`${req.name} exists (uid ${existing.uid}, mode ${mode(existing)}): ${req.access} access allowed`, null, null, warn)];
    }
    if (!req.create) {
      return [fail({ kind: 'request', errno: 'ENOENT', rule: 'queue-missing', summary: `${req.name ?? 'The queue'} does not exist and O_CREAT was not given.`, remedy: 'Create it first, or pass O_CREAT.' })];
    }
    return [pass(req.name === null ? 'a new queue is created (O_CREAT)' : `${req.name} does not exist yet: O_CREAT creates it`)];
  },
};
