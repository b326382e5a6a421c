// The test projects, one per workspace package. vitest 4 no longer reads a workspace file by itself:
// vitest.config.ts imports this list as its `test.projects`.
export default ['packages/ipc-protocol', 'packages/procfs', 'packages/wa-web-emulator', 'apps/worker', 'apps/supervisor', 'apps/dashboard'];
