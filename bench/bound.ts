/**
 * What bounds the throughput, derived from one run's numbers: CPU per call of the direct path (backend + client), of
 * the stack floor and of the gateway at 32 clients (and the servers' at 1 client), and the gateway/direct ratio that a
 * gateway costing no more than the floor could reach while the cores are the limit: direct / (direct + floor).
 */
import { BUDGETS, throughputRatio } from './budgets.js';
import { formatMs } from './lib/stats.js';
import type { BenchResults } from './results.js';
import type { ThroughputResult } from './throughput.js';

export interface ThroughputBound {
  /** Backend + client CPU per call on the direct path. */
  readonly directMs: number;
  readonly directBackendMs: number;
  readonly directClientMs: number;
  /** The floor server's CPU per call. */
  readonly floorMs: number;
  readonly floorClientMs: number;
  /** The gateway process's CPU per call. */
  readonly gatewayMs: number;
  /** The client's CPU per call on the gateway path (it signs every request). */
  readonly gatewayClientMs: number;
  /** Gateway + backend + client CPU per call on the gateway path. */
  readonly gatewayPathMs: number;
  /** direct / (direct + floor): the ratio a gateway as cheap as the floor could reach on the same cores. */
  readonly boundRatio: number;
  /** direct / gateway path: the same arithmetic with the gateway path's measured cost. */
  readonly predictedRatio: number;
  readonly measuredRatio: number;
}

const cpuOf = (perCall: Readonly<Record<string, number>>, name: string): number => perCall[name] ?? Number.NaN;

/** The derived numbers of one run. */
export function throughputBound(throughput: ThroughputResult): ThroughputBound {
  const { direct, gateway, floor } = throughput;
  const directBackendMs = cpuOf(direct.cpuMsPerCall, 'backend');
  const directClientMs = cpuOf(direct.cpuMsPerCall, 'client');
  const directMs = directBackendMs + directClientMs;
  const floorMs = cpuOf(floor.cpuMsPerCall, 'floor');
  const gatewayMs = cpuOf(gateway.cpuMsPerCall, 'gateway');
  const gatewayClientMs = cpuOf(gateway.cpuMsPerCall, 'client');
  const gatewayPathMs = gatewayMs + cpuOf(gateway.cpuMsPerCall, 'backend') + gatewayClientMs;
  return {
    directMs,
    directBackendMs,
    directClientMs,
    floorMs,
    floorClientMs: cpuOf(floor.cpuMsPerCall, 'client'),
    gatewayMs,
    gatewayClientMs,
    gatewayPathMs,
    boundRatio: directMs / (directMs + floorMs),
    predictedRatio: directMs / gatewayPathMs,
    measuredRatio: throughputRatio(throughput),
  };
}

/** The paragraph, as Markdown lines (the terminal shows them as they are). */
export function describeThroughputBound({
  latency,
  throughput,
}: Pick<BenchResults, 'latency' | 'throughput'>): string[] {
  const b = throughputBound(throughput);
  const one = {
    backend: cpuOf(latency.direct.cpuMsPerCall, 'backend'),
    gateway: cpuOf(latency.gateway.cpuMsPerCall, 'gateway'),
    floor: cpuOf(latency.floor.cpuMsPerCall, 'floor'),
  };
  const ms = formatMs;
  // Two decimals, or three where two would round onto the budget and hide which side of it the value is.
  const ratio = (value: number): string =>
    `${value.toFixed(value.toFixed(2) === BUDGETS.throughputRatio.toFixed(2) ? 3 : 2)}×`;
  const busy = (name: string, share: number): string => `${name} ${(share * 100).toFixed(0)}%`;
  const budget = `${BUDGETS.throughputRatio}×`;
  const versusBudget =
    b.boundRatio < BUDGETS.throughputRatio
      ? `which is below the budget of ≥ ${budget}`
      : `which is above the budget of ≥ ${budget}, so the floor alone does not rule the budget out`;
  const floorShare = `${((b.floorMs / b.gatewayMs) * 100).toFixed(0)}%`;
  return [
    `CPU per call at ${throughput.clients} clients in this run (/proc for the servers, \`process.cpuUsage()\` for the client):`,
    '',
    `- direct: ${ms(b.directMs)} (backend ${ms(b.directBackendMs)} + client ${ms(b.directClientMs)});`,
    `- stack floor: ${ms(b.floorMs)} in the floor server, which answers at once with no backend (client ` +
      `${ms(b.floorClientMs)});`,
    `- gateway: ${ms(b.gatewayMs)} in the gateway process (the floor is ${floorShare} of it); the whole gateway path ` +
      `cost ${ms(b.gatewayPathMs)} (gateway + backend + client; the client signs every gateway request: client ` +
      `${ms(b.gatewayClientMs)} per call here, ${ms(b.directClientMs)} direct).`,
    '',
    `At 1 client (the latency run's sequential calls) the same servers used: backend ${ms(one.backend)} per direct ` +
      `call, floor server ${ms(one.floor)}, gateway process ${ms(one.gateway)}.`,
    '',
    `A gateway that cost no more than the floor, with backend and client costing what they cost direct, would need ` +
      `${ms(b.directMs)} + ${ms(b.floorMs)} = ${ms(b.directMs + b.floorMs)} of CPU per call where a direct call ` +
      `needs ${ms(b.directMs)}. On the same cores that bounds the gateway at ${ms(b.directMs)} / ` +
      `${ms(b.directMs + b.floorMs)} = ${ratio(b.boundRatio)} direct, ${versusBudget}. The same arithmetic with the ` +
      `gateway path's measured ${ms(b.gatewayPathMs)} gives ${ratio(b.predictedRatio)}; measured: ` +
      `${ratio(b.measuredRatio)} (machine busy: ${busy('direct', throughput.direct.machineBusy)}, ` +
      `${busy('gateway', throughput.gateway.machineBusy)}, ${busy('floor', throughput.floor.machineBusy)}).`,
  ];
}
