/** Result of timing one operation: the median over batches, which shrugs off GC pauses. */
export interface Measurement {
  readonly name: string
  readonly microsPerOp: number
  readonly ops: number
}

/**
 * Times `run(i)` for `ops` calls in all: a warm-up, then equal batches; reports the median batch
 * time per call. `run` receives the call index (always below `ops`) so each call can use fresh input.
 */
export async function measure(
  name: string,
  ops: number,
  run: (index: number) => unknown,
  batches = 10,
): Promise<Measurement> {
  const warmUp = Math.min(Math.floor(ops / 10), 200)
  const perBatch = Math.floor((ops - warmUp) / batches)
  for (let i = 0; i < warmUp; i++) await run(i)
  const samples: number[] = []
  let index = warmUp
  for (let batch = 0; batch < batches; batch++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < perBatch; i++) await run(index++)
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / perBatch)
  }
  samples.sort((a, b) => a - b)
  return { name, microsPerOp: samples[Math.floor(batches / 2)] as number, ops: index }
}
