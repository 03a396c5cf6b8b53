// --web-config against the reference: `promtool check web-config` is
// exporter-toolkit itself (the code node_exporter and Prometheus load the file
// with), so every file of the table must be accepted or refused by both alike.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isUsageError } from '../../src/cli/exit-codes.js';
import { loadWebConfig, parseGoDuration } from '../../src/watch/web-config.js';
import { hasHtpasswd, hasOpenssl, htpasswdHash, makeTlsFixtures, type TlsFixtures } from '../support/tls-fixtures.js';

const hasPromtool = !spawnSync('promtool', ['--version']).error;
const skip = !hasOpenssl ? 'openssl is not installed (apt package openssl)' : !hasHtpasswd ? 'htpasswd is not installed (apt package apache2-utils)' : null;
if (skip) console.warn(`skipping web configuration tests: ${skip}`);
if (!skip && !hasPromtool) console.warn('skipping the comparison with promtool check web-config: promtool is not installed (apt package prometheus)');

let f: TlsFixtures;
let hash = '';
let dir = '';

/** The file's text with the fixture paths filled in. */
const expand = (text: string) =>
  text
    .replaceAll('$CERT', f.serverCert)
    .replaceAll('$KEY', f.serverKey)
    .replaceAll('$CA', f.ca)
    .replaceAll('$OTHERKEY', f.otherKey)
    .replaceAll('$HASH', hash);

function write(name: string, text: string): string {
  const p = join(dir, `${name.replace(/\W+/g, '-')}.yml`);
  writeFileSync(p, expand(text));
  return p;
}

function ours(path: string): { ok: true } | { ok: false; message: string } {
  try {
    loadWebConfig(path);
    return { ok: true };
  } catch (err) {
    if (!isUsageError(err)) throw err;
    return { ok: false, message: err.message };
  }
}

const TLS = 'tls_server_config:\n  cert_file: $CERT\n  key_file: $KEY\n';

