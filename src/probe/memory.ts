import { type Avail, have, unavailable } from '../snapshot.js';

/** Total RAM, through systeminformation; loaded only by the commands that warn about memory. */
export async function totalMemory(): Promise<Avail<number>> {
  try {
    const si = await import('systeminformation');
    const mem = await si.default.mem();
    return mem.total > 0 ? have(mem.total) : unavailable('systeminformation reported no memory');
  } catch (err) {
    return unavailable(`cannot read total memory (${(err as Error).message})`);
  }
}
