// The real node: pods run under the kubelet, containerd and runc of scripts/lib/node.sh, pulling
// the image from the authenticated registry of scripts/with-image-infra (see scripts/test).
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests/node"],
    testMatch: ["**/*.test.ts"],
    testTimeout: 900000,
    maxWorkers: 1,
};
