// MQ-LOOKUP: lookup_one_len() on the name libc passed: one path component of
// at most NAME_MAX bytes, not "." or "..".
import { fail, pass } from '../check-result.js';
import { docAnchor, type MqOpenCheck } from './check.js';

export const NAME_MAX = 255;

export const lookupCheck: MqOpenCheck = {
  id: 'MQ-LOOKUP',
  title: 'name lookup in the mqueue filesystem',
  kernel: 'lookup_one_len() in do_mq_open()',
  doc: docAnchor('MQ-LOOKUP'),
  run({ req, kernelName }) {
    if (!kernelName) return [];
    const bytes = Buffer.byteLength(kernelName);
    if (kernelName === '.' || kernelName === '..' || kernelName.includes('/')) {
      return [
        fail({ kind: 'request', errno: 'EACCES', rule: 'name-component', summary: `"${req.name}" is not a single name: "." , ".." and a further "/" are refused with EACCES.`, remedy: 'Use one "/" followed by a name without "/".' }),
      ];
    }
    if (bytes > NAME_MAX) {
      return [
        fail({ kind: 'request', errno: 'ENAMETOOLONG', rule: 'name-too-long', summary: `The name is ${bytes} bytes after the "/"; the limit is ${NAME_MAX}.`, remedy: `Shorten it to at most ${NAME_MAX} bytes after the "/".` }),
      ];
    }
    return [pass(`one name of ${bytes} bytes (at most ${NAME_MAX})`, bytes, NAME_MAX)];
  },
};
