#!/usr/bin/env node
// The installed command runs the compiled CLI (`npm ci` builds dist/ through the prepare script).
import { runCli } from '../dist/main.js';

process.exitCode = await runCli(process.argv.slice(2), process.env);
