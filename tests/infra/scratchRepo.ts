/**
 * A scratch git repository holding this project's files (tracked and untracked-but-not-ignored, as
 * they are in the working tree), committed once as `base`, with `node_modules` linked in: the
 * review tests make real commits on branches of it and run its own `review` command.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { REPO_ROOT } from "./projectFixture";

/** A fixed identity and clock, so commits are made the same way on every machine. */
const GIT_ENV = {
    GIT_AUTHOR_NAME: "review test",
    GIT_AUTHOR_EMAIL: "review@test.invalid",
    GIT_COMMITTER_NAME: "review test",
    GIT_COMMITTER_EMAIL: "review@test.invalid",
    GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
};

export interface ScratchRepo {
    dir: string;
    /** The TMPDIR its reviews run with (empty unless a review left something behind). */
    tmpdir: string;
    git(args: string[]): string;
    /** Replace text in a file (the `from` text must be there), for one change. */
    edit(file: string, from: string | RegExp, to: string): void;
    commit(message: string): string;
    /** Run the scratch's own `review` command. */
    review(args: string[], env?: NodeJS.ProcessEnv): { status: number; stdout: string; stderr: string };
    remove(): void;
}

/** Files of the working tree that git would commit: tracked ones and new ones not ignored. */
function projectFiles(): string[] {
    const result = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) throw new Error(`git ls-files: ${result.stderr}`);
    return [...new Set(result.stdout.split("\0").filter(Boolean))].filter((f) => fs.existsSync(path.join(REPO_ROOT, f)));
}

/** Make the scratch repository, with one commit tagged `base`. */
export function scratchRepo(): ScratchRepo {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-review-test-"));
    const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-review-test-tmp-"));
    for (const file of projectFiles()) {
        const target = path.join(dir, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(REPO_ROOT, file), target);
        fs.chmodSync(target, fs.statSync(path.join(REPO_ROOT, file)).mode & 0o777);
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const git = (args: string[]) => {
        const result = spawnSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 * 1024 * 1024 });
        if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
        return result.stdout.trim();
    };
    git(["init", "-q", "-b", "main"]);
    // The link is not a folder, so the project's `node_modules/` ignore rule does not cover it.
    fs.appendFileSync(path.join(dir, ".git/info/exclude"), "/node_modules\n");
    git(["add", "-A"]);
    git(["commit", "-q", "-m", "base: the project as it is"]);
    git(["tag", "base"]);
    const repo: ScratchRepo = {
        dir,
        git,
        edit(file, from, to) {
            const p = path.join(dir, file);
            const text = fs.readFileSync(p, "utf8");
            const next = text.replace(from, to);
            if (next === text) throw new Error(`${file}: ${String(from)} not found`);
            fs.writeFileSync(p, next);
        },
        commit(message) {
            git(["add", "-A"]);
            git(["commit", "-q", "-m", message]);
            return git(["rev-parse", "HEAD"]);
        },
        tmpdir,
        review(args, env = {}) {
            const tsNode = require.resolve("ts-node/dist/bin.js");
            const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["HADOLINT", "CHECKOV", "KUBE_SCORE"].includes(k)));
            // Its own TMPDIR, so a test can see that the review removed every folder it made.
            const result = spawnSync(process.execPath, [tsNode, "--swc", path.join(dir, "infra/tools/cli/review.ts"), ...args], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...clean, ...GIT_ENV, TMPDIR: tmpdir, ...env } });
            return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
        },
        remove() {
            fs.rmSync(dir, { recursive: true, force: true });
            fs.rmSync(tmpdir, { recursive: true, force: true });
        },
    };
    return repo;
}
