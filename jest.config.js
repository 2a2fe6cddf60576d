/** @type {import('jest').Config} */
module.exports = {
  // Node's environment plus a check that nothing a test file opened outlives it (a hang after the last test).
  testEnvironment: '<rootDir>/test/environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // @middy/core and @svta's ISO BMFF reader ship ESM only; let swc turn them into CommonJS for Jest's module system.
  transformIgnorePatterns: ['/node_modules/(?!@middy/|@svta/)'],
  moduleNameMapper: {
    '^@middy/core$': '<rootDir>/node_modules/@middy/core/index.js',
    '^@svta/(cml-iso-bmff|cml-utils)$': '<rootDir>/node_modules/@svta/$1/dist/index.js',
  },
  setupFiles: ['<rootDir>/test/setup.ts'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  testTimeout: 60_000,
};
