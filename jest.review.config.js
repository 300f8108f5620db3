// The field's checkers (hadolint, checkov, kube-score) on the Dockerfile and the committed
// renders; the binaries come from scripts/with-checkers (see scripts/test).
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/review"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 300000,
};
