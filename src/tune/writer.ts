// The only code in mq-doctor that changes the system. The command layer decides
// what the files say; this module makes writing them safe: every file is
// replaced atomically, nothing is written through a symlink, a transaction's
// backup and manifest exist before the first target is touched, and one writer
// runs per root at a time. Rollback reads the manifest and the targets' current
// content, so it works after a kill at any point of an apply.
import { lstatSync, mkdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { log } from '../log.js';
import { acquireLock } from './writer/lock.js';
import {
  type Manifest,
  type ManifestFile,
  type ManifestSysctl,
  STATE_PARTS,
  listTransactions,
  newTransactionId,
  readManifest,
  writeManifest,
} from './writer/manifest.js';
import {
  type Checkpoint,
  type Existing,
  WriterError,
  atomicWrite,
  describe,
  ensureDirs,
  fsyncDir,
  isErrno,
  missingParents,
  readRegular,
  removeFile,
  removeStaleTemps,
  resolveUnderRoot,
  sha256,
  splitTarget,
  wrap,
} from './writer/safe-fs.js';
import { ipcNamespace, readSysctlStrict, writeSysctl } from './writer/sysctl.js';
import { pauseCheckpoints } from './writer/test-pause.js';

export { WriterError, resolveUnderRoot };

export interface PlannedFile {
  /** Absolute path as on the target system, e.g. /etc/sysctl.d/60-mq-doctor.conf. */
  path: string;
  content: string;
  /** Default: the replaced file's mode, or 0o644 for a new one. */
  mode?: number;
}

export interface PlannedSysctl {
  /** e.g. fs.mqueue.msg_max */
  key: string;
  value: number;
  /**
   * Leave a live value that is already higher. Checked under the lock, so an
   * apply that planned before a concurrent one raised the value cannot undo it.
   */
  raiseOnly?: boolean;
}

export interface ApplyPlan {
  /** '/' or an alternate root; all paths are resolved under it. */
  root: string;
  files: PlannedFile[];
  /** Live writes; the caller passes [] for --no-live or root !== '/'. */
  sysctls: PlannedSysctl[];
}

export type FileResult =
  | { path: string; action: 'created' | 'replaced' | 'unchanged' }
  | { path: string; action: 'failed'; error: string }
  | { path: string; action: 'skipped'; reason: string };

// 'set' and 'unchanged' are separate members so that `action !== 'set' && action !== 'unchanged'` narrows.
export type SysctlResult =
  | { key: string; action: 'set'; old: number; new: number }
  | { key: string; action: 'unchanged'; old: number; new: number }
  | { key: string; action: 'failed'; error: string }
  | { key: string; action: 'skipped'; reason: string };

export interface ApplyReport {
  /** Id of the backup set; null when nothing changed. */
  transaction: string | null;
  files: FileResult[];
  sysctls: SysctlResult[];
  ok: boolean;
}

export interface RollbackReport {
  transaction: string | null;
  restored: string[];
  /** Files the apply created, removed again. */
  removed: string[];
  /** Directories the apply created, removed again now that they are empty. */
  removedDirs: string[];
  sysctls: Array<{ key: string; value: number; ok: boolean; error?: string }>;
  ok: boolean;
  message: string;
}

export interface WriterOptions {
  /** Where procfs is mounted; tests point it at a fake tree. Default /proc. */
  procRoot?: string;
  /** How long to wait for another mq-doctor writing under the same root. Default 5 s. */
  lockTimeoutMs?: number;
  /**
   * applyPlan only: compute the plan again once the lock is held, from the files as
   * they are then. A plan made from content read before the lock (another owner's
   * block in a shared file, say) would otherwise write back what a concurrent apply
   * has replaced since. Whatever it throws is thrown by applyPlan, the lock released.
   */
  replan?: () => Omit<ApplyPlan, 'root'>;
}

const DEFAULT_MODE = 0o644;
const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

type FileDecision =
  | { kind: 'unchanged' }
  | { kind: 'failed'; error: string }
  | { kind: 'write'; abs: string; parts: string[]; data: Buffer; mode: number; old: Existing | null; missing: string[] };

type SysctlDecision = { kind: 'unchanged'; value: number } | { kind: 'failed'; error: string } | { kind: 'write'; old: number };

interface Inspection {
  files: FileDecision[];
  sysctls: SysctlDecision[];
  /** The first path or key that cannot be written: then nothing is. */
  firstFailure: string | null;
  changes: number;
}

function checkRoot(root: string): string {
  const abs = resolveUnderRoot(root, '/');
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (e) {
    throw wrap(e, `opening the root ${root}`);
  }
  if (!isDir) throw new WriterError('ENOTDIR', `ENOTDIR: the root ${root} is not a directory`);
  return abs;
}

/**
 * Everything that can be known before writing: a symlink, a directory where a file
 * should be, an unreadable sysctl. Any of these stops the apply before it starts,
 * which beats failing half-way.
 */
function inspect(root: string, plan: ApplyPlan, procRoot: string): Inspection {
  const seen = new Set<string>();
  const files = plan.files.map((f): FileDecision => {
    try {
      const parts = splitTarget(f.path);
      if (parts.length === 0) throw new WriterError('EINVAL', `EINVAL: ${f.path} is the root itself, not a file`);
      const abs = posix.join(root, ...parts);
      if (seen.has(abs)) throw new WriterError('EINVAL', `EINVAL: ${f.path} is planned twice`);
      seen.add(abs);
      if (f.mode !== undefined && (!Number.isInteger(f.mode) || f.mode < 0 || f.mode > 0o7777)) {
        throw new WriterError('EINVAL', `EINVAL: ${String(f.mode)} is not a file mode (${f.path})`);
      }
      if (typeof f.content !== 'string') throw new WriterError('EINVAL', `EINVAL: the content for ${f.path} is not a string`);
      const data = Buffer.from(f.content, 'utf8');
      const missing = missingParents(root, parts);
      const old = missing.length > 0 ? null : readRegular(abs, f.path);
      // A file replaced keeps its mode (an administrator's 0640 stays 0640) unless the plan says otherwise.
      const mode = f.mode ?? old?.mode ?? DEFAULT_MODE;
      if (old && old.mode === mode && old.data.equals(data)) return { kind: 'unchanged' };
      return { kind: 'write', abs, parts, data, mode, old, missing };
    } catch (e) {
      return { kind: 'failed', error: describe(e) };
    }
  });
  const keys = new Set<string>();
  const sysctls = plan.sysctls.map((s): SysctlDecision => {
    try {
      if (!Number.isSafeInteger(s.value)) throw new WriterError('EINVAL', `EINVAL: ${String(s.value)} is not an integer (${s.key})`);
      if (keys.has(s.key)) throw new WriterError('EINVAL', `EINVAL: ${s.key} is planned twice`);
      keys.add(s.key);
      const old = readSysctlStrict(s.key, procRoot);
      return old === s.value || (s.raiseOnly === true && old > s.value) ? { kind: 'unchanged', value: old } : { kind: 'write', old };
    } catch (e) {
      return { kind: 'failed', error: describe(e) };
    }
  });
  const failedFile = files.findIndex((d) => d.kind === 'failed');
  const failedSysctl = sysctls.findIndex((d) => d.kind === 'failed');
  const firstFailure = failedFile >= 0 ? (plan.files[failedFile]?.path ?? null) : failedSysctl >= 0 ? (plan.sysctls[failedSysctl]?.key ?? null) : null;
  const changes = files.filter((d) => d.kind === 'write').length + sysctls.filter((d) => d.kind === 'write').length;
  return { files, sysctls, firstFailure, changes };
}

/** A report for an apply that wrote nothing: all unchanged, or stopped before the first write. */
function reportUntouched(plan: ApplyPlan, ins: Inspection, skipReason: string, setupError?: string): ApplyReport {
  let pendingError = setupError;
  // A setup failure (no room for the backup, say) is charged to the first step that needed it.
  const fail = (): string | undefined => {
    const e = pendingError;
    pendingError = undefined;
    return e;
  };
  const files = plan.files.map((f, i): FileResult => {
    const d = ins.files[i];
    if (d?.kind === 'unchanged') return { path: f.path, action: 'unchanged' };
    if (d?.kind === 'failed') return { path: f.path, action: 'failed', error: d.error };
    const error = fail();
    return error ? { path: f.path, action: 'failed', error } : { path: f.path, action: 'skipped', reason: skipReason };
  });
  const sysctls = plan.sysctls.map((s, i): SysctlResult => {
    const d = ins.sysctls[i];
    if (d?.kind === 'unchanged') return { key: s.key, action: 'unchanged', old: d.value, new: d.value };
    if (d?.kind === 'failed') return { key: s.key, action: 'failed', error: d.error };
    const error = fail();
    return error ? { key: s.key, action: 'failed', error } : { key: s.key, action: 'skipped', reason: skipReason };
  });
  return { transaction: null, files, sysctls, ok: ins.firstFailure === null && ins.changes === 0 && setupError === undefined };
}

/**
 * Write the plan's files, then its live sysctls, in order; stop at the first failure.
 * A file whose content and mode already match is not touched. Problems with the plan
 * or the system are reported per step (ok: false), including a lock held by another
 * mq-doctor for longer than lockTimeoutMs; only a root that is not an existing
 * absolute directory throws.
 */
export async function applyPlan(initial: ApplyPlan, opts: WriterOptions = {}): Promise<ApplyReport> {
  let plan = initial;
  const procRoot = opts.procRoot ?? '/proc';
  const root = checkRoot(plan.root);
  const refused = (ins: Inspection) => `not attempted: ${ins.firstFailure} cannot be written, so nothing was`;

  // Without the lock first: an apply with nothing to do must not even create the state directory.
  let ins = inspect(root, plan, procRoot);
  if (ins.firstFailure) return reportUntouched(plan, ins, refused(ins));
  if (ins.changes === 0) return reportUntouched(plan, ins, '');

  const stateAbs = posix.join(root, ...STATE_PARTS);
  let release: () => void;
  try {
    ensureDirs(root, STATE_PARTS);
    release = await acquireLock(stateAbs, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  } catch (e) {
    return reportUntouched(plan, ins, 'not attempted: no backup could be recorded', describe(e, 'preparing /var/lib/mq-doctor'));
  }
  try {
    // Again, under the lock: another apply may have finished while this one waited.
    if (opts.replan) plan = { ...opts.replan(), root: plan.root };
    ins = inspect(root, plan, procRoot);
    if (ins.firstFailure) return reportUntouched(plan, ins, refused(ins));
    if (ins.changes === 0) return reportUntouched(plan, ins, '');
    return runTransaction(root, stateAbs, plan, ins, procRoot, pauseCheckpoints());
  } finally {
    release();
  }
}

function runTransaction(root: string, stateAbs: string, plan: ApplyPlan, ins: Inspection, procRoot: string, checkpoint: Checkpoint): ApplyReport {
  for (const d of ins.files) if (d.kind === 'write' && d.missing.length === 0) removeStaleTemps(posix.dirname(d.abs));

  const backupsAbs = posix.join(stateAbs, 'backups');
  let txnAbs: string | undefined;
  let m: Manifest;
  try {
    // var/lib/mq-doctor exists by now, so only backups/ gets the private mode.
    ensureDirs(root, [...STATE_PARTS, 'backups'], 0o700);
    const id = newTransactionId([...listTransactions(backupsAbs), ...listTransactions(posix.join(stateAbs, 'rolled-back'))]);
    mkdirSync(posix.join(backupsAbs, id), 0o700);
    txnAbs = posix.join(backupsAbs, id);
    fsyncDir(backupsAbs);
    checkpoint('transaction directory created');

    const files: ManifestFile[] = [];
    plan.files.forEach((f, i) => {
      const d = ins.files[i];
      if (d?.kind !== 'write') return;
      let old: ManifestFile['old'] = null;
      if (d.old) {
        const backup = `files/${i}-${posix.basename(d.abs)}`;
        ensureDirs(txnAbs as string, ['files'], 0o700);
        atomicWrite(posix.join(txnAbs as string, backup), `backup of ${f.path}`, d.old.data, d.old.mode, null, checkpoint);
        old = { backup, sha256: sha256(d.old.data), mode: d.old.mode, uid: d.old.uid, gid: d.old.gid };
      }
      files.push({ path: f.path, kind: d.old ? 'replaced' : 'created', mode: d.mode, newSha256: sha256(d.data), old, status: 'planned' });
    });
    const sysctls: ManifestSysctl[] = [];
    plan.sysctls.forEach((s, i) => {
      const d = ins.sysctls[i];
      if (d?.kind === 'write') sysctls.push({ key: s.key, old: d.old, new: s.value, status: 'planned' });
    });
    const dirs = [...new Set(ins.files.flatMap((d) => (d.kind === 'write' ? d.missing : [])))];
    m = { version: 1, id, createdAt: new Date().toISOString(), pid: process.pid, ipcNamespace: ipcNamespace(procRoot), state: 'applying', dirs, files, sysctls };
    writeManifest(txnAbs, m, checkpoint);
    checkpoint('manifest written');
  } catch (e) {
    if (txnAbs) rmSync(txnAbs, { recursive: true, force: true });
    return reportUntouched(plan, ins, 'not attempted: the backup could not be recorded', describe(e, 'recording the backup'));
  }
  const txn = txnAbs;

  let stop: string | null = null;
  const save = (): void => {
    try {
      writeManifest(txn, m, checkpoint);
    } catch (e) {
      // The targets already written are complete, and rollback goes by their content, not by this status.
      stop ??= `not attempted: the backup manifest could not be updated (${describe(e)})`;
    }
  };

  let f = 0;
  const fileResults = plan.files.map((pf, i): FileResult => {
    const d = ins.files[i];
    if (d?.kind !== 'write') return { path: pf.path, action: 'unchanged' };
    const entry = m.files[f++] as ManifestFile;
    if (stop) {
      entry.status = 'skipped';
      return { path: pf.path, action: 'skipped', reason: stop };
    }
    try {
      ensureDirs(root, d.parts.slice(0, -1));
      atomicWrite(d.abs, pf.path, d.data, d.mode, d.old ? { uid: d.old.uid, gid: d.old.gid } : null, checkpoint);
    } catch (e) {
      entry.status = 'failed';
      stop = `not attempted: writing ${pf.path} failed`;
      save();
      return { path: pf.path, action: 'failed', error: describe(e) };
    }
    entry.status = 'done';
    const action = entry.kind;
    log.info({ path: pf.path, action, backup: entry.old ? posix.join(txn, entry.old.backup) : null, transaction: m.id }, 'file written');
    checkpoint(`${pf.path} ${action}`);
    save();
    return { path: pf.path, action };
  });

  let s = 0;
  const sysctlResults = plan.sysctls.map((ps, i): SysctlResult => {
    const d = ins.sysctls[i];
    if (d?.kind === 'unchanged') return { key: ps.key, action: 'unchanged', old: d.value, new: d.value };
    const entry = m.sysctls[s++] as ManifestSysctl;
    if (stop) {
      entry.status = 'skipped';
      return { key: ps.key, action: 'skipped', reason: stop };
    }
    try {
      writeSysctl(ps.key, ps.value, procRoot);
    } catch (e) {
      entry.status = 'failed';
      stop = `not attempted: setting ${ps.key} failed`;
      save();
      return { key: ps.key, action: 'failed', error: describe(e) };
    }
    entry.status = 'done';
    log.info({ key: ps.key, old: entry.old, new: ps.value, transaction: m.id }, 'sysctl set');
    checkpoint(`${ps.key} set`);
    save();
    return { key: ps.key, action: 'set', old: entry.old, new: ps.value };
  });

  const changed = m.files.some((e) => e.status === 'done') || m.sysctls.some((e) => e.status === 'done');
  if (!changed) {
    // The first step failed: nothing to roll back, so no transaction, and no empty directories left behind.
    removeEmptyDirs(root, m.dirs);
    rmSync(txn, { recursive: true, force: true });
    fsyncDir(backupsAbs);
    return { transaction: null, files: fileResults, sysctls: sysctlResults, ok: false };
  }
  m.state = stop ? 'failed' : 'complete';
  save();
  return { transaction: m.id, files: fileResults, sysctls: sysctlResults, ok: stop === null };
}

/** rmdir what is empty, innermost first; a directory someone else has filled since stays. */
function removeEmptyDirs(root: string, dirs: readonly string[]): string[] {
  const removed: string[] = [];
  for (const dir of [...dirs].reverse()) {
    try {
      const parts = splitTarget(dir);
      missingParents(root, parts);
      // rmdir does not follow a symlink at the last component: it fails with ENOTDIR.
      rmdirSync(posix.join(root, ...parts));
      fsyncDir(posix.join(root, ...parts.slice(0, -1)));
      removed.push(dir);
    } catch (e) {
      if (!isErrno(e, 'ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR') && !(e instanceof WriterError)) throw e;
    }
  }
  return removed;
}

const report = (r: Partial<RollbackReport> & { message: string; ok: boolean }): RollbackReport => ({
  transaction: null,
  restored: [],
  removed: [],
  removedDirs: [],
  sysctls: [],
  ...r,
});

/**
 * Undo the newest apply recorded under `root` that has not been rolled back, then
 * file it away so the next call undoes the one before. Like applyPlan, it reports
 * problems (ok: false, message) and only throws for a root that is not a directory.
 */
export async function rollbackLast(root: string, opts: WriterOptions = {}): Promise<RollbackReport> {
  const procRoot = opts.procRoot ?? '/proc';
  const rootAbs = checkRoot(root);
  const stateAbs = posix.join(rootAbs, ...STATE_PARTS);
  let release: () => void;
  try {
    if (missingParents(rootAbs, [...STATE_PARTS, 'backups', 'x']).length > 0) {
      return report({ ok: true, message: `nothing to roll back: no apply is recorded under ${root}` });
    }
    release = await acquireLock(stateAbs, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  } catch (e) {
    return report({ ok: false, message: `cannot roll back: ${describe(e)}` });
  }
  try {
    const backupsAbs = posix.join(stateAbs, 'backups');
    const id = listTransactions(backupsAbs).at(-1);
    if (!id) return report({ ok: true, message: `nothing to roll back: every recorded apply under ${root} has been rolled back` });
    const txnAbs = posix.join(backupsAbs, id);
    removeStaleTemps(txnAbs);
    removeStaleTemps(posix.join(txnAbs, 'files'));
    let m: Manifest | null;
    try {
      m = readManifest(txnAbs);
    } catch (e) {
      return report({ transaction: id, ok: false, message: `cannot roll back ${id}: ${describe(e)}. Restore from ${txnAbs} by hand, then remove it.` });
    }
    if (!m) {
      // The manifest is written before any target is touched: without one, the apply changed nothing.
      rmSync(txnAbs, { recursive: true, force: true });
      fsyncDir(backupsAbs);
      log.info({ transaction: id }, 'interrupted transaction discarded');
      return report({
        transaction: id,
        ok: true,
        message: `the apply ${id} was interrupted before it changed anything; discarded it. Run rollback again to undo the apply before it.`,
      });
    }
    if (m.state === 'rolled-back') {
      retire(rootAbs, stateAbs, id);
      return report({ transaction: id, ok: true, message: `${id} had already been rolled back (the rollback was interrupted while filing it away); nothing else was changed` });
    }
    return undo(rootAbs, stateAbs, txnAbs, m, procRoot);
  } finally {
    release();
  }
}

function undo(root: string, stateAbs: string, txnAbs: string, m: Manifest, procRoot: string): RollbackReport {
  const checkpoint = pauseCheckpoints();
  const problems: string[] = [];
  const restored: string[] = [];
  const removed: string[] = [];

  for (const f of [...m.files].reverse()) {
    try {
      const parts = splitTarget(f.path);
      const abs = posix.join(root, ...parts);
      const parentsThere = missingParents(root, parts).length === 0;
      if (parentsThere) removeStaleTemps(posix.dirname(abs));
      const cur = parentsThere ? readRegular(abs, f.path) : null;
      const curSha = cur ? sha256(cur.data) : null;
      if (f.old) {
        if (cur && curSha === f.old.sha256 && cur.mode === f.old.mode) continue;
        // A missing file is restored: that loses nobody's edits. Other content is someone's edit.
        if (cur && curSha !== f.newSha256 && curSha !== f.old.sha256) {
          problems.push(`${f.path} has been changed since the apply; left as it is`);
          continue;
        }
        const backup = readRegular(posix.join(txnAbs, f.old.backup), `${m.id}/${f.old.backup}`);
        if (!backup || sha256(backup.data) !== f.old.sha256) {
          problems.push(`${f.path}: the backup copy ${posix.join(txnAbs, f.old.backup)} is missing or damaged`);
          continue;
        }
        ensureDirs(root, parts.slice(0, -1));
        atomicWrite(abs, f.path, backup.data, f.old.mode, { uid: f.old.uid, gid: f.old.gid }, checkpoint);
        restored.push(f.path);
        log.info({ path: f.path, action: 'restored', backup: posix.join(txnAbs, f.old.backup), transaction: m.id }, 'file written');
        checkpoint(`${f.path} restored`);
      } else {
        if (!cur) continue;
        if (curSha !== f.newSha256) {
          problems.push(`${f.path} has been changed since the apply; left in place`);
          continue;
        }
        removeFile(abs, f.path);
        removed.push(f.path);
        log.info({ path: f.path, action: 'removed', backup: null, transaction: m.id }, 'file removed');
        checkpoint(`${f.path} removed`);
      }
    } catch (e) {
      problems.push(`${f.path}: ${describe(e)}`);
    }
  }
  const removedDirs = removeEmptyDirs(root, m.dirs);

  const here = ipcNamespace(procRoot);
  const sysctls = [...m.sysctls].reverse().flatMap((s): RollbackReport['sysctls'] => {
    if (s.status === 'skipped') return [];
    if (m.ipcNamespace && here && m.ipcNamespace !== here) {
      return [{ key: s.key, value: s.old, ok: false, error: `applied in IPC namespace ${m.ipcNamespace}, this is ${here}: run rollback there` }];
    }
    try {
      const cur = readSysctlStrict(s.key, procRoot);
      if (cur === s.old) return [{ key: s.key, value: s.old, ok: true }];
      // 'failed' covers a write the kernel clamped: the value moved, just not to ours.
      if (cur !== s.new && s.status !== 'failed') {
        return [{ key: s.key, value: s.old, ok: false, error: `${s.key} is ${cur}, changed since the apply set ${s.new}; left as it is` }];
      }
      writeSysctl(s.key, s.old, procRoot);
      log.info({ key: s.key, old: cur, new: s.old, transaction: m.id }, 'sysctl set');
      checkpoint(`${s.key} reset`);
      return [{ key: s.key, value: s.old, ok: true }];
    } catch (e) {
      return [{ key: s.key, value: s.old, ok: false, error: describe(e) }];
    }
  });

  const ok = problems.length === 0 && sysctls.every((s) => s.ok);
  if (!ok) {
    const failedSysctls = sysctls.filter((s) => !s.ok).map((s) => `${s.key}: ${s.error}`);
    return {
      transaction: m.id,
      restored,
      removed,
      removedDirs,
      sysctls,
      ok,
      message: `rollback of ${m.id} is incomplete: ${[...problems, ...failedSysctls].join('; ')}. The transaction is kept: fix this and run rollback again.`,
    };
  }
  const done = `restored ${restored.length} file(s), removed ${removed.length} file(s)${removedDirs.length ? ` and ${removedDirs.length} empty director${removedDirs.length === 1 ? 'y' : 'ies'} it had created` : ''}, ${sysctls.length} sysctl(s) back to their old values`;
  try {
    m.state = 'rolled-back';
    writeManifest(txnAbs, m, checkpoint);
    checkpoint('transaction marked rolled back');
    retire(root, stateAbs, m.id);
  } catch (e) {
    return {
      transaction: m.id,
      restored,
      removed,
      removedDirs,
      sysctls,
      ok: false,
      message: `rolled back ${m.id} (${done}) but could not file it away: ${describe(e)}. Running rollback again finishes this.`,
    };
  }
  return { transaction: m.id, restored, removed, removedDirs, sysctls, ok, message: `rolled back ${m.id}: ${done}` };
}

/** Out of backups/, so the next rollback finds the apply before this one. */
function retire(root: string, stateAbs: string, id: string): void {
  ensureDirs(root, [...STATE_PARTS, 'rolled-back'], 0o700);
  const from = posix.join(stateAbs, 'backups');
  const to = posix.join(stateAbs, 'rolled-back');
  renameSync(posix.join(from, id), posix.join(to, id));
  fsyncDir(to);
  fsyncDir(from);
  log.info({ transaction: id, to: posix.join(to, id) }, 'transaction rolled back');
}

/**
 * Throws (WriterError) when what an apply needs under <root>/var/lib/mq-doctor is
 * something it must refuse: a symlink, or a FIFO, device or directory where the
 * lock belongs. The writer refuses these too, but only once it gets to them
 * (as a failed step, after creating the state directory); the command layer asks
 * first, so that such a root is refused at once, with one line, and nothing written.
 */
export function checkStateDir(root: string): void {
  const rootAbs = resolveUnderRoot(root, '/');
  if (missingParents(rootAbs, [...STATE_PARTS, 'lock']).length > 0) return;
  missingParents(rootAbs, [...STATE_PARTS, 'backups', 'x']);
  const lock = posix.join(rootAbs, ...STATE_PARTS, 'lock');
  let st;
  try {
    st = lstatSync(lock);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return;
    throw wrap(e, `inspecting the lock /${[...STATE_PARTS, 'lock'].join('/')}`);
  }
  const shown = `/${[...STATE_PARTS, 'lock'].join('/')}`;
  if (st.isSymbolicLink()) throw new WriterError('ELOOP', `ELOOP: the lock ${shown} is a symlink; remove it (mq-doctor never follows one)`);
  if (!st.isFile()) throw new WriterError('EINVAL', `EINVAL: the lock ${shown} is not a regular file; remove it`);
}

/**
 * The file's content as it is now, null when there is none. Throws (WriterError) for
 * what an apply would refuse: a symlink on the way, a directory in place of the file.
 */
export function readCurrent(root: string, path: string): string | null {
  const rootAbs = resolveUnderRoot(root, '/');
  const parts = splitTarget(path);
  if (missingParents(rootAbs, parts).length > 0) return null;
  return readRegular(posix.join(rootAbs, ...parts), path)?.data.toString('utf8') ?? null;
}

/** The value in this process's IPC namespace, null when it cannot be read as one integer. */
export function readSysctl(key: string, procRoot = '/proc'): number | null {
  try {
    return readSysctlStrict(key, procRoot);
  } catch {
    return null;
  }
}


export { setSoftRlimit, setSysctlNow } from './writer/live.js';
