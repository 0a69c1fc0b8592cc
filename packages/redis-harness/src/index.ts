export { findFreePort } from './free-port';
export { MISSING_BINARY_MESSAGE, RedisTestServer, type RedisTestServerOptions } from './redis-test-server';
