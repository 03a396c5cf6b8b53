import { machine, release } from 'node:os';
import { type KernelInfo, have, unavailable } from '../snapshot.js';

// uname -m reports the kernel's architecture even to a 32-bit process on a
// 64-bit kernel, which is what sizes struct msg_msg in the kernel's charge.
const BITS_BY_MACHINE: Array<[RegExp, 32 | 64]> = [
  [/^(x86_64|aarch64|arm64|ppc64(le)?|s390x|riscv64|mips64|loongarch64|sparc64|alpha|ia64)$/, 64],
  [/^(i[3-6]86|armv\d+\w*|arm|ppc|s390|riscv32|mips|m68k|sh\d*|sparc)$/, 32],
];

export function wordBitsFor(arch: string): 32 | 64 | undefined {
  return BITS_BY_MACHINE.find(([re]) => re.test(arch))?.[1];
}

export function probeKernel(): KernelInfo {
  const arch = machine();
  const bits = wordBitsFor(arch);
  return {
    release: have(release()),
    machine: have(arch),
    wordBits: bits ? have(bits) : unavailable(`unknown word size for machine "${arch}"`),
  };
}
