/**
 * Prometheus metrics (prom-client), one registry per gateway (no global default registry). Label values are
 * bounded: methods outside the MCP method list are `other`, backends are the configured ids, decisions a fixed set.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const KNOWN_METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list',
  'resources/templates/list', 'resources/read', 'resources/subscribe', 'resources/unsubscribe',
  'completion/complete', 'logging/setLevel', 'sampling/createMessage', 'elicitation/create', 'roots/list',
  'messages/send', 'messages/read',
]);

export interface GatewayMetrics {
  readonly registry: Registry;
  observeRequest(method: string, decision: string, seconds: number): void;
  countNotification(direction: 'to_client' | 'to_backend', method: string): void;
  setSessions(count: number): void;
  setBackendUp(backend: string, up: boolean): void;
  countAuditFailure(): void;
  /** One guard call (guard names are bounded: at most 32 guards load). */
  observeGuard(guard: string, outcome: string, seconds: number): void;
  countGuardFailure(guard: string, kind: string): void;
  render(): Promise<string>;
}

/** Bounds a method name to a known value. */
export function methodLabel(method: string): string {
  if (KNOWN_METHODS.has(method) || method.startsWith('notifications/') && method.length < 64) return method;
  return 'other';
}

export function createMetrics(options: { defaultMetrics: boolean }): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'portcullis_process_' });
  const requests = new Counter({
    name: 'portcullis_requests_total',
    help: 'JSON-RPC requests from clients, by method and decision',
    labelNames: ['method', 'decision'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'portcullis_request_duration_seconds',
    help: 'Time from a request reaching the gateway to its answer being sent',
    labelNames: ['method'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'portcullis_notifications_total',
    help: 'Notifications forwarded by the gateway',
    labelNames: ['direction', 'method'],
    registers: [registry],
  });
  const sessions = new Gauge({ name: 'portcullis_sessions', help: 'Open client sessions', registers: [registry] });
  const backendUp = new Gauge({
    name: 'portcullis_backend_up',
    help: '1 when the backend is connected',
    labelNames: ['backend'],
    registers: [registry],
  });
  const auditFailures = new Counter({
    name: 'portcullis_audit_write_failures_total',
    help: 'Audit writes that failed (the calls failed closed)',
    registers: [registry],
  });
  const guardCalls = new Histogram({
    name: 'portcullis_guard_call_duration_seconds',
    help: 'Guard calls inside the guard worker, by guard and outcome',
    labelNames: ['guard', 'outcome'],
    buckets: [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.0025, 0.01, 0.05, 0.25, 1],
    registers: [registry],
  });
  const guardFailures = new Counter({
    name: 'portcullis_guard_failures_total',
    help: 'Guard failures (trap, timeout, memory, invalid_output, oversized_output, crash, busy), by guard',
    labelNames: ['guard', 'kind'],
    registers: [registry],
  });
  return {
    registry,
    observeRequest(method, decision, seconds) {
      const label = methodLabel(method);
      requests.inc({ method: label, decision });
      latency.observe({ method: label }, seconds);
    },
    countNotification: (direction, method) => notifications.inc({ direction, method: methodLabel(method) }),
    setSessions: (count) => sessions.set(count),
    setBackendUp: (backend, up) => backendUp.set({ backend }, up ? 1 : 0),
    countAuditFailure: () => auditFailures.inc(),
    observeGuard: (guard, outcome, seconds) => guardCalls.observe({ guard, outcome }, seconds),
    countGuardFailure: (guard, kind) => guardFailures.inc({ guard, kind }),
    render: () => registry.metrics(),
  };
}
