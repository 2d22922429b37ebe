import type * as OpenTelemetry from '@opentelemetry/api'
import type {
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api'

/** `@opentelemetry/api`, as its module namespace. */
export type OpenTelemetryApi = typeof OpenTelemetry

/** The tracer and the instruments hookseal records to, made from the providers registered now. */
export interface Instruments {
  readonly api: OpenTelemetryApi
  readonly tracer: Tracer
  readonly meter: Meter
  /** `hookseal.verify.duration`, in seconds. */
  readonly verifyDuration: Histogram
  /** `hookseal.delivery.attempts`: one per HTTP request of a delivery. */
  readonly attempts: Counter
  /** `hookseal.delivery.attempt.duration`, in seconds. */
  readonly attemptDuration: Histogram
  /** `hookseal.delivery.outcomes`: one per `send`, delivered, dead-lettered or refused. */
  readonly outcomes: Counter
}

/** The name of hookseal's tracer and meter. */
export const INSTRUMENTATION_SCOPE = '@hookseal/core'

/** `undefined` until the import settles, `null` when `@opentelemetry/api` is not installed. */
let loaded: OpenTelemetryApi | null | undefined
let loading: Promise<OpenTelemetryApi | null> | undefined
let cached:
  | {
      readonly meters: MeterProvider
      readonly tracers: TracerProvider
      readonly instruments: Instruments | null
    }
  | undefined

/**
 * Imports `@opentelemetry/api` once per process, if it is installed: it is an optional peer, and
 * without it hookseal records nothing and pays one property read per call.
 */
export function loadOpenTelemetry(): Promise<OpenTelemetryApi | null> {
  loading ??= import('@opentelemetry/api').then(
    (api) => (loaded = api),
    () => (loaded = null),
  )
  return loading
}

/** The tracer provider the SDK registered, or the API's no-op one. */
function registeredTracers(api: OpenTelemetryApi): TracerProvider {
  const tracers = api.trace.getTracerProvider()
  return tracers instanceof api.ProxyTracerProvider ? tracers.getDelegate() : tracers
}

function createInstruments(api: OpenTelemetryApi, meter: Meter): Instruments {
  return {
    api,
    tracer: api.trace.getTracer(INSTRUMENTATION_SCOPE),
    meter,
    verifyDuration: meter.createHistogram('hookseal.verify.duration', {
      description: 'Time to verify one inbound webhook, refusals included',
      unit: 's',
    }),
    attempts: meter.createCounter('hookseal.delivery.attempts', {
      description: 'HTTP requests made to deliver webhooks, by outcome',
    }),
    attemptDuration: meter.createHistogram('hookseal.delivery.attempt.duration', {
      description: 'Time of one delivery attempt: token, signing, request and response',
      unit: 's',
    }),
    outcomes: meter.createCounter('hookseal.delivery.outcomes', {
      description: 'Deliveries by final outcome: delivered, dead-lettered or refused',
    }),
  }
}

/**
 * Hookseal's instruments: `undefined` while `@opentelemetry/api` is still being imported, `null`
 * when it is not installed or no SDK is registered (so that the API alone costs as little as its
 * absence). Made again when other providers have been registered since, because a meter taken
 * before the SDK started would stay a no-op.
 */
export function instruments(): Instruments | null | undefined {
  if (loaded === undefined) {
    void loadOpenTelemetry()
    return undefined
  }
  if (loaded === null) return null
  const meters = loaded.metrics.getMeterProvider()
  const tracers = registeredTracers(loaded)
  if (cached?.meters !== meters || cached.tracers !== tracers) {
    const meter = meters.getMeter(INSTRUMENTATION_SCOPE)
    // A fresh proxy without a delegate hands out the API's own no-op provider.
    const noop =
      meter === loaded.createNoopMeter() &&
      tracers === new loaded.ProxyTracerProvider().getDelegate()
    cached = { meters, tracers, instruments: noop ? null : createInstruments(loaded, meter) }
  }
  return cached.instruments
}

/**
 * Runs `plain` without `@opentelemetry/api`, `traced` with it; a call made while it is still being
 * imported waits for the import, so that no call goes unrecorded once the API is installed.
 */
export function whenInstrumented<T>(
  plain: () => Promise<T>,
  traced: (instruments: Instruments) => Promise<T>,
): Promise<T> {
  const now = instruments()
  if (now === null) return plain()
  if (now !== undefined) return traced(now)
  return loadOpenTelemetry().then(() => {
    const loaded = instruments()
    return loaded ? traced(loaded) : plain()
  })
}
