// A port for a server a test starts (mq-doctor watch, Prometheus), drawn at random
// outside the kernel's ephemeral range: a port inside it may be held at that moment
// by any client socket on the machine (the tests' own fetches included), and the
// server's listen() then fails with EADDRINUSE.
import { readFileSync } from 'node:fs';

const LOWEST = 20_000;

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux's /proc: its documented default
  }
  return [32_768, 60_999];
}

const pick = (from: number, to: number) => from + Math.floor(Math.random() * (to - from + 1));

export function listenPort(): number {
  const [low, high] = ephemeralRange();
  if (low - 1 - LOWEST >= 1000) return pick(LOWEST, low - 1);
  if (65_535 - (high + 1) >= 1000) return pick(high + 1, 65_535);
  return pick(LOWEST, 65_535);
}
