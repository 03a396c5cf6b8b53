// Generated files are data, never code. Every renderer is fed hostile strings in
// every string field that can reach its output; each one is either refused (a
// profile validation error, or a RenderError for a name a format interprets) or
// the output, read back by the format's own rules, holds exactly the planned keys
// and values and nothing else, with the hostile text only inside comments, where
// it decodes back to itself.
//
// The readers, each written here from its source or its manual:
//   sysctl.d   systemd-sysctl (read_line: \n, \r, \r\n and NUL end a line) and
//              procps-ng sysctl 4 (getline), both line by line; procps-ng up to
//              3.3.x read 256-byte pieces with fgets(), systemd-sysctl before v236
//              LINE_MAX (2048) pieces; the real `sysctl --dry-run -p` as well.
//   limits.d   pam_limits: fgets() into 1024 bytes, '#' anywhere starts a comment,
//              sscanf("%s%s%s%s"); and src/tune/limits-rules.ts.
//   systemd    systemd.syntax(7) as conf-parser.c implements it today (comment
//              lines skipped first, even inside a continuation; a trailing odd
//              backslash joins the next line) and as it did before read_line()
//              (fgets into LINE_MAX, continuation before the comment check); the
//              real `systemd-analyze verify` and `cat-config` on a unit with the drop-in.
//   quadlet    the same INI rules ([Container]).
//   compose, kubernetes   the npm `yaml` package, as YAML 1.2 and as YAML 1.1.
//   docker     bash itself runs the command with `docker` as a function that
//              records its argv; no PATH, a DEBUG trap lists every command run.
// And Linux-PAM's pam_limits.so itself, in a session of "nobody" opened through
// pam_start_confdir() (a service file of the test's own), where root can run it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelEra } from '../../src/model/era.js';
import { type DerivedSetting, deriveSettings, isSysctlKey } from '../../src/tune/derive.js';
import { parseLimitsLines, systemdLimits } from '../../src/tune/limits-rules.js';
import { planApply } from '../../src/tune/plan.js';
import { ownerOf, parseProfile, type Profile } from '../../src/tune/profile.js';
import { FILES, type Owner, type RenderInput } from '../../src/tune/render/common.js';
import { comment, commentText, CONTINUATION, MAX_LINE_BYTES, RenderError } from '../../src/tune/render/encode.js';
import { type Format, FORMATS, renderFormat } from '../../src/tune/render/index.js';
import { ok } from '../support/snapshot-builder.js';

const PRODUCER = 'mq-doctor 0.0.0-test';
const ctx = { era: kernelEra(ok('6.18.44')), wordBits: 64 as const, queuesInUse: 2 };

// ---------------------------------------------------------------------------
// The hostile strings.

/** Bytes of the header line's prefix before the description ("# Profile description: "). */
const DESCRIPTION_PREFIX = Buffer.byteLength('# Profile description: ');
/** Bytes before a queue name in sysctl.d ("# largest maxmsg: /"). */
const QUEUE_PREFIX = Buffer.byteLength('# largest maxmsg: /');

