/*
 * Container health check: GET /healthz on this container's service and exit
 * 0 on a 2xx response, 1 otherwise. Usage: `node docker/healthcheck.js [port]`.
 * Without a port it reads the service from PID 1's command line (tini runs
 * `node services/<name>/dist/main.js`): the api listens on API_PORT, the
 * realtime gateway on REALTIME_PORT, every other service on OPS_PORT. Plain CommonJS with no dependencies, because it
 * runs inside the production image.
 */
const { readFileSync } = require('node:fs');
const { request } = require('node:http');

const TIMEOUT_MS = 4000;
const SERVICE_PATTERN = /services\/([a-z0-9-]+)\/dist\/main\.js/;

/** Services that serve /healthz on their own port: the variable that sets it and its default. */
const OWN_PORTS = {
  api: ['API_PORT', 3000],
  realtime: ['REALTIME_PORT', 3001],
};

/** Port of the /healthz endpoint for a service started with `commandLine` in `env`. */
function healthPort(commandLine, env) {
  const service = SERVICE_PATTERN.exec(commandLine)?.[1];
  const [variable, fallback] = OWN_PORTS[service] ?? ['OPS_PORT', 9100];
  const value = env[variable];
  return value === undefined || value === '' ? fallback : Number(value);
}

function readInitCommandLine() {
  try {
    return readFileSync('/proc/1/cmdline', 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function check(port) {
  const call = request({ host: '127.0.0.1', port, path: '/healthz', timeout: TIMEOUT_MS }, (response) => {
    response.resume();
    const healthy = response.statusCode >= 200 && response.statusCode < 300;
    if (!healthy) {
      process.stderr.write(`GET /healthz on port ${port} returned ${response.statusCode}\n`);
    }
    process.exit(healthy ? 0 : 1);
  });
  call.on('timeout', () => call.destroy(new Error(`timed out after ${TIMEOUT_MS} ms`)));
  call.on('error', (error) => {
    process.stderr.write(`GET /healthz on port ${port} failed: ${error.message}\n`);
    process.exit(1);
  });
  call.end();
}

if (require.main === module) {
  const port = process.argv[2] === undefined ? healthPort(readInitCommandLine(), process.env) : Number(process.argv[2]);
  check(port);
}

module.exports = { healthPort };
