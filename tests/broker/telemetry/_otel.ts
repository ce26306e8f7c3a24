/**
 * The OpenTelemetry SDK's in-memory exporters, installed as the global tracer
 * and meter providers for a test file.
 *
 * @module
 */

import { metrics, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  MeterProvider,
  type MetricData,
  MetricReader,
} from "@opentelemetry/sdk-metrics";

class _Reader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** The spans and metrics recorded since the last `reset()`. */
export interface Recorded {
  spans(): ReadableSpan[];
  /** Every data point of the metric, with its attributes and value. */
  metric(name: string): Promise<MetricData | undefined>;
  reset(): void;
}

let _installed: Recorded | undefined;

/** Installs the SDK once; later calls return the same recorder. */
export function installOtel(): Recorded {
  if (_installed !== undefined) return _installed;
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }),
  );
  let reader = new _Reader();
  let provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  _installed = {
    spans: () => exporter.getFinishedSpans(),
    async metric(name) {
      const { resourceMetrics } = await reader.collect();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name === name) return metric;
        }
      }
      return undefined;
    },
    reset() {
      exporter.reset();
      // A new provider starts from zero; execbox takes its instruments again.
      metrics.disable();
      reader = new _Reader();
      provider = new MeterProvider({ readers: [reader] });
      metrics.setGlobalMeterProvider(provider);
    },
  };
  return _installed;
}

/** The one span with this name; fails unless there is exactly one. */
export function onlySpan(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(
      `Expected one span "${name}", found ${found.length}: ${
        spans.map((s) => s.name).join(", ")
      }`,
    );
  }
  return found[0]!;
}

/** All text a span exports: name, attributes, events, links and status. */
export function exportedText(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    status: span.status,
    resource: span.resource.attributes,
  });
}
