// Who holds a uid's queue memory, level by level (kernel/ucount.c): a queue's
// charge is added to (its creator's user namespace, real uid), then to (the
// parent user namespace, the uid that created the child), and so on up to the
// initial user namespace, whichever IPC namespace the queue lives in. The
// target's own level is checked against its soft RLIMIT_MSGQUEUE; every level
// above against the ceiling recorded when the user namespace below it was
// created, which /proc never shows.
import type { Snapshot, UserNamespaceInfo } from '../snapshot.js';
import type { KernelEra } from './era.js';
import { countedQueues, type UidUsage, usageByUid } from './usage.js';

export interface Holder {
  /** The IPC namespace's inode; null when unknown. */
  ipcInode: number | null;
  /** The target's own IPC namespace. */
  own: boolean;
  pid: number | null;
  command: string | null;
  queues: number;
  bytes: number;
  /** Queues whose attrs could not be read: bytes is then a lower bound. */
  unsized: number;
}

export interface ChargeLevel {
  depth: number;
  /** The user namespace of this level; null when not visible. */
  userNs: number | null;
  /** The uid charged at this level, as mq-doctor sees it; null when not visible. */
  uid: number | null;
  /** Level 0: the target's soft RLIMIT_MSGQUEUE; above: the ceiling the user namespace below recorded at its creation. */
  limit: 'soft' | 'ceiling';
  queues: number;
  bytes: number;
  unsized: number;
  holders: Holder[];
}

export interface UidCharges {
  uid: number | null;
  levels: ChargeLevel[];
  /** Why the levels' bytes may be lower than the kernel's; empty when every namespace and queue was read. */
  gaps: string[];
  /** Every level up to the initial user namespace is known (its count and keys). */
  chainComplete: boolean;
}

interface Namespaced {
  ipcInode: number | null;
  own: boolean;
  pid: number | null;
  command: string | null;
  /** The owning user namespace's chain (owner first); null when unknown. */
  ownerChain: UserNamespaceInfo[] | null;
  /** Its queues by file owner: a namespace with 10,000 queues has a handful of owners, and each level looks at every namespace. */
  byUid: Map<number, UidUsage>;
}

function chainOf(start: number, table: Map<number, UserNamespaceInfo>): UserNamespaceInfo[] | null {
  const out: UserNamespaceInfo[] = [];
  let cur = table.get(start);
  while (cur && out.length < 40) {
    out.push(cur);
    if (cur.initial || !cur.parent.ok || cur.parent.value === null) break;
    cur = table.get(cur.parent.value);
  }
  return out.length ? out : null;
}

/**
 * The key a queue of a namespace owned by `ownerChain` and filed under `uid`
 * is charged at for the level of user namespace `ns`: undefined when the
 * queue's chain does not pass through `ns`, null when that cannot be told.
 */
function uidAtLevel(ownerChain: UserNamespaceInfo[], fileUid: number, ns: number): number | undefined | null {
  const idx = ownerChain.findIndex((u) => u.inode === ns);
  if (idx === 0) return fileUid;
  if (idx > 0) {
    const below = ownerChain[idx - 1]!.ownerUid;
    return below.ok ? below.value : null;
  }
  const last = ownerChain[ownerChain.length - 1]!;
  return last.initial ? undefined : null;
}

