/**
 * A client session: one MCP session between a client and the gateway, with the state the router keeps for it.
 * The transport (the SDK's web-standard Streamable HTTP server transport) is held behind the narrow `ClientPort`
 * so the router can be driven without a socket in unit tests.
 */
import type { JSONRPCMessage, RequestId } from './jsonrpc.js';

/** What the router needs from a client transport. */
export interface ClientPort {
  /** Sends on the stream of `relatedRequestId`, or on the standalone GET stream when undefined. */
  send(message: JSONRPCMessage, relatedRequestId?: RequestId): Promise<void>;
  close(): Promise<void>;
}

/** A client request the gateway is working on. */
export interface InflightCall {
  readonly id: RequestId;
  readonly method: string;
  readonly backend: string | undefined;
  readonly abort: AbortController;
}

/** A backend's request that the gateway forwarded to this client and waits on. */
export interface ForwardedServerRequest {
  readonly backend: string;
  readonly settle: (message: JSONRPCMessage) => void;
}

export interface ClientSession {
  readonly id: string;
  readonly port: ClientPort;
  /** The agent that opened the session and whether a signature proved it (DESIGN.md §1); fixed at initialize. */
  agent: string;
  verified: boolean;
  readonly source: string;
  readonly createdAt: number;
  lastActivity: number;
  clientInfo: { name: string; version: string };
  clientCapabilities: Record<string, unknown>;
  protocolVersion: string;
  initialized: boolean;
  closed: boolean;
  readonly inflight: Map<string, InflightCall>;
  readonly forwarded: Map<string, ForwardedServerRequest>;
  /** Resource URIs this client subscribed to. */
  readonly subscriptions: Set<string>;
  /** Backends this session has opened or used (for cleanup and notifications). */
  readonly backends: Set<string>;
}

export interface NewSession {
  readonly id: string;
  readonly port: ClientPort;
  readonly agent: string;
  readonly verified: boolean;
  readonly source: string;
}

export function createClientSession(init: NewSession, now = Date.now()): ClientSession {
  return {
    ...init,
    createdAt: now,
    lastActivity: now,
    clientInfo: { name: 'unknown', version: '' },
    clientCapabilities: {},
    protocolVersion: '',
    initialized: false,
    closed: false,
    inflight: new Map(),
    forwarded: new Map(),
    subscriptions: new Set(),
    backends: new Set(),
  };
}
