// The daemon: probe every interval, log only what changed, serve metrics,
// report drift from a profile and, with --enforce, repair it.
import { notifyReady, takeNotifySocket } from '../watch/ready.js';
import { dropInsOf, systemdFollowUp } from './systemd-follow-up.js';
import { log } from '../log.js';
import { applyPlan } from '../tune/writer.js';
import { type Analysis, analyse, carryForward, queueStat, transitions, type WatchSnapshot } from '../watch/analyse.js';
import type { Exposition } from '../watch/exposition.js';
import { collect } from '../watch/collect.js';
import type { MqDirCache } from '../probe/native.js';
import { createMetrics } from '../watch/metrics.js';
import { type Exporter, SERVER_LIMITS, startExporter } from '../watch/server.js';
import { loadWebConfig, type WebConfig } from '../watch/web-config.js';
import { inspect, planFor, verifyRows } from './apply.js';
import type { WatchArgs } from './args.js';
import { EXIT, UsageError } from './exit-codes.js';

interface ProfileRef {
  path: string;
}

/** Per profile key, whether it is below the profile; the keys' rows are what verify prints. */
function driftOf(ref: ProfileRef): Record<string, boolean> {
  const { d, owner, live } = inspect(ref.path, undefined, '/');
  return Object.fromEntries(verifyRows(d.settings, '/', live, owner).map((r) => [r.key, r.status === 'drift']));
}

async function repair(ref: ProfileRef): Promise<void> {
  // Planned again under the lock: another apply may have changed the files since.
  const plan = () => planFor(ref.path, '/');
  const report = await applyPlan(plan(), { replan: plan });
  const changed = [...report.files.filter((f) => f.action === 'created' || f.action === 'replaced'), ...report.sysctls.filter((s) => s.action === 'set')];
  if (report.ok) log.warn({ transaction: report.transaction, changed }, 'drift repaired');
  else log.error({ files: report.files, sysctls: report.sysctls }, 'drift repair failed');
  // A repaired drop-in is in effect only once systemd loads it, as after apply. Only then:
  // the follow-up's systemctl calls hold up the event loop (and so the scrapes).
  const dropIns = dropInsOf(report.files, true);
  if (dropIns.changed.length === 0) return;
  const follow = systemdFollowUp('/', dropIns);
  log[follow.ok ? 'info' : 'error']({ systemd: follow.lines.slice(1).map((l) => l.trim()) }, 'systemd after the repair');
}

