// One description of every flag: the fast parser (util.parseArgs) and yargs'
// help/completion are both generated from it, so they cannot drift apart.
// Each command lists exactly the flags it accepts (COMMANDS[name].options): its
// parser takes those, its --help shows those and completion offers those, no others.
import { DEFAULT_QUEUE_COLUMNS, QUEUE_COLUMN_NAMES } from '../render/queue-columns.js';

export type OptionKind = 'long' | 'count' | 'pid' | 'octal' | 'name' | 'boolean' | 'access' | 'string' | 'choice';

/** What the shell completes a flag's value with (a flag with `choices` completes to them). */
export type ValueCompletion = 'file' | 'directory' | 'queue' | 'check-ids';

export interface OptionSpec {
  kind: OptionKind;
  describe: string;
  default?: string | boolean;
  choices?: readonly string[];
  /** A one-letter alias (`-o` for --output), taken by the parser, shown by help, offered by completion. */
  short?: string;
  /** file or directory: the shell's own path completion; queue: the names in /dev/mqueue; check-ids: CHECK_IDS, comma-separated. */
  complete?: ValueCompletion;
}

/**
 * Flags several commands list. Only the commands that list them take them; these
 * may also stand before the command (`mq-doctor --json limits`), where they count
 * as the command's own (a command that does not list them rejects them there too).
 */
export const COMMON_OPTIONS = {
  pid: { kind: 'pid', describe: 'Diagnose this running process (its rlimits, uid, IPC namespace and descriptors)' },
  json: { kind: 'boolean', describe: 'Print one JSON document (schema/*.schema.json) instead of text' },
} as const satisfies Record<string, OptionSpec>;

export const CHECK_OPTIONS = {
  maxmsg: { kind: 'long', describe: 'mq_attr.mq_maxmsg the application passes (omit both for attr NULL)' },
  msgsize: { kind: 'long', describe: 'mq_attr.mq_msgsize the application passes' },
  name: { kind: 'name', describe: 'Queue name, e.g. /orders (default: a name that does not exist yet)', complete: 'queue' },
  exclusive: { kind: 'boolean', describe: 'Add O_EXCL (fail if the queue exists)' },
  'no-create': { kind: 'boolean', describe: 'Drop O_CREAT (open an existing queue only)' },
  count: { kind: 'count', describe: 'The application opens this many such queues', default: '1' },
  access: { kind: 'access', describe: 'Access mode of the open', default: 'rdwr', choices: ['rdonly', 'wronly', 'rdwr'] },
  mode: { kind: 'octal', describe: 'Permission bits for a new queue', default: '0600' },
  live: { kind: 'boolean', describe: 'Also create scratch queues with this attr, send and receive one message, unlink them, and show the real result' },
  measure: {
    kind: 'boolean',
    describe: "Measure the uid's remaining queue memory with scratch queues under its own credentials (a private IPC namespace where possible): sees other namespaces and user-namespace ceilings",
  },
  sysv: { kind: 'boolean', describe: 'System V instead: predict msgget, msgctl(IPC_SET) of --qbytes and msgsnd(IPC_NOWAIT) of --msgsize bytes' },
  key: { kind: 'string', describe: 'With --sysv: the queue key, decimal or 0x hex (default IPC_PRIVATE)' },
  qbytes: { kind: 'long', describe: 'With --sysv: the msg_qbytes the application sets with msgctl(IPC_SET)' },
  verbose: { kind: 'boolean', describe: "Every blocker with its origin, fixes and notes, the cost breakdown, where the uid's charge is held, the assumptions" },
  ...COMMON_OPTIONS,
} as const satisfies Record<string, OptionSpec>;

export const LIMITS_OPTIONS = {
  measure: CHECK_OPTIONS.measure,
  output: {
    kind: 'string',
    short: 'o',
    describe:
      `Print only the queue list, with these columns, comma-separated (+COLS: the default ones and these): ${QUEUE_COLUMN_NAMES.join(', ')}` +
      ` (default: ${DEFAULT_QUEUE_COLUMNS.join(',')})`,
  },
  noheadings: { kind: 'boolean', describe: 'Print only the queue list, without its heading line' },
  all: { kind: 'boolean', describe: 'Every queue in the report (default: the 20 largest by charge when there are more)' },
  raw: { kind: 'boolean', short: 'r', describe: 'Print only the queue list, unaligned: one space between values, blanks and non-printable bytes escaped as \\xNN (as lsblk --raw)' },
  ...COMMON_OPTIONS,
} as const satisfies Record<string, OptionSpec>;

const PROFILE_OPTION = { kind: 'string', describe: 'Profile file (JSON, schema/profile.schema.json); see profiles/', complete: 'file' } as const;
const OWNER_OPTIONS = {
  user: { kind: 'string', describe: 'The login user who opens the queues (limits.d); overrides the profile\'s owner' },
  service: { kind: 'string', describe: 'The systemd service that opens the queues (drop-in); overrides the profile\'s owner' },
} as const;

