/** Softmax in float64 over one row of logits; the max is subtracted so exp never overflows. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const exps: number[] = [];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] as number) - max);
    exps.push(e);
    sum += e;
  }
  return exps.map((e) => e / sum);
}
