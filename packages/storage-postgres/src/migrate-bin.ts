#!/usr/bin/env node
import { runMigrateCommand } from './migrate-command.js';

process.exitCode = await runMigrateCommand(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
