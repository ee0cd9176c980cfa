/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type-checking is `tsc --noEmit` (npm run typecheck); with `isolatedModules` in tsconfig, ts-jest
  // only transpiles each file, which keeps jest fast. ts-jest rather than @swc/jest and jest 29 rather
  // than 30: their per-platform native packages cannot all be recorded in the lockfile from the registry
  // mirror we build on, and a lockfile missing them makes `npm ci` refuse to install.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/setup-polyfills.ts'],
  testTimeout: 60_000,
};
