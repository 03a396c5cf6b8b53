// User namespaces as the queue-memory charge sees them. Since Linux 5.14 the
// charge is added at every user-namespace level (kernel/ucount.c), so a
// prediction needs the target's chain of user namespaces and the owner of
// each; creating a queue needs the ids to be mapped in the user namespace that
// owns the IPC namespace (else EOVERFLOW). The nsfs ioctls need the addon; the
// initial namespaces are known by their fixed inode numbers without it.
import { closeSync, fstatSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { type Avail, type IdRange, type IpcOwner, type Namespace, type UserNamespaceInfo, have, unavailable } from '../snapshot.js';
import { loadNative, type NativeAddon } from './native.js';
import { PROC_IPC_INIT_INO, PROC_USER_INIT_INO } from './initial-ns.js';
import { errorReason, readText } from './procfs.js';

/** The kernel nests at most 32 user namespaces. */
const MAX_DEPTH = 33;

const INITIAL_USER_NS: UserNamespaceInfo = { inode: PROC_USER_INIT_INO, initial: true, ownerUid: have(0), parent: have(null) };

function withFd<T>(path: string, use: (fd: number) => Avail<T>): Avail<T> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return unavailable(`cannot open ${path} (${errorReason(err)})`);
  }
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

/** Walks up from a user namespace fd (which the walk closes) to the initial one, or as far as the kernel lets it. */
function chainFrom(fd: number, addon: NativeAddon): UserNamespaceInfo[] {
  const out: UserNamespaceInfo[] = [];
  let cur: number | undefined = fd;
  try {
    while (cur !== undefined && out.length < MAX_DEPTH) {
      const inode = fstatSync(cur).ino;
      const initial = inode === PROC_USER_INIT_INO;
      const owner = addon.nsOwnerUid(cur);
      let parent: Avail<number | null> = have(null);
      let next: number | undefined;
      if (!initial) {
        const up = addon.nsRelated(cur, 'parent');
        if (up.ok) {
          next = up.fd;
          parent = have(fstatSync(up.fd).ino);
        } else {
          parent = unavailable(`its parent lies outside mq-doctor's own user namespace (NS_GET_PARENT: ${up.errno})`);
        }
      }
      out.push({ inode, initial, ownerUid: owner.ok ? have(owner.uid) : unavailable(`NS_GET_OWNER_UID: ${owner.errno}`), parent });
      closeSync(cur);
      cur = next;
    }
  } finally {
    if (cur !== undefined) closeSync(cur);
  }
  return out;
}

/** The chain of user namespaces starting at /proc/KEY/ns/user. */
export function userChainOf(key: string, own: Avail<Namespace>): Avail<UserNamespaceInfo[]> {
  if (own.ok && own.value.initial) return have([INITIAL_USER_NS]);
  const addon = loadNative();
  if (!addon.ok) return unavailable(`the user namespaces above it need the nsfs ioctls: ${addon.reason}`);
  const path = `/proc/${key}/ns/user`;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return unavailable(`cannot open ${path} (${errorReason(err)})`);
  }
  return have(chainFrom(fd, addon.value));
}

/** The user namespace owning an IPC namespace, with its chain (for a namespace of another process). */
export function ipcOwnerChain(ipcPath: string, ipcInode: number, load: () => Avail<NativeAddon> = loadNative): Avail<UserNamespaceInfo[]> {
  // The initial IPC namespace belongs to the initial user namespace.
  if (ipcInode === PROC_IPC_INIT_INO) return have([INITIAL_USER_NS]);
  const addon = load();
  if (!addon.ok) return unavailable(`which user namespace owns it needs the nsfs ioctls: ${addon.reason}`);
  return withFd(ipcPath, (fd) => {
    const owner = addon.value.nsRelated(fd, 'owner');
    return owner.ok ? have(chainFrom(owner.fd, addon.value)) : unavailable(`NS_GET_USERNS on ${ipcPath}: ${owner.errno}`);
  });
}

export function parseIdMap(text: string): IdRange[] | undefined {
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length !== 3 || f.some((n) => !Number.isInteger(n) || n < 0)) return undefined;
    out.push({ inside: f[0]!, outside: f[1]!, count: f[2]! });
  }
  return out;
}

function readIdMap(pid: number, which: 'uid' | 'gid'): Avail<IdRange[]> {
  const path = `/proc/${pid}/${which}_map`;
  const text = readText(path);
  if (!text.ok) return text;
  const map = parseIdMap(text.value);
  return map ? have(map) : unavailable(`${path} is not an id map`);
}

/** A process living in the user namespace with this inode: only a process shows a user namespace's id maps. */
export function processInUserNs(inode: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/user`) === `user:[${inode}]`) return Number(name);
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

export function ownerFromChains(targetChain: UserNamespaceInfo[], ownerInode: number): Pick<IpcOwner, 'relation'> {
  if (targetChain[0]?.inode === ownerInode) return { relation: 'same' };
  return { relation: targetChain.some((u) => u.inode === ownerInode) ? 'ancestor' : 'other' };
}

/** Who owns the target's IPC namespace, and whether the target's ids are mapped there. */
export function ipcOwnerOf(key: string, ipc: Avail<Namespace>, chain: Avail<UserNamespaceInfo[]>): Avail<IpcOwner> {
  if (!ipc.ok) return ipc;
  const owner = ipcOwnerChain(`/proc/${key}/ns/ipc`, ipc.value.inode);
  if (!owner.ok) return owner;
  const userNs = owner.value[0]!.inode;
  if (!chain.ok) return unavailable(`whether the ids are mapped in user namespace ${userNs}, which owns the IPC namespace: ${chain.reason}`);
  const { relation } = ownerFromChains(chain.value, userNs);
  if (relation !== 'other') {
    const none = unavailable<IdRange[]>(`not needed: the ${relation === 'same' ? 'target\'s own' : 'an ancestor'} user namespace owns the IPC namespace`);
    return have({ userNs, relation, uidMap: none, gidMap: none });
  }
  const pid = processInUserNs(userNs);
  const missing = unavailable<IdRange[]>(`no process of user namespace ${userNs} is visible, and only a process shows its id maps`);
  return have({
    userNs,
    relation,
    uidMap: pid === undefined ? missing : readIdMap(pid, 'uid'),
    gidMap: pid === undefined ? missing : readIdMap(pid, 'gid'),
  });
}
