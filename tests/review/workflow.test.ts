/**
 * The GitHub Actions workflow users get (.github/workflows/review.yml) does not run here; actionlint
 * (scripts/with-checkers builds it) checks it, so a broken workflow fails these tests. A broken copy
 * shows that actionlint does read it.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { REPO_ROOT } from "../infra/projectFixture";

const WORKFLOW = path.join(REPO_ROOT, ".github/workflows/review.yml");

function actionlint(file: string): { code: number; output: string } {
    const binary = process.env.ACTIONLINT;
    if (!binary) throw new Error("ACTIONLINT is not set: run these tests through scripts/with-checkers (scripts/test does)");
    const result = spawnSync(binary, ["-no-color", "-oneline", file], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

test("actionlint finds nothing in the workflow", () => {
    expect(actionlint(WORKFLOW)).toEqual({ code: 0, output: "" });
});

test("actionlint reports a broken copy: a step output that no step defines, and an unknown key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-workflow-"));
    try {
        const broken = fs
            .readFileSync(WORKFLOW, "utf8")
            .replace("if: steps.review.outputs.status == '1'", "if: steps.reveiw.outputs.status == '1'")
            .replace("timeout-minutes: 30", "timeout-minute: 30");
        const file = path.join(dir, "review.yml");
        fs.writeFileSync(file, broken);
        const { code, output } = actionlint(file);
        expect(code).toBe(1);
        expect(output).toMatch(/property "reveiw" is not defined/);
        expect(output).toMatch(/unexpected key "timeout-minute"/);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("the workflow runs the review as the README gives it, against the pull request's base, and fails on exit 1", () => {
    const text = fs.readFileSync(WORKFLOW, "utf8");
    expect(text).toContain('npm run --silent review -- --base "$BASE_SHA" --head "$HEAD_SHA" --out review.md');
    expect(text).toContain("BASE_SHA: ${{ github.event.pull_request.base.sha }}");
    expect(text).toContain("npx --no-install jest --ci");
    expect(fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8")).toContain("npm run --silent review -- --base");
});
