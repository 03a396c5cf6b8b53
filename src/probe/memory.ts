import { totalmem } from 'node:os';
import { type Avail, have, unavailable } from '../snapshot.js';

/**
 * Total RAM by sysinfo(2), which costs nothing to read: tune's memory warning
 * fires only for a budget of at least a tenth of RAM, and this rules that out
 * without loading systeminformation (3-5 ms of tune's start-up).
 */
export function roughTotalMemory(): number {
  return totalmem();
}

/** Total RAM, through systeminformation; loaded only by the commands that warn about memory. */
export async function totalMemory(): Promise<Avail<number>> {
  try {
    const { mem: read } = await import('systeminformation/lib/memory.js');
    const mem = await read();
    return mem.total > 0 ? have(mem.total) : unavailable('systeminformation reported no memory');
  } catch (err) {
    return unavailable(`cannot read total memory (${(err as Error).message})`);
  }
}
