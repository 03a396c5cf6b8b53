// systeminformation's memory module on its own: its index loads every module
// (cpu, network, docker, …), 30 ms that tune would spend for one number.
declare module 'systeminformation/lib/memory.js' {
  import type { Systeminformation } from 'systeminformation';
  export function mem(): Promise<Systeminformation.MemData>;
}
