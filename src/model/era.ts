// The mq_open rules changed with kernel versions; the model follows the
// running kernel's era rather than today's rules alone.
import type { Avail } from '../snapshot.js';

export interface KernelEra {
  /** The release the rules were chosen for, or why they are assumed. */
  basis: string;
  /** ≥ 3.5: per-message msg_msg + priority-tree nodes; before: one pointer per message. */
  costFormula: 'tree' | 'pointer';
  /** Before 4.16 attr was validated before queues were counted (do_create / mq_attr_ok); since 4.16 ENOSPC comes first. */
  einvalBeforeEnospc: boolean;
  /** Until ~2.6.38 an exhausted RLIMIT_MSGQUEUE returned ENOMEM. */
  rlimitErrno: 'EMFILE' | 'ENOMEM';
  /** msg_default / msgsize_default exist since 3.5; before, attr NULL meant msg_max × msgsize_max. */
  hasDefaultSysctls: boolean;
  /** Since 4.8 the VFS refuses to create a file whose owner the superblock's user namespace cannot map (EOVERFLOW). */
  idMappingCheck: boolean;
}

export function parseRelease(release: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

const atLeast = (v: [number, number, number], major: number, minor: number, patch = 0) =>
  v[0] !== major ? v[0] > major : v[1] !== minor ? v[1] > minor : v[2] >= patch;

export function kernelEra(release: Avail<string>): KernelEra {
  const v = release.ok ? parseRelease(release.value) : undefined;
  if (!v) {
    const why = release.ok ? `unparsable release "${release.value}"` : release.reason;
    return {
      basis: `assumed a current kernel (${why})`,
      costFormula: 'tree',
      einvalBeforeEnospc: false,
      rlimitErrno: 'EMFILE',
      hasDefaultSysctls: true,
      idMappingCheck: true,
    };
  }
  const modern = atLeast(v, 3, 5);
  return {
    basis: `Linux ${v.join('.')}`,
    costFormula: modern ? 'tree' : 'pointer',
    einvalBeforeEnospc: !atLeast(v, 4, 16),
    rlimitErrno: atLeast(v, 2, 6, 38) ? 'EMFILE' : 'ENOMEM',
    hasDefaultSysctls: modern,
    idMappingCheck: atLeast(v, 4, 8),
  };
}
