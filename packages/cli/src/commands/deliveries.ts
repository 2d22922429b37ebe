import type { DeliveryRecord, QueuedSender } from '@hookseal/bullmq'
import { escapeTerminal } from '../escape-terminal.js'
import { dim, print, printJson } from '../output.js'
import { integerFlag, parseFlags } from '../parse-flags.js'
import { EXIT, UsageError } from '../usage-error.js'

export const help = `Usage: hookseal deliveries <list|show|replay|destinations> [options]

Looks into the durable delivery queue of @hookseal/bullmq: dead letters, BullMQ's failed set,
one delivery's attempts, and the destinations' circuits.

  list [--failed] [--limit n] [--offset n]     dead letters (or the failed set with --failed)
  show <webhook id>                            where a delivery is, with every attempt
  replay <webhook id>...                       send dead letters (or failed jobs) again
  replay --all [--destination <url>] [--from <time>] [--to <time>]
                                               replay every match; times are ISO 8601 or ms
  destinations [list]                          every destination and its circuit
  destinations enable|disable <url or origin>  switch a destination on or off

Options:
  --redis <url>       redis:// or rediss:// URL (default: $HOOKSEAL_REDIS_URL or redis://127.0.0.1:6379)
  --queue <name>      the queue (default: hookseal-deliveries)
  --prefix <prefix>   BullMQ's key prefix (default: bull)
  --failed            work on BullMQ's failed set instead of the dead letters
  --json              print JSON instead of lines

Example:
  hookseal deliveries list --redis redis://redis.internal:6379
  hookseal deliveries replay --all --destination https://hooks.customer.example --from 2026-03-01T00:00:00Z
  hookseal deliveries destinations enable https://hooks.customer.example`

const FLAGS = {
  redis: { type: 'string' },
  queue: { type: 'string' },
  prefix: { type: 'string' },
  failed: { type: 'boolean' },
  all: { type: 'boolean' },
  destination: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  json: { type: 'boolean' },
} as const

/** ioredis options from a redis:// or rediss:// URL. */
function connectionOf(url: string) {
  if (!URL.canParse(url)) throw new UsageError(`--redis must be a redis:// URL (got ${url})`)
  const parsed = new URL(url)
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`--redis must be a redis:// or rediss:// URL (got ${url})`)
  }
  const db = parsed.pathname.slice(1)
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(db === '' ? {} : { db: Number(db) }),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // An operator's command should fail, not wait, when Redis is away.
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
  }
}

function timeFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(time)) {
    throw new UsageError(`--${flag} must be an ISO 8601 time or ms since the epoch (got ${value})`)
  }
  return time
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString()
}

/** One line per delivery; what a receiver or sender controls is escaped. */
function printRecord(record: DeliveryRecord): void {
  const when = record.deadLetteredAt ?? record.failedAt ?? record.nextAttemptAt
  const why = record.deadLetterReason ?? record.failedReason ?? ''
  print(
    escapeTerminal(
      `${record.webhookId}  ${record.state}  ${iso(when)}  ${record.url}  ${record.attempts.length} attempt(s)  ${why}`,
    ),
  )
}

function printDetail(record: DeliveryRecord): void {
  printRecord(record)
  for (const attempt of record.attempts) {
    const outcome = attempt.status ?? attempt.error?.code ?? 'ok'
    const excerpt =
      attempt.responseBody === undefined
        ? ''
        : `  ${JSON.stringify(attempt.responseBody.slice(0, 200))}`
    print(
      escapeTerminal(
        `  #${attempt.attempt} ${iso(attempt.startedAt)} ${outcome} ${attempt.durationMs} ms${excerpt}`,
      ),
    )
  }
  if (record.nextAttemptAt !== undefined) print(dim(`  next: ${iso(record.nextAttemptAt)}`))
}

