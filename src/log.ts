// pino costs ~30 ms to load, more than `check` may spend in total, so the logger
// is created on the first message that passes the level, and never otherwise.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
type Level = Exclude<keyof typeof LEVELS, 'silent'>;

function configuredLevel(): keyof typeof LEVELS {
  const env = process.env.MQ_DOCTOR_LOG_LEVEL;
  return env && Object.hasOwn(LEVELS, env) ? (env as keyof typeof LEVELS) : 'warn';
}

/** A one-line usage problem with MQ_DOCTOR_LOG_LEVEL, or null: a typo must not silently mean "warn". */
export function logLevelProblem(): string | null {
  const env = process.env.MQ_DOCTOR_LOG_LEVEL;
  // Own keys only: "constructor" or "toString" is no level.
  if (env === undefined || env === '' || Object.hasOwn(LEVELS, env)) return null;
  return `MQ_DOCTOR_LOG_LEVEL must be one of ${Object.keys(LEVELS).join(', ')}, got "${env}"`;
}

let logger: Logger | undefined;

function real(): Logger {
  if (!logger) {
    const pino = createRequire(import.meta.url)('pino') as typeof import('pino');
    // Synchronous writes to fd 2: logs must not be lost when the process exits right after.
    logger = pino.default({ name: 'mq-doctor', level: configuredLevel() }, pino.destination({ fd: 2, sync: true }));
  }
  return logger;
}

function at(level: Level) {
  return (obj: Record<string, unknown>, msg: string): void => {
    if (LEVELS[level] >= LEVELS[configuredLevel()]) real()[level](obj, msg);
  };
}

export const log = {
  debug: at('debug'),
  info: at('info'),
  warn: at('warn'),
  error: at('error'),
  /** Pending writes are synchronous; this exists so callers about to exec or exit say so. */
  flush(): void {
    logger?.flush();
  },
};
