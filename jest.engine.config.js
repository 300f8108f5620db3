// The real Pulumi engine: the local stack's preview, up, idempotence, a config change, the
// policy pack and destroy. The CLI, the provider, the Docker engine and the registry come
// from scripts/with-image-infra and scripts/with-pulumi (see scripts/test).
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/engine"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 600000,
};
