export { runCli, type CliOptions } from './program.js';
export { ExitCode, exitCodeFor } from './exit-codes.js';
export type { Output } from './output.js';
export { governanceFrom, type Governance } from './governance.js';
