import { loadDemoConfig } from './config';
import { runDemo } from './run-demo';

/*
 * `npm run demo [-- path/to/photo.jpg]`: walks through the running system
 * over its REST API and exits 1 at the first step whose result is not the
 * expected one.
 */

async function main(): Promise<number> {
  const config = loadDemoConfig(process.argv.slice(2));
  return runDemo(config, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
