import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { objectFiles, renderStack } from "../../infra/tools/render/render";
import { devStackWith, projectWith, REPO_ROOT } from "../infra/projectFixture";

function tool(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run these tests through scripts/with-checkers (scripts/test does)`);
    return value;
}

function run(binary: string, args: string[]): { code: number; stdout: string; stderr: string } {
    const result = spawnSync(binary, args, { cwd: REPO_ROOT, encoding: "utf8", timeout: 240_000, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: "ERROR" } });
    return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** kube-score findings that are neither OK nor skipped. */
function kubeScore(files: string[]): string[] {
    const result = run(tool("KUBE_SCORE"), ["score", "--output-format", "ci", ...files]);
    const findings = result.stdout.split("\n").filter((line) => /^\[(WARNING|CRITICAL)\]/.test(line));
    if (findings.length === 0 && result.code !== 0) throw new Error(`kube-score failed (exit ${result.code}): ${result.stderr}`);
    return findings;
}

interface CheckovReport {
    summary: { passed: number; failed: number; skipped: number };
    results: { failed_checks: { check_id: string; resource: string }[]; skipped_checks: { check_id: string }[]; passed_checks: { check_id: string }[] };
}

function checkov(args: string[]): CheckovReport {
    const result = run(tool("CHECKOV"), [...args, "--skip-download", "-o", "json"]);
    try {
        return JSON.parse(result.stdout) as CheckovReport;
    } catch {
        throw new Error(`checkov printed no JSON report (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
    }
}

const stacks = fs.readdirSync(path.join(REPO_ROOT, "rendered"));
const yamlFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => path.join(dir, f));

test("hadolint: no findings on the Dockerfile", () => {
    const result = run(tool("HADOLINT"), ["Dockerfile"]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
});

test("checkov: no failed check on the Dockerfile", () => {
    const report = checkov(["-f", "Dockerfile", "--framework", "dockerfile"]);
    expect(report.results.failed_checks.map((c) => c.check_id)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(50);
});

describe.each(stacks)("rendered/%s", (stack) => {
    const dir = path.join(REPO_ROOT, "rendered", stack);

    test("kube-score: no unwaived warning or critical finding", () => {
        expect(kubeScore(yamlFiles(dir))).toEqual([]);
    });

    test("checkov: no failed check", () => {
        const report = checkov(["-d", dir, "--framework", "kubernetes"]);
        expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
        expect(report.summary.passed).toBeGreaterThan(50);
    });
});

test("runAsUser 10001 clears the UID checks of kube-score and checkov without waivers", async () => {
    const render = await renderStack("dev", projectWith("dev", devStackWith("  ragstar:runAsUser: 10001\n")));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-uid10001-"));
    for (const [file, text] of Object.entries(objectFiles(render))) fs.writeFileSync(path.join(dir, file), text);
    const scoreOutput = run(tool("KUBE_SCORE"), ["score", "--output-format", "ci", ...yamlFiles(dir)]).stdout;
    expect(scoreOutput).toMatch(/^\[OK\] \S+ apps\/v1\/Deployment/m);
    expect(scoreOutput).not.toMatch(/low (user|group) ID/);
    expect(kubeScore(yamlFiles(dir))).toEqual([]);
    const report = checkov(["-d", dir, "--framework", "kubernetes"]);
    expect(report.results.passed_checks.map((c) => c.check_id)).toContain("CKV_K8S_40");
    expect(report.results.skipped_checks.map((c) => c.check_id)).not.toContain("CKV_K8S_40");
    expect(report.results.failed_checks).toEqual([]);
});

test("docs/review.md lists every waiver in the Dockerfile and the rendered objects", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs/review.md"), "utf8");
    const waivers = new Set<string>();
    for (const match of fs.readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8").matchAll(/checkov:skip=(\w+)|hadolint ignore=([\w,]+)/g)) {
        for (const id of (match[1] ?? match[2]).split(",")) waivers.add(id);
    }
    for (const stack of stacks) {
        for (const file of yamlFiles(path.join(REPO_ROOT, "rendered", stack))) {
            const text = fs.readFileSync(file, "utf8");
            for (const match of text.matchAll(/kube-score\/ignore: (\S+)/g)) for (const id of match[1].split(",")) waivers.add(id);
            for (const match of text.matchAll(/checkov\.io\/skip\d+: (\w+)=/g)) waivers.add(match[1]);
        }
    }
    expect(waivers.size).toBeGreaterThan(0);
    expect([...waivers].filter((id) => !doc.includes(`\`${id}\``))).toEqual([]);
});
