// The shipped Kubernetes manifests against Kubernetes' own OpenAPI schemas
// (kubernetes-models is generated from them), and against each other: the
// NetworkPolicy must select the DaemonSet's pods and admit only the port they
// serve on, and only from the Prometheus namespace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Namespace, Service } from 'kubernetes-models/v1';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ROOT } from '../support/run-cli.js';

const FILE = join(ROOT, 'deploy/kubernetes/mq-doctor-daemonset.yaml');
const docs = parseAllDocuments(readFileSync(FILE, 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
const byKind = Object.fromEntries(docs.map((d) => [d.kind, d])) as Record<string, any>;
const MODELS: Record<string, new (data: any) => { validate(): void }> = { Namespace, DaemonSet, Service, NetworkPolicy };

describe('deploy/kubernetes', () => {
  it.each(docs.map((d) => [d.kind, d] as const))('%s is valid against the Kubernetes schema', (kind, doc) => {
    const Model = MODELS[kind];
    expect(Model, `no schema model for ${kind}`).toBeDefined();
    expect(() => new Model!(doc).validate()).not.toThrow();
  });

  it('the schema check can fail: a NetworkPolicy with a port that is not a port is refused', () => {
    const bad = structuredClone(byKind.NetworkPolicy);
    bad.spec.ingress[0].ports[0].protocol = 7;
    expect(() => new NetworkPolicy(bad).validate()).toThrow(/protocol/);
  });

  it('the NetworkPolicy admits only Prometheus, only on the port the daemon serves, and no egress', () => {
    const ds = byKind.DaemonSet;
    const np = byKind.NetworkPolicy;
    const container = ds.spec.template.spec.containers[0];
    const port = container.ports.find((p: { name: string }) => p.name === 'metrics').containerPort;
    expect(container.args.join(' ')).toContain(`--listen 0.0.0.0:${port}`);
    expect(np.metadata.namespace).toBe(ds.metadata.namespace);
    for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) expect(ds.spec.template.metadata.labels[k]).toBe(v);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.egress).toEqual([]);
    expect(np.spec.ingress).toHaveLength(1);
    expect(np.spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    expect(np.spec.ingress[0].ports).toEqual([{ port, protocol: 'TCP' }]);
  });
});
