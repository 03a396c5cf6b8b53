// RemoveIPC=: read as systemd reads logind.conf (drop-ins by name, /etc over
// /usr/lib, the last assignment wins), and warned about for regular users only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeIpcWarning } from '../../src/model/remove-ipc.js';
import { probeRemoveIpc } from '../../src/probe/logind.js';
import { scratchDir } from '../support/scratch.js';

function root(files: Record<string, string>, systemd = true): string {
  const r = scratchDir('mqd-logind-');
  if (systemd) mkdirSync(join(r, 'run/systemd/system'), { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(r, p, '..'), { recursive: true });
    writeFileSync(join(r, p), text);
  }
  return r;
}

describe('RemoveIPC', () => {
  it.each([
    ['the default', {}, true, 'systemd-logind default'],
    ['logind.conf', { 'etc/systemd/logind.conf': '[Login]\nRemoveIPC=no\n' }, false, '/etc/systemd/logind.conf'],
    ['a commented line is not a setting', { 'etc/systemd/logind.conf': '[Login]\n#RemoveIPC=no\n' }, true, 'systemd-logind default'],
    ['a drop-in wins over logind.conf', { 'etc/systemd/logind.conf': '[Login]\nRemoveIPC=no\n', 'etc/systemd/logind.conf.d/10-ipc.conf': '[Login]\nRemoveIPC=yes\n' }, true, '/etc/systemd/logind.conf.d/10-ipc.conf'],
    ['later names win', { 'usr/lib/systemd/logind.conf.d/20-b.conf': '[Login]\nRemoveIPC=yes\n', 'etc/systemd/logind.conf.d/10-a.conf': '[Login]\nRemoveIPC=no\n' }, true, '/usr/lib/systemd/logind.conf.d/20-b.conf'],
    ['/etc masks the same name in /usr/lib', { 'usr/lib/systemd/logind.conf.d/10-a.conf': '[Login]\nRemoveIPC=yes\n', 'etc/systemd/logind.conf.d/10-a.conf': '[Login]\nRemoveIPC=no\n' }, false, '/etc/systemd/logind.conf.d/10-a.conf'],
    ['only the [Login] section counts', { 'etc/systemd/logind.conf': '[Other]\nRemoveIPC=no\n' }, true, 'systemd-logind default'],
  ] as const)('%s', (_what, files, removeIpc, source) => {
    expect(probeRemoveIpc(root(files as Record<string, string>))).toEqual({ ok: true, value: { removeIpc, systemUidMax: 999, source } });
  });

  it('without systemd there is nothing to warn about', () => {
    expect(probeRemoveIpc(root({}, false))).toMatchObject({ ok: false });
  });

  it('SYS_UID_MAX comes from login.defs', () => {
    expect(probeRemoveIpc(root({ 'etc/login.defs': 'SYS_UID_MIN 100\nSYS_UID_MAX 499\n' }))).toMatchObject({ ok: true, value: { systemUidMax: 499 } });
  });

  it('warns for regular users only', () => {
    const snap = { removeIpc: { ok: true as const, value: { removeIpc: true, systemUidMax: 999, source: 'systemd-logind default' } } };
    expect(removeIpcWarning(snap, [0, 998, 65534])).toBeNull();
    expect(removeIpcWarning(snap, [1001])).toMatch(/RemoveIPC=yes \(systemd-logind default\) deletes .* uid 1001 is a regular user \(above SYS_UID_MAX 999\)/);
    expect(removeIpcWarning({ removeIpc: { ok: true, value: { ...snap.removeIpc.value, removeIpc: false } } }, [1001])).toBeNull();
    expect(removeIpcWarning({}, [1001])).toBeNull();
  });
});
