/**
 * scripts/lib/versions.sh is the one home of the pinned tool versions; where the README and the
 * docs name a version, it must be that one.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { REPO_ROOT } from "./projectFixture";

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

/** NAME=value assignments of versions.sh (plain ones; the provider table is checked by the scripts). */
function pins(): Record<string, string> {
    return Object.fromEntries([...read("scripts/lib/versions.sh").matchAll(/^([A-Z_]+_VERSION)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** How a doc names each tool's version: the pattern captures the version text. */
const MENTIONS: [string, RegExp][] = [
    ["KUBE_VERSION", /kube-apiserver v(\d+\.\d+\.\d+)/g],
    ["KUBE_VERSION", /\.tools\/kubernetes-v(\d+\.\d+\.\d+)/g],
    ["ETCD_VERSION", /etcd v(\d+\.\d+\.\d+)/g],
    ["KWOK_VERSION", /kwok (v\d+\.\d+\.\d+)/g],
    ["HADOLINT_VERSION", /hadolint (\d+\.\d+\.\d+)/g],
    ["CHECKOV_VERSION", /checkov (\d+\.\d+\.\d+)/g],
    ["KUBE_SCORE_VERSION", /kube-score (v\d+\.\d+\.\d+)/g],
    ["KUBE_NETWORK_POLICIES_VERSION", /kube-network-policies (v\d+\.\d+\.\d+)/g],
    ["COSIGN_VERSION", /cosign (v\d+\.\d+\.\d+)/g],
    ["SYFT_VERSION", /syft (v\d+\.\d+\.\d+)/g],
    ["ACTIONLINT_VERSION", /actionlint (v\d+\.\d+\.\d+)/g],
];

describe("pinned tool versions", () => {
    const pinned = pins();

    it("reads every pin", () => {
        expect(Object.keys(pinned).sort()).toEqual(["ACTIONLINT_VERSION", "CHECKOV_VERSION", "COSIGN_VERSION", "ETCD_VERSION", "HADOLINT_VERSION", "KUBE_NETWORK_POLICIES_VERSION", "KUBE_SCORE_VERSION", "KUBE_VERSION", "KWOK_VERSION", "SYFT_VERSION"]);
    });

    it.each(["README.md", "docs/review.md", "docs/performance.md", "docs/probes.md", "docs/node.md"])("%s names only the pinned versions", (file) => {
        const text = read(file);
        const wrong = MENTIONS.flatMap(([name, pattern]) => [...text.matchAll(pattern)].filter((m) => m[1] !== pinned[name]).map((m) => `${m[0]} (pinned: ${pinned[name]})`));
        expect(wrong).toEqual([]);
    });

    it("finds the README's mentions", () => {
        expect([...read("README.md").matchAll(MENTIONS[0][1])].length).toBeGreaterThan(0);
    });

    it("finds docs/node.md's mention of the NetworkPolicy engine's version", () => {
        const engine = MENTIONS.find(([name]) => name === "KUBE_NETWORK_POLICIES_VERSION")![1];
        expect([...read("docs/node.md").matchAll(engine)].map((m) => m[1])).toContain(pins().KUBE_NETWORK_POLICIES_VERSION);
    });

    it("is the only script file that assigns a version", () => {
        const scripts = ["scripts/main", "scripts/test", "scripts/test-python", "scripts/with-checkers", "scripts/with-cluster", "scripts/with-image-infra", "scripts/with-pulumi", "scripts/with-supply-chain", ...fs.readdirSync(path.join(REPO_ROOT, "scripts/lib")).map((f) => `scripts/lib/${f}`)];
        const assigning = scripts.filter((f) => f !== "scripts/lib/versions.sh" && /^\s*(declare -\w+ )?[A-Z_]+_VERSION=/m.test(read(f)));
        expect(assigning).toEqual([]);
    });
});
