// `mq-doctor completion bash|zsh|fish` in the real shells, installed as README says:
// bash sources the script and its completion function is called with COMP_WORDS and
// COMP_CWORD set (COMPREPLY is read); zsh autoloads it from $fpath and completes
// under zpty, with compadd wrapped to record what the completion system adds; fish
// autoloads it from its completions directory and answers `complete -C LINE`.
// `mq-doctor` is found on PATH (a symlink to bin/mq-doctor.cjs), as a user's is.
// Every case asserts the exact set of candidates. Queue names are completed in a
// private IPC namespace with its own mqueue mount on /dev/mqueue and queues of its own.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHELLS } from '../../src/cli/completion.js';
import { COMMANDS, type OptionSpec } from '../../src/cli/options.js';
import { CHECK_IDS } from '../../src/model/types.js';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { BIN, namespaceSkipReason, runCli } from '../support/run-cli.js';

type Shell = (typeof SHELLS)[number];

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const zptySkip = has('zsh') && spawnSync('zsh', ['-fc', 'zmodload zsh/zpty']).status !== 0 ? 'zsh has no zsh/zpty module' : null;
const SKIP: Record<Shell, string | null> = {
  bash: has('bash') ? null : 'bash is not installed',
  zsh: has('zsh') ? zptySkip : 'zsh is not installed (apt-get install zsh)',
  fish: has('fish') ? null : 'fish is not installed (apt-get install fish)',
};
for (const s of SHELLS) if (SKIP[s]) console.warn(`skipping ${s} completion tests: ${SKIP[s]}`);

const nsBase = namespaceSkipReason();
const oracle = nsBase ? null : await buildOracle().catch(() => null);
const NS_SKIP = nsBase ?? (oracle ? null : 'the C oracle (test/helpers/mq_oracle.c) could not be built');
if (NS_SKIP) console.warn(`skipping the queue-name completion tests (private IPC namespace): ${NS_SKIP}`);

const TMP = mkdtempSync(join(tmpdir(), 'mqd-completion-'));
/** The working directory the shells complete paths in. */
const WORK = join(TMP, 'work');

interface Case {
  title: string;
  /** The words typed, the last one at the cursor ('' after a space). */
  words: string[];
  expected: string[];
}

