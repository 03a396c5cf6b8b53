// Every certain answer must be certain: for each value a snapshot can lack,
// and every base case, making that one value unavailable leaves the answer as
// it was or makes it uncertain, never a different certain answer.
import { describe, expect, it } from 'vitest';
import { predictMqOpen } from '../../src/model/predict-mq-open.js';
import type { MqOpenRequest, Outcome } from '../../src/model/types.js';
import type { Snapshot } from '../../src/snapshot.js';
import { ok, type Overrides, queue, snapshot, USERNS_C } from '../support/snapshot-builder.js';

const req = (r: Partial<MqOpenRequest> = {}): MqOpenRequest => ({ name: null, create: true, exclusive: false, access: 'rdwr', mode: 0o600, attr: { maxmsg: 10, msgsize: 8192 }, count: 1, ...r });
const A = (maxmsg: number, msgsize: number) => ({ maxmsg, msgsize });

const other = (uid: number, bytes: [number, number][]): NonNullable<Snapshot['otherNamespaces']> =>
  ok({
    namespaces: [{ inode: 4026532999, pid: 77, command: 'app', ownerUserNs: ok(0xeffffffd), via: 'test', queues: ok(bytes.map(([m, s], i) => ({ name: `o${i}`, uid, attr: ok({ maxmsg: m, msgsize: s }) }))) }],
    userNamespaces: [],
    gaps: [],
  });

/** Base cases with a definite answer, over every check the model makes. */
const BASES: Array<[string, Overrides, MqOpenRequest]> = [
  ['success, default queue', {}, req()],
  ['success, attr NULL', {}, req({ attr: null })],
  ['EINVAL over msg_max', {}, req({ attr: A(11, 128) })],
  ['EINVAL non-positive', {}, req({ attr: A(0, 128) })],
  ['ENOSPC', { queues_max: 1, queues: [queue('a', 0, 1, 1)] }, req()],
  ['EMFILE queue memory, own namespace', { soft: 100_000, queues: [queue('a', 0, 10, 8192)] }, req()],
  ['EMFILE queue memory, another namespace', { otherNamespaces: other(0, [[10, 8192]]), soft: 100_000 }, req()],
  ['EMFILE descriptors', { fds: [0, 1, 2, 3], nofileSoft: 4 }, req()],
  ['--count 5: ENOSPC at 3', { queues_max: 2, soft: 'unlimited' }, req({ count: 5 })],
  ['--count 5: EMFILE at 4', { soft: 3 * 82_880 }, req({ count: 5 })],
  ['existing queue, success', { queues: [queue('q', 0, 3, 100)] }, req({ name: '/q' })],
  ['existing queue, EEXIST', { queues: [queue('q', 0, 3, 100)] }, req({ name: '/q', exclusive: true })],
  ['existing queue, EACCES', { uid: 1234, queues: [queue('q', 0, 3, 100)] }, req({ name: '/q' })],
  ['ENOENT without O_CREAT', {}, req({ name: '/missing', create: false })],
  ['glibc EINVAL without a slash', {}, req({ name: 'noslash' })],
  ['musl takes a name without a slash', { libc: 'musl' }, req({ name: 'noslash' })],
  ['ENAMETOOLONG', {}, req({ name: `/${'n'.repeat(256)}` })],
  ['EMFILE measured: a ceiling', { initialUserNs: false, measurement: ok({ mode: 'fresh-ipc', uid: 0, softLimit: 819_200, chargedAtOwnLevel: ok({ min: 0, max: 0 }), remaining: { min: 82_879, max: 82_879 }, probes: 3, ms: 1, peakHeldBytes: 1, peakHeldQueues: 1, notes: [] }) }, req()],
  ['success measured, rootless', { initialUserNs: false, measurement: ok({ mode: 'fresh-ipc', uid: 0, softLimit: 819_200, chargedAtOwnLevel: ok({ min: 0, max: 0 }), remaining: { min: 819_200, max: 819_200 }, probes: 3, ms: 1, peakHeldBytes: 1, peakHeldQueues: 1, notes: [] }) }, req()],
  ['EOVERFLOW: unmapped owner', { ipcOwnerOther: { uid: [[0, 100000, 65536]], gid: [[0, 100000, 65536]] } }, req()],
];

/** Every path to an available value ({ok: true, value}) inside a snapshot. */
function availPaths(o: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (o === null || typeof o !== 'object') return [];
  const rec = o as Record<string, unknown>;
  const out: Array<Array<string | number>> = [];
  if (rec.ok === true && 'value' in rec) out.push(path);
  for (const [k, v] of Object.entries(rec)) out.push(...availPaths(v, [...path, Array.isArray(o) ? Number(k) : k]));
  return out;
}

function withUnavailable(snap: Snapshot, path: Array<string | number>): Snapshot {
  const copy = structuredClone(snap) as unknown as Record<string | number, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[path[path.length - 1]!] = { ok: false, reason: 'made unavailable by the test' };
  return copy as unknown as Snapshot;
}

const definite = (o: Outcome) => o.verdict === 'success' || (o.verdict === 'failure' && o.errnoCertain && o.certainWith === undefined);
const summary = (o: Outcome) => ({ verdict: o.verdict, errno: o.errno, opened: o.opened });

describe('an unavailable value never turns a certain answer into another certain answer', () => {
  for (const [title, overrides, request] of BASES) {
    const base = snapshot(overrides);
    const before = predictMqOpen(base, request).outcome;
    it(`${title}: the base case is definite`, () => expect(definite(before), JSON.stringify(before)).toBe(true));
    const paths = availPaths(base).filter((p) => p.length > 0);
    it.each(paths.map((p) => [p.join('.'), p] as const))(`${title}: %s unavailable`, (_name, p) => {
      const after = predictMqOpen(withUnavailable(base, p), request).outcome;
      if (definite(after)) expect(summary(after), `was ${JSON.stringify(summary(before))}`).toEqual(summary(before));
    });
  }

  it('covers every kind of value the snapshot has', () => {
    const all = new Set(BASES.flatMap(([, o]) => availPaths(snapshot(o)).map((p) => p.filter((k) => typeof k === 'string').join('.'))));
    for (const key of ['kernel.release', 'kernel.wordBits', 'mqueue.msg_max', 'mqueue.queues_max', 'mqueue.msg_default', 'target.credentials', 'target.rlimitMsgqueue', 'target.rlimitNofile', 'target.descriptors', 'target.capabilities', 'target.libc', 'target.userNamespaceChain', 'target.ipcOwner', 'target.ipcOwner.value.uidMap', 'queues', 'queues.value.queues.attr', 'otherNamespaces', 'otherNamespaces.value.namespaces.queues', 'measurement']) {
      expect(all, key).toContain(key);
    }
  });
});

void USERNS_C;
