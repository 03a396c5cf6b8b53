// --live: the kernel's own answer, from scratch queues that are always unlinked.
import type { LiveRun, MqOpenRequest } from '../model/types.js';
import { type Avail, have } from '../snapshot.js';
import { loadNative } from './native.js';

const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/**
 * A C long for the addon. Beyond 2^53 the request's double is already rounded
 * (2^63-1 reads as 2^63, which no long holds): the nearest long goes to the
 * kernel, which answers EINVAL for anything above HARD_MSGMAX all the same.
 */
function cLong(v: number): number | bigint {
  if (Number.isSafeInteger(v)) return v;
  const b = BigInt(v);
  return b > LONG_MAX ? LONG_MAX : b < LONG_MIN ? LONG_MIN : b;
}

export function liveMqOpen(req: MqOpenRequest): Avail<LiveRun> {
  const addon = loadNative();
  if (!addon.ok) return { ok: false, reason: `--live needs mq_open: ${addon.reason}` };
  const { mqOpen, mqGetattr, mqSend, mqReceive, mqClose, mqUnlink, constants: c } = addon.value;
  // O_EXCL below guarantees no existing queue is ever touched; the name only needs to be unlikely to clash.
  const prefix = `/mq-doctor-live-${process.pid}-${Date.now().toString(36)}`;
  const opened: Array<{ name: string; fd: number }> = [];
  let errno: string | null = null;
  let attr: LiveRun['attr'] = null;
  let roundTrip: LiveRun['roundTrip'] = null;
  try {
    for (let i = 1; i <= req.count; i++) {
      const name = `${prefix}-${i}`;
      const r = mqOpen(name, c.O_RDWR | c.O_CREAT | c.O_EXCL | c.O_NONBLOCK, req.mode, req.attr && { maxmsg: cLong(req.attr.maxmsg), msgsize: cLong(req.attr.msgsize) });
      if (!r.ok) {
        errno = r.errno;
        break;
      }
      opened.push({ name, fd: r.fd });
    }
    const first = opened[0];
    if (first) {
      const a = mqGetattr(first.fd);
      if (a.ok) {
        attr = { maxmsg: a.maxmsg, msgsize: a.msgsize };
        const sent = mqSend(first.fd, Buffer.alloc(a.msgsize, 0x6d), 0);
        const got = sent.ok ? mqReceive(first.fd, a.msgsize) : sent;
        roundTrip = got.ok ? { ok: true } : { ok: false, step: sent.ok ? 'receive' : 'send', errno: got.errno };
      }
    }
  } finally {
    // The charge is released only once a queue is unlinked and closed.
    for (const q of opened) {
      mqUnlink(q.name);
      mqClose(q.fd);
    }
  }
  return have({ attempted: errno === null ? opened.length : opened.length + 1, opened: opened.length, errno, attr, roundTrip });
}
