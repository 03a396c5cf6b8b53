// `mq-doctor limits` as lsipc: -o COLUMNS (validated, +COLS adds to the default),
// --noheadings, --raw (one space between values, lsblk's \xNN escapes), against
// real queues with awkward names in a private IPC namespace; and the usage errors.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_COLUMNS, QUEUE_COLUMN_NAMES } from '../../src/render/queue-columns.js';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { testUids } from '../kernel/lib/uids.js';
import { BIN, inNamespace, namespaceSkipReason, ROOT, runCli } from '../support/run-cli.js';
import { schemaErrors, validateLimits } from '../support/schemas.js';

const SKIP = namespaceSkipReason();
const oracle = SKIP ? null : await buildOracle();
const WHY = SKIP ?? (oracle ? null : 'gcc is missing: the C oracle creates and holds the queues');
if (WHY) console.log(`limits-columns.test.ts: namespace cases skipped: ${WHY}`);

// Salt 12, as test/probe/holders.test.ts: the two files never run at once (fileParallelism: false).
const [A, B] = testUids(2, 12) as [number, number];
const cost = (maxmsg: number, msgsize: number) => maxmsg * msgsize + maxmsg * 48 + Math.min(maxmsg, 32768) * 48;
const ADDON = `${ROOT}native/getrlimit/build/Release/getrlimit.node`;

/**
 * Five queues: a backslash, UTF-8, a tab and a space in their names, one holding
 * a 5-byte message, one held open with SIGUSR2 registered. Each `runs` entry is
 * one mq-doctor invocation; its output comes back between markers.
 */
function scene(runs: string[][]) {
  const as = (uid: number) => `setpriv --reuid=${uid} --regid=${uid} --clear-groups`;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const send = `${process.execPath} -e ${q(`const a = require(${JSON.stringify(ADDON)}); const r = a.mqOpen('/with space', a.constants.O_WRONLY, 0, null); if (!r.ok || !a.mqSend(r.fd, Buffer.from('hello'), 0).ok) process.exit(1)`)}`;
  const script = `
set -u
d=$(mktemp -d); t=$(mktemp -d)
mount -t mqueue none "$d" || { echo "@@FATAL mount"; exit 90; }
H=
trap 'kill $H 2>/dev/null; wait 2>/dev/null; rm -f "$d"/*; umount "$d"; rm -rf "$t"' EXIT
ck() { [ "$1" = OK ] || { echo "@@FATAL $2: $1"; exit 91; }; }
ck "$(${as(A)} ${oracle} create '/back\\slash' 1 128)" backslash
ck "$(${as(B)} ${oracle} create /café 1 128)" cafe
ck "$(${as(A)} ${oracle} create /held 3 100)" held
ck "$(${as(A)} ${oracle} create $'/tab\\tname' 1 128)" tab
ck "$(${as(A)} ${oracle} create '/with space' 2 64)" space
${send} || { echo "@@FATAL send"; exit 92; }
${as(A)} ${oracle} hold /held 60 12 > "$t/h" & H=$!
for i in $(seq 1 500); do [ "$(cat "$t/h")" = OK ] && break; sleep 0.01; done
[ "$(cat "$t/h")" = OK ] || { echo "@@FATAL hold: $(cat "$t/h")"; exit 93; }
echo "@@HOLDER $H"
${runs.map((args, i) => `echo "@@RUN ${i}"; ${process.execPath} ${BIN} ${args.map(q).join(' ')}; echo "@@RC ${i} $?"`).join('\n')}
`;
  const r = inNamespace(script);
  const fatal = /@@FATAL (.*)/.exec(r.stdout);
  if (fatal) throw new Error(`set-up failed: ${fatal[1]}\n${r.stderr}`);
  const holder = Number(/@@HOLDER (\d+)/.exec(r.stdout)?.[1]);
  const outputs = runs.map((_, i) => {
    const m = new RegExp(`@@RUN ${i}\\n([\\s\\S]*?)@@RC ${i} (\\d+)\\n`).exec(r.stdout);
    if (!m) throw new Error(`run ${i} did not finish:\n${r.stdout}\n${r.stderr}`);
    return { stdout: m[1]!, code: Number(m[2]) };
  });
  return { holder, outputs, stderr: r.stderr };
}

/** lsblk-style alignment: every column but the last padded to its widest cell, two spaces apart. */
const aligned = (rows: string[][]) => {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd()).join('\n') + '\n';
};

