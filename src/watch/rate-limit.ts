// exporter-toolkit's rate_limit: a token bucket (golang.org/x/time/rate) that
// refills one request per interval up to burst; an empty bucket answers 429.
export interface RateLimiter {
  allow(now?: number): boolean;
}

export function tokenBucket(intervalMs: number, burst: number, start = Date.now()): RateLimiter {
  let tokens = burst;
  let last = start;
  return {
    allow(now = Date.now()) {
      tokens = Math.min(burst, tokens + (now - last) / intervalMs);
      last = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
