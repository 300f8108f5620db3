import { spawnSync } from "node:child_process";
import * as path from "node:path";

import { devStackSetting, projectWith, REPO_ROOT } from "./projectFixture";

/** The resource types registered when the image build fails (tests/infra/failingBuild.ts). */
function registeredWithFailingBuild(rootDir: string, stack: string): { types: string[]; error?: string } {
    const tsNode = path.join(REPO_ROOT, "node_modules/ts-node/dist/bin.js");
    // The exit status is not the verdict: the SDK reports the promises the failed build left pending.
    const run = spawnSync(process.execPath, [tsNode, "--transpile-only", path.join(__dirname, "failingBuild.ts"), rootDir, stack], { cwd: REPO_ROOT, encoding: "utf8" });
    const last = run.stdout.trim().split("\n").pop() ?? "";
    if (!last.startsWith("{")) throw new Error(`no result from failingBuild.ts: ${run.stderr}`);
    return JSON.parse(last);
}

test("a failed image build registers no Kubernetes object: every object waits for the docker.Image", () => {
    const { types, error } = registeredWithFailingBuild(REPO_ROOT, "dev");
    expect(error).toBeUndefined();
    expect(types).toContain("docker:index/image:Image");
    expect(types.filter((t) => t.startsWith("kubernetes:"))).toEqual([]);
});

test("a failed validation registers nothing at all", () => {
    const dir = projectWith("dev", devStackSetting({ "ragstar:tmpSizeLimit": "64MB" }));
    const { types, error } = registeredWithFailingBuild(dir, "dev");
    expect(error).toMatch(/^ConfigError: .*ragstar:tmpSizeLimit: "64MB": not a Kubernetes quantity/s);
    expect(types).toEqual([]);
});

test("with pull credentials, the managed pull Secret waits for the build too", () => {
    const image = { registry: "registry.example.com/platform", repository: "ragstar", username: "deploy-bot" };
    const stackYaml = `${devStackSetting({ "ragstar:image": image }).trimEnd()}\n  ragstar:registryPassword:\n    secure: v1:cHVsbC1wYXNzd29yZA==\n`;
    const { types, error } = registeredWithFailingBuild(projectWith("dev", stackYaml), "dev");
    expect(error).toBeUndefined();
    expect(types).toContain("docker:index/image:Image");
    expect(types.filter((t) => t.startsWith("kubernetes:"))).toEqual([]);
});
