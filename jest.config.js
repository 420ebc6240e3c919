// Three tiers (STYLE.md rule 9): unit specs beside the code, integration and e2e under test/.
// Integration and e2e talk to the machine's real NATS and Postgres with isolated names per run.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] };
// `@wiz/contracts/vocabulary`: one module of a library, for clients that must not load all of it.
const moduleNameMapper = { '^@wiz/([^/]+)/(.+)$': '<rootDir>/libs/$1/src/$2', '^@wiz/(.*)$': '<rootDir>/libs/$1/src' };
const base = { rootDir: __dirname, transform, moduleNameMapper, testEnvironment: 'node' };
module.exports = {
  // Global option (not per project): e2e tests start processes and wait for redeliveries.
  testTimeout: 60000,
  // Suites run side by side in 3 workers: most of a suite's time is waiting (servers starting,
  // redeliveries, leases expiring), and each has its own bus prefix, schema and loopback ports
  // (isolation.ts). On 2 cores jest took 673 s in band, 352 s with 2 workers, 235 s with 4; with
  // 3 workers beside two busy-looping processes (a machine ~3 times slower) it passed in 436 s,
  // its longest test at 69 s of its 150 s timeout.
  maxWorkers: 3,
  // A worker keeps what every test file it ran left in memory (vm contexts leak: nodejs/node#33439),
  // ~20-30 MB a file here, 370-500 MB of heap after 16 files; freeing that at exit took its process
  // over the 500 ms jest allows after the last file ("A worker process has failed to exit
  // gracefully" in every run, with no handle left open). Above this a worker is replaced between files.
  workerIdleMemoryLimit: '300MB',
  // Processes a failed test left running are killed at the end, so jest exits (child-registry.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'] },
    // Property-based fuzzing of every REST route and WS frame (fast-check); see docs/security.md.
    { ...base, displayName: 'fuzz', testMatch: ['<rootDir>/test/fuzz/**/*.spec.ts'] },
  ],
};
