// HTTP basic authentication against bcrypt hashes, as exporter-toolkit does it:
// an unknown user costs the same bcrypt comparison as a known one (no user
// enumeration by timing), and verdicts are cached so a scrape every few seconds
// does not pay ~100 ms of bcrypt each time. The cache holds digests, not passwords.
import { createHash } from 'node:crypto';

/** exporter-toolkit's own stand-in: bcrypt of "fakepassword" at cost 10. */
const DUMMY_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
const CACHE_SIZE = 100;

export interface BasicAuth {
  /** Whether the Authorization header names a user of the table with the right password. */
  check(authorization: string | undefined): Promise<boolean>;
}

type Compare = (password: string, hash: string) => Promise<boolean>;

/** bcryptjs is loaded on the first request that needs it: only the daemon with users pays for it. */
const bcryptCompare: Compare = async (password, hash) => {
  const { compare } = await import('bcryptjs');
  return compare(password, hash);
};

export function basicAuth(users: Map<string, string>, compare: Compare = bcryptCompare): BasicAuth {
  const cache = new Map<string, boolean>();
  // One comparison at a time: bcrypt is CPU-bound, and a burst of bad
  // passwords must not starve the probe loop.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    async check(authorization) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
      if (!m) return false;
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      const known = users.get(user);
      const hash = known ?? DUMMY_HASH;
      const key = createHash('sha256').update(JSON.stringify([user, hash, password])).digest('hex');
      let ok = cache.get(key);
      if (ok === undefined) {
        const run = queue.then(() => compare(password, hash).catch(() => false));
        queue = run;
        ok = (await run) && known !== undefined;
        if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(key, ok);
      }
      return ok && known !== undefined;
    },
  };
}
