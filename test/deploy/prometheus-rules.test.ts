// Real promtool on the shipped alerting rules, their unit tests and the example
// scrape config. promtool exits 0 with warnings, so the output must be clean too.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/run-cli.js';
import { scratchDir } from '../support/scratch.js';

const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const skip = probe.error
  ? `promtool is not installed (${probe.error.message}); CI gets it from the apt package "prometheus"`
  : null;
if (skip) console.warn(`skipping Prometheus rule tests: ${skip}`);

const DIR = join(ROOT, 'deploy', 'prometheus');
const RULES = 'deploy/prometheus/mq-doctor.rules.yml';
const TESTS = 'deploy/prometheus/mq-doctor.rules.test.yml';
const CONFIG = 'deploy/prometheus/prometheus.example.yml';

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr), out: `${r.stdout}${r.stderr}` };
}

const rulesText = readFileSync(join(ROOT, RULES), 'utf8');
const alerts = [...new Set([...rulesText.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]))];
const ruleCount = [...rulesText.matchAll(/^\s*- alert: /gm)].length;

describe.skipIf(skip !== null)('Prometheus rules (promtool)', () => {
  it('promtool check rules: valid, no lint warning', () => {
    const r = promtool('check', 'rules', RULES);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${ruleCount} rules found`);
    expect(r.out).not.toMatch(/WARNING|FAILED|error/i);
    expect(r.stderr.trim()).toBe('');
  });

  it('promtool test rules: every unit test passes', () => {
    const r = promtool('test', 'rules', TESTS);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^\s*SUCCESS\s*$/m);
    expect(r.out).not.toMatch(/WARNING|FAILED/);
    expect(r.stderr.trim()).toBe('');
  });

  it('promtool check config: the example config and the rules it loads are valid', () => {
    const r = promtool('check', 'config', CONFIG);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toContain('SUCCESS: 1 rule files found');
    expect(r.stdout).toContain(`SUCCESS: ${ruleCount} rules found`);
    expect(r.out).not.toMatch(/WARNING|FAILED/);
    expect(r.stderr.trim()).toBe('');
  });

  it('the unit tests cover every alert', () => {
    const tests = readFileSync(join(ROOT, TESTS), 'utf8');
    expect(alerts.length).toBeGreaterThanOrEqual(6);
    for (const a of alerts) expect(tests, a).toMatch(new RegExp(`alertname: ${a}$`, 'm'));
  });

  it('the unit tests notice a wrong boundary (so a pass means something)', () => {
    const dir = scratchDir('mqd-rules-');
    copyFileSync(join(DIR, 'mq-doctor.rules.test.yml'), join(dir, 'mq-doctor.rules.test.yml'));
    const loose = rulesText.replace('(mqdoctor_posix_queues_max > 0) > 0.8', '(mqdoctor_posix_queues_max > 0) >= 0.8');
    expect(loose).not.toBe(rulesText);
    writeFileSync(join(dir, 'mq-doctor.rules.yml'), loose);
    const r = promtool('test', 'rules', join(dir, 'mq-doctor.rules.test.yml'));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/FAILED/);
  });
});