const flagsOf = (cmd: keyof typeof COMMANDS) => [...Object.keys(COMMANDS[cmd].options).map((k) => `--${k}`), '--help'];
const shortsOf = (cmd: keyof typeof COMMANDS) => Object.values(COMMANDS[cmd].options as Record<string, OptionSpec>).flatMap((o) => (o.short ? [`-${o.short}`] : []));
const FILES = ['a.json', 'b.json', 'sub'];
const CASES: Case[] = [
  { title: 'command names', words: ['mq-doctor', ''], expected: [...Object.keys(COMMANDS), 'completion'] },
  { title: 'a command name from its start', words: ['mq-doctor', 'che'], expected: ['check'] },
  { title: 'flags before a command', words: ['mq-doctor', '--'], expected: ['--version', '--help', '--pid', '--json'] },
  { title: "check's own flags", words: ['mq-doctor', 'check', '--'], expected: flagsOf('check') },
  { title: "tune's own flags (no --pid, no --json)", words: ['mq-doctor', 'tune', '--'], expected: flagsOf('tune') },
  { title: "apply's own flags", words: ['mq-doctor', 'apply', '--'], expected: flagsOf('apply') },
  { title: "limits' own flags (a one-letter alias not as --o)", words: ['mq-doctor', 'limits', '--'], expected: flagsOf('limits') },
  { title: "limits' own flags and their one-letter aliases", words: ['mq-doctor', 'limits', '-'], expected: [...flagsOf('limits'), ...shortsOf('limits')] },
  { title: 'a flag already given is not offered again', words: ['mq-doctor', 'limits', '--json', '--'], expected: flagsOf('limits').filter((f) => f !== '--json') },
  { title: '--format values', words: ['mq-doctor', 'tune', '--format', ''], expected: [...COMMANDS.tune.options.format!.choices!] },
  { title: '--format values from their start', words: ['mq-doctor', 'tune', '--format', 'k'], expected: ['kubernetes'] },
  { title: '--access values', words: ['mq-doctor', 'check', '--access', ''], expected: ['rdonly', 'wronly', 'rdwr'] },
  { title: '--profile: files of the working directory', words: ['mq-doctor', 'tune', '--profile', ''], expected: FILES },
  { title: '--profile: files from their start', words: ['mq-doctor', 'apply', '--profile', 'a'], expected: ['a.json'] },
  { title: '--web-config: files', words: ['mq-doctor', 'watch', '--web-config', ''], expected: FILES },
  { title: '--root: directories only', words: ['mq-doctor', 'rollback', '--root', ''], expected: ['sub'] },
  { title: '--ignore: check IDs and all', words: ['mq-doctor', 'preflight', '--ignore', ''], expected: [...CHECK_IDS, 'all'] },
  { title: '--ignore: the next ID of a list', words: ['mq-doctor', 'preflight', '--ignore', 'MQ-ATTR,MQ-R'], expected: ['MQ-ATTR,MQ-RLIMIT-MSGQUEUE'] },
  { title: 'a number is due: nothing offered', words: ['mq-doctor', 'check', '--maxmsg', ''], expected: [] },
  { title: "completion's shells", words: ['mq-doctor', 'completion', ''], expected: [...SHELLS] },
  { title: "help's topics", words: ['mq-doctor', 'help', ''], expected: [...Object.keys(COMMANDS), 'completion'] },
  { title: "preflight's application after --: paths", words: ['mq-doctor', 'preflight', '--', ''], expected: FILES },
];
/** Run in a private IPC namespace holding exactly these queues. */
const QUEUES = ['/orders', '/billing:eu'];
const NS_CASES: Case[] = [{ title: 'check --name: the queues in /dev/mqueue, with their "/"', words: ['mq-doctor', 'check', '--name', ''], expected: QUEUES }];

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const fishQuote = (s: string) => `'${s.replace(/[\\']/g, '\\$&')}'`;
const lineOf = (c: Case) => c.words.join(' ');

const PATH = `${join(TMP, 'bin')}:${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
/** Each script must pick its own format whatever $SHELL says (yargs reads it): the wrong one on purpose. */
const envFor = (shell: Shell): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MQ_DOCTOR_'))),
  PATH,
  HOME: join(TMP, 'home'),
  XDG_CONFIG_HOME: join(TMP, 'config'),
  XDG_DATA_HOME: join(TMP, 'data'),
  SHELL: shell === 'zsh' ? '/bin/bash' : '/usr/bin/zsh',
  TERM: 'dumb',
});

/** Sets up a private /dev/mqueue (and, where the machine has no /dev/mqueue, a private /dev holding one), then its queues. */
const NS_SETUP = `set -e
if [ ! -d /dev/mqueue ]; then
  # A tmpfs with copies of /dev's nodes, moved over /dev in this mount namespace only: nothing is made on the host.
  mount -t tmpfs tmpfs "$MQD_DEV"
  cp -a /dev/. "$MQD_DEV/" 2>/dev/null || true
  for m in pts shm; do if [ -d "/dev/$m" ]; then mount --rbind "/dev/$m" "$MQD_DEV/$m"; fi; done
  mkdir -p "$MQD_DEV/mqueue"
  mount --move "$MQD_DEV" /dev