export async function runWatch(args: WatchArgs): Promise<number> {
  const notifySocket = takeNotifySocket();
  const profile: ProfileRef | null = args.profile ? { path: args.profile } : null;
  // A bad profile or web configuration is a usage error now, not a surprise at the first tick or scrape.
  if (profile) inspect(profile.path, undefined, '/');
  let web: WebConfig | null = args.webConfig ? loadWebConfig(args.webConfig) : null;
  const metrics = createMetrics(args.maxQueueSeries);
  let prev: Analysis | null = null;
  // What the endpoints serve, rendered once per probe; the snapshot itself is not kept.
  let exposed: Exposition = await metrics.render();
  let last: { status: () => string; at: number } | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;

  const queueCaches = new Map<number, MqDirCache>();
  const tick = async () => {
    try {
      const snap = await collect({ allNamespaces: args.allNamespaces, queueCaches });
      let drift: Record<string, boolean> | null = null;
      if (profile) {
        try {
          drift = driftOf(profile);
          if (args.enforce && Object.values(drift).some(Boolean)) await repair(profile);
        } catch (err) {
          snap.errors.push({ kind: 'sysctl', message: `profile ${profile.path}: ${(err as Error).message}` });
        }
      }
      const snapshot: WatchSnapshot = { ...snap, drift };
      const analysis = analyse(snapshot);
      for (const e of transitions(prev, analysis)) log[e.level](e.fields, e.msg);
      metrics.update(analysis, snap.durationMs / 1000);
      exposed = await metrics.render();
      prev = carryForward(prev, analysis);
      last = { status: statusOf(snapshot, analysis), at: Date.now() };
      // Each probe of a large namespace leaves tens of MB of dead objects that V8
      // would keep as heap until much later; the launcher exposes gc() for the
      // daemon so it can return them right away, while it is idle anyway.
      (globalThis as { gc?: () => void }).gc?.();
    } catch (err) {
      // Never fatal: the next tick tries again, and /healthz says how stale the data is.
      log.error({ error: (err as Error).message }, 'probe failed');
    } finally {
      if (!stopping) timer = setTimeout(() => void tick(), args.intervalMs);
    }
  };

  let server: Exporter;
  try {
    server = await startExporter({ host: args.host, port: args.port, web, onRefused: (reason, remote) => log.debug({ remote, reason }, 'connection refused') }, {
      metrics: () => exposed,
      healthy: () => {
        if (!last) return { ok: false, reason: 'no probe finished yet' };
        const age = Date.now() - last.at;
        return age <= 3 * args.intervalMs + 5000 ? { ok: true, reason: `ok: last probe ${Math.round(age)} ms ago` } : { ok: false, reason: `stale: last probe ${Math.round(age / 1000)} s ago` };
      },
      status: () => (last ? last.status() : `${JSON.stringify({ takenAt: null })}\n`),
    });
  } catch (err) {
    throw new UsageError(`--listen ${args.host}:${args.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  log.info(
    {
      listen: `${server.tls ? 'https' : 'http'}://${args.host.includes(':') ? `[${args.host}]` : args.host}:${args.port}`,
      ...webSummary(web),
      intervalMs: args.intervalMs,
      profile: profile?.path,
      enforce: args.enforce,
      allNamespaces: args.allNamespaces,
      limits: SERVER_LIMITS,
    },
    'watching',
  );
  await tick();

  /** A web configuration that does not load leaves the one in use in place: the exporter never drops its TLS or its users. */
  const reloadWeb = async (path: string) => {
    let next: WebConfig;
    try {
      next = loadWebConfig(path);
    } catch (err) {
      return log.error({ webConfig: path, error: (err as Error).message }, 'SIGHUP: web configuration not reloaded, keeping the previous one');
    }
    if (next.digest === web?.digest) return log.info({ webConfig: path }, 'SIGHUP: web configuration unchanged');
    try {
      const how = await server.reload(next);
      web = next;
      log.info({ webConfig: path, ...webSummary(web), how }, 'SIGHUP: web configuration reloaded');
    } catch (err) {
      log.error({ webConfig: path, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'SIGHUP: web configuration not applied, keeping the previous one');
    }
  };

  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      stopping = true;
      clearTimeout(timer);
      log.info({ signal }, 'stopping');
      void server.close().then(() => resolve(EXIT.ok));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      if (args.webConfig) void reloadWeb(args.webConfig);
      if (!profile) return log.info({}, 'SIGHUP: no profile to reload');
      try {
        inspect(profile.path, undefined, '/');
        log.info({ profile: profile.path }, 'SIGHUP: profile reloaded');
        clearTimeout(timer);
        void tick();
      } catch (err) {
        log.error({ profile: profile.path, error: (err as Error).message }, 'SIGHUP: profile not reloaded, keeping the previous one');
      }
    });
  });
  // Only now that SIGHUP and SIGTERM have handlers: after READY=1 systemd sends a
  // queued reload's SIGHUP at once, and Node dies of a signal it does not handle.
  notifyReady(notifySocket, `serving on ${args.host}:${args.port}`);
  return stopped;
}

/** /status of one probe, rendered on its first request and then kept until the next probe. */
function statusOf({ takenAt, durationMs, errors, namespaces }: WatchSnapshot, analysis: Analysis): () => string {
  let text: string | undefined;
  // Queues whose attributes this probe took from the last one after a stat (unchanged since: MqDirCache).
  const unchanged = new Map(namespaces.map((n) => [n.inode, n.queues.ok ? n.queues.value.cached : 0]));
  return () =>
    (text ??= `${JSON.stringify(
      {
        takenAt,
        probeMs: durationMs,
        errors,
        ...analysis,
        namespaces: analysis.namespaces.map((n) => ({
          ...n,
          queuesUnchanged: unchanged.get(n.inode) ?? 0,
          queues: Array.from({ length: n.queues.count }, (_, i) => queueStat(n.queues, i)),
        })),
      },
      null,
      2,
    )}\n`);
}

/** What the log says about a web configuration: never a hash, a key or a password. */
function webSummary(web: WebConfig | null) {
  return {
    tls: web?.tls ? { clientAuth: web.tls.clientAuth, minVersion: web.tls.minVersion, allowedSans: web.tls.allowedSans ?? undefined } : false,
    basicAuthUsers: web ? [...web.users.keys()] : [],
    rateLimit: web?.rateLimit ?? undefined,
  };
}
