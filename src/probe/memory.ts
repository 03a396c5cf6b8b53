import { type Avail, have, unavailable } from '../snapshot.js';

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
