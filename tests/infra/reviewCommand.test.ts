/**
 * `npm run --silent review` on real commits: a scratch repository holding this project (tests/infra/scratchRepo.ts),
 * one branch per change, and the scratch's own review command. Each report is compared line by line
 * with a golden file in tests/infra/fixtures/review/ (commit ids replaced by their branch names);
 * the base side is checked to come from the base's own files, and the exit status and clean-up too.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { parse } from "yaml";

import { renderStack } from "../../infra/tools/render/render";
import { REPO_ROOT } from "./projectFixture";
import { scratchRepo, type ScratchRepo } from "./scratchRepo";

jest.setTimeout(180_000);

const GOLDEN = path.join(REPO_ROOT, "tests/infra/fixtures/review");
/** The digest staging and prod run in the committed stack files. */
const COMMITTED = "f37dac0820d05d68e46f485cda10ae7096bd097d36df2d42f0c6235268758b8e";
const NEW_DIGEST = "2222222222222222222222222222222222222222222222222222222222222222";

let repo: ScratchRepo;
/** Short commit id → name, for the golden files. */
const names = new Map<string, string>();

function name(ref: string, as: string): void {
    names.set(repo.git(["rev-parse", ref]).slice(0, 12), as);
}

/** The report with every commit id of the scratch repository replaced by its name. */
function normalized(report: string): string {
    let text = report;
    for (const [id, as] of names) text = text.split(id).join(`<${as}>`);
    return text;
}

/** Compare with a golden file line by line, so a failure names the first line that differs. */
function expectGolden(report: string, file: string): void {
    const expected = fs.readFileSync(path.join(GOLDEN, file), "utf8").split("\n");
    const actual = normalized(report).split("\n");
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) expect(`${file}:${i + 1}: ${actual[i]}`).toBe(`${file}:${i + 1}: ${expected[i]}`);
}

beforeAll(() => {
    repo = scratchRepo();
    name("base", "base");
});
afterAll(() => repo?.remove());

