// The supply chain: cosign and syft (scripts/with-supply-chain) against the authenticated registry
// of scripts/with-image-infra and a second registry the tests start (see scripts/test).
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/supplyChain"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 600000,
    maxWorkers: 1,
};
