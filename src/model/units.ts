/**
 * 1234567 → "1,234,567". Not toLocaleString: its first call initialises ICU,
 * which costs ~18 ms, more than the rest of `check` together.
 */
export function groupDigits(n: number): string {
  const s = String(n);
  return /^-?\d+$/.test(s) ? s.replace(/\B(?=(\d{3})+$)/g, ',') : s;
}

/** A System V key as ipcs prints it: 0x and eight hex digits, whatever its sign as a key_t. */
export const sysvKeyHex = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
