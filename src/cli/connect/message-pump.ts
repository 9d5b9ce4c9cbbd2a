/**
 * The message pump of `portcullis connect`: every JSON-RPC message from the stdio client goes to the gateway as it
 * is, and every message from the gateway goes to the client as it is (requests, responses and notifications, both
 * ways, so sampling and elicitation work). It is not an MCP server: it never answers for the gateway, except that a
 * request the gateway could not take gets an error reply, so a client is never left waiting on a dead gateway.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCRequest, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { describeError, gatewayFailureReply, type JsonRpcErrorObject, requestIdKey } from './gateway-errors.js';

/** The parts of the SDK's StreamableHTTPClientTransport the pump uses beyond `Transport`. */
export interface GatewayTransport extends Transport {
  setProtocolVersion(version: string): void;
  terminateSession(): Promise<void>;
}

export interface MessagePumpOptions {
  /** The stdio side (the SDK's StdioServerTransport). */
  readonly client: Transport;
  /** The gateway side (the SDK's StreamableHTTPClientTransport with a signing fetch). */
  readonly gateway: GatewayTransport;
  /** For error messages only. */
  readonly gatewayUrl: string;
  /** The gateway's own JSON-RPC error for a request whose POST failed, if its response carried one. */
  readonly takeGatewayError: (id: RequestId) => JsonRpcErrorObject | undefined;
  /** One diagnostic line (to stderr; never stdout, which carries only JSON-RPC). */
  readonly log: (line: string) => void;
  /** How long `stop` waits for answers to requests already sent. Default 1 s. */
  readonly drainTimeoutMs?: number;
  /** How long `stop` waits for the session DELETE. Default 2 s. */
  readonly deleteTimeoutMs?: number;
}

export interface MessagePump {
  /** Starts both transports. */
  start(): Promise<void>;
  /**
   * Takes no more client messages, passes on the answers to requests already sent (bounded), ends the gateway session
   * (HTTP DELETE, bounded) and closes both transports; calling it again waits for the first call.
   */
  stop(): Promise<void>;
}

/** Wires `client` and `gateway` to each other. */
export function createMessagePump(options: MessagePumpOptions): MessagePump {
  const { client, gateway, log } = options;
  // Ids of `initialize` requests on their way: their result carries the protocol version the gateway must be told.
  const pendingInitialize = new Set<string>();
  // Requests sent to the gateway and not yet answered, and notifications/responses still being POSTed: a stop lets
  // them finish (bounded), so `printf … | portcullis connect …` prints its answers.
  const unanswered = createPendingSet();
  const inFlight = new Set<Promise<void>>();
  let draining = false;
  let closed = false;
  let stopped: Promise<void> | undefined;

  const sendToClient = async (message: JSONRPCMessage): Promise<void> => {
    if (closed) return;
    await client.send(message).catch((error: unknown) => log(`cannot write to the client: ${describeError(error)}`));
  };

  const sendToGateway = async (message: JSONRPCMessage): Promise<void> => {
    try {
      await gateway.send(message);
    } catch (error) {
      // The transport already reported the failure through onerror (one stderr line); a request also gets an answer.
      if (!isJSONRPCRequest(message)) return;
      pendingInitialize.delete(requestIdKey(message.id));
      const gatewayError = options.takeGatewayError(message.id);
      await sendToClient(gatewayFailureReply(message.id, { error, gatewayError, url: options.gatewayUrl }));
      unanswered.delete(requestIdKey(message.id));
    }
  };

  // A message sent while `initialize` is on its way would go without the session id the gateway is about to assign
  // (and be refused); compliant clients wait for the answer anyway, this keeps one that pipelines working.
  let initializing: Promise<void> | undefined;
  const forward = (message: JSONRPCMessage): Promise<void> =>
    initializing ? initializing.then(() => sendToGateway(message)) : sendToGateway(message);

  client.onmessage = (message) => {
    if (draining) return;
    if (!isJSONRPCRequest(message)) {
      const sending = forward(message);
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
      return;
    }
    unanswered.add(requestIdKey(message.id));
    if (message.method !== 'initialize') return void forward(message);
    pendingInitialize.add(requestIdKey(message.id));
    const gate: Promise<void> = forward(message).finally(() => {
      if (initializing === gate) initializing = undefined;
    });
    initializing = gate;
  };
  client.onerror = (error) => log(`client: ${describeError(error)}`);

  gateway.onmessage = (message) => {
    const id = 'result' in message || 'error' in message ? message.id : undefined;
    if (id !== undefined) noteInitializeResult(id, message);
    void sendToClient(message).finally(() => id !== undefined && unanswered.delete(requestIdKey(id)));
  };
  gateway.onerror = (error) => {
    if (!closed) log(`gateway: ${describeError(error)}`);
  };

  /** Tells the HTTP transport the negotiated version before the client can send its next message (MCP-Protocol-Version). */
  function noteInitializeResult(id: RequestId, message: JSONRPCMessage): void {
    if (!pendingInitialize.delete(requestIdKey(id)) || !('result' in message)) return;
    const version = message.result.protocolVersion;
    if (typeof version === 'string') gateway.setProtocolVersion(version);
  }

  async function stopOnce(): Promise<void> {
    draining = true;
    const drainMs = options.drainTimeoutMs ?? 1_000;
    await withTimeout(Promise.all([unanswered.empty(), Promise.allSettled([...inFlight])]), drainMs);
    const deleteMs = options.deleteTimeoutMs ?? 2_000;
    const ended = await withTimeout(
      gateway.terminateSession().then(
        () => true,
        (error: unknown) => (log(`could not end the gateway session: ${describeError(error)}`), true),
      ),
      deleteMs,
    );
    if (ended === undefined) log(`the gateway did not answer the session DELETE within ${deleteMs} ms`);
    closed = true;
    await gateway.close().catch(() => undefined);
    await client.close().catch(() => undefined);
  }

  return {
    async start() {
      await gateway.start();
      await client.start();
    },
    stop() {
      stopped ??= stopOnce();
      return stopped;
    },
  };
}

/** A set of keys with a promise for the moment it is empty. */
function createPendingSet(): { add(key: string): void; delete(key: string): void; empty(): Promise<void> } {
  const keys = new Set<string>();
  let waiters: (() => void)[] = [];
  return {
    add: (key) => void keys.add(key),
    delete(key) {
      if (!keys.delete(key) || keys.size > 0) return;
      for (const wake of waiters) wake();
      waiters = [];
    },
    empty: () => (keys.size === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
}

/** `promise`'s value, or undefined once `ms` have passed. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
