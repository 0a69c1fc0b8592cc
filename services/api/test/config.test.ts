import { developmentSecrets, loadConfig } from '@backbone/platform';

import { apiConfigShape } from '../src/config';

describe('api config', () => {
  it('accepts the development API key', () => {
    const config = loadConfig(apiConfigShape, { env: { API_KEYS: developmentSecrets.API_KEYS } });

    expect(config.API_KEYS).toEqual([developmentSecrets.API_KEYS]);
  });

  it('rejects a key under 16 characters', () => {
    const load = () => loadConfig(apiConfigShape, { env: { API_KEYS: 'short-key' } });

    expect(load).toThrow('API_KEYS: every key must have at least 16 characters');
  });
});