async function act(
  queued: QueuedSender,
  action: string | undefined,
  rest: string[],
  values: Parsed,
) {
  switch (action) {
    case 'list': {
      const page = {
        limit: integerFlag(values.limit, 'limit', 1) ?? 100,
        offset: integerFlag(values.offset, 'offset', 0) ?? 0,
      }
      const records = values.failed
        ? await queued.listFailed(page)
        : (await queued.listDeadLetters(page)).map((letter) => ({
            webhookId: letter.webhookId,
            state: 'dead-letter' as const,
            url: letter.delivery.url,
            method: letter.delivery.method,
            attempts: letter.attempts,
            deadLetterReason: letter.reason,
            deadLetteredAt: letter.deadLetteredAt,
          }))
      if (values.json) printJson(records)
      else if (records.length === 0) print(dim('none'))
      else records.forEach(printRecord)
      return EXIT.ok
    }
    case 'show': {
      const [webhookId] = rest
      if (webhookId === undefined || rest.length > 1)
        throw new UsageError('show takes one webhook id')
      const record = await queued.getDelivery(webhookId)
      if (record === undefined) {
        process.stderr.write(
          `${escapeTerminal(`no delivery ${webhookId} in the queue or the dead letters`)}\n`,
        )
        return EXIT.failed
      }
      if (values.json) printJson(record)
      else printDetail(record)
      return EXIT.ok
    }
    case 'replay': {
      if (values.all) {
        if (rest.length > 0) throw new UsageError('give webhook ids or --all, not both')
        const filter = {
          ...(values.destination === undefined ? {} : { destination: values.destination }),
          ...(values.from === undefined ? {} : { from: timeFlag(values.from, 'from') }),
          ...(values.to === undefined ? {} : { to: timeFlag(values.to, 'to') }),
        }
        let count: number
        try {
          count = values.failed
            ? await queued.replayFailedDeliveries(filter)
            : await queued.replayDeadLetters(filter)
        } catch (error) {
          if (error instanceof TypeError) throw new UsageError(error.message)
          throw error
        }
        if (values.json) printJson({ replayed: count })
        else print(`replayed ${count}`)
        return EXIT.ok
      }
      if (rest.length === 0) throw new UsageError('give webhook ids to replay, or --all')
      let missing = 0
      for (const webhookId of rest) {
        const done = values.failed
          ? await queued.replayFailed(webhookId)
          : await queued.replayDeadLetter(webhookId)
        if (!done) missing++
        print(escapeTerminal(`${webhookId}  ${done ? 'replayed' : 'not found'}`))
      }
      return missing === 0 ? EXIT.ok : EXIT.failed
    }
    case 'destinations': {
      const [verb = 'list', target, ...extra] = rest
      if (verb === 'list' && target === undefined) {
        const destinations = await queued.listDestinations()
        if (values.json) printJson(destinations)
        else if (destinations.length === 0) print(dim('none'))
        else {
          for (const info of destinations) {
            const detail =
              info.state === 'disabled'
                ? `${info.disabledReason ?? ''} since ${iso(info.disabledAt)}`
                : info.state === 'paused'
                  ? `until ${iso(info.reopenAt)}`
                  : ''
            print(
              escapeTerminal(
                `${info.destination}  ${info.state}  ${info.failures} failure(s)  ${detail}`,
              ),
            )
          }
        }
        return EXIT.ok
      }
      if ((verb !== 'enable' && verb !== 'disable') || target === undefined || extra.length > 0) {
        throw new UsageError('destinations takes list, or enable|disable and one URL or origin')
      }
      let before: string
      try {
        before =
          verb === 'enable'
            ? await queued.enableDestination(target)
            : await queued.disableDestination(target)
      } catch (error) {
        if (error instanceof TypeError) throw new UsageError(error.message)
        throw error
      }
      print(
        escapeTerminal(
          `${new URL(target).origin}  ${before} -> ${verb === 'enable' ? 'active' : 'disabled'}`,
        ),
      )
      return EXIT.ok
    }
    default:
      throw new UsageError(`deliveries takes list, show, replay or destinations\n\n${help}`)
  }
}

type Parsed = ReturnType<typeof parseFlags<typeof FLAGS>>['values']

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, FLAGS, true)
  if (values.help) return (print(help), EXIT.ok)
  const [action, ...rest] = positionals
  if (action === undefined)
    throw new UsageError(`deliveries takes list, show, replay or destinations\n\n${help}`)
  const connection = connectionOf(
    values.redis ?? process.env.HOOKSEAL_REDIS_URL ?? 'redis://127.0.0.1:6379',
  )
  // Loaded here, not at the top: the other commands start without BullMQ and ioredis.
  const { createQueuedSender } = await import('@hookseal/bullmq')
  let queued: QueuedSender
  try {
    queued = createQueuedSender({
      connection,
      requireAppendOnly: false,
      onError: () => {},
      ...(values.queue === undefined ? {} : { queueName: values.queue }),
      ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
    })
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message)
    throw error
  }
  try {
    return await act(queued, action, rest, values)
  } finally {
    await queued.close()
  }
}
