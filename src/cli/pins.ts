/** `portcullis pins list | approve ID`: changed tool definitions awaiting approval, through the running gateway. */
import type { PinView } from '../http/admin-pins.js';
import { callAdmin } from './admin-client.js';
import { configPathFrom, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { loadConfigForCli } from './load-config.js';

export const PINS_HELP = `Usage: portcullis pins list [--json] [--reviewer NAME]
       portcullis pins approve ID [--reviewer NAME]

Every tool is pinned by the SHA-256 of its definition (name, description, input schema) the first time the gateway
sees it. When a backend later serves a changed definition, that tool is hidden and its calls are denied until an
operator approves the new version. 'list' shows the changes waiting, each with a diff; 'approve' accepts one.

Both go through the running gateway's admin API (a token from admin.tokens; --reviewer picks which, and its name is
recorded with the approval).
`;

export async function runPins(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { reviewer: { type: 'string' }, json: { type: 'boolean' } }, 2);
  if (values.help) return io.out(PINS_HELP), EXIT.ok;
  const [action, id] = positionals;
  if (action !== 'list' && action !== 'approve') throw new UsageError('expected list or approve');
  if (action === 'approve' && (id === undefined || !/^[1-9]\d{0,15}$/.test(id))) throw new UsageError('approve needs a pin id (portcullis pins list shows them)');
  if (action === 'list' && id !== undefined) throw new UsageError(`unexpected argument: ${id}`);
  const config = loadConfigForCli(configPathFrom(values, io.env), io);
  if (!config) return EXIT.userError;
  const reviewer = values.reviewer as string | undefined;
  const result =
    action === 'list'
      ? await callAdmin(config, reviewer, { method: 'GET', path: '/v1/admin/pins' })
      : await callAdmin(config, reviewer, { method: 'POST', path: `/v1/admin/pins/${id}/approve` });
  if (result.kind === 'no_gateway') {
    io.err('No gateway is running: pins are reviewed through the running gateway (portcullis serve).\n');
    return EXIT.userError;
  }
  if (result.kind === 'failed') return io.err(`${result.message}\n`), EXIT.userError;
  const pins = action === 'list' ? (result.body as { pins: PinView[] }).pins : [result.body as PinView];
  for (const pin of pins) io.out(values.json ? `${JSON.stringify(pin)}\n` : describePin(pin));
  if (action === 'list' && pins.length === 0 && !values.json) io.out('No changed tool definitions await approval.\n');
  return EXIT.ok;
}

function describePin(pin: PinView): string {
  const head = `${String(pin.id).padEnd(6)} ${pin.status.padEnd(9)} ${pin.backend}/${pin.tool}  (changed ${pin.first_seen}, sha256 ${pin.sha256.slice(0, 12)}…)\n`;
  return pin.status === 'pending' && pin.diff ? `${head}${pin.diff.split('\n').map((line) => `    ${line}`).join('\n')}\n` : head;
}
