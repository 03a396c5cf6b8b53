// The Prometheus view of an Analysis. Gauges are reset before each update so a
// queue that was unlinked disappears instead of keeping its last value.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type Analysis, PROBE_ERROR_KINDS, type ProbeErrorKind } from './analyse.js';
import { type Exposition, exposition } from './exposition.js';
import { sysvKeyHex } from '../model/units.js';

export interface Metrics {
  registry: Registry;
  update(a: Analysis, probeSeconds: number): void;
  /**
   * Renders the registry once, for every scrape until the next probe. The
   * process_* and nodejs_* metrics are therefore as of the last probe, like the rest.
   */
  render(): Promise<Exposition>;
}

export function createMetrics(maxQueueSeries: number): Metrics {
  const registry = new Registry();
  // prom-client's nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds come
  // from perf_hooks' delay histogram, which records the whole interval between two of
  // its timer ticks: at any resolution they read the resolution itself plus the lag
  // (1.000 s idle at 1000 ms, 10 ms at the default, which also wakes the daemon 100
  // times a second). So the monitor gets a tick it never reaches, those gauges go,
  // and nodejs_eventloop_lag_seconds stays: it measures the delay of a setImmediate
  // at each scrape, which is the lag a scrape sees.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 2 ** 31 - 1 });
  for (const stat of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) registry.removeSingleMetric(`nodejs_eventloop_lag_${stat}_seconds`);
  // prom-client names these gauges *_total, which Prometheus reserves for counters
  // (promtool check metrics rejects them); the process_* metrics stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const ns = ['namespace', 'host'];
  const queues = g('mqdoctor_posix_queues', 'POSIX message queues in use in the IPC namespace', ns);
  const queuesMax = g('mqdoctor_posix_queues_max', 'fs.mqueue.queues_max of the IPC namespace', ns);
  const sysctl = g('mqdoctor_sysctl', 'fs.mqueue.* and kernel.msg* limits of the IPC namespace', [...ns, 'name']);
  const charged = g('mqdoctor_uid_charged_bytes', 'Bytes charged to RLIMIT_MSGQUEUE per uid, summed over the IPC namespaces seen', ['uid']);
  const uidLimit = g('mqdoctor_uid_rlimit_msgqueue_bytes', "The smallest soft RLIMIT_MSGQUEUE among the uid's processes seen", ['uid']);
  const qMessages = g('mqdoctor_queue_messages', 'Messages in the queue (mq_curmsgs)', ['namespace', 'queue']);
  const qMax = g('mqdoctor_queue_max_messages', 'Capacity of the queue in messages (mq_maxmsg)', ['namespace', 'queue']);
  const qBytes = g('mqdoctor_queue_bytes', 'Bytes of messages queued (QSIZE)', ['namespace', 'queue']);
  const aggregated = g('mqdoctor_queues_aggregated', 'Queues beyond --max-queue-series, not exported one by one', ['namespace']);
  const sysvBytes = g('mqdoctor_sysv_queue_bytes', 'Bytes in a System V message queue (cbytes)', ['namespace', 'key', 'msqid']);
  const sysvQbytes = g('mqdoctor_sysv_queue_max_bytes', 'msg_qbytes of a System V message queue: its capacity in bytes, and in messages', ['namespace', 'key', 'msqid']);
  const sysvMessages = g('mqdoctor_sysv_queue_messages', 'Messages in a System V message queue (qnum)', ['namespace', 'key', 'msqid']);
  const drift = g('mqdoctor_drift', 'Whether the live value of a profile key is below the profile (1) or not (0)', ['key']);
  const duration = g('mqdoctor_probe_duration_seconds', 'How long the last probe took');
  const probes = new Counter({ name: 'mqdoctor_probes_total', help: 'Probes completed since the daemon started', registers: [registry] });
  const errors = new Counter({ name: 'mqdoctor_probe_errors_total', help: 'Probe failures by kind (never fatal)', labelNames: ['kind'], registers: [registry] });
  // Every kind exported from the start: increase() over a series that appears with its first error misses that error.
  for (const kind of PROBE_ERROR_KINDS) errors.inc({ kind }, 0);
  const perQueue = [qMessages, qMax, qBytes];

  return {
    registry,
    update(a, probeSeconds) {
      for (const m of [queues, queuesMax, sysctl, charged, uidLimit, aggregated, sysvBytes, sysvQbytes, sysvMessages, drift, ...perQueue]) m.reset();
      let series = 0;
      for (const n of a.namespaces) {
        const labels = { namespace: String(n.inode), host: String(n.initial) };
        if (n.queuesInUse !== null) queues.set(labels, n.queuesInUse);
        if (n.queuesMax !== null) queuesMax.set(labels, n.queuesMax);
        for (const [name, v] of Object.entries(n.sysctls)) sysctl.set({ ...labels, name }, v);
        // The first queues by name, one series each: the same ones from probe to probe.
        const q = n.queues;
        const shown = Math.min(q.count, Math.max(0, maxQueueSeries - series));
        series += shown;
        for (let i = 0; i < shown; i++) {
          const l = { namespace: String(n.inode), queue: `/${q.names[i]}` };
          if (!Number.isNaN(q.curmsgs[i])) qMessages.set(l, q.curmsgs[i]!);
          if (!Number.isNaN(q.maxmsg[i])) qMax.set(l, q.maxmsg[i]!);
          if (!Number.isNaN(q.qsize[i])) qBytes.set(l, q.qsize[i]!);
        }
        aggregated.set({ namespace: String(n.inode) }, q.count - shown);
        for (const q of n.sysv) {
          const l = { namespace: String(n.inode), key: sysvKeyHex(q.key), msqid: String(q.msqid) };
          sysvBytes.set(l, q.bytes);
          sysvMessages.set(l, q.messages);
          if (q.qbytes !== null) sysvQbytes.set(l, q.qbytes);
        }
      }
      for (const u of a.uids) {
        charged.set({ uid: String(u.uid) }, u.chargedBytes);
        if (u.limit !== null) uidLimit.set({ uid: String(u.uid) }, u.limit);
      }
      for (const [key, d] of Object.entries(a.drift ?? {})) drift.set({ key }, d ? 1 : 0);
      for (const [kind, n] of Object.entries(a.errorsByKind) as Array<[ProbeErrorKind, number]>) errors.inc({ kind }, n);
      duration.set(probeSeconds);
      probes.inc();
    },
    async render() {
      return exposition(registry.contentType, await registry.metrics(), new Date());
    },
  };
}
