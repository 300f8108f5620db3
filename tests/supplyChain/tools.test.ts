/**
 * The supply-chain tools are the releases scripts/lib/versions.sh pins: each build stamps its
 * release's version string, as the projects' own release builds do.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const versions = fs.readFileSync(path.join(__dirname, "../../scripts/lib/versions.sh"), "utf8");
const pinned = (name: string) => versions.match(new RegExp(`^${name}=(\\S+)$`, "m"))?.[1];

test("cosign reports the pinned release", () => {
    const run = spawnSync(process.env.COSIGN ?? "cosign", ["version", "--json"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).gitVersion).toBe(pinned("COSIGN_VERSION"));
});

test("syft reports the pinned release", () => {
    const run = spawnSync(process.env.SYFT ?? "syft", ["version", "--output", "json"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(`v${JSON.parse(run.stdout).version}`).toBe(pinned("SYFT_VERSION"));
});