describe.skipIf(WHY !== null)('limits -o / --noheadings / --raw on real queues', () => {
  const ALL = 'NAME,UID,GID,MODE,MAXMSG,MSGSIZE,CURMSGS,QSIZE,CHARGED,NOTIFY,SIGNO,NOTIFY_PID,HOLDERS';
  const runs = [
    ['limits', '--raw', '--noheadings', '-o', ALL],
    ['limits', '-o', 'name,uid,curmsgs,qsize,notify,holders'],
    ['limits', '--raw', '-o', '+GID,MTIME'],
    ['limits', '--noheadings', '--output=NAME'],
    ['limits', '--json'],
    ['limits', '-r', '-o', 'NAME,IDLE', '--noheadings'],
  ];
  let s: ReturnType<typeof scene>;
  const out = (i: number) => {
    s ??= scene(runs);
    return s.outputs[i]!;
  };

  it('--raw --noheadings -o every column but the times: exact, escaped as lsblk does', () => {
    const r = out(0);
    expect(r.code).toBe(0);
    const H = s.holder;
    expect(r.stdout).toBe(
      [
        `/back\\x5cslash ${A} ${A} 0600 1 128 0 0 ${cost(1, 128)} - - - -`,
        `/caf\\xc3\\xa9 ${B} ${B} 0600 1 128 0 0 ${cost(1, 128)} - - - -`,
        `/held ${A} ${A} 0600 3 100 0 0 ${cost(3, 100)} signal 12 ${H} ${H}(mq_oracle)`,
        `/tab\\x09name ${A} ${A} 0600 1 128 0 0 ${cost(1, 128)} - - - -`,
        `/with\\x20space ${A} ${A} 0600 2 64 1 5 ${cost(2, 64)} - - - -`,
        '',
      ].join('\n'),
    );
  });

  it('-o in lower case, aligned, with headings: names keep their spaces and UTF-8, a tab is escaped', () => {
    const r = out(1);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      aligned([
        ['NAME', 'UID', 'CURMSGS', 'QSIZE', 'NOTIFY', 'HOLDERS'],
        ['/back\\slash', String(A), '0', '0', '-', '-'],
        ['/café', String(B), '0', '0', '-', '-'],
        ['/held', String(A), '0', '0', 'signal', `${s.holder}(mq_oracle)`],
        ['/tab\\x09name', String(A), '0', '0', '-', '-'],
        ['/with space', String(A), '1', '5', '-', '-'],
      ]),
    );
  });

  it('-o +GID,MTIME: the default columns, then those', () => {
    const r = out(2);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe([...DEFAULT_QUEUE_COLUMNS, 'GID', 'MTIME'].join(' '));
    expect(lines).toHaveLength(6);
    const held = lines.find((l) => l.startsWith('/held '))!.split(' ');
    expect(held).toEqual(['/held', String(A), '0600', '3', '100', '0', '0', String(cost(3, 100)), String(s.holder), expect.stringMatching(/^\d+s$/), `${s.holder}(mq_oracle)`, String(A), expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)]);
  });

  it('--noheadings --output=NAME: one name per line', () => {
    expect(out(3)).toEqual({ code: 0, stdout: '/back\\slash\n/café\n/held\n/tab\\x09name\n/with space\n' });
  });

  it('-r (short for --raw) with IDLE: the time since the last message or the creation', () => {
    const r = out(5);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/back\\x5cslash \d+s\n\/caf\\xc3\\xa9 \d+s\n\/held \d+s\n\/tab\\x09name \d+s\n\/with\\x20space \d+s\n$/);
  });

  it('--json: the whole document, schema-valid, with the new fields', () => {
    const r = out(4);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors(validateLimits, doc)).toBe('');
    const queues = doc.snapshot.queues.value.queues;
    expect(queues.map((q: { name: string }) => q.name)).toEqual(['back\\slash', 'café', 'held', 'tab\tname', 'with space']);
    const held = queues.find((q: { name: string }) => q.name === 'held');
    expect(held).toMatchObject({ uid: A, gid: A, notify: { ok: true, value: { notify: 0, signo: 12, pid: s.holder } }, holders: [{ pid: s.holder, command: 'mq_oracle' }] });
    const space = queues.find((q: { name: string }) => q.name === 'with space');
    // The message moved after the creation: mtime is the send's, and the file says QSIZE:5.
    expect(space).toMatchObject({ qsize: { ok: true, value: 5 }, attr: { ok: true, value: { maxmsg: 2, msgsize: 64, curmsgs: 1 } }, holders: [] });
    expect(space.mtimeMs).toBeGreaterThanOrEqual(queues.find((q: { name: string }) => q.name === 'back\\slash').mtimeMs);
  });
});

describe('limits list flags: usage errors', () => {
  const usage = (args: string[]) => {
    const r = runCli(['limits', ...args]);
    return { code: r.code, stderr: r.stderr, stdout: r.stdout };
  };

  it('an unknown column is named, with the columns there are', () => {
    expect(usage(['-o', 'NAME,BOGUS'])).toEqual({ code: 2, stdout: '', stderr: `mq-doctor: --output: unknown column "BOGUS" (columns: ${QUEUE_COLUMN_NAMES.join(', ')})\n` });
    expect(usage(['-o', '+'])).toEqual({ code: 2, stdout: '', stderr: 'mq-doctor: --output needs column names, comma-separated, e.g. -o NAME,UID,HOLDERS (got "+")\n' });
    expect(usage(['-o', 'NAME,,UID']).stderr).toBe('mq-doctor: --output needs column names, comma-separated, e.g. -o NAME,UID,HOLDERS (got "NAME,,UID")\n');
  });

  it('the list flags do not combine with --json or --measure', () => {
    expect(usage(['--json', '-o', 'NAME'])).toEqual({ code: 2, stdout: '', stderr: 'mq-doctor: --output shapes the queue list, and --json prints the whole document: give one or the other\n' });
    expect(usage(['--raw', '--json']).stderr).toBe('mq-doctor: --raw shapes the queue list, and --json prints the whole document: give one or the other\n');
    expect(usage(['--noheadings', '--measure']).stderr).toBe('mq-doctor: --measure shows in the whole report, not in the queue list (-o, --noheadings, --raw): give one or the other\n');
    expect(usage(['-o', 'NAME', '--output', 'UID']).code).toBe(2);
  });

  it('--help lists every column and the default set', () => {
    const r = spawnSync(process.execPath, [BIN, 'limits', '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '400' } });
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain(`-o, --output`);
    expect(help).toContain(QUEUE_COLUMN_NAMES.join(', '));
    expect(help).toContain(`(default: ${DEFAULT_QUEUE_COLUMNS.join(',')})`);
    expect(help).toContain('--noheadings');
    expect(help).toContain('-r, --raw');
  });
});