/** [name, file, accepted, our message when refused] — exporter-toolkit must agree on `accepted`. */
const SHARED: Array<[string, string, boolean, RegExp?]> = [
  ['empty file: plain HTTP', '', true],
  ['a key without a value counts as absent', 'tls_server_config:\nbasic_auth_users:\n', true],
  ['TLS', TLS, true],
  ['TLS and a user', `${TLS}basic_auth_users:\n  prometheus: '$HASH'\n`, true],
  ['client certificates verified', `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: $CA\n`, true],
  ['legacy RequireClientCert', `${TLS}  client_auth_type: RequireClientCert\n`, true],
  ['versions, suites and curves', `${TLS}  min_version: TLS12\n  max_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n  curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\n`, true],
  ['YAML 1.1 booleans, as Go reads them', `${TLS}  prefer_server_cipher_suites: yes\nhttp_server_config:\n  http2: off\n`, true],
  ['allowed headers', `${TLS}http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n    Strict-Transport-Security: max-age=31536000\n`, true],
  ['a client CA without a policy', `${TLS}  client_ca_file: $CA\n`, false, /client CA is configured without a client_auth_type/],
  ['a hash that is not bcrypt', "basic_auth_users:\n  prometheus: 'plaintext'\n", false, /basic_auth_users\["prometheus"\]: not a bcrypt hash/],
  ['an unknown top-level key', 'tls_config:\n  cert_file: x\n', false, /the top level: must NOT have additional properties "tls_config"/],
  ['an unknown TLS key', `${TLS}  certfile: x\n`, false, /tls_server_config: must NOT have additional properties "certfile"/],
  ['a cert without a key', 'tls_server_config:\n  cert_file: $CERT\n', false, /missing one of key or key_file/],
  ['only a policy turns TLS on, and then needs a certificate', 'tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n', false, /missing one of cert or cert_file/],
  ['an unknown client_auth_type', `${TLS}  client_auth_type: Sometimes\n`, false, /client_auth_type: must be equal to one of the allowed values/],
  ['an unknown TLS version', `${TLS}  min_version: TLS14\n`, false, /min_version: must be equal to one of the allowed values \(TLS10, TLS11, TLS12, TLS13\)/],
  ['an unknown cipher', `${TLS}  cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256]\n`, false, /unknown cipher "ECDHE-RSA-AES128-GCM-SHA256"/],
  ['an unknown curve', `${TLS}  curve_preferences: [P-256]\n`, false, /curve_preferences\.0: must be equal to one of the allowed values/],
  ['a header that cannot be set', 'http_server_config:\n  headers:\n    X-Powered-By: mq\n', false, /must NOT have additional properties "X-Powered-By"/],
  ['a header value outside its set', 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n', false, /X-Frame-Options: must be equal to one of the allowed values \(deny, sameorigin\)/],
  ['a missing certificate file', 'tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: $KEY\n', false, /tls_server_config\.cert_file \/nonexistent\/cert\.pem: ENOENT/],
  ['a key that is not the certificate\'s', 'tls_server_config:\n  cert_file: $CERT\n  key_file: $OTHERKEY\n', false, /the certificate, key or client CA cannot be used/],
  ['a duplicate key', `${TLS}  cert_file: $CERT\n`, false, /not valid YAML: .*unique/i],
  ['not YAML', 'tls_server_config: [unclosed\n', false, /not valid YAML/],
  ['a list where a map belongs', '- a\n- b\n', false, /the top level: must be object/],
];

/** Newer exporter-toolkit keys than Debian's promtool knows: ours only. */
const NEWER: Array<[string, string, boolean, RegExp?]> = [
  ['inline certificate and key', '', true],
  ['allowed SANs', `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: $CA\n  client_allowed_sans: [prometheus.monitoring]\n`, true],
  ['a rate limit', 'rate_limit:\n  interval: 1s\n  burst: 5\n', true],
  ['a rate limit of 0 is none', 'rate_limit:\n  interval: 0\n', true],
  ['a rate limit that is not a duration', 'rate_limit:\n  interval: often\n', false, /rate_limit\.interval: not a duration/],
  // exporter-toolkit accepts this and then fails every handshake; refusing it is kinder.
  ['min_version above max_version', `${TLS}  min_version: TLS13\n  max_version: TLS12\n`, false, /min_version TLS13 is above max_version TLS12/],
];

describe.skipIf(skip !== null)('--web-config', () => {
  beforeAll(() => {
    f = makeTlsFixtures();
    hash = htpasswdHash('correct horse');
    dir = mkdtempSync(join(tmpdir(), 'mqd-webcfg-'));
    NEWER[0]![1] = `tls_server_config:\n  cert: |\n${indent(readFileSync(f.serverCert, 'utf8'))}  key: |\n${indent(readFileSync(f.serverKey, 'utf8'))}`;
    return () => [dir, f.dir].forEach((d) => rmSync(d, { recursive: true, force: true }));
  });
  const indent = (pem: string) => pem.split('\n').filter(Boolean).map((l) => `    ${l}\n`).join('');

  it.each(SHARED)('%s', (name, text, accepted, message) => {
    const path = write(name, text);
    const r = ours(path);
    expect(r.ok, JSON.stringify(r)).toBe(accepted);
    if (!r.ok) {
      expect(r.message).toMatch(message!);
      expect(r.message.split('\n')).toHaveLength(1);
      expect(r.message.startsWith(`--web-config ${path}: `) || r.message.startsWith('cannot read')).toBe(true);
    }
    if (hasPromtool) {
      const ref = spawnSync('promtool', ['check', 'web-config', path], { encoding: 'utf8' });
      expect(ref.status === 0, `promtool: ${ref.stdout}${ref.stderr}`).toBe(accepted);
    }
  });

  it.each(NEWER)('%s (newer exporter-toolkit)', (name, text, accepted, message) => {
    const r = ours(write(name, text));
    expect(r.ok, JSON.stringify(r)).toBe(accepted);
    if (!r.ok) expect(r.message).toMatch(message!);
  });

  it('resolves relative paths against the file, not the working directory', () => {
    const sub = join(dir, 'etc');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'c.pem'), readFileSync(f.serverCert));
    writeFileSync(join(sub, 'k.pem'), readFileSync(f.serverKey));
    const path = join(sub, 'web.yml');
    writeFileSync(path, 'tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n');
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      expect(loadWebConfig(path).tls?.cert.toString()).toBe(readFileSync(f.serverCert, 'utf8'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('maps Go names to what OpenSSL takes, and never puts a secret into an error', () => {
    const c = loadWebConfig(write('mapped', `${TLS}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n  curve_preferences: [CurveP384, X25519]\n  client_auth_type: VerifyClientCertIfGiven\n`));
    expect(c.tls).toMatchObject({ ciphers: expect.stringMatching(/^TLS_AES_256_GCM_SHA384:.*:ECDHE-RSA-AES256-GCM-SHA384$/), ecdhCurve: 'P-384:X25519', clientAuth: 'VerifyClientCertIfGiven', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    const secret = "basic_auth_users:\n  u: 'hunter2-is-not-a-hash'\n";
    const r = ours(write('secret', secret));
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it('refuses a FIFO or a directory as the file, at once', () => {
    const fifo = join(dir, 'fifo.yml');
    spawnSync('mkfifo', [fifo]);
    const t = Date.now();
    expect(ours(fifo)).toEqual({ ok: false, message: `cannot read the web configuration ${fifo}: it is not a regular file` });
    expect(ours(dir)).toEqual({ ok: false, message: `cannot read the web configuration ${dir}: it is a directory` });
    expect(Date.now() - t).toBeLessThan(1000);
  });
});

describe('Go durations (rate_limit.interval)', () => {
  it.each([
    ['1s', 1000],
    ['100ms', 100],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['250us', 0.25],
    ['0', 0],
    [2_000_000_000, 2000],
  ] as const)('%s is %d ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));
  it.each(['', 's', '1', '1d', '-1s', '1 s', 'often'])('"%s" is not one', (text) => expect(parseGoDuration(text)).toBeNull());
});