const HOSTILE: Array<[string, string]> = [
  ['empty', ''],
  ['LF', 'a\nb'],
  ['CR', 'a\rb'],
  ['CRLF', 'a\r\nb'],
  ['LF, then a sysctl line', 'x\nkernel.core_pattern = |/tmp/mqd-pwn %p'],
  ['LF, then a limits line', 'x\n* hard nofile 1'],
  ['LF, then a section and a key', 'x\n[Service]\nExecStartPre=/bin/false'],
  ['CR, then a key', 'x\rLimitNOFILE=1'],
  ['CRLF, then a key', 'x\r\nLimitNOFILE=1'],
  ['U+2028', 'a\u2028LimitNOFILE=1'],
  ['U+2029', 'a\u2029b: c'],
  ['NEL (U+0085)', 'a\u0085key: value'],
  ['NUL', 'a\u0000b'],
  ['NUL, then a key', 'x\u0000LimitNOFILE=1'],
  ['every C0 control', Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')],
  ['DEL and C1 controls', '\u007f\u0080\u0085\u009b31m\u009f'],
  ['terminal escapes', '\u001b[2K\u001b[1A\rLimitNOFILE=1'],
  ['tab, VT, FF', 'a\tb\u000bc\u000cd'],
  ['backslash', 'a\\b'],
  ['trailing backslash', 'end\\'],
  ['two trailing backslashes', 'end\\\\'],
  ['backslash, LF, key', 'x\\\nLimitNOFILE=1'],
  ['escapes written out', '\\x0a\\u2028\\\\n'],
  ['the continuation marker', '# \\ x'],
  ['quotes', `'single' "double"`],
  ['hash', '#'],
  ['hash inside', 'a # b'],
  ['semicolon', '; x'],
  ['equals', 'a=b'],
  ['sysctl assignment', 'kernel.pid_max = 1'],
  ['[Service]', '[Service]'],
  ['[Container]', '[Container]'],
  ['unit assignment', 'LimitNOFILE=1'],
  ['systemd specifiers', '%h %n %% %i %'],
  ['environment expansion', '$HOME ${HOME} $$ $'],
  ['YAML mapping', 'key: value'],
  ['YAML sequence', '- item'],
  ['YAML flow', '{a: 1, b: [2]}'],
  ['YAML braces', '{ }'],
  ['YAML anchor, alias, tag', '&a *a !!str !tag'],
  ['YAML block scalars', '| > |- >+'],
  ['leading spaces', '    indented: x'],
  ['document markers', '---\n...\n--- x'],
  ['document marker', '---'],
  ['YAML complex key', '? a : b'],
  ['command substitution', '$(echo INJECTED)'],
  ['backticks', '`echo INJECTED`'],
  ['command separator', '; echo INJECTED'],
  ['and-list', '&& echo INJECTED'],
  ['pipe and redirection', '| cat > mqd-injected'],
  ['quote breakout', `"'; echo INJECTED; '"`],
  ['glob', '* ? [a-z]'],
  ['non-ASCII', 'Größe 中文 עברית 😀'],
  ['combining mark', 'e\u0301'],
  ['bidi override', 'safe\u202e# evil'],
  ['bidi isolates and marks', '\u2066x\u2069\u200e\u200f'],
  ['BOM', '\ufeffx'],
  ['non-characters', '\ufffe\uffff'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', '\udc00'],
  ['astral', '\u{1F600}\u{10FFFF}'],
  ['long ASCII (1000)', 'x'.repeat(1000)],
  ['long ASCII (1001)', 'x'.repeat(1001)],
  ['long 2-byte (1000)', 'é'.repeat(1000)],
  ['long 4-byte (1000)', '😀'.repeat(1000)],
  ['long 3-byte (400)', '中'.repeat(400)],
  ['very long (100,000)', 'y'.repeat(100_000)],
  // At the edges of the names the formats interpret.
  ['user name, longest', `u${'a'.repeat(31)}`],
  ['user name, one too long', `u${'a'.repeat(32)}`],
  ['user name with a trailing $', 'machine$'],
  ['unit template', 'app@'],
  ['unit instance', 'app@inst-1'],
  ['unit name with colons', 'a:b@c:d'],
  ['unit name, longest', 'x'.repeat(253 - '.service'.length)],
  ['unit name, one too long', 'x'.repeat(254 - '.service'.length)],
  // A reader with a fixed line buffer returns the rest of a longer line as a line
  // of its own: these put a live line exactly where each one cuts the header line.
  ['fgets(256) cut in the header (procps-ng <= 3.3 sysctl)', `${'x'.repeat(255 - DESCRIPTION_PREFIX)}kernel.core_pattern = |/tmp/mqd-pwn`],
  ['fgets(1024) cut in the header (pam_limits)', `${'é'.repeat((1023 - DESCRIPTION_PREFIX) / 2)}* - maxlogins 0`],
  ['fgets(2048) cut in the header (systemd < v236)', `${'中'.repeat(674)}${'x'.repeat(2047 - DESCRIPTION_PREFIX - 674 * 3)}kernel.sysrq = 1`],
  ['fgets(256) cut in a queue name (procps-ng <= 3.3 sysctl)', `${'x'.repeat(255 - QUEUE_PREFIX)}kernel.sysrq = 1`],
];

// ---------------------------------------------------------------------------
// The fields: every string of a profile (schema/profile.schema.json), and what reaches it.

const BASE: Profile = {
  name: 'hostile',
  description: 'a profile under test',
  owner: { user: 'app' },
  workload: {
    queues: [{ name: '/orders', maxmsg: 100, msgsize: 16384, count: 4 }],
    openFiles: 2000,
    sysv: { queues: 32768, maxMessageBytes: 65536, queueBytes: 1048576 },
  },
  // The keys no workload derives, so that every sysctl line is written.
  settings: { 'fs.mqueue.queues_max': 1024, 'fs.mqueue.msg_default': 20, 'fs.mqueue.msgsize_default': 16384 },
};

type Owned = Pick<Profile, 'owner'>;
const OWNERS: Array<[string, Owned]> = [
  ['user', { owner: { user: 'app' } }],
  ['service', { owner: { service: 'app.service' } }],
  ['no owner', {}],
];

interface Field {
  /** The JSON pointer a validation error names. */
  pointer: RegExp;
  /** The profile with the hostile value in this field. */
  set: (p: Profile, s: string) => Profile;
  /** The value as the profile holds it. */
  value: (s: string) => string;
  /** Sets the owner itself (else every owner is tried). */
  owner?: boolean;
}

const withoutOwner = ({ owner: _, ...p }: Profile): Profile => p;

const FIELDS: Record<string, Field> = {
  name: { pointer: /^\/name$/, value: (s) => s, set: (p, s) => ({ ...p, name: s }) },
  description: { pointer: /^\/description$/, value: (s) => s, set: (p, s) => ({ ...p, description: s }) },
  $schema: { pointer: /^\/\$schema$/, value: (s) => s, set: (p, s) => ({ $schema: s, ...p }) },
  'owner.user': { pointer: /^\/owner/, value: (s) => s, owner: true, set: (p, s) => ({ ...withoutOwner(p), owner: { user: s } }) },
  'owner.service': { pointer: /^\/owner/, value: (s) => s, owner: true, set: (p, s) => ({ ...withoutOwner(p), owner: { service: s } }) },
  'owner.service (+".service")': { pointer: /^\/owner/, value: (s) => `${s}.service`, owner: true, set: (p, s) => ({ ...withoutOwner(p), owner: { service: `${s}.service` } }) },
  'workload.queues[].name': {
    pointer: /^\/workload\/queues\/0\/name$/,
    value: (s) => `/${s}`,
    set: (p, s) => ({ ...p, workload: { ...p.workload, queues: [{ ...p.workload!.queues![0]!, name: `/${s}` }] } }),
  },
};

// ---------------------------------------------------------------------------
// Comments: the encoder's escapes, decoded.

/** commentText's inverse; any other backslash sequence means the escaping is ambiguous. */
function decodeCommentText(enc: string): string {
  let out = '';
  for (let i = 0; i < enc.length; ) {
    if (enc[i] !== '\\') {
      out += enc[i];
      i += 1;
      continue;
    }
    const hex2 = /^x([0-9a-f]{2})/.exec(enc.slice(i + 1));
    const hex4 = /^u([0-9a-f]{4})/.exec(enc.slice(i + 1));
    if (enc[i + 1] === '\\') {
      out += '\\';
      i += 2;
    } else if (hex2) {
      out += String.fromCharCode(parseInt(hex2[1]!, 16));
      i += 4;
    } else if (hex4) {
      out += String.fromCharCode(parseInt(hex4[1]!, 16));
      i += 6;
    } else throw new Error(`ambiguous escape at ${i} of ${JSON.stringify(enc)}`);
  }
  return out;
}

/** Every comment of a file, decoded, a wrapped one joined back into one text. */
function comments(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(CONTINUATION)) {
      if (out.length === 0) throw new Error(`a continuation line with no comment before it: ${JSON.stringify(line)}`);
      out[out.length - 1] += decodeCommentText(line.slice(CONTINUATION.length));
    } else if (line.startsWith('#')) out.push(decodeCommentText(line.replace(/^# ?/, '')));
  }
  return out;
}

const liveLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

// ---------------------------------------------------------------------------
// Line readers as C programs read files: bytes, lines cut where the reader cuts them.

const C_SPACE = ' \t\n\v\f\r';
const SD_SPACE = ' \t\n\r';
function strip(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}
/** The file's bytes, one JS character per byte (what a C string sees). */
const bytesOf = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
/** A C string ends at its first NUL. */
const cString = (s: string) => s.split('\0')[0]!;

/** What successive fgets(buf, size) calls return. */
function fgets(text: string, size: number): string[] {
  const bytes = bytesOf(text);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; ) {
    const nl = bytes.indexOf('\n', i);
    const end = Math.min(nl === -1 ? bytes.length : nl + 1, i + size - 1);
    out.push(bytes.slice(i, end));
    i = end;
  }
  return out;
}

/** systemd's read_line(): \n, \r, \r\n (or \n\r) and NUL each end a line; LONG_LINE_MAX (1 MiB) at most. */
function readLines(text: string): string[] {
  const lines = bytesOf(text).split(/\r\n|\n\r|\n|\r|\0/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) if (l.length > 1 << 20) throw new Error('line too long for read_line()');
  return lines;
}

interface Parsed<T> {
  entries: T[];
  /** Lines the reader neither takes as data nor skips (it warns and goes on): never produced by a renderer. */
  rejected: string[];
}

// sysctl.d ------------------------------------------------------------------

type SysctlReader = (text: string) => Parsed<[string, string]>;

/** One line of sysctl.d by systemd-sysctl's / procps-ng's rules (they agree on these files). */
function sysctlLine(line: string, minLength: number, out: Parsed<[string, string]>) {
  const t = strip(line, C_SPACE);
  if (t.length < minLength || '#;'.includes(t[0]!)) return;
  const eq = t.indexOf('=');
  if (eq < 0) {
    out.rejected.push(t);
    return;
  }
  out.entries.push([strip(t.slice(0, eq), C_SPACE), strip(t.slice(eq + 1), C_SPACE)]);
}

const SYSCTL_READERS: Record<string, SysctlReader> = {
  'systemd-sysctl (read_line)': (text) => {
    const out: Parsed<[string, string]> = { entries: [], rejected: [] };
    for (const l of readLines(text)) sysctlLine(l, 1, out);
    return out;
  },
  'procps-ng 4 sysctl (getline)': (text) => {
    const out: Parsed<[string, string]> = { entries: [], rejected: [] };
    for (const l of bytesOf(text).split(/(?<=\n)/)) sysctlLine(cString(l), 2, out);
    return out;
  },
  'procps-ng <= 3.3 sysctl (fgets 256)': (text) => {
    const out: Parsed<[string, string]> = { entries: [], rejected: [] };
    for (const l of fgets(text, 256)) sysctlLine(cString(l), 2, out);
    return out;
  },
  'systemd-sysctl < v236 (fgets LINE_MAX)': (text) => {
    const out: Parsed<[string, string]> = { entries: [], rejected: [] };
    for (const l of fgets(text, 2048)) sysctlLine(cString(l), 1, out);
    return out;
  },
};

// limits.d ------------------------------------------------------------------

interface LimitsEntry {
  domain: string;
  type: string;
  item: string;
  value: string;
}

/** pam_limits' parse_config_file (Linux-PAM 1.5/1.6), line by line as fgets(buf, 1024) returns them. */
function pamLimits(text: string): Parsed<LimitsEntry> {
  const out: Parsed<LimitsEntry> = { entries: [], rejected: [] };
  for (const chunk of fgets(text, 1024)) {
    let line = cString(chunk).replace(/^[ \t\n\v\f\r]+/, '');
    if (line.includes('#')) line = line.slice(0, line.indexOf('#'));
    if (line.includes('\n')) line = line.slice(0, line.indexOf('\n'));
    if (line === '') continue;
    const words = line.split(/[ \t\n\v\f\r]+/).filter(Boolean).slice(0, 4);
    if (words.length === 4) {
      const [domain, type, item, value] = words as [string, string, string, string];
      out.entries.push({ domain, type: type.toLowerCase(), item: item.toLowerCase(), value: value.toLowerCase() });
    } else out.rejected.push(line); // two words "<domain> -" even end the file's processing (PAM_IGNORE)
  }
  return out;
}

// systemd units and quadlets ------------------------------------------------

type Assignment = [section: string, key: string, value: string];

/** systemd.syntax(7), as conf-parser.c's parse_line() takes one logical line. */
function unitLine(raw: string, state: { section: string | null }, out: Parsed<Assignment>) {
  const l = strip(raw, SD_SPACE);
  if (l === '' || '#;\n'.includes(l[0]!)) return;
  if (l.startsWith('[')) {
    if (!l.endsWith(']')) out.rejected.push(l);
    else state.section = l.slice(1, -1);
    return;
  }
  const eq = l.indexOf('=');
  if (state.section === null || eq < 0) {
    out.rejected.push(l);
    return;
  }
  out.entries.push([state.section, strip(l.slice(0, eq), SD_SPACE), strip(l.slice(eq + 1), SD_SPACE)]);
}

/** Whether a line ends in an unescaped backslash (conf-parser's scan). */
function continues(p: string): boolean {
  let escaped = false;
  for (const ch of p) escaped = escaped ? false : ch === '\\';
  return escaped;
}

const UNIT_READERS: Record<string, (text: string) => Parsed<Assignment>> = {
  /** systemd 240 and later: read_line(); comment lines are skipped first, even inside a continuation. */
  'systemd (read_line)': (text) => {
    const out: Parsed<Assignment> = { entries: [], rejected: [] };
    const state = { section: null as string | null };
    let continuation: string | null = null;
    for (const l of readLines(text)) {
      const lead = l.replace(/^[ \t\n\r]+/, '');
      if (lead !== '' && '#;'.includes(lead[0]!)) continue;
      const p: string = continuation === null ? l : continuation + l;
      if (continues(p)) {
        continuation = `${p.slice(0, -1)} `;
        continue;
      }
      continuation = null;
      unitLine(p, state, out);
    }
    if (continuation !== null) unitLine(continuation, state, out);
    return out;
  },
  /** Older systemd: fgets() into LINE_MAX, truncate_nl(), continuation before the comment check. */
  'systemd < v240 (fgets LINE_MAX)': (text) => {
    const out: Parsed<Assignment> = { entries: [], rejected: [] };
    const state = { section: null as string | null };
    let continuation: string | null = null;
    for (const chunk of fgets(text, 2048)) {
      const l = cString(chunk).split(/[\n\r]/)[0]!;
      const p: string = continuation === null ? l : continuation + l;
      if (continues(p)) {
        continuation = `${p.slice(0, -1)} `;
        continue;
      }
      continuation = null;
      unitLine(p, state, out);
    }
    return out;
  },
};

// YAML ----------------------------------------------------------------------

function yamlDocument(text: string, version: '1.1' | '1.2'): unknown {
  const docs = parseAllDocuments(text, { version });
  if (!Array.isArray(docs)) throw new Error('no YAML document');
  expect(docs, `YAML ${version}: exactly one document`).toHaveLength(1);
  const doc = docs[0]!;
  expect([...doc.errors, ...doc.warnings].map((e) => e.message), `YAML ${version}: no error or warning`).toEqual([]);
  return doc.toJS();
}

// docker (bash) -------------------------------------------------------------

const bashPath = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const bashSkip = bashPath.startsWith('/') ? null : 'bash is not installed';
if (bashSkip) console.warn(`docker flags are checked without a shell: ${bashSkip}`);

// Readable by nobody too: the dry run of sysctl reads its file as nobody.
const work = mkdtempSync(join(tmpdir(), 'mqd-parse-back-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs the rendered snippet in bash with `docker` a function that records its
 * argv, no PATH (a command that runs is "not found" on stderr) and a DEBUG trap
 * that lists every simple command bash executes.
 */
function runDocker(script: string): { argv: string[]; commands: string[]; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(work, 'docker-'));
  const prelude = [
    'set -f',
    `docker() { printf '%s\\0' "$@" > "$MQD_ARGV"; }`,
    `command_not_found_handle() { printf 'not found: %s\\n' "$1" >&2; return 127; }`,
    `trap 'printf "%s\\0" "$BASH_COMMAND" >> "$MQD_TRACE"' DEBUG`,
    // The snippet itself, as if pasted: top-level commands, each one traced.
    script,
  ].join('\n');
  const env = { PATH: join(dir, 'no-such-dir'), MQD_ARGV: join(dir, 'argv'), MQD_TRACE: join(dir, 'trace') };
  const r = spawnSync(bashPath, ['--norc', '--noprofile', '-c', prelude], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
  const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
  const split = (s: string) => (s === '' ? [] : s.replace(/\0$/, '').split('\0'));
  return { argv: split(read(env.MQD_ARGV)), commands: split(read(env.MQD_TRACE)), stderr: r.stderr, status: r.status };
}

// ---------------------------------------------------------------------------
// What each format must hold: the planned keys and values, nothing else.

function expected(settings: DerivedSetting[], owner: Owner) {
  const sysctls = settings.filter((s) => isSysctlKey(s.key));
  const rl = (key: string) => settings.find((s) => s.key === key);
  const mq = rl('RLIMIT_MSGQUEUE');
  const nofile = rl('RLIMIT_NOFILE');
  const ulimits = [
    ...(mq ? [['msgqueue', String(mq.value)] as const] : []),
    ...(nofile ? [['nofile', String(nofile.value)] as const] : []),
  ];
  const domain = owner.kind === 'user' ? owner.user : '*';
  return {
    sysctl: sysctls.map((s): [string, string] => [s.key, String(s.value)]),
    limits: ulimits.flatMap(([item, v]) => ['soft', 'hard'].map((type): LimitsEntry => ({ domain, type, item, value: v }))),
    systemd: [...(mq ? [['Service', 'LimitMSGQUEUE', String(mq.value)]] : []), ...(nofile ? [['Service', 'LimitNOFILE', String(nofile.value)]] : [])] as Assignment[],
    docker: ['run', ...sysctls.flatMap((s) => ['--sysctl', `${s.key}=${s.value}`]), ...ulimits.flatMap(([n, v]) => ['--ulimit', `${n}=${v}:${v}`]), 'IMAGE'],
    compose: {
      services: {
        app: {
          ...(sysctls.length ? { sysctls: Object.fromEntries(sysctls.map((s) => [s.key, s.value])) } : {}),
          ...(ulimits.length ? { ulimits: Object.fromEntries(ulimits.map(([n, v]) => [n, { soft: Number(v), hard: Number(v) }])) } : {}),
        },
      },
    },
    kubernetes: { spec: { template: { spec: { securityContext: { sysctls: sysctls.map((s) => ({ name: s.key, value: String(s.value) })) } } } } },
    quadlet: [
      ...sysctls.map((s): Assignment => ['Container', 'Sysctl', `${s.key}=${s.value}`]),
      ...ulimits.map(([n, v]): Assignment => ['Container', 'Ulimit', `${n}=${v}:${v}`]),
    ],
  };
}

/** Real tools run once per distinct output, after the parse-back. */
const forSysctlTool = new Map<string, Array<[string, string]>>();
const forDockerShell = new Map<string, string[]>();
const dropIns = new Map<string, { service: string; text: string }>();

/**
 * Reads one rendered file back by its format's rules and checks it holds
 * exactly what was planned: `text` the output, `format` how to read it.
 */
function checkOutput(format: Format, text: string, settings: DerivedSetting[], owner: Owner) {
  const want = expected(settings, owner);
  // Every comment decodes; every comment line fits every reader's buffer.
  comments(text);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) expect(Buffer.byteLength(line), `comment line over ${MAX_LINE_BYTES} bytes: ${line.slice(0, 60)}…`).toBeLessThanOrEqual(MAX_LINE_BYTES);
  }
  switch (format) {
    case 'sysctl':
      for (const [reader, read] of Object.entries(SYSCTL_READERS)) expect(read(text), reader).toEqual({ entries: want.sysctl, rejected: [] });
      forSysctlTool.set(text, want.sysctl);
      break;
    case 'limits':
      expect(pamLimits(text), 'pam_limits').toEqual({ entries: want.limits, rejected: [] });
      expect(parseLimitsLines(text).map(({ domain, type, item, value }) => ({ domain, type, item, value })), 'src/tune/limits-rules.ts').toEqual(want.limits);
      break;
    case 'systemd': {
      for (const [reader, read] of Object.entries(UNIT_READERS)) expect(read(text), reader).toEqual({ entries: want.systemd, rejected: [] });
      const lim = systemdLimits([{ path: 'drop-in', text }]);
      const values = (['msgqueue', 'nofile'] as const).flatMap((item) => {
        const s = lim.soft[item];
        const h = lim.hard[item];
        return s || h ? [[item, s?.value, h?.value]] : [];
      });
      expect(values, 'src/tune/limits-rules.ts systemdLimits').toEqual(want.systemd.map(([, key, v]) => [key === 'LimitMSGQUEUE' ? 'msgqueue' : 'nofile', Number(v), Number(v)]));
      if (owner.kind === 'service') dropIns.set(text, { service: owner.service, text });
      break;
    }
    case 'quadlet':
      for (const [reader, read] of Object.entries(UNIT_READERS)) expect(read(text), reader).toEqual({ entries: want.quadlet, rejected: [] });
      break;
    case 'compose':
      for (const v of ['1.2', '1.1'] as const) expect(yamlDocument(text, v)).toEqual(want.compose);
      break;
    case 'kubernetes':
      for (const v of ['1.2', '1.1'] as const) expect(yamlDocument(text, v)).toEqual(want.kubernetes);
      break;
    case 'docker':
      // Comments, then one command split over lines that end in " \".
      expect(liveLines(text).every((l, i, all) => (i === all.length - 1 ? !l.endsWith('\\') : l.endsWith(' \\')))).toBe(true);
      forDockerShell.set(text, want.docker);
      break;
    default: {
      const never: never = format;
      throw new Error(String(never));
    }
  }
}

/** The sentences that quote each field, as comments hold them (decoded). */
function quotedIn(field: string, value: string, format: Format): string[] {
  const header = format === 'sysctl' || format === 'limits' || format === 'systemd';
  switch (field) {
    case 'name':
      return [`profile "${value}"`];
    case 'description':
      return header && value !== '' ? [`Profile description: ${value}`] : [];
    case 'producer':
      return header ? [`Written by ${value} from profile`] : [];
    case 'owner.service':
    case 'owner.service (+".service")':
      return format === 'systemd' ? [FILES.dropIn(value), `systemctl restart ${value}`] : [];
    case 'workload.queues[].name':
      return format === 'sysctl' ? [`largest maxmsg: ${value}`, `largest msgsize: ${value}`] : [];
    case 'why':
      return format === 'sysctl' || format === 'limits' || format === 'systemd' ? [value] : [];
    default:
      return [];
  }
}

function render(format: Format, input: RenderInput): string {
  return renderFormat(format, input);
}

function derive(profile: Profile): DerivedSetting[] {
  const d = deriveSettings(profile, ctx);
  if (!d.ok) throw new Error(JSON.stringify(d.errors));
  return d.settings;
}

// ---------------------------------------------------------------------------

describe('the comment encoder', () => {
  it.each(HOSTILE)('%s: decodes back to itself, unambiguously, in lines every reader takes whole', (_, s) => {
    const enc = commentText(s);
    expect(decodeCommentText(enc)).toBe(s);
    // Nothing a reader could take for the end of the line, or a reviewer for something else.
    expect(enc).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|\p{Cs}/u);
    // A backslash is always followed by \, x or u: so CONTINUATION ("# \ ") cannot occur in it.
    expect(enc).toMatch(/^(?:[^\\]|\\\\|\\x[0-9a-f]{2}|\\u[0-9a-f]{4})*$/u);
    const lines = comment(s).split('\n');
    expect(comments(comment(s))).toEqual([s]);
    for (const [i, line] of lines.entries()) {
      expect(line.startsWith(i === 0 ? '# ' : CONTINUATION)).toBe(true);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
      // Never an odd backslash at the end: systemd before v240 joins such a line with the next.
      expect(continues(line)).toBe(false);
    }
  });

  it('is injective over the hostile strings (different text, different comment)', () => {
    const seen = new Map<string, string>();
    for (const [, s] of HOSTILE) {
      const c = comment(s);
      expect(seen.has(c) && seen.get(c) !== s).toBe(false);
      seen.set(c, s);
    }
  });

  it('the cut a fixed-buffer reader makes would have been live: the readers here do see it', () => {
    // Without the wrapping, a header line of 255 bytes + payload: the emulated readers must catch it,
    // or their passing below would mean nothing.
    const unwrapped = `# Profile description: ${'x'.repeat(255 - DESCRIPTION_PREFIX)}kernel.sysrq = 1\nfs.mqueue.msg_max = 100\n`;
    expect(SYSCTL_READERS['procps-ng <= 3.3 sysctl (fgets 256)']!(unwrapped).entries).toEqual([['kernel.sysrq', '1'], ['fs.mqueue.msg_max', '100']]);
    expect(SYSCTL_READERS['systemd-sysctl (read_line)']!(unwrapped).entries).toEqual([['fs.mqueue.msg_max', '100']]);
    const limits = `# Profile description: ${'é'.repeat(500)}* - maxlogins 0\napp hard nofile 2004\n`;
    expect(pamLimits(limits).entries).toEqual([{ domain: '*', type: '-', item: 'maxlogins', value: '0' }, { domain: 'app', type: 'hard', item: 'nofile', value: '2004' }]);
    const unit = `# ${'x'.repeat(2045)}ExecStartPre=/bin/false\n[Service]\nLimitNOFILE=1 \\\n# c\nLimitNOFILE=2\n`;
    expect(UNIT_READERS['systemd < v240 (fgets LINE_MAX)']!(unit)).toEqual({
      entries: [
        ['Service', 'LimitNOFILE', '1  # c'],
        ['Service', 'LimitNOFILE', '2'],
      ],
      rejected: ['ExecStartPre=/bin/false'],
    });
    expect(UNIT_READERS['systemd (read_line)']!(unit)).toEqual({ entries: [['Service', 'LimitNOFILE', '1  LimitNOFILE=2']], rejected: [] });
  });
});

describe.each(Object.entries(FIELDS))('profile field %s', (field, f) => {
  it.each(HOSTILE)('%s: refused by the schema, or only in comments', (label, s) => {
    const profile = f.set(BASE, s);
    const parsed = parseProfile(JSON.stringify(profile));
    if (!parsed.ok) {
      // Refused: a profile validation error, at this field.
      expect(parsed.errors.length).toBeGreaterThan(0);
      expect(parsed.errors.every((e) => f.pointer.test(e.pointer)), JSON.stringify(parsed.errors)).toBe(true);
      return;
    }
    expect(parsed.profile).toEqual(profile);
    const owners: Array<[string, Profile]> = f.owner ? [['its own', parsed.profile]] : OWNERS.map(([o, owned]) => [o, { ...withoutOwner(parsed.profile), ...owned }]);
    for (const [, p] of owners) {
      const owner = ownerOf(p);
      const settings = derive(p);
      const benign: Profile = { ...f.set(withoutOwner(BASE), 'benign'), ...(p.owner ? { owner: p.owner } : {}) };
      for (const format of FORMATS) {
        // A profile the schema accepts always renders.
        const out = render(format, { profile: p, settings, owner, producer: PRODUCER });
        checkOutput(format, out, settings, owner);
        for (const q of quotedIn(field, f.value(s), format)) expect(comments(out).some((c) => c.includes(q)), `${format}: ${JSON.stringify(q.slice(0, 80))} in a comment`).toBe(true);
        if (!f.owner) {
          // The hostile text changed comment lines only.
          const b = render(format, { profile: benign, settings: derive(benign), owner, producer: PRODUCER });
          expect(liveLines(out), `${format}: the same live lines as with a benign ${field}`).toEqual(liveLines(b));
        }
      }
      // What apply writes: every planned file, read back by its own rules; a second apply over it changes nothing.
      const plan = planApply(p, settings, owner, { live: {}, files: {}, configured: {} }, { allowLower: false, live: false, producer: PRODUCER });
      for (const file of plan.files) {
        const format: Format = file.path === FILES.sysctl ? 'sysctl' : file.path === FILES.limits ? 'limits' : 'systemd';
        if (format === 'systemd') expect(file.path).toBe(FILES.dropIn(owner.kind === 'service' ? owner.service : ''));
        expect(file.path.split('/')).not.toContain('..');
        checkOutput(format, file.content, settings, owner);
      }
      const files = Object.fromEntries(plan.files.map((x) => [x.path, x.content]));
      const again = planApply(p, settings, owner, { live: {}, files, configured: {} }, { allowLower: false, live: false, producer: PRODUCER });
      expect(again.files, `${label}: a second apply writes the same files`).toEqual(plan.files);
    }
  });
});

it('the fields above are every string the profile schema has', () => {
  const strings: string[] = [];
  const walk = (node: Record<string, unknown>, path: string) => {
    if (node.type === 'string') strings.push(path);
    for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(v, path ? `${path}.${k}` : k);
    if (node.items) walk(node.items as Record<string, unknown>, `${path}[]`);
    for (const branch of [...((node.oneOf ?? []) as Array<Record<string, unknown>>), ...((node.anyOf ?? []) as Array<Record<string, unknown>>)]) walk(branch, path);
  };
  walk(JSON.parse(readFileSync(new URL('../../schema/profile.schema.json', import.meta.url), 'utf8')), '');
  expect(strings.sort()).toEqual(['$schema', 'description', 'name', 'owner.service', 'owner.user', 'workload.queues[].name']);
  expect(Object.keys(FIELDS).map((k) => k.replace(/ .*/, ''))).toEqual(expect.arrayContaining(strings));
});

it('the schema knows no owner group: {"owner": {"group": …}} is refused', () => {
  const r = parseProfile(JSON.stringify({ ...withoutOwner(BASE), owner: { group: 'wheel' } }));
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors.every((e) => e.pointer.startsWith('/owner'))).toBe(true);
});

