// MQ-NAME: libc's rules (glibc refuses a name without the leading "/", musl
// strips it if present), then getname() in do_mq_open: an empty name, or one
// the kernel cannot copy (PATH_MAX).
import { fail, pass, unknown, type CheckResult } from '../check-result.js';
import { docAnchor, type MqOpenCheck } from './check.js';

export const PATH_MAX = 4096;

export const nameCheck: MqOpenCheck = {
  id: 'MQ-NAME',
  title: 'queue name (libc, getname)',
  kernel: 'mq_open(3) in glibc/musl; getname() in do_mq_open()',
  doc: docAnchor('MQ-NAME'),
  run({ req, snap, kernelName }) {
    if (req.name === null || kernelName === null) return [];
    const t = snap.target;
    const libc = t.libc.ok ? t.libc.value : null;
    const out: CheckResult[] = [];
    if (libc === null && !req.name.startsWith('/')) {
      out.push(unknown(`whether libc accepts "${req.name}" without a leading "/" (glibc refuses it, musl does not): ${!t.libc.ok ? t.libc.reason : ''}`));
    } else if (libc === 'glibc' && !req.name.startsWith('/')) {
      out.push(
        fail({
          kind: 'request',
          errno: 'EINVAL',
          rule: 'libc-name',
          summary: `glibc's mq_open rejects "${req.name}": the name must start with "/" (musl would accept it).`,
          remedy: `Name the queue "/${req.name}".`,
        }),
      );
    }
    const bytes = Buffer.byteLength(kernelName);
    if (kernelName === '') {
      out.push(fail({ kind: 'request', errno: 'ENOENT', rule: 'empty-name', summary: 'The name "/" is empty once libc strips the slash.', remedy: 'Give the queue a name after the "/".' }));
    } else if (bytes >= PATH_MAX) {
      out.push(
        fail({ kind: 'request', errno: 'ENAMETOOLONG', rule: 'name-too-long', summary: `The name is ${bytes} bytes; the kernel copies at most ${PATH_MAX - 1}.`, remedy: 'Use a name of at most 255 bytes after the "/".' }),
      );
    }
    return out.length ? out : [pass(`${JSON.stringify(req.name)}: ${bytes} bytes${libc ? `, accepted by ${libc}` : ''}`, bytes, null)];
  },
};
