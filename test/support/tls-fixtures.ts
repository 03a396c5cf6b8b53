// Certificates and password hashes made by the real tools (openssl, htpasswd),
// not by the code under test: a CA, a server certificate for the loopback
// addresses the daemon tests use, client certificates from that CA and from a
// stranger's CA.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasOpenssl = !spawnSync('openssl', ['version']).error;
export const hasHtpasswd = !spawnSync('htpasswd', ['-h']).error;

export interface TlsFixtures {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate from the same CA, SAN DNS:prometheus.monitoring. */
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA. */
  strangerCert: string;
  strangerKey: string;
  /** A key that is not the server certificate's. */
  otherKey: string;
}

function openssl(dir: string, ...args: string[]) {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function issue(dir: string, name: string, ca: string, subject: string, san: string) {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

export function makeTlsFixtures(): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-tls-'));
  for (const ca of ['ca', 'stranger-ca']) {
    openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`);
  }
  issue(dir, 'server', 'ca', '/CN=mq-doctor', 'IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:127.0.0.4,DNS:localhost');
  issue(dir, 'client', 'ca', '/CN=prometheus', 'DNS:prometheus.monitoring');
  issue(dir, 'stranger', 'stranger-ca', '/CN=stranger', 'DNS:prometheus.monitoring');
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
  const at = (f: string) => join(dir, f);
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
    otherKey: at('other.key'),
  };
}

/** A bcrypt hash as node_exporter's documentation makes one: htpasswd -nBC 10 "" | tr -d ':\n' ($2y$). */
export function htpasswdHash(password: string, cost = 10): string {
  const r = spawnSync('htpasswd', ['-niBC', String(cost), ''], { input: `${password}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd: ${r.stderr}`);
  return r.stdout.replace(/[:\n]/g, '');
}
