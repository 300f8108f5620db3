/**
 * `bash scripts/main`, then `bash scripts/main stop-cluster`, then `bash scripts/main` again: the
 * second run used to fail with `deployments.apps "ragstar" not found` (the stack's state listed
 * objects of a cluster that was wiped). Run in a scratch copy of the checkout (its own
 * .cache: control plane, node, registry, local stack), so a cluster of this checkout is never
 * touched; the built tools and npm packages are shared, as a clone's caches would be.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ROOT_DIR } from "../../infra/paths";

const copy = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-main-job-"));

/** The environment of a user's shell: none of the variables the entry scripts export. */
function userEnvironment(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const name of Object.keys(env)) {
        if (/^(KUBECONFIG|KUBE_BIN|NODE_BIN|ETCD_BIN|KWOK_BIN|REGISTRY.*|RELEASE_REGISTRY.*|COSIGN|SYFT|PULUMI_.*|PYTHON_IMAGE|BASE_IMAGE_KIND|DOCKER_CONFIG|RAGSTAR_.*)$/.test(name)) delete env[name];
    }
    return env;
}

function main(...args: string[]): { code: number; stderr: string; stdout: string } {
    const result = spawnSync("bash", ["scripts/main", ...args], { cwd: copy, env: userEnvironment(), encoding: "utf8", timeout: 600_000 });
    return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

const lastLines = (text: string) => text.trim().split("\n").slice(-8).join("\n");

beforeAll(() => {
    const running = spawnSync("pgrep", ["-af", "kubelet .*--hostname-override ragstar-node-"], { encoding: "utf8" }).stdout.trim();
    if (running) throw new Error(`a node of another checkout runs on this host (${running.split(" ")[0]}): stop it with 'bash scripts/main stop-cluster' there first; one node runs per host`);
    const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT_DIR, encoding: "utf8" }).stdout.split("\0").filter(Boolean);
    for (const file of files) {
        if (!fs.existsSync(path.join(ROOT_DIR, file))) continue; // deleted in the working tree
        fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
        fs.copyFileSync(path.join(ROOT_DIR, file), path.join(copy, file));
    }
    fs.symlinkSync(path.join(ROOT_DIR, "node_modules"), path.join(copy, "node_modules"));
    fs.symlinkSync(path.join(ROOT_DIR, ".tools"), path.join(copy, ".tools"));
});

afterAll(() => {
    main("stop-cluster");
    // The copy's registries (scripts/lib/registry.sh: the push and the release registry) are left
    // running by design; this test started them.
    for (const name of ["registry", "registry-release"]) {
        const pidFile = path.join(copy, `.cache/${name}/registry.pid`);
        if (fs.existsSync(pidFile)) spawnSync("kill", [fs.readFileSync(pidFile, "utf8").trim()]);
    }
    fs.rmSync(copy, { recursive: true, force: true });
});

const answered = /RAGstar answers \/health and \/ready on node (ragstar-node-[0-9a-f]{6}); reach it from this host: curl http:\/\/10\.96\.\d+\.\d+:80\/health$/m;

test("the main job ends with the service answering through its Service on the real node", () => {
    const first = main();
    expect({ code: first.code, tail: lastLines(first.stderr) }).toEqual({ code: 0, tail: expect.stringMatching(answered) });
    // The supply chain on the way (docs/supply-chain.md): attested, promoted to the release
    // registry, and deployed from there, the program verifying it first.
    expect(first.stderr).toMatch(/^attested 127\.0\.0\.1:\d+\/ragstar@sha256:[a-f0-9]{64}: SBOM of \d+ packages \(.*pypi.*\), signed with key SHA256:\S+$/m);
    const released = /^promoted to the release registry: (127\.0\.0\.1:\d+\/ragstar@sha256:[a-f0-9]{64}) \(digest unchanged\), its signature and SBOM verified there$/m.exec(first.stderr);
    expect(released).not.toBeNull();
    expect(JSON.parse(first.stdout.slice(first.stdout.indexOf("{"), first.stdout.lastIndexOf("}") + 1)).image).toBe(released![1]);

    // The clone's random secrets as canaries: the signing key's password and PEM, both registries'
    // passwords. None in the job's output nor, in clear, in the Pulumi state or the stack config it wrote.
    const read = (file: string) => fs.readFileSync(path.join(copy, file), "utf8").trim();
    const keyLines = read(".cache/pulumi-local/cosign.key").split("\n").filter((l) => l && !l.startsWith("-----"));
    const canaries = [read(".cache/pulumi-local/cosign-password"), read(".cache/registry/password"), read(".cache/registry-release/password"), ...keyLines];
    const stateFiles = fs.readdirSync(path.join(copy, ".pulumi-state"), { recursive: true, encoding: "utf8" }).filter((f) => fs.statSync(path.join(copy, ".pulumi-state", f)).isFile());
    expect(stateFiles.length).toBeGreaterThan(0);
    const state = stateFiles.map((f) => fs.readFileSync(path.join(copy, ".pulumi-state", f), "utf8")).join("\n");
    expect(state).toContain(released![1]);
    const stackConfig = read(".cache/pulumi-local/Pulumi.local.yaml");
    expect(stackConfig).toContain("ragstar:supplyChain");
    for (const canary of canaries) {
        expect(canary.length).toBeGreaterThanOrEqual(16);
        expect(`${first.stdout}${first.stderr}`).not.toContain(canary);
        expect(state).not.toContain(canary);
        expect(stackConfig).not.toContain(canary);
    }
});

test("stop-cluster stops the copy's cluster and node", () => {
    const stopped = main("stop-cluster");
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/node ragstar-node-[0-9a-f]{6} stopped; host restored/);
    expect(stopped.stderr).toContain("control plane stopped");
    expect(fs.existsSync(path.join(copy, ".cache/node"))).toBe(false);
    expect(spawnSync("pgrep", ["-f", `${copy}/.cache/node`]).status).toBe(1); // no process of the copy's node
});

test("the main job runs again on the new, empty cluster (the stack is refreshed first)", () => {
    const again = main();
    expect({ code: again.code, tail: lastLines(again.stderr) }).toEqual({ code: 0, tail: expect.stringMatching(answered) });
    // The same digest, already signed and attested by the clone's key: nothing pushed, the copy a no-op.
    expect(again.stderr).toMatch(/^already attested 127\.0\.0\.1:\d+\/ragstar@sha256:[a-f0-9]{64}: SBOM of \d+ packages/m);
    expect(again.stderr).not.toContain('deployments.apps "ragstar" not found');
});
