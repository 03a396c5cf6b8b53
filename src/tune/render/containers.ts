// docker/podman run flags, Compose, Kubernetes and Podman quadlet: the same
// settings in each runtime's words. IPC-namespaced sysctls and rlimits only.
import { limitValue, n, type RenderInput, rlimit, sysctls, value } from './common.js';
import { comment } from './encode.js';

const ULIMITS = [
  ['RLIMIT_MSGQUEUE', 'msgqueue'],
  ['RLIMIT_NOFILE', 'nofile'],
] as const;

function ulimits(input: RenderInput) {
  return ULIMITS.flatMap(([key, name]) => {
    const s = rlimit(input.settings, key);
    return s ? [{ name, value: limitValue(s, '-1'), why: s.why }] : [];
  });
}

const NAMESPACE_NOTE = 'A private IPC namespace (Docker and Podman default) starts from the kernel defaults: set the sysctls per container. --sysctl is refused with --ipc=host.';

export function renderDocker(input: RenderInput): string {
  const flags = [
    ...sysctls(input.settings).map((s) => `--sysctl ${s.key}=${value(s)}`),
    ...ulimits(input).map((u) => `--ulimit ${u.name}=${u.value}:${u.value}`),
  ];
  const lines = [comment(`docker run / podman run flags for profile "${input.profile.name}"`), comment(NAMESPACE_NOTE)];
  if (ulimits(input).some((u) => u.name === 'msgqueue')) {
    lines.push('# Raising msgqueue above the host hard limit needs a runtime running with CAP_SYS_RESOURCE (rootful).');
  }
  lines.push(flags.length ? `docker run ${flags.join(' \\\n  ')} IMAGE` : '# nothing to set: the defaults fit');
  return `${lines.join('\n')}\n`;
}

export function renderCompose(input: RenderInput): string {
  const lines = [
    comment(`Compose override file for profile "${input.profile.name}": docker compose -f compose.yaml -f THIS_FILE up`),
    '# (or podman compose); it adds to the service "app" of compose.yaml: rename it to your service.',
    comment(NAMESPACE_NOTE),
    'services:',
  ];
  const sc = sysctls(input.settings);
  const ul = ulimits(input);
  // An empty service would be `app: null`, which Compose refuses.
  lines.push(sc.length || ul.length ? '  app:' : '  app: {}');
  if (sc.length) lines.push('    sysctls:', ...sc.map((s) => `      ${s.key}: ${value(s)}`));
  if (ul.length) lines.push('    ulimits:', ...ul.flatMap((u) => [`      ${u.name}:`, `        soft: ${u.value}`, `        hard: ${u.value}`]));
  return `${lines.join('\n')}\n`;
}

export function renderKubernetes(input: RenderInput): string {
  const sc = sysctls(input.settings);
  const patterns = [...new Set(sc.map((s) => s.key.replace(/\.[^.]+$/, s.key.startsWith('kernel.') ? '.msg*' : '.*')))];
  const lines = [
    comment(`Strategic-merge patch of a workload's pod template for profile "${input.profile.name}":`),
    '#   kubectl patch deployment NAME --patch-file THIS_FILE   (statefulset and daemonset alike)',
    "#   The patch replaces the pod's sysctls list as a whole: add any the pod sets already.",
  ];
  if (sc.length) {
    lines.push(
      `# ${sc.map((s) => s.key).join(', ')} ${sc.length === 1 ? 'is an' : 'are'} "unsafe" sysctl${sc.length === 1 ? '' : 's'}: every kubelet that may run the pod must allow ${sc.length === 1 ? 'it' : 'them'},`,
      `#   kubelet --allowed-unsafe-sysctls='${patterns.join(',')}'  (or allowedUnsafeSysctls in the KubeletConfiguration)`,
      '# otherwise the pod is rejected with SysctlForbidden.',
    );
  }
  for (const u of ulimits(input)) {
    lines.push(
      comment(`Pods have no rlimit setting: ${u.name} ${n(Number(u.value))} (${u.why}) must come from the container runtime:`),
      `#   CRI-O: default_ulimits = ["${u.name}=${u.value}:${u.value}"] in crio.conf; containerd: rlimits in the base runtime spec;`,
      `#   or Limit${u.name === 'msgqueue' ? 'MSGQUEUE' : 'NOFILE'}=${u.value} on the runtime's systemd unit.`,
    );
  }
  lines.push('spec:', '  template:', '    spec:', '      securityContext:');
  if (sc.length) lines.push('        sysctls:', ...sc.flatMap((s) => [`        - name: ${s.key}`, `          value: "${value(s)}"`]));
  else lines.push('        sysctls: []');
  return `${lines.join('\n')}\n`;
}

export function renderQuadlet(input: RenderInput): string {
  const lines = [
    comment(`Podman quadlet (/etc/containers/systemd/<name>.container) settings for profile "${input.profile.name}"`),
    '# Rootless Podman may set fs.mqueue.* and kernel.msg* from Linux 6.9 (6.6.45, 6.1.104); on older kernels run it rootful.',
    '[Container]',
    ...sysctls(input.settings).map((s) => `Sysctl=${s.key}=${value(s)}`),
    ...ulimits(input).map((u) => `Ulimit=${u.name}=${u.value}:${u.value}`),
  ];
  return `${lines.join('\n')}\n`;
}
