/**
 * Process entry of the `portcullis` CLI: parses the command and runs it. The only module with start-up side effects
 * is bin/portcullis.js, which calls `runCli`.
 */
import { createInterface } from 'node:readline';
import { type CliIo, EXIT, UsageError } from './cli/io.js';
import { AGENTS_HELP, runAgents } from './cli/agents.js';
import { CONNECT_HELP, runConnect } from './cli/connect.js';
import { KEYGEN_HELP, runKeygen } from './cli/keygen.js';
import { KEYS_HELP, runKeys } from './cli/keys.js';
import { LOGS_HELP, runLogs } from './cli/logs.js';
import { GUARDS_HELP, runGuards } from './cli/guards.js';
import { PINS_HELP, runPins } from './cli/pins.js';
import { QUARANTINE_HELP, runQuarantine } from './cli/quarantine.js';
import { RULES_HELP, runRules } from './cli/rules.js';
import { SCAN_HELP, runScan } from './cli/scan.js';
import { SERVE_HELP, runServe } from './cli/serve.js';
import { VERIFY_HELP, runVerify } from './cli/verify.js';

export const MAIN_HELP = `Usage: portcullis <command> [options]

Portcullis is a security gateway for the Model Context Protocol.

Commands:
  serve       run the gateway (npm start runs: portcullis serve)
  verify      check the config and print every problem
  logs        read the audit log
  agents      list agents; suspend or unsuspend one
  keygen      create an agent's Ed25519 key pair
  keys        list, rotate or revoke agents' keys
  connect     a stdio MCP server that signs as an agent and forwards to the gateway
  scan        scan JSONL text with the loaded rules; one verdict per line
  rules       list the loaded rules, explain one, or test their examples
  pins        review changed tool definitions (hidden until approved)
  quarantine  review held calls: list, show, approve, reject
  guards      list the WASM guards and their status, or test one on a case

Every command takes --config FILE (default config/portcullis.yaml) and --help.
`;

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; help: string }>> = {
  serve: { run: runServe, help: SERVE_HELP },
  verify: { run: runVerify, help: VERIFY_HELP },
  logs: { run: runLogs, help: LOGS_HELP },
  agents: { run: runAgents, help: AGENTS_HELP },
  keygen: { run: runKeygen, help: KEYGEN_HELP },
  keys: { run: runKeys, help: KEYS_HELP },
  connect: { run: runConnect, help: CONNECT_HELP },
  scan: { run: runScan, help: SCAN_HELP },
  rules: { run: runRules, help: RULES_HELP },
  pins: { run: runPins, help: PINS_HELP },
  quarantine: { run: runQuarantine, help: QUARANTINE_HELP },
  guards: { run: runGuards, help: GUARDS_HELP },
};

export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const io: CliIo = {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    env,
    lines: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
  };
  return runCommand(argv, io);
}

/** Runs one command with the given IO; returns the exit code. */
export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(MAIN_HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`portcullis: unknown command '${name}'\n\n${MAIN_HELP}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`portcullis ${name}: ${error.message}\n\n${command.help}`);
      return EXIT.usage;
    }
    io.err(`portcullis ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.userError;
  }
}
