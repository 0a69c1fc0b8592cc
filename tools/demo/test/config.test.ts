import { developmentSecrets } from '@backbone/platform';

import { loadDemoConfig } from '../src/config';

describe('loadDemoConfig', () => {
  it('defaults to the local stack', () => {
    const config = loadDemoConfig([], {});

    expect(config).toEqual({
      API_URL: 'http://localhost:3000',
      API_KEY: developmentSecrets.API_KEYS,
      MAIL_URL: 'http://localhost:1080',
      DEMO_WAIT_TIMEOUT_MS: 30_000,
      imagePath: undefined,
    });
  });

  it('strips a trailing slash from URLs', () => {
    const config = loadDemoConfig([], { API_URL: 'http://127.0.0.1:4000/', MAIL_URL: 'http://127.0.0.1:4001/' });

    expect(config.API_URL).toBe('http://127.0.0.1:4000');
    expect(config.MAIL_URL).toBe('http://127.0.0.1:4001');
  });

  it('resolves the photo path against INIT_CWD', () => {
    const config = loadDemoConfig(['photos/map.jpg'], { INIT_CWD: '/home/player/game' });

    expect(config.imagePath).toBe('/home/player/game/photos/map.jpg');
  });

  it('keeps an absolute photo path', () => {
    const config = loadDemoConfig(['/data/map.png'], { INIT_CWD: '/home/player/game' });

    expect(config.imagePath).toBe('/data/map.png');
  });

  it('lists every invalid variable', () => {
    const load = () => loadDemoConfig([], { API_URL: 'localhost:3000', DEMO_WAIT_TIMEOUT_MS: '-5' });

    expect(load).toThrow(
      'Invalid demo configuration:\n  API_URL: must be an http:// or https:// URL\n  DEMO_WAIT_TIMEOUT_MS: Too small: expected number to be >0',
    );
  });
});