it('$schema reaches no output', () => {
  const p = FIELDS.$schema!.set(BASE, 'https://example.com/$(echo INJECTED)\u2028');
  const settings = derive(p);
  for (const format of FORMATS) {
    const a = render(format, { profile: p, settings, owner: ownerOf(p), producer: PRODUCER });
    expect(a).toBe(render(format, { profile: BASE, settings, owner: ownerOf(BASE), producer: PRODUCER }));
  }
});

// ---------------------------------------------------------------------------
// The renderers alone, as if the schema had let anything through (a caller that
// builds a profile in code, a future field): the encoder must hold by itself.

interface RawField {
  input: (s: string) => RenderInput;
  /** The formats whose grammar the value must meet (a RenderError otherwise). */
  identifier?: { formats: Format[]; grammar: RegExp };
}

function rawInput(p: Profile, owner: Owner = ownerOf(p), producer = PRODUCER, why?: string): RenderInput {
  const d = deriveSettings(p, ctx);
  if (!d.ok) throw new Error(JSON.stringify(d.errors));
  return { profile: p, settings: why === undefined ? d.settings : d.settings.map((s) => ({ ...s, why })), owner, producer };
}

const RAW: Record<string, RawField> = {
  name: { input: (s) => rawInput({ ...BASE, name: s }) },
  description: { input: (s) => rawInput({ ...BASE, description: s }) },
  producer: { input: (s) => rawInput(BASE, ownerOf(BASE), s) },
  why: { input: (s) => rawInput(BASE, { kind: 'service', service: 'app.service' }, PRODUCER, s) },
  'workload.queues[].name': { input: (s) => rawInput(FIELDS['workload.queues[].name']!.set(BASE, s)) },
  'owner.user': { input: (s) => rawInput(BASE, { kind: 'user', user: s }), identifier: { formats: ['limits'], grammar: /^(\*|@?[a-z_][a-z0-9_-]{0,31}\$?)$/ } },
  'owner.service': {
    input: (s) => rawInput(BASE, { kind: 'service', service: s }),
    identifier: { formats: ['systemd'], grammar: /^(?=.{1,253}$)[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.service$/ },
  },
};

describe.each(Object.entries(RAW))('renderer input %s, unvalidated', (field, f) => {
  it.each(HOSTILE)('%s: a RenderError, or only in comments', (_, s) => {
    const input = f.input(s);
    const value = field === 'workload.queues[].name' ? `/${s}` : s;
    for (const format of FORMATS) {
      if (f.identifier?.formats.includes(format) && !f.identifier.grammar.test(s)) {
        expect(() => render(format, input)).toThrow(RenderError);
        expect(() => render(format, input)).toThrow(JSON.stringify(s).slice(0, 40));
        continue;
      }
      const out = render(format, input);
      checkOutput(format, out, input.settings, input.owner);
      for (const q of quotedIn(field, value, format)) expect(comments(out).some((c) => c.includes(q)), `${format}: ${JSON.stringify(q.slice(0, 80))} in a comment`).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------
// The real programs, once per distinct output collected above.

const sysctlProbe = spawnSync('sysctl', ['--help'], { encoding: 'utf8' });
const sysctlSkip = sysctlProbe.error
  ? `sysctl is not installed (${sysctlProbe.error.message})`
  : !sysctlProbe.stdout.includes('--dry-run')
    ? 'this sysctl has no --dry-run'
    : process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).error
      ? 'running as root without setpriv to drop to nobody (a dry run must not be able to write /proc/sys)'
      : null;
if (sysctlSkip) console.warn(`skipping the real sysctl parse-back: ${sysctlSkip}`);

describe.skipIf(sysctlSkip !== null)('sysctl --dry-run -p reads every sysctl.d file as planned', () => {
  it('every distinct file', () => {
    expect(forSysctlTool.size).toBeGreaterThan(10);
    for (const [text, want] of forSysctlTool) {
      const file = join(work, 'sysctl.conf');
      writeFileSync(file, text, { mode: 0o644 });
      // As nobody: even if --dry-run wrote, it could not.
      const cmd = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sysctl'] : ['sysctl'];
      const r = spawnSync(cmd[0]!, [...cmd.slice(1), '--dry-run', '-p', file], { encoding: 'utf8' });
      // A key this kernel (or container) lacks is reported as such, and only those.
      const path = (k: string) => `/proc/sys/${k.replace(/\./g, '/')}`;
      const present = want.filter(([k]) => existsSync(path(k)));
      const missing = want.filter(([k]) => !existsSync(path(k))).map(([k]) => `cannot stat ${path(k)}`);
      expect(r.stdout.split('\n').filter(Boolean), text.slice(0, 200)).toEqual(present.map(([k, v]) => `${k} = ${v}`));
      expect(r.stderr.split('\n').filter((l) => l && !missing.some((m) => l.includes(m)))).toEqual([]);
    }
  });
});

describe.skipIf(bashSkip !== null)('bash runs the docker snippet as exactly one docker command', () => {
  it('notices a command that is not the docker one, and what a substitution does to argv', () => {
    const r = runDocker('# c\ndocker run \\\n  --x "$(printf y)" \\\n  IMAGE\n: quiet; touch f\n');
    expect(r.argv).toEqual(['run', '--x', 'y', 'IMAGE']);
    // A substitution runs in a subshell, untraced: it shows in argv instead.
    expect(r.commands.map((c) => c.split(' ')[0])).toEqual(['docker', ':', 'touch']);
    expect(r.stderr).toBe('not found: touch\n');
  });

  it('every distinct snippet', () => {
    expect(forDockerShell.size).toBeGreaterThan(10);
    for (const [text, argv] of forDockerShell) {
      const r = runDocker(text);
      expect({ ...r, commands: r.commands.map((c) => c.split(' ')[0]) }, text.slice(0, 300)).toEqual({ argv, commands: ['docker'], stderr: '', status: 0 });
    }
  });
});

// Linux-PAM itself: pam_limits.so in a session of "nobody", through pam_start_confdir()
// (a service file of our own, nothing under /etc), each file in a forked child.
const PAM_SESSION = String.raw`
import ctypes, json, os, resource, sys
pam = ctypes.CDLL("libpam.so.0")
libc = ctypes.CDLL(None)
libc.calloc.restype = ctypes.c_void_p
libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
class Msg(ctypes.Structure): _fields_ = [("style", ctypes.c_int), ("msg", ctypes.c_char_p)]
class Resp(ctypes.Structure): _fields_ = [("resp", ctypes.c_char_p), ("code", ctypes.c_int)]
CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.POINTER(Msg)), ctypes.POINTER(ctypes.POINTER(Resp)), ctypes.c_void_p)
said = []
@CONV
def conv(n, m, r, _):
    for i in range(n): said.append(m[i].contents.msg.decode())
    r[0] = ctypes.cast(libc.calloc(n, ctypes.sizeof(Resp)), ctypes.POINTER(Resp))
    return 0
class Conv(ctypes.Structure): _fields_ = [("conv", CONV), ("data", ctypes.c_void_p)]
pam.pam_open_session.argtypes = [ctypes.c_void_p, ctypes.c_int]
for confdir in sys.argv[1:]:
    r, w = os.pipe()
    if os.fork() == 0:
        before = resource.getrlimit(resource.RLIMIT_MSGQUEUE)
        h = ctypes.c_void_p()
        c = Conv(conv, None)
        rc = pam.pam_start_confdir(b"mqd", b"nobody", ctypes.byref(c), confdir.encode(), ctypes.byref(h))
        if rc == 0: rc = pam.pam_open_session(h, 0)
        out = {"rc": rc, "said": said, "before": before, "msgqueue": resource.getrlimit(resource.RLIMIT_MSGQUEUE), "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)}
        os.write(w, json.dumps(out).encode()); os._exit(0)
    os.close(w); data = b""
    while True:
        b = os.read(r, 65536)
        if not b: break
        data += b
    os.wait(); print(data.decode())
`;
const pamSkip =
  process.getuid?.() !== 0
    ? 'not root (pam_limits raises hard limits)'
    : spawnSync('python3', ['-c', 'import ctypes; ctypes.CDLL("libpam.so.0").pam_start_confdir'], { encoding: 'utf8' }).status !== 0
      ? 'no python3 with a libpam that has pam_start_confdir (Linux-PAM 1.4+)'
      : null;
if (pamSkip) console.warn(`skipping the real pam_limits parse-back: ${pamSkip}`);
/** CAP_SYS_RESOURCE (bit 24) in our effective set: pam_limits can raise a hard limit. */
const canRaise = () => ((BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`) >> 24n) & 1n) === 1n;

describe.skipIf(pamSkip !== null)('Linux-PAM pam_limits reads each limits.d file as planned', () => {
  it('a session of "nobody" gets exactly the planned limits, for every description the schema accepts', () => {
    const cases: Array<{ label: string; dir: string; want: { msgqueue: number; nofile: number } }> = [];
    for (const [label, s] of HOSTILE) {
      const parsed = parseProfile(JSON.stringify({ ...withoutOwner(BASE), description: s, owner: { user: 'nobody' } }));
      if (!parsed.ok) continue;
      const settings = derive(parsed.profile);
      const text = render('limits', { profile: parsed.profile, settings, owner: ownerOf(parsed.profile), producer: PRODUCER });
      const dir = mkdtempSync(join(work, 'pam-'));
      writeFileSync(join(dir, 'limits.conf'), text);
      writeFileSync(join(dir, 'mqd'), `session required pam_limits.so conf=${join(dir, 'limits.conf')}\n`);
      const v = (k: string) => settings.find((x) => x.key === k)!.value;
      cases.push({ label, dir, want: { msgqueue: v('RLIMIT_MSGQUEUE'), nofile: v('RLIMIT_NOFILE') } });
    }
    expect(cases.length).toBeGreaterThan(40);
    const r = spawnSync('python3', ['-c', PAM_SESSION, ...cases.map((c) => c.dir)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { rc: number; said: string[]; before: [number, number]; msgqueue: [number, number]; nofile: [number, number] });
    expect(results).toHaveLength(cases.length);
    results.forEach((got, i) => {
      const { label, want } = cases[i]!;
      // Raising a hard limit needs CAP_SYS_RESOURCE, which a container may lack: then msgqueue stays as it was
      // (pam_limits logs the failure and goes on); nofile is lowered, which needs nothing.
      const msgqueue = canRaise() || want.msgqueue <= got.before[1] ? [want.msgqueue, want.msgqueue] : got.before;
      expect(got, label).toEqual({ rc: 0, said: [], before: got.before, msgqueue, nofile: [want.nofile, want.nofile] });
    });
  });

  it('the same session notices a live line (so a clean result means something)', () => {
    const dir = mkdtempSync(join(work, 'pam-'));
    writeFileSync(join(dir, 'limits.conf'), `# ${'é'.repeat(510)}x* - maxlogins 0\n`);
    writeFileSync(join(dir, 'mqd'), `session required pam_limits.so conf=${join(dir, 'limits.conf')}\n`);
    const r = spawnSync('python3', ['-c', PAM_SESSION, dir], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toMatchObject({ rc: 6, said: ["There were too many logins for 'nobody'."] });
  });
});

const analyze = spawnSync('systemd-analyze', ['--version']);
const analyzeSkip = analyze.error ? `systemd-analyze is not installed (${analyze.error.message})` : null;
if (analyzeSkip) console.warn(`skipping systemd-analyze on the rendered drop-ins: ${analyzeSkip}`);

describe.skipIf(analyzeSkip !== null)('systemd-analyze on a unit with each rendered drop-in', () => {
  it('verify notices a live line in a drop-in (so a clean result means something)', () => {
    const dir = mkdtempSync(join(work, 'unit-'));
    writeFileSync(join(dir, 'bad.service'), '[Service]\nExecStart=/bin/true\n');
    mkdirSync(join(dir, 'bad.service.d'));
    writeFileSync(join(dir, 'bad.service.d', '60-mq-doctor.conf'), '# x \\\n[Service]\nExecStartPre=/nonexistent/mqd\nBogus=1\n');
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'bad.service')], { encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
    expect(r.stderr).toMatch(/Unknown key '?Bogus'?/);
    expect(r.stderr).toMatch(/nonexistent\/mqd/);
  });

  it('verify: no warning for any drop-in; cat-config: systemd finds each one', () => {
    expect(dropIns.size).toBeGreaterThan(10);
    const root = mkdtempSync(join(work, 'root-'));
    const dir = join(root, 'etc/systemd/system');
    mkdirSync(dir, { recursive: true });
    // One unit per drop-in: the owner's own name where it is distinct, else numbered (and for a
    // name with ":", which systemd-analyze verify cannot take as a path: "Couldn't process aliases").
    const units: Array<{ unit: string; text: string }> = [];
    const used = new Set<string>();
    [...dropIns.values()].forEach(({ service, text }, i) => {
      const unit = used.has(service) || service.includes(':') ? `mqd-${i}.service` : service;
      used.add(unit);
      units.push({ unit, text });
    });
    const instance = (unit: string) => /@.+\.service$/.test(unit);
    for (const { unit, text } of units) {
      // An instance's unit file is its template's; its drop-in directory is its own.
      writeFileSync(join(dir, instance(unit) ? unit.replace(/@.+\.service$/, '@.service') : unit), '[Unit]\nDescription=app\n[Service]\nExecStart=/bin/true\n');
      mkdirSync(join(dir, `${unit}.d`));
      writeFileSync(join(dir, `${unit}.d`, '60-mq-doctor.conf'), text);
    }
    const names = units.map(({ unit }) => unit);
    for (let i = 0; i < names.length; i += 40) {
      const batch = names.slice(i, i + 40);
      const r = spawnSync('systemd-analyze', ['verify', ...batch.map((n) => join(dir, n))], { encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` } });
      const warnings = r.stderr.split('\n').filter((l) => l.trim());
      expect(warnings, batch.join(' ')).toEqual([]);
    }
    // cat-config reads a unit file and its drop-ins by name (not an instance through its template).
    for (const { unit, text } of units.filter((u) => !instance(u.unit))) {
      const r = spawnSync('systemd-analyze', [`--root=${root}`, 'cat-config', `systemd/system/${unit}`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`# ${join(dir, `${unit}.d`, '60-mq-doctor.conf')}\n${text}`);
    }
  });
});
