import type { MqueueSysctls, SysvSysctls } from '../snapshot.js';
import { readInt } from './procfs.js';

const PRE_3_5 = 'msg_default and msgsize_default exist since Linux 3.5; older kernels use fixed defaults';

/** Reads the sysctls of the calling thread's IPC namespace (that is how /proc/sys works). */
export function probeMqueueSysctls(procRoot = '/proc'): MqueueSysctls {
  const dir = `${procRoot}/sys/fs/mqueue`;
  return {
    msg_max: readInt(`${dir}/msg_max`),
    msgsize_max: readInt(`${dir}/msgsize_max`),
    queues_max: readInt(`${dir}/queues_max`),
    msg_default: readInt(`${dir}/msg_default`, PRE_3_5),
    msgsize_default: readInt(`${dir}/msgsize_default`, PRE_3_5),
  };
}

export function probeSysvSysctls(procRoot = '/proc'): SysvSysctls {
  const dir = `${procRoot}/sys/kernel`;
  return {
    msgmax: readInt(`${dir}/msgmax`),
    msgmnb: readInt(`${dir}/msgmnb`),
    msgmni: readInt(`${dir}/msgmni`),
  };
}
