import { context, metrics, propagation, trace } from '@opentelemetry/api'
import type { Attributes } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'

/** One data point of a collected metric: its attributes and its value (a sum, or a count). */
export interface MetricPoint {
  readonly attributes: Attributes
  /** A counter's sum or a gauge's value; for a histogram, the number of measurements. */
  readonly value: number
}

/** The OpenTelemetry SDK registered globally, exporting to memory. */
export interface TestTelemetry {
  /** Spans ended so far. */
  spans(): ReadableSpan[]
  /** The points of one metric as collected now (cumulative since the start). */
  metric(name: string): Promise<MetricPoint[]>
  /** Every name, attribute, status message and event of the ended spans, and every metric, as text. */
  everything(): Promise<string>
  /** Forgets the spans ended so far. */
  reset(): void
  shutdown(): Promise<void>
}

/**
 * Registers the OpenTelemetry SDK for this test file, as an application would: a tracer provider
 * with an in-memory exporter, a meter provider with the in-memory metric exporter, W3C trace
 * context propagation and the async-hooks context manager. Once per process (per test file): the
 * API's globals can be set once.
 *
 * @example
 * ```ts
 * const telemetry = startTestTelemetry()
 * await verifier.verify(request)
 * expect(telemetry.spans().map((span) => span.name)).toEqual(['hookseal.verify'])
 * ```
 */
export function startTestTelemetry(): TestTelemetry {
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  })
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    // Collected on demand (forceFlush) only.
    exportIntervalMillis: 2 ** 31 - 1,
  })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)

  async function collect() {
    metricExporter.reset()
    await reader.forceFlush()
    return metricExporter
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
  }

  return {
    spans: () => spanExporter.getFinishedSpans(),
    async metric(name) {
      const found = (await collect()).filter((metric) => metric.descriptor.name === name)
      return found.flatMap((metric) =>
        metric.dataPoints.map((point) => ({
          attributes: point.attributes,
          value:
            typeof point.value === 'number'
              ? point.value
              : (point.value as { count: number }).count,
        })),
      )
    },
    async everything() {
      const spans = spanExporter.getFinishedSpans().map((span) => ({
        name: span.name,
        attributes: span.attributes,
        status: span.status,
        events: span.events,
        links: span.links,
      }))
      return JSON.stringify({ spans, metrics: await collect() })
    },
    reset: () => spanExporter.reset(),
    async shutdown() {
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
      contextManager.disable()
    },
  }
}
