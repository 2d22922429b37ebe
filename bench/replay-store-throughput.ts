/**
 * `pnpm bench:replay-store`: scenario 6 of `pnpm bench` alone, printed without touching
 * `bench/results/`. `pnpm bench replay-store` runs the same and records it in `latest.json`.
 */
import { replayStoreTable, runReplayStoreScenario } from './scenarios/replay-store.js'

const result = await runReplayStoreScenario((line) => console.log(`  ${line}`))
console.log(`\n${replayStoreTable(result)}`)

// Redis clients and the JWKS server are closed; exit at once rather than wait on idle timers.
process.exit(0)
