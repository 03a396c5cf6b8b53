// A transaction's manifest is written before any target is touched and rewritten
// after every step. Rollback does not trust the step statuses alone (a kill can
// land between a rename and the manifest update): it compares each target's
// current content with the recorded hashes of the old and the new content.
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { type Checkpoint, WriterError, atomicWrite, readRegular } from './safe-fs.js';

export type StepStatus = 'planned' | 'done' | 'failed' | 'skipped';

export interface ManifestFile {
  path: string;
  kind: 'created' | 'replaced';
  mode: number;
  newSha256: string;
  /** What was there before; null for a file this transaction creates. */
  old: { backup: string; sha256: string; mode: number; uid: number; gid: number } | null;
  status: StepStatus;
}

export interface ManifestSysctl {
  key: string;
  old: number;
  new: number;
  status: StepStatus;
}

export interface Manifest {
  version: 1;
  id: string;
  createdAt: string;
  pid: number;
  /** Live sysctls belong to an IPC namespace; rollback refuses to "restore" them in another. */
  ipcNamespace: string | null;
  state: 'applying' | 'complete' | 'failed' | 'rolled-back';
  /** Directories created for the files, outermost first; rollback removes them when empty. */
  dirs: string[];
  files: ManifestFile[];
  sysctls: ManifestSysctl[];
}

export const MANIFEST = 'manifest.json';
export const STATE_PARTS = ['var', 'lib', 'mq-doctor'] as const;

export function writeManifest(txnAbs: string, m: Manifest, checkpoint?: Checkpoint): void {
  atomicWrite(posix.join(txnAbs, MANIFEST), `/${MANIFEST}`, Buffer.from(`${JSON.stringify(m, null, 2)}\n`), 0o600, null, checkpoint);
}

/** The manifest, null when the transaction died before writing one; throws when it is unreadable. */
export function readManifest(txnAbs: string): Manifest | null {
  const file = readRegular(posix.join(txnAbs, MANIFEST), posix.join(txnAbs, MANIFEST));
  if (!file) return null;
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(file.data.toString('utf8')) as Partial<Manifest>;
  } catch (e) {
    throw new WriterError('EINVAL', `EINVAL: ${posix.join(txnAbs, MANIFEST)} is not JSON (${(e as Error).message})`);
  }
  if (m.version !== 1 || !Array.isArray(m.files) || !Array.isArray(m.sysctls) || !Array.isArray(m.dirs) || typeof m.id !== 'string') {
    throw new WriterError('EINVAL', `EINVAL: ${posix.join(txnAbs, MANIFEST)} is not an mq-doctor version 1 manifest`);
  }
  return m as Manifest;
}

/** Transaction ids sort by time, so the newest is the last name. */
export function newTransactionId(existing: readonly string[]): string {
  const base = `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(process.pid).padStart(7, '0')}`;
  if (!existing.includes(base)) return base;
  for (let n = 1; ; n++) {
    const id = `${base}-${String(n).padStart(3, '0')}`;
    if (!existing.includes(id)) return id;
  }
}

export function listTransactions(backupsAbs: string): string[] {
  try {
    return readdirSync(backupsAbs, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
