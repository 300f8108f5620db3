// A real kube-apiserver (with Pod Security admission), controller-manager, scheduler and kwok,
// started by scripts/with-cluster (see scripts/test).
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/cluster"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 600000,
    maxWorkers: 1,
};
