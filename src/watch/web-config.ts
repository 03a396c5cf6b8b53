// `watch --web-config FILE`: the Prometheus exporter-toolkit web configuration
// (node_exporter's --web.config.file), read with exporter-toolkit's rules so one
// file serves both exporters: unknown keys refused, YAML 1.1 as Go's yaml.v2
// reads it, relative paths relative to the file, a client CA only with a
// client-auth policy, bcrypt hashes only, the same header allow-list.
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, join } from 'node:path';
import { createSecureContext, type SecureVersion } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import validateWebConfig from '../generated/validate-web-config.cjs';
import { readInputFile, readInputText } from '../cli/input-file.js';
import { UsageError } from '../cli/exit-codes.js';

export type ClientAuth = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';

export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | null;
  clientAuth: ClientAuth;
  /** A client certificate must carry one of these SANs (DNS, IP, e-mail or URI), or the connection ends. */
  allowedSans: string[] | null;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  ciphers: string | undefined;
  ecdhCurve: string | undefined;
  honorCipherOrder: boolean;
}

export interface WebConfig {
  path: string;
  tls: TlsSettings | null;
  /** user → bcrypt hash; empty: no authentication. */
  users: Map<string, string>;
  headers: Record<string, string>;
  rateLimit: { intervalMs: number; burst: number } | null;
  /** A digest of everything above, so a reload can tell whether anything changed. */
  digest: string;
}

interface RawTls {
  cert?: string;
  key?: string;
  client_ca?: string;
  cert_file?: string;
  key_file?: string;
  client_ca_file?: string;
  client_auth_type?: string;
  client_allowed_sans?: string[];
  min_version?: string;
  max_version?: string;
  cipher_suites?: string[];
  prefer_server_cipher_suites?: boolean;
  curve_preferences?: string[];
}
interface RawConfig {
  tls_server_config?: RawTls;
  http_server_config?: { http2?: boolean; headers?: Record<string, string> };
  basic_auth_users?: Record<string, string>;
  rate_limit?: { interval?: string | number; burst?: number };
}

/** A web configuration, a certificate or a key is small; a larger file is a mistake. */
const MAX_BYTES = 1 << 20;

const VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const VERSION_ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Go's crypto/tls CipherSuites() by their IANA names (what the file holds), as OpenSSL names them. */
const GO_CIPHERS: Record<string, string | null> = {
  // TLS 1.3 suites are not configurable in Go either: accepted, and the defaults stay.
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** What Go's bcrypt.Cost accepts: $2a$, $2b$ or $2y$, a cost from 4 to 31, 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

/** Go's time.ParseDuration: "300ms", "1.5h", "2h45m"; a bare integer is nanoseconds (yaml.v2 into time.Duration). */
export function parseGoDuration(v: string | number): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v / 1e6 : null;
  if (v === '0') return 0;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let at = v.startsWith('+') ? 1 : 0;
  if (at === v.length) return null;
  while (at < v.length) {
    re.lastIndex = at;
    const m = re.exec(v);
    if (!m) return null;
    ms += Number(m[1]) * units[m[2]!]!;
    at = re.lastIndex;
  }
  return ms;
}

/** Go's yaml.v2 decodes a key without a value as the zero value: drop nulls so "tls_server_config:" alone means none. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === null ? [] : [[k, dropNulls(x)]])));
  return v;
}

/**
 * Reads and checks the file and everything it names; any problem is a
 * UsageError of one line that names the key (never a secret's value).
 */