export function uidCharges(snap: Snapshot, era: KernelEra, wordBits: 32 | 64): UidCharges {
  const t = snap.target;
  const uid = t.credentials.ok ? t.credentials.value.realUid : null;
  const gaps: string[] = [];
  const table = new Map<number, UserNamespaceInfo>();
  const chain = t.userNamespaceChain.ok ? t.userNamespaceChain.value : null;
  for (const u of chain ?? []) table.set(u.inode, u);
  const scan = snap.otherNamespaces;
  if (scan?.ok) for (const u of scan.value.userNamespaces) if (!table.has(u.inode)) table.set(u.inode, u);

  // The target's levels: (its user namespace, its uid), then (parent, owner of the one below) …
  const levels: ChargeLevel[] = [];
  if (chain) {
    chain.forEach((ns, i) => {
      const below = i === 0 ? undefined : chain[i - 1]!.ownerUid;
      const key = below === undefined ? uid : below.ok ? below.value : null;
      levels.push({ depth: i, userNs: ns.inode, uid: key, limit: i === 0 ? 'soft' : 'ceiling', queues: 0, bytes: 0, unsized: 0, holders: [] });
    });
  } else {
    levels.push({ depth: 0, userNs: null, uid, limit: 'soft', queues: 0, bytes: 0, unsized: 0, holders: [] });
    gaps.push(`the target's user namespaces are unknown (${!t.userNamespaceChain.ok ? t.userNamespaceChain.reason : ''})`);
  }
  const top = chain?.[chain.length - 1];
  const chainComplete = !!top?.initial;

  const spaces: Namespaced[] = [];
  if (snap.queues.ok) {
    const owner = t.ipcOwner.ok ? t.ipcOwner.value.userNs : chain?.[0]?.inode;
    if (!t.ipcOwner.ok) gaps.push(`which user namespace owns the target's IPC namespace is unknown (${t.ipcOwner.reason})`);
    spaces.push({
      ipcInode: t.ipcNamespace.ok ? t.ipcNamespace.value.inode : null,
      own: true,
      pid: t.self ? null : t.pid,
      command: t.command.ok ? t.command.value : null,
      ownerChain: owner === undefined ? null : chainOf(owner, table),
      byUid: usageByUid(countedQueues(snap.queues.value), era, wordBits),
    });
  } else {
    // Why it cannot be listed is said where the listing is used (queues in use); here, only that it is missing.
    gaps.push("the queues of the target's own IPC namespace are unknown");
  }
  if (scan === undefined) gaps.push('other IPC namespaces were not looked at');
  else if (!scan.ok) gaps.push(`other IPC namespaces: ${scan.reason}`);
  else {
    gaps.push(...scan.value.gaps);
    for (const ns of scan.value.namespaces) {
      // The probe lists these as gaps too; a snapshot edited by hand may not.
      const where = `IPC namespace ${ns.inode}${ns.pid !== null ? ` (process ${ns.pid}${ns.command ? `, ${ns.command}` : ''})` : ' (a bind mount)'}`;
      if (!ns.queues.ok) {
        gaps.push(`the queues of ${where} are unknown (${ns.queues.reason})`);
        continue;
      }
      if (!ns.ownerUserNs.ok) gaps.push(`which user namespace owns ${where} is unknown (${ns.ownerUserNs.reason})`);
      spaces.push({
        ipcInode: ns.inode,
        own: false,
        pid: ns.pid,
        command: ns.command,
        ownerChain: ns.ownerUserNs.ok ? chainOf(ns.ownerUserNs.value, table) : null,
        byUid: usageByUid(ns.queues.value, era, wordBits),
      });
    }
  }

  for (const level of levels) {
    if (level.uid === null) {
      gaps.push(level.depth === 0 ? 'the uid charged is unknown' : `the uid charged at level ${level.depth} (the owner of the user namespace below) is unknown`);
      continue;
    }
    for (const ns of spaces) {
      const holder: Holder = { ipcInode: ns.ipcInode, own: ns.own, pid: ns.pid, command: ns.command, queues: 0, bytes: 0, unsized: 0 };
      let ambiguous = false;
      for (const [fileUid, g] of ns.byUid) {
        // Without the chains, only the target's own namespace at its own level can be matched (by file owner).
        const key =
          level.userNs !== null && ns.ownerChain ? uidAtLevel(ns.ownerChain, fileUid, level.userNs) : level.depth === 0 && ns.own ? fileUid : null;
        if (key === null) {
          ambiguous = true;
          continue;
        }
        if (key !== level.uid) continue;
        holder.queues += g.queues;
        holder.unsized += g.unknownQueues;
        holder.bytes += g.bytes;
      }
      if (ambiguous) gaps.push(`which uid the queues of IPC namespace ${ns.ipcInode ?? '?'} are charged to at level ${level.depth} cannot be told (its user namespace chain is not fully visible)`);
      if (holder.queues > 0) {
        level.holders.push(holder);
        level.queues += holder.queues;
        level.bytes += holder.bytes;
        level.unsized += holder.unsized;
      }
    }
    if (level.unsized > 0) gaps.push(`${level.unsized} queue(s) charged at level ${level.depth} could not be sized`);
  }
  return { uid, levels, gaps: [...new Set(gaps)], chainComplete };
}
