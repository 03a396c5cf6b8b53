// What the machine adds to every Node start-up, taken out of the timed runs:
// NODE_EXTRA_CA_CERTS makes Node 20 parse that file before any JavaScript
// runs (Debian's 220 KB bundle took `node -e 0` from 40 to 126 ms on a 2-core
// VM, as it is set on this workplace's machines). Left in, it would be in the
// baseline and in every command run through `node`, and a ratio would say how
// slow the machine's Node is, not what mq-doctor costs. bench/check.mjs times
// it separately: the launcher starts every command but the daemon without it.

/** Removes the variable from this process's environment (every child inherits that); returns its value. */
export function dropStartupCost() {
  const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
  return { extraCaCerts };
}
