// One description of every flag: the fast parser (util.parseArgs) and yargs'
// help/completion are both generated from it, so they cannot drift apart.
export type OptionKind = 'long' | 'count' | 'pid' | 'octal' | 'name' | 'boolean' | 'access';

export interface OptionSpec {
  kind: OptionKind;
  describe: string;
  default?: string | boolean;
  choices?: readonly string[];
}

export const COMMON_OPTIONS = {
  pid: { kind: 'pid', describe: 'Diagnose this running process (its rlimits, uid, IPC namespace and descriptors)' },
  json: { kind: 'boolean', describe: 'Print one JSON document (schema/*.schema.json) instead of text' },
} as const satisfies Record<string, OptionSpec>;

export const CHECK_OPTIONS = {
  maxmsg: { kind: 'long', describe: 'mq_attr.mq_maxmsg the application passes (omit both for attr NULL)' },
  msgsize: { kind: 'long', describe: 'mq_attr.mq_msgsize the application passes' },
  name: { kind: 'name', describe: 'Queue name, e.g. /orders (default: a name that does not exist yet)' },
  exclusive: { kind: 'boolean', describe: 'Add O_EXCL (fail if the queue exists)' },
  'no-create': { kind: 'boolean', describe: 'Drop O_CREAT (open an existing queue only)' },
  count: { kind: 'count', describe: 'The application opens this many such queues', default: '1' },
  access: { kind: 'access', describe: 'Access mode of the open', default: 'rdwr', choices: ['rdonly', 'wronly', 'rdwr'] },
  mode: { kind: 'octal', describe: 'Permission bits for a new queue', default: '0600' },
  live: { kind: 'boolean', describe: 'Also create scratch queues with this attr, send and receive one message, unlink them, and show the real result' },
  ...COMMON_OPTIONS,
} as const satisfies Record<string, OptionSpec>;

export const LIMITS_OPTIONS = { ...COMMON_OPTIONS } as const satisfies Record<string, OptionSpec>;

export const COMMANDS = {
  check: {
    describe: 'Predict mq_open for a queue size, explain every blocker and how to fix it',
    options: CHECK_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 check --maxmsg 3600 --msgsize 16384', 'Will a 3600 × 16384 queue open here?'],
      ['$0 check --maxmsg 50 --msgsize 8192 --count 12', 'An application that opens 12 such queues'],
      ['$0 check --pid 4242 --maxmsg 100 --msgsize 1024 --json', 'Check for a running process, as JSON'],
      ['$0 check --name /orders --no-create', 'Can the application open the existing /orders?'],
      ['$0 check --maxmsg 3600 --msgsize 16384 --live', 'Prediction and a real scratch mq_open side by side'],
    ],
  },
  limits: {
    describe: 'Show every message-queue limit and how much of each is used',
    options: LIMITS_OPTIONS as Record<string, OptionSpec>,
    examples: [
      ['$0 limits', 'Limits and usage for this environment'],
      ['$0 limits --pid 4242 --json', "A running process's view, as JSON"],
    ],
  },
} as const;

export type CommandName = keyof typeof COMMANDS;