fi
mount -t mqueue none /dev/mqueue
for q in ${QUEUES.map(sq).join(' ')}; do "$MQD_ORACLE" create "$q" 1 64 >/dev/null; done
exec "$@"
`;

function run(file: string, args: string[], env: NodeJS.ProcessEnv, inNamespace: boolean): Promise<string> {
  const [cmd, argv] = inNamespace ? ['unshare', ['--ipc', '--mount', '--fork', 'sh', join(TMP, 'ns.sh'), file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(cmd as string, argv as string[], { cwd: WORK, env: { ...env, MQD_DEV: join(TMP, 'dev'), MQD_ORACLE: oracle ?? '' }, timeout: 45_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${argv.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** What each shell offers for each case, in order. */
const RUNNERS: Record<Shell, (cases: Case[], ns: boolean, tag: string) => Promise<string[][]>> = {
  async bash(cases, ns, tag) {
    const script = [
      `source ${sq(join(TMP, 'scripts/bash'))}`,
      't() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _mq_doctor_completions; printf "%s\\n" "${COMPREPLY[@]}"; echo ::end::; }',
      ...cases.map((c) => `t ${c.words.map(sq).join(' ')}`),
    ].join('\n');
    writeFileSync(join(TMP, `bash-${tag}.sh`), script);
    const out = await run('bash', ['--norc', '--noprofile', join(TMP, `bash-${tag}.sh`)], envFor('bash'), ns);
    return out
      .split('::end::\n')
      .slice(0, cases.length)
      .map((block) => block.split('\n').filter(Boolean));
  },

  async zsh(cases, ns, tag) {
    const dir = join(TMP, `zsh-${tag}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cases'), cases.map(lineOf).join('\n'));
    // The interactive shell: the script autoloaded from $fpath (README), compadd recording what
    // the completion system adds (after its own matching against what is typed), one widget
    // that types each case and completes it.
    writeFileSync(
      join(dir, 'setup.zsh'),
      `PROMPT='> '
fpath=(${sq(join(TMP, 'zfunc'))} $fpath)
autoload -Uz compinit && compinit -D -u
compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits )) && print -rl -- $__hits >> $MQD_OUT
  builtin compadd "$@"
}
_mqd_run() {
  local i
  for i in {1..$#MQD_CASES}; do
    MQD_OUT=${sq(dir)}/$i.out
    : > $MQD_OUT
    BUFFER=$MQD_CASES[i]; CURSOR=$#BUFFER
    zle complete-word
    BUFFER=
  done
  print -r done > ${sq(dir)}/done
}
zle -N _mqd_run
bindkey '^T' _mqd_run
MQD_CASES=("\${(@f)$(<${sq(join(dir, 'cases'))})}")
print ready > ${sq(dir)}/ready
`,
    );
    writeFileSync(
      join(dir, 'driver.zsh'),
      `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "source ${join(dir, 'setup.zsh')}"
for i in {1..200}; do [[ -e ${sq(dir)}/ready ]] && break; sleep 0.05; done
zpty -w -n z $'\\C-t'
for i in {1..800}; do [[ -e ${sq(dir)}/done ]] && break; sleep 0.05; done
zpty -d z
[[ -e ${sq(dir)}/done ]] || { print -u2 'zsh did not finish the cases'; exit 1 }
`,
    );
    await run('zsh', ['-f', join(dir, 'driver.zsh')], envFor('zsh'), ns);
    return cases.map((_, i) => readFileSync(join(dir, `${i + 1}.out`), 'utf8').split('\n').filter(Boolean));
  },

  async fish(cases, ns, tag) {
    // The README's install: fish autoloads completions/mq-doctor.fish on first use.
    const script = cases.map((c) => `complete -C ${fishQuote(lineOf(c))}; echo ::end::`).join('\n');
    writeFileSync(join(TMP, `fish-${tag}.fish`), script);
    const out = await run('fish', [join(TMP, `fish-${tag}.fish`)], envFor('fish'), ns);
    // "candidate<TAB>description"; a directory ends in "/".
    return out
      .split('::end::\n')
      .slice(0, cases.length)
      .map((block) => block.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!));
  },
};

const results: Record<string, string[][]> = {};

