/**
 * One Jest run over every package and service. Tests import workspace
 * packages from their TypeScript sources, so `jest` needs no build first.
 * Tests that start a service as a child process run its compiled output,
 * which `npm test` builds before Jest starts.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/tools'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    '^@backbone/(contracts|platform|redis-harness|game-store)$': '<rootDir>/packages/$1/src/index.ts',
    '^@backbone/(api|worker|scheduler|cache-invalidator|realtime)$': '<rootDir>/services/$1/src/index.ts',
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  testTimeout: 30_000,
  maxWorkers: 2,
};
