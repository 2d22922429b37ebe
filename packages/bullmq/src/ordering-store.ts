import type { DestinationCommands, ToKey } from './destination-store.js'

/**
 * The line of one ordering key at one destination: a Redis list of job ids in the order they were
 * sent. Only the head may be attempted; it leaves the line once delivered or dead-lettered, and the
 * next one goes. A failing head holds back only its own line.
 */
export function orderingKeyOf(toKey: ToKey, destination: string, orderingKey: string): string {
  return toKey(`hookseal-order:${destination} ${orderingKey}`)
}

/** Joins the line, once: a repeated send or a replay of a job still in line keeps its place. */
export async function joinLine(redis: DestinationCommands, key: string, jobId: string) {
  if ((await redis.lpos(key, jobId)) === null) await redis.rpush(key, jobId)
}

/** The job at the head of the line, if any. */
export async function headOfLine(
  redis: DestinationCommands,
  key: string,
): Promise<string | undefined> {
  return (await redis.lindex(key, 0)) ?? undefined
}

/** Leaves the line (delivered, dead-lettered, or a head whose job no longer exists). */
export async function leaveLine(
  redis: DestinationCommands,
  key: string,
  jobId: string,
): Promise<void> {
  await redis.lrem(key, 1, jobId)
}
