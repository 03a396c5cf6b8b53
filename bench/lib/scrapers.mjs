// Load for bench/watch.mjs, in a process of its own so its CPU is not the
// daemon's or the benchmark's: CONCURRENCY loops, each on its own keep-alive
// connection as a Prometheus scraper holds one, GET the URL back to back for
// SECONDS and report the latencies.
//   node bench/lib/scrapers.mjs URL CONCURRENCY SECONDS [ENCODING]  → one JSON line on stdout
// ENCODING is the Accept-Encoding sent: gzip by default, as Prometheus sends it.
import { Agent, get } from 'node:http';

const [url, concurrency, seconds, encoding = 'gzip'] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = [];
let errors = 0;
let bytes = 0;
const until = performance.now() + seconds * 1000;

const once = () =>
  new Promise((resolve) => {
    const t0 = performance.now();
    const req = get(url, { agent, headers: { 'accept-encoding': encoding } }, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => {
        if (res.statusCode === 200) {
          latencies.push(performance.now() - t0);
          bytes = n;
        } else errors++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
  });

async function loop() {
  while (performance.now() < until) await once();
}
await Promise.all(Array.from({ length: concurrency }, loop));
agent.destroy();
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
process.stdout.write(`${JSON.stringify({ scrapes: latencies.length, errors, bytes, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? NaN })}\n`);