export const TUNE_OPTIONS = {
  profile: PROFILE_OPTION,
  maxmsg: { kind: 'long', describe: 'Instead of a profile: queues of this maxmsg…' },
  msgsize: { kind: 'long', describe: '…and this msgsize' },
  count: { kind: 'count', describe: '…this many of them', default: '1' },
  ...OWNER_OPTIONS,
  format: {
    kind: 'choice',
    describe: 'What to render',
    default: 'all',
    choices: ['sysctl', 'limits', 'systemd', 'docker', 'compose', 'kubernetes', 'quadlet', 'all'],
  },
} as const satisfies Record<string, OptionSpec>;

export const APPLY_OPTIONS = {
  profile: PROFILE_OPTION,
  ...OWNER_OPTIONS,
  root: { kind: 'string', describe: 'Write into this alternate root (image builds, tests); live sysctls are then not touched', default: '/', complete: 'directory' },
  'dry-run': { kind: 'boolean', describe: 'Print a unified diff of every file and the live values that would change; write nothing' },
  'allow-lower': { kind: 'boolean', describe: 'Allow lowering a value that is currently higher (default: raise only)' },
  'no-live': { kind: 'boolean', describe: 'Write the files only: do not set the sysctls in /proc/sys now, nor reload systemd' },
} as const satisfies Record<string, OptionSpec>;

export const VERIFY_OPTIONS = {
  profile: PROFILE_OPTION,
  ...OWNER_OPTIONS,
  root: { kind: 'string', describe: 'Compare the configuration under this alternate root (image builds, tests); live values are then not read', default: '/', complete: 'directory' },
  json: COMMON_OPTIONS.json,
} as const satisfies Record<string, OptionSpec>;

export const ROLLBACK_OPTIONS = {
  root: { kind: 'string', describe: 'Roll back the last apply recorded under this alternate root', default: '/', complete: 'directory' },
} as const satisfies Record<string, OptionSpec>;

export const WATCH_OPTIONS = {
  interval: { kind: 'string', describe: 'How often to probe: 15s, 500ms, 2m', default: '15s' },
  listen: { kind: 'string', describe: 'Address for /metrics, /healthz, /status (read-only)', default: '127.0.0.1:9469' },
  profile: { kind: 'string', describe: 'Report drift from this profile (metric mqdoctor_drift); SIGHUP reloads it', complete: 'file' },
  enforce: { kind: 'boolean', describe: 'With --profile: re-apply drifted keys through the same safe writer as apply' },
  'all-namespaces': { kind: 'boolean', describe: "Every IPC namespace of a running process (containers' too), not only mq-doctor's" },
  'max-queue-series': { kind: 'string', describe: 'Queues exported one by one; the rest are counted in mqdoctor_queues_aggregated', default: '500' },
  'web-config': {
    kind: 'string',
    describe: "TLS, client certificates, basic auth and rate limit from this file, in node_exporter's --web.config.file format; SIGHUP reloads it",
    complete: 'file',
  },
} as const satisfies Record<string, OptionSpec>;

export const PREFLIGHT_OPTIONS = {
  maxmsg: { kind: 'long', describe: 'The application opens queues of this maxmsg (env MQ_DOCTOR_MAXMSG)…' },
  msgsize: { kind: 'long', describe: '…and this msgsize (env MQ_DOCTOR_MSGSIZE)' },
  count: { kind: 'count', describe: '…this many of them (env MQ_DOCTOR_COUNT)' },
  profile: { kind: 'string', describe: 'Or: the queues of this profile\'s workload (env MQ_DOCTOR_PROFILE)', complete: 'file' },
  warn: { kind: 'boolean', describe: 'Report failed checks but start the application anyway (env MQ_DOCTOR_MODE=warn)' },
  'no-measure': { kind: 'boolean', describe: "Do not measure the uid's queue-memory budget with scratch queues; predict from /proc alone (env MQ_DOCTOR_MEASURE=0)" },
  ignore: {
    kind: 'string',
    describe: 'Start anyway although these checks failed or could not be told, comma-separated (MQ-RLIMIT-MSGQUEUE, …, or all); they are listed in the report (env MQ_DOCTOR_IGNORE)',
    complete: 'check-ids',
  },
} as const satisfies Record<string, OptionSpec>;

export const EXPLAIN_OPTIONS = {
  maxmsg: { kind: 'long', describe: 'The mq_attr.mq_maxmsg the application passes (default: attr NULL, the namespace defaults)' },
  msgsize: { kind: 'long', describe: 'mq_attr.mq_msgsize; for a System V message, its size in bytes (default: kernel.msgmax)' },
  name: CHECK_OPTIONS.name,
  count: CHECK_OPTIONS.count,
  sysv: { kind: 'boolean', describe: 'The message comes from System V queues (msgget, msgsnd, msgctl): explain only those calls' },
  key: { kind: 'string', describe: 'System V: the key the application passes to msgget, decimal or 0x hex' },
  qbytes: { kind: 'long', describe: 'System V: the msg_qbytes the application sets with msgctl(IPC_SET)' },
  measure: CHECK_OPTIONS.measure,
  ...COMMON_OPTIONS,
} as const satisfies Record<string, OptionSpec>;

