// The main job's life cycle in a scratch copy of the checkout: scripts/main, stop-cluster,
// scripts/main again (see scripts/test; runs after the cluster tests have stopped their cluster).
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/lifecycle"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 900000,
    maxWorkers: 1,
};
