// The uids that charged scenarios run as. RLIMIT_MSGQUEUE is charged per uid
// across every IPC namespace, and uid 0 (and any uid a person uses) is shared
// with everything else on the machine: a test that puts a limit exactly at a
// queue's cost is only meaningful for a uid that holds nothing anywhere. So each
// test file draws fresh high uids (200000-299999, never 0 or 1000), checks that
// they hold nothing, and MQ_DOCTOR_TEST_UIDS=a,b,c overrides the draw.
import { spawnSync } from 'node:child_process';

const FIRST = 200_000;
const SPAN = 100_000;

/**
 * `n` distinct uids for one test file: from MQ_DOCTOR_TEST_UIDS, or drawn at
 * random. `salt` keeps the files of one run (which vitest runs in parallel) apart.
 */
export function testUids(n: number, salt: number): number[] {
  const given = process.env.MQ_DOCTOR_TEST_UIDS;
  if (given) {
    const uids = given.split(',').map((u) => Number(u.trim()));
    if (uids.some((u) => !Number.isInteger(u) || u <= 0 || u === 1000) || new Set(uids).size !== uids.length) {
      throw new Error(`MQ_DOCTOR_TEST_UIDS must be distinct uids other than 0 and 1000, got "${given}"`);
    }
    // Each file takes its own slice, so files running at once never share a uid.
    const start = (salt * n) % uids.length;
    const picked = Array.from({ length: n }, (_, i) => uids[(start + i) % uids.length]!);
    if (new Set(picked).size !== n) throw new Error(`MQ_DOCTOR_TEST_UIDS has ${uids.length} uids; ${n} distinct ones are needed`);
    return picked;
  }
  const out = new Set<number>();
  // Per file, a disjoint band of the range: parallel files cannot collide.
  const band = Math.floor(SPAN / 16);
  const base = FIRST + (salt % 16) * band;
  while (out.size < n) out.add(base + Math.floor(Math.random() * band));
  return [...out];
}

/** setpriv as uid (gid = uid, no supplementary groups); nothing for root. */
export function asUid(uid: number): string[] {
  return uid === 0 ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
}

/** Whether unprivileged user namespaces can be made here (rootless scenarios need them). */
export function userNamespaceSkipReason(uid: number): string | null {
  const r = spawnSync(asUid(uid)[0] ?? 'unshare', [...asUid(uid).slice(1), 'unshare', '--user', '--map-root-user', '--ipc', '--mount', 'true'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `unshare --user --map-root-user as uid ${uid} fails here: ${r.error?.message ?? r.stderr.trim()}`;
  return null;
}