test("a probe timing change: the HEALTHCHECK line and the derived probe fields of every stage", async () => {
    repo.git(["checkout", "-q", "-b", "probe", "base"]);
    repo.edit("Dockerfile", "HEALTHCHECK --interval=30s", "HEALTHCHECK --interval=20s");
    repo.commit("probe: the HEALTHCHECK every 20 s");
    name("probe", "probe");
    const result = repo.review(["--base", "base", "--head", "probe"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expectGolden(result.stdout, "probe.md");

    // Base comes from base's own files: its values are those of the render base committed
    // (rendered/, kept fresh by rendered.test.ts); head's are a render of head's Dockerfile.
    for (const stage of ["dev", "staging", "prod"]) {
        const committed = parse(fs.readFileSync(path.join(repo.dir, "rendered", stage, "deployment-ragstar.yaml"), "utf8")).spec.template.spec.containers[0];
        const head = (await renderStack(stage, repo.dir)).objects.find((o) => o.kind === "Deployment") as unknown as { spec: { template: { spec: { containers: Record<string, Record<string, number>>[] } } } };
        const headContainer = head.spec.template.spec.containers[0];
        const lines = result.stdout.split("\n").filter((l) => l.includes(`ragstar${stage === "prod" ? "" : `-${stage}`}/ragstar: spec.template.spec.containers[ragstar].`) && /Probe\./.test(l));
        expect(lines).toHaveLength(3);
        for (const line of lines) {
            const [, probe, field, before, after] = /containers\[ragstar\]\.(\w+)\.(\w+): (\d+) → (\d+)/.exec(line) as RegExpExecArray;
            expect(Number(before)).toBe(committed[probe][field]);
            expect(Number(after)).toBe(headContainer[probe][field]);
        }
    }
});

test("a resource change in one stack file: one field-level diff in that stage only", () => {
    repo.git(["checkout", "-q", "-b", "resources", "base"]);
    repo.edit("Pulumi.prod.yaml", "      memory: 1Gi", "      memory: 2Gi");
    repo.edit("Pulumi.prod.yaml", "      cpu: 500m", "      cpu: 750m");
    repo.commit("resources: prod gets more memory and cpu");
    name("resources", "resources");
    const result = repo.review(["--base", "base", "--head", "resources"]);
    expect(result.status).toBe(0);
    expectGolden(result.stdout, "resources.md");
});

test("a promotion from staging to prod, then a rollback, are named as such", () => {
    repo.git(["checkout", "-q", "-b", "promotion", "base"]);
    repo.edit("Pulumi.staging.yaml", COMMITTED, NEW_DIGEST);
    repo.commit("staging runs a new digest");
    name("HEAD", "staging-new");
    repo.edit("Pulumi.prod.yaml", COMMITTED, NEW_DIGEST);
    repo.commit("promote the new digest to prod");
    name("HEAD", "promotion");
    const promotion = repo.review(["--base", "promotion~1", "--head", "promotion"]);
    expect(promotion.status).toBe(0);
    expectGolden(promotion.stdout, "promotion.md");

    repo.edit("Pulumi.prod.yaml", NEW_DIGEST, COMMITTED);
    repo.commit("roll prod back");
    name("HEAD", "rollback");
    const rollback = repo.review(["--base", "promotion~1", "--head", "promotion"]);
    expect(rollback.status).toBe(0);
    expectGolden(rollback.stdout, "rollback.md");
});

test("a securityContext weakening in the program: called out first, with the rule it breaks, exit 1", () => {
    repo.git(["checkout", "-q", "-b", "weaken", "base"]);
    repo.edit("infra/k8s/securityContext.ts", "readOnlyRootFilesystem: true,\n", "readOnlyRootFilesystem: false,\n");
    repo.edit("infra/k8s/securityContext.ts", "allowPrivilegeEscalation: false,\n", "allowPrivilegeEscalation: true,\n");
    repo.commit("weaken: a writable root and privilege escalation");
    name("weaken", "weaken");
    const result = repo.review(["--base", "base", "--head", "weaken"]);
    expect(result.status).toBe(1);
    expectGolden(result.stdout, "weaken.md");
    // The program changed at head only: base's side still has the hardened values (its own program).
    expect(result.stdout).toContain("securityContext.readOnlyRootFilesystem: true → false");
});

test("new waivers in the working tree (no --head): the program's annotation and a Dockerfile comment", () => {
    repo.git(["checkout", "-q", "base"]);
    repo.edit("infra/review/waivers.ts", 'kubeScore.push("container-image-pull-policy");', 'kubeScore.push("container-image-pull-policy", "container-ephemeral-storage-request-equals-limit");\n    reasons.push("container-ephemeral-storage-request-equals-limit: the tmp volume\'s limit is the bound; the request stays lower");');
    repo.edit("Dockerfile", "FROM ${PYTHON_IMAGE} AS runtime", "# hadolint ignore=DL3006\nFROM ${PYTHON_IMAGE} AS runtime");
    const result = repo.review(["--base", "base"]);
    expect(result.status).toBe(0);
    expectGolden(result.stdout, "waiver.md");
    // The working tree is read, never written: the edits are still there and nothing else changed.
    expect(repo.git(["status", "--porcelain"]).split("\n").map((l) => l.trim()).sort()).toEqual(["M Dockerfile", "M infra/review/waivers.ts"]);
    repo.git(["checkout", "-q", "--", "."]);
});

test("bad usage exits 2 with one line: no --base, a ref that is not a commit", () => {
    expect(repo.review([])).toMatchObject({ status: 2, stdout: "", stderr: "--base REF is required (the branch the change goes into, e.g. --base origin/main)\nusage: npm run --silent review -- --base REF [--head REF] [--out FILE]\n" });
    const bad = repo.review(["--base", "no-such-branch"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe(`--base no-such-branch: not a commit in ${repo.dir} (git rev-parse found none; give a branch, tag or commit id)`);
    expect(repo.review(["--base", "base", "--head", "nope"]).stderr.split("\n")[0]).toMatch(/^--head nope: not a commit/);
    expect(repo.review(["--base", "base", "--head", ""]).stderr.split("\n")[0]).toBe("--head is empty: give a branch, tag or commit id");
    expect(repo.review(["--base", "base", "--out", "/no/such/folder/review.md"])).toMatchObject({ status: 2, stdout: "" });
    expect(repo.review(["--base", "base", "--head=-x"])).toMatchObject({ status: 2, stdout: "" });
});

test("docs/review.md's example is what the command prints for its two real commits of this repository", () => {
    const docs = fs.readFileSync(path.join(REPO_ROOT, "docs/review.md"), "utf8");
    const example = /<!-- review-example:start -->\n````markdown\n([\s\S]*?)````\n<!-- review-example:end -->/.exec(docs)?.[1];
    expect(example).toBeDefined();
    const [, base, head] = /^# Infrastructure review: `([^`]+)` \([0-9a-f]+\) → `([0-9a-f]+)`$/m.exec(example as string) as RegExpExecArray;
    if (spawnSync("git", ["cat-file", "-e", `${head}^{commit}`], { cwd: REPO_ROOT }).status !== 0) throw new Error(`commit ${head} is not in this clone: the example needs the repository's history (git fetch --unshallow)`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["HADOLINT", "CHECKOV", "KUBE_SCORE"].includes(k)));
    const result = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--swc", path.join(REPO_ROOT, "infra/tools/cli/review.ts"), "--base", base, "--head", head], { cwd: REPO_ROOT, encoding: "utf8", env: clean, timeout: 120_000 });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(example);
});

/** The review's temporary folders in the scratch TMPDIR (ts-node keeps its v8-compile-cache there too). */
const reviewFolders = () => fs.readdirSync(repo.tmpdir).filter((f) => f.startsWith("ragstar-review-"));

test("every temporary folder a review made is gone (the reviews ran with their own TMPDIR)", () => {
    expect(reviewFolders()).toEqual([]);
});

test("a review interrupted by SIGTERM removes what it made", async () => {
    const tsNode = require.resolve("ts-node/dist/bin.js");
    const child = spawn(process.execPath, [tsNode, "--swc", path.join(repo.dir, "infra/tools/cli/review.ts"), "--base", "base", "--head", "probe"], { cwd: repo.dir, env: { ...process.env, TMPDIR: repo.tmpdir }, stdio: "ignore" });
    // Wait until the review has made its folders (both sides extracted and rendering), then stop it.
    const deadline = Date.now() + 30_000;
    while (reviewFolders().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(reviewFolders().length).toBeGreaterThanOrEqual(3);
    child.kill("SIGTERM");
    const signal = await new Promise((resolve) => child.on("exit", (_code, s) => resolve(s)));
    expect(signal).toBe("SIGTERM");
    expect(reviewFolders()).toEqual([]);
});