export function loadWebConfig(path: string): WebConfig {
  const fail = (why: string): never => {
    throw new UsageError(`--web-config ${path}: ${why}`);
  };
  const text = readInputText(path, 'the web configuration', MAX_BYTES);
  let data: unknown;
  try {
    // YAML 1.1, as Go's yaml.v2: "yes" is true, and duplicate keys are an error there too.
    data = dropNulls(parseYaml(text, { version: '1.1', uniqueKeys: true, prettyErrors: false }) ?? {});
  } catch (err) {
    return fail(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!validateWebConfig(data)) {
    const e = validateWebConfig.errors![0]!;
    const where = e.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'the top level';
    const extra =
      e.keyword === 'additionalProperties'
        ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : e.keyword === 'enum'
          ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
          : '';
    return fail(`${where}: ${e.message ?? 'invalid'}${extra}`);
  }
  const raw = data as RawConfig;
  const resolve = (p: string) => (isAbsolute(p) ? p : join(dirname(path), p));
  const users = new Map(Object.entries(raw.basic_auth_users ?? {}));
  for (const [user, hash] of users) if (!BCRYPT.test(hash)) fail(`basic_auth_users[${JSON.stringify(user)}]: not a bcrypt hash (make one with: htpasswd -nBC 10 "" | tr -d ':\\n')`);
  let rateLimit: WebConfig['rateLimit'] = null;
  if (raw.rate_limit?.interval !== undefined) {
    const ms = parseGoDuration(raw.rate_limit.interval);
    if (ms === null) fail(`rate_limit.interval: not a duration such as 100ms or 1s, got "${String(raw.rate_limit.interval)}"`);
    if (ms! > 0) rateLimit = { intervalMs: ms!, burst: raw.rate_limit.burst ?? 0 };
  }
  const tls = raw.tls_server_config ? tlsSettings(raw.tls_server_config, resolve, fail) : null;
  const headers = raw.http_server_config?.headers ?? {};
  const digest = createHash('sha256')
    .update(JSON.stringify({ raw, tls: tls && { cert: tls.cert.toString('base64'), key: tls.key.toString('base64'), ca: tls.ca?.toString('base64') } }))
    .digest('hex');
  return { path, tls, users, headers, rateLimit, digest };
}

function tlsSettings(t: RawTls, resolve: (p: string) => string, fail: (why: string) => never): TlsSettings | null {
  // exporter-toolkit's IsEnabled: any of these turns TLS on, and then cert and key are required.
  const enabled = [t.cert, t.key, t.client_ca, t.cert_file, t.key_file, t.client_ca_file, t.client_auth_type].some((v) => v !== undefined && v !== '');
  if (!enabled) return null;
  const file = (key: string, p: string) => {
    try {
      return readInputFile(resolve(p), `tls_server_config.${key}`, MAX_BYTES);
    } catch (err) {
      return fail((err as Error).message);
    }
  };
  const pem = (fileKey: 'cert_file' | 'key_file' | 'client_ca_file', inlineKey: 'cert' | 'key' | 'client_ca') => {
    const p = t[fileKey];
    if (p) return file(fileKey, p);
    const inline = t[inlineKey];
    return inline ? Buffer.from(inline) : null;
  };
  const cert = pem('cert_file', 'cert') ?? fail('tls_server_config: missing one of cert or cert_file');
  const key = pem('key_file', 'key') ?? fail('tls_server_config: missing one of key or key_file');
  const ca = pem('client_ca_file', 'client_ca');
  const clientAuth = (t.client_auth_type === 'RequireClientCert' ? 'RequireAnyClientCert' : t.client_auth_type || 'NoClientCert') as ClientAuth;
  if (ca && clientAuth === 'NoClientCert') fail("tls_server_config: a client CA is configured without a client_auth_type (use RequireAndVerifyClientCert)");
  const minVersion = VERSIONS[t.min_version ?? 'TLS12']!;
  const maxVersion = VERSIONS[t.max_version ?? 'TLS13']!;
  if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) fail(`tls_server_config: min_version ${t.min_version} is above max_version ${t.max_version ?? 'TLS13'}`);
  let ciphers: string | undefined;
  if (t.cipher_suites?.length) {
    const names = t.cipher_suites.map((c) => {
      if (!(c in GO_CIPHERS)) fail(`tls_server_config.cipher_suites: unknown cipher "${c}" (Go's names, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`);
      return GO_CIPHERS[c];
    });
    ciphers = [TLS13_SUITES, ...names.filter((n): n is string => n !== null)].join(':');
  }
  const settings: TlsSettings = {
    cert,
    key,
    ca,
    clientAuth,
    allowedSans: t.client_allowed_sans ?? null,
    minVersion,
    maxVersion,
    ciphers,
    ecdhCurve: t.curve_preferences?.length ? t.curve_preferences.map((c) => CURVES[c]).join(':') : undefined,
    honorCipherOrder: t.prefer_server_cipher_suites ?? true,
  };
  try {
    // What a handshake would find out: a key that is not the certificate's, a PEM that is not one.
    createSecureContext(secureContextOptions(settings));
  } catch (err) {
    fail(`tls_server_config: the certificate, key or client CA cannot be used (${(err as Error).message})`);
  }
  return settings;
}

export function secureContextOptions(t: TlsSettings) {
  return {
    cert: t.cert,
    key: t.key,
    ...(t.ca ? { ca: t.ca } : {}),
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    ...(t.ciphers ? { ciphers: t.ciphers } : {}),
    ...(t.ecdhCurve ? { ecdhCurve: t.ecdhCurve } : {}),
    honorCipherOrder: t.honorCipherOrder,
  };
}
