// A command's ratio to its baseline, judged round by round: each round's own
// ratio (the command against the baseline of the same round, seconds apart),
// since this VM's speed drifts by ±10% over a minute, which a ratio of two
// medians taken over the whole run does not cancel. The median of the rounds'
// ratios is judged; p25-p75 shows how much the rounds agree.
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

/** times and baseline: one sample per round, in round order. */
export function roundRatio(times, baseline) {
  const ratios = times.map((t, i) => t / baseline[i]);
  return { ratio: quantile(ratios, 0.5), spread: `(rounds p25-p75 ${quantile(ratios, 0.25).toFixed(2)}-${quantile(ratios, 0.75).toFixed(2)})` };
}