beforeAll(async () => {
  for (const d of ['bin', 'work/sub', 'home', 'config/fish/completions', 'data', 'zfunc', 'scripts', 'dev']) mkdirSync(join(TMP, d), { recursive: true });
  for (const f of ['a.json', 'b.json']) writeFileSync(join(WORK, f), '{}');
  symlinkSync(BIN, join(TMP, 'bin/mq-doctor'));
  writeFileSync(join(TMP, 'ns.sh'), NS_SETUP);
  for (const shell of SHELLS) {
    const r = runCli(['completion', shell]);
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(join(TMP, 'scripts', shell), r.stdout);
  }
  writeFileSync(join(TMP, 'zfunc/_mq-doctor'), runCli(['completion', 'zsh']).stdout);
  writeFileSync(join(TMP, 'config/fish/completions/mq-doctor.fish'), runCli(['completion', 'fish']).stdout);
  await Promise.all(
    SHELLS.filter((s) => !SKIP[s]).flatMap((s) => [
      RUNNERS[s](CASES, false, 'host').then((r) => (results[s] = r)),
      ...(NS_SKIP ? [] : [RUNNERS[s](NS_CASES, true, 'ns').then((r) => (results[`${s}-ns`] = r))]),
    ]),
  );
}, 55_000);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** fish marks a directory with "/", and zsh's _files may add one twice: a set of names. */
const asSet = (offered: string[]) => [...new Set(offered.map((o) => o.replace(/\/$/, '')))].sort();

describe('completion scripts', () => {
  it.each(SHELLS)('%s: the script names the shell it is for, and asks mq-doctor on PATH', (shell) => {
    const script = runCli(['completion', shell]).stdout;
    expect(script).toContain(`mq-doctor completion for ${shell}`);
    expect(script).toMatch(/mq-doctor --get-yargs-completions/);
    expect(runCli(['completion', shell]).code).toBe(0);
  });
  it.skipIf(SKIP.bash !== null)('bash: sourcing it registers the function the tests call', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${sq(join(TMP, 'scripts/bash'))} && complete -p mq-doctor`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -F _mq_doctor_completions mq-doctor');
  });
  it.skipIf(SKIP.zsh !== null)('zsh: the script parses', () => {
    const r = spawnSync('zsh', ['-n', join(TMP, 'scripts/zsh')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

for (const shell of SHELLS) {
  describe.skipIf(SKIP[shell] !== null)(`${shell}: what TAB offers`, () => {
    CASES.forEach((c, i) => {
      it(`${c.title}: ${lineOf(c)}<TAB>`, () => {
        expect(asSet(results[shell]![i]!)).toEqual(asSet(c.expected));
      });
    });
    describe.skipIf(NS_SKIP !== null)('in a private IPC namespace', () => {
      NS_CASES.forEach((c, i) => {
        it(`${c.title}: ${lineOf(c)}<TAB>`, () => {
          expect(asSet(results[`${shell}-ns`]![i]!)).toEqual(asSet(c.expected));
        });
      });
    });
  });
}

describe('--get-yargs-completions (the protocol the scripts speak)', () => {
  it('offers a flag value, not flags, where a value is due', () => {
    expect(runCli(['--get-yargs-completions', 'mq-doctor', 'tune', '--format', '']).stdout.trim().split('\n')).toEqual([...COMMANDS.tune.options.format!.choices!]);
    expect(runCli(['--get-yargs-completions', 'mq-doctor', 'check', '--count', '']).stdout).toBe('');
  });
  it('hands paths to the shell: one directive line', () => {
    expect(runCli(['--get-yargs-completions', 'mq-doctor', 'verify', '--profile', '']).stdout).toBe(':files\n');
    expect(runCli(['--get-yargs-completions', 'mq-doctor', 'apply', '--root', '']).stdout).toBe(':dirs\n');
    expect(runCli(['--get-yargs-completions', 'mq-doctor', 'preflight', '--', '']).stdout).toBe(':files\n');
  });
  it('in zsh format (SHELL=zsh), commands and flags carry their descriptions', () => {
    const out = runCli(['--get-yargs-completions', 'mq-doctor', 'tune', '--'], { env: { ...process.env, SHELL: '/bin/zsh' } }).stdout;
    expect(out).toMatch(/^--format:What to render$/m);
    expect(out).not.toMatch(/^--json/m);
  });
});