export const COMMANDS = {
  check: {
    describe: 'Predict mq_open (or, with --sysv, msgget/msgctl/msgsnd) for a queue size, explain every blocker and how to fix it',
    options: CHECK_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 check --maxmsg 3600 --msgsize 16384', 'Will a 3600 × 16384 queue open here?'],
      ['$0 check --maxmsg 50 --msgsize 8192 --count 12', 'An application that opens 12 such queues'],
      ['$0 check --pid 4242 --maxmsg 100 --msgsize 1024 --json', 'Check for a running process, as JSON'],
      ['$0 check --name /orders --no-create', 'Can the application open the existing /orders?'],
      ['$0 check --maxmsg 3600 --msgsize 16384 --live', 'Prediction and a real scratch mq_open side by side'],
      ['$0 check --maxmsg 10 --msgsize 8192 --count 9 --measure', "Measure the uid's real queue-memory budget (rootless containers, other namespaces)"],
      ['$0 check --sysv --msgsize 65536 --qbytes 1048576', 'System V: msgget, IPC_SET of msg_qbytes, msgsnd of 64 KiB'],
    ],
  },
  limits: {
    describe: 'Show every message-queue limit and how much of each is used',
    options: LIMITS_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 limits', 'Limits and usage for this environment'],
      ['$0 limits --pid 4242 --json', "A running process's view, as JSON"],
      ['$0 limits -o NAME,UID,IDLE,HOLDERS', 'Only the queue list: who holds each queue, and since when it is idle'],
      ['$0 limits -o +GID,NOTIFY,SIGNO --raw --noheadings', 'The default columns and three more, for scripts'],
    ],
  },
  tune: {
    describe: 'Render the settings that make a workload fit (sysctl.d, limits.d, systemd, docker, compose, kubernetes, quadlet); writes nothing',
    options: TUNE_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 tune --maxmsg 3600 --msgsize 16384 --service app.service --format systemd', 'A drop-in for the service that opens the queue'],
      ['$0 tune --profile profiles/high-throughput.json --format docker', 'docker run flags for a profile'],
    ],
  },
  apply: {
    describe: 'Write the profile\'s settings safely (atomic, raise-only, backed up) and set the sysctls now',
    options: APPLY_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 apply --profile /etc/mq-doctor/profile.json --dry-run', 'Show the diff first'],
      ['$0 apply --profile profile.json --root /mnt/image --no-live', 'Tune an image being built'],
    ],
  },
  verify: {
    describe: 'Compare the live system with a profile: one row per key, exit 1 on drift',
    options: VERIFY_OPTIONS as Record<string, OptionSpec>,
    examples: [['$0 verify --profile /etc/mq-doctor/profile.json', 'Did the tuning survive the reboot?']],
  },
  preflight: {
    describe: 'Container entrypoint: check the limits, raise what can be raised from inside, then exec the application (exit 78 if it cannot work)',
    options: PREFLIGHT_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 preflight --maxmsg 3600 --msgsize 16384 -- node server.js', 'Check, then become `node server.js`'],
      ['MQ_DOCTOR_MAXMSG=50 MQ_DOCTOR_MSGSIZE=8192 $0 preflight -- ./app', 'Configured by environment (fixed ENTRYPOINT)'],
    ],
  },
  watch: {
    describe: 'Daemon: probe every interval, log only changes, export usage to Prometheus, report or repair drift',
    options: WATCH_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 watch', 'Serve http://127.0.0.1:9469/metrics for this IPC namespace'],
      ['$0 watch --all-namespaces --profile /etc/mq-doctor/profile.json --enforce', 'Every container too; keep the profile applied'],
      ['$0 watch --listen 0.0.0.0:9469 --web-config /etc/mq-doctor/web-config.yml', 'HTTPS and basic auth, with the same file node_exporter reads'],
    ],
  },
  rollback: {
    describe: 'Restore what the last apply replaced',
    options: ROLLBACK_OPTIONS as Record<string, OptionSpec>,
    examples: [['$0 rollback', 'Undo the last apply']],
  },
  explain: {
    describe:
      "Explain an error message (TEXT: an errno name or number, a strerror text, or a library's or runtime's message): its errno, the checks that produce it for that call, and whether they fail here",
    options: EXPLAIN_OPTIONS as Record<string, OptionSpec>,
    /** The words after the flags are the message (parsed by fastParse into `_`). */
    positional: 'TEXT',
    examples: [
      ['$0 explain EMFILE', 'Which limits give EMFILE, and does one of them stand in the way here?'],
      ['$0 explain "OSError: This process already has the maximum number of files open" --maxmsg 100 --msgsize 8192', "posix_ipc's message, for the application's queue size"],
      ['$0 explain "Invalid argument - Failed sending message to queue" --msgsize 65536', "The sysvmq gem's msgsnd failure, for a 64 KiB message"],
      ['$0 explain "error setting rlimit type 12: operation not permitted"', 'runc could not set the container\'s RLIMIT_MSGQUEUE: who must act'],
    ],
  },
} as const;

export type CommandName = keyof typeof COMMANDS;
