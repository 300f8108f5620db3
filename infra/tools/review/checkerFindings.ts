/**
 * The field's checkers on one side of a review: hadolint and checkov on its Dockerfile, checkov and
 * kube-score on each stack's rendered files (the same invocations as tests/review/checkers.test.ts,
 * docs/review.md). Findings are normalized without line numbers, so a finding that only moved is not
 * new. The binaries come from HADOLINT, CHECKOV and KUBE_SCORE (set by scripts/with-checkers).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The checkers' paths, or the names of the variables that are not set. */
export type Checkers = { hadolint: string; checkov: string; kubeScore: string } | { missing: string[] };

/** Read the checkers from the environment. */
export function checkersFromEnv(env: NodeJS.ProcessEnv = process.env): Checkers {
    const missing = ["HADOLINT", "CHECKOV", "KUBE_SCORE"].filter((name) => !env[name]);
    if (missing.length > 0) return { missing };
    return { hadolint: env.HADOLINT as string, checkov: env.CHECKOV as string, kubeScore: env.KUBE_SCORE as string };
}

function run(binary: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(binary, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "ERROR" } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

/** checkov's failed checks as `checkov CHECK RESOURCE`. */
async function checkov(binary: string, args: string[], cwd: string, what: string): Promise<string[]> {
    const result = await run(binary, [...args, "--skip-download", "-o", "json"], cwd);
    let report: { results?: { failed_checks?: { check_id: string; resource: string }[] } } | { results?: { failed_checks?: { check_id: string; resource: string }[] } }[];
    try {
        report = JSON.parse(result.stdout);
    } catch {
        throw new Error(`checkov printed no JSON report on ${what} (exit ${result.code}): ${result.stderr.trim().split("\n").pop() ?? ""}`);
    }
    const reports = Array.isArray(report) ? report : [report];
    return reports.flatMap((r) => r.results?.failed_checks ?? []).map((c) => `checkov ${c.check_id} ${c.resource}`);
}

/**
 * Every finding on one side: `hadolint DL3008 warning: …` (line number dropped), `checkov CKV_K8S_8
 * Deployment.ragstar.ragstar`, `kube-score [WARNING] apps/v1/Deployment ragstar …`, each under its
 * place (`Dockerfile` or the stack).
 *
 * @param root the tree whose Dockerfile is checked
 * @param renderDir the `render --all --out` folder of that tree (one folder per stack)
 * @returns place → findings, sorted
 * @throws Error when a checker fails without a report
 */
export async function checkerFindings(checkers: { hadolint: string; checkov: string; kubeScore: string }, root: string, renderDir: string, stacks: string[]): Promise<Map<string, string[]>> {
    const jobs: Promise<[string, string[]]>[] = [];
    jobs.push(
        run(checkers.hadolint, ["--no-color", "Dockerfile"], root).then((r) => {
            const lines = r.stdout.split("\n").filter((l) => /^Dockerfile:\d+ /.test(l));
            if (lines.length === 0 && r.code !== 0) throw new Error(`hadolint failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").pop() ?? ""}`);
            return ["Dockerfile", lines.map((l) => `hadolint ${l.replace(/^Dockerfile:\d+ /, "")}`)];
        }),
    );
    jobs.push(checkov(checkers.checkov, ["-f", "Dockerfile", "--framework", "dockerfile"], root, "the Dockerfile").then((f) => ["Dockerfile", f]));
    for (const stack of stacks) {
        const dir = path.join(renderDir, stack);
        if (!fs.existsSync(dir)) continue;
        const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => path.join(dir, f));
        jobs.push(checkov(checkers.checkov, ["-d", dir, "--framework", "kubernetes"], root, `stack ${stack}`).then((f) => [stack, f]));
        jobs.push(
            run(checkers.kubeScore, ["score", "--output-format", "ci", ...files], root).then((r) => {
                const lines = r.stdout.split("\n").filter((l) => /^\[(WARNING|CRITICAL)\]/.test(l));
                if (lines.length === 0 && r.code !== 0) throw new Error(`kube-score failed on stack ${stack} (exit ${r.code}): ${r.stderr.trim().split("\n").pop() ?? ""}`);
                return [stack, lines.map((l) => `kube-score ${l}`)];
            }),
        );
    }
    const out = new Map<string, string[]>();
    for (const [place, findings] of await Promise.all(jobs)) out.set(place, [...(out.get(place) ?? []), ...findings].sort());
    return out;
}

/** Head's findings that base did not have, per place, counted as a multiset (two equal findings at head against one at base: one is new). */
export function newFindings(base: Map<string, string[]>, head: Map<string, string[]>): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [place, findings] of head) {
        const left = new Map<string, number>();
        for (const f of base.get(place) ?? []) left.set(f, (left.get(f) ?? 0) + 1);
        const fresh = findings.filter((f) => {
            const n = left.get(f) ?? 0;
            if (n > 0) left.set(f, n - 1);
            return n === 0;
        });
        if (fresh.length > 0) out.set(place, fresh);
    }
    return out;
}
