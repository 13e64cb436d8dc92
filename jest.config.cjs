/** Unit and integration tests are separate projects: `npm run test:unit` needs nothing running. */
const swc = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@middy|@seriousme)/)'],
  setupFilesAfterEnv: ['<rootDir>/test/support/secret-leak-guard.ts'],
  // In Lambda this package comes from the tracing layer (lib/tracing.ts); here, from its source.
  moduleNameMapper: { '^dms-status-xray-tracing$': '<rootDir>/lib/xray-tracing.ts' },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    // Packages the service (serverless package, offline) and checks the template and zips.
    { ...common, displayName: 'deploy', testMatch: ['<rootDir>/test/deploy/**/*.test.ts'] },
  ],
  testTimeout: 30000,
};
