// Image pipeline tests: real Docker engine, registry and base image, started by
// scripts/with-image-infra (see scripts/test). Separate from the unit tests because
// they need those parts and take minutes, not seconds.
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/image"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 600000,
};
