// A real systemd as PID 1, for the boot path: a Debian root made once per run
// by debootstrap, and for each boot a fresh copy of it (an overlay over the
// root; a second boot of the same machine keeps what the first one wrote),
// booted by systemd-nspawn with node and this package bind-mounted read-only.
// A machine records what a boot saw through a unit of the test's own
// (probe-record.service), which powers the machine off when it is done.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const PKG = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');
/** Where the package is seen inside a machine. */
export const PKG_IN = '/opt/mq-doctor';
/** Where a machine's probe unit leaves what it recorded. */
export const PROBE_DIR = '/var/lib/probe';

const PACKAGES = 'systemd,systemd-sysv,procps,dbus,libpam-systemd';

/** Why boots cannot run here, or null. */
export function bootSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'booting systemd in a container needs root';
  if (process.platform !== 'linux') return 'systemd-nspawn is Linux-only';
  for (const tool of ['systemd-nspawn', 'debootstrap', 'systemctl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install systemd-container debootstrap)`;
  }
  if (!existsSync(join(PKG, 'dist/mq-doctor.cjs'))) return 'dist/ is not built (npm run build)';
  return null;
}

/** The Debian mirror apt uses here (deb822 or one-line sources), or MQ_DOCTOR_BOOT_MIRROR. */
export function debianMirror(): string {
  if (process.env.MQ_DOCTOR_BOOT_MIRROR) return process.env.MQ_DOCTOR_BOOT_MIRROR;
  const dir = '/etc/apt/sources.list.d';
  const texts = [...(existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []), '/etc/apt/sources.list'].flatMap((f) => {
    try {
      return [readFileSync(f, 'utf8')];
    } catch {
      return [];
    }
  });
  for (const t of texts) {
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(t);
    if (deb822) return deb822[1]!;
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\b/m.exec(t);
    if (line) return line[1]!;
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The Debian root every machine of this run is a copy of: MQ_DOCTOR_BOOT_ROOT when
 * given (made by an earlier run, kept for speed while developing), else built now.
 */
export function debianRoot(): { dir: string; built: boolean; ms: number } | { error: string } {
  const given = process.env.MQ_DOCTOR_BOOT_ROOT;
  if (given) {
    if (!existsSync(join(given, 'usr/lib/systemd/systemd'))) return { error: `MQ_DOCTOR_BOOT_ROOT=${given} holds no systemd` };
    return { dir: given, built: false, ms: 0 };
  }
  const dir = mkdtempSync(join(tmpdir(), 'mqd-boot-root-'));
  const t0 = Date.now();
  const r = spawnSync('debootstrap', ['--variant=minbase', `--include=${PACKAGES}`, 'bookworm', dir, debianMirror()], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { error: `debootstrap of bookworm from ${debianMirror()} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  }
  return { dir, built: true, ms: Date.now() - t0 };
}

export interface Boot {
  /** Milliseconds from nspawn's start to its exit. */
  ms: number;
  /** nspawn's exit status: 0 after a clean poweroff. */
  status: number | null;
  console: string;
}

export class Machine {
  readonly top: string;
  readonly root: string;
  private readonly upper: string;
  private readonly work: string;
  private mounted = false;

  constructor(private readonly base: string) {
    this.top = mkdtempSync(join(tmpdir(), 'mqd-boot-'));
    this.upper = join(this.top, 'upper');
    this.work = join(this.top, 'work');
    this.root = join(this.top, 'root');
    for (const d of [this.upper, this.work, this.root]) mkdirSync(d);
    this.mount();
    // How a package install puts mq-doctor on PATH; node is bind-mounted at boot.
    spawnSync('ln', ['-sf', `${PKG_IN}/bin/mq-doctor.cjs`, join(this.root, 'usr/local/bin/mq-doctor')]);
    this.write(`${PROBE_DIR}/.keep`, '');
  }

  private mount(): void {
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${this.base},upperdir=${this.upper},workdir=${this.work}`, this.root], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`overlay mount failed: ${r.stderr}`);
    this.mounted = true;
  }

  /** A file inside the machine (path absolute inside it). */
  write(path: string, content: string, mode = 0o644): void {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    chmodSync(file, mode);
  }

  read(path: string): string | null {
    try {
      return readFileSync(join(this.root, path), 'utf8');
    } catch {
      return null;
    }
  }

  exists(path: string): boolean {
    return existsSync(join(this.root, path));
  }

  /** One of this package's units, as installed: copied into /etc/systemd/system. */
  installUnit(name: string): void {
    this.write(`/etc/systemd/system/${name}`, readFileSync(join(PKG, 'systemd', name), 'utf8'));
  }

  /** systemctl enable, offline, as a package's postinst does it. */
  enable(...units: string[]): void {
    const r = spawnSync('systemctl', [`--root=${this.root}`, 'enable', ...units], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`systemctl enable ${units.join(' ')}: ${r.stderr}`);
  }

  /** Runs in the machine without booting it (useradd and the like). */
  chroot(...argv: string[]): string {
    const r = spawnSync('chroot', [this.root, ...argv], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chroot ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * The unit that records what a boot saw: `script` runs after multi-user.target
   * (and `after`), writes into PROBE_DIR, and the machine powers off after it.
   */
  probe(script: string, after: string[] = []): void {
    this.write('/usr/local/sbin/probe-record', `#!/bin/sh\nset -u\ncd ${PROBE_DIR}\n${script}\n`, 0o755);
    this.write(
      '/etc/systemd/system/probe-record.service',
      `[Unit]\nDescription=Record what this boot saw, then power off\nAfter=multi-user.target ${after.join(' ')}\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/probe-record\nExecStopPost=/usr/bin/systemctl --no-block poweroff\n[Install]\nWantedBy=multi-user.target\n`,
    );
    this.enable('probe-record.service');
  }

  /** Boots the machine until it powers off (or `timeoutS` passes: then it is killed). */
  boot(timeoutS = 90): Boot {
    const t0 = Date.now();
    const r = spawnSync(
      'timeout',
      [
        '-k',
        '5',
        String(timeoutS),
        'systemd-nspawn',
        '-q',
        '-D',
        this.root,
        '--boot',
        '--register=no',
        '--keep-unit',
        '--private-network',
        `--bind-ro=${process.execPath}:/usr/local/bin/node`,
        `--bind-ro=${PKG}:${PKG_IN}`,
      ],
      // A writable /proc/sys: systemd-sysctl and mq-doctor write the container's own IPC namespace's values.
      { encoding: 'utf8', env: { ...process.env, SYSTEMD_NSPAWN_API_VFS_WRITABLE: '1' }, timeout: (timeoutS + 15) * 1000 },
    );
    return { ms: Date.now() - t0, status: r.status, console: `${r.stdout}${r.stderr}` };
  }

  /** What the probe unit wrote (a file of PROBE_DIR). */
  recorded(name: string): string {
    const v = this.read(`${PROBE_DIR}/${name}`);
    if (v === null) throw new Error(`the probe recorded no ${name}`);
    return v;
  }

  /** Deletes a root debianRoot() built. */
  static removeRoot(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }

  dispose(): void {
    if (this.mounted) spawnSync('umount', [this.root]);
    this.mounted = false;
    rmSync(this.top, { recursive: true, force: true });
  }
}
