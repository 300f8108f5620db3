/**
 * The two sides of a review: a git ref extracted into a temporary folder (`git archive`, so the
 * user's working tree, index and `.git` are never touched), or the working tree itself; each
 * rendered by its own render command (`infra/tools/cli/render.ts --all --out`, in a child process), so
 * a change to the program, a stack file or the Dockerfile on one side never leaks into the other.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { parseAllDocuments } from "yaml";

import type { KubernetesObject } from "../../k8s/kubernetesObject";

/** A ref that git cannot resolve to a commit. */
export class RefError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RefError";
    }
}

function git(repo: string, args: string[], input?: Buffer): { status: number; stdout: string; stderr: string } {
    const result = spawnSync("git", args, { cwd: repo, encoding: "utf8", timeout: 60_000, maxBuffer: 256 * 1024 * 1024, ...(input ? { input } : {}) });
    if (result.error) throw new Error(`git ${args[0]}: ${(result.error as NodeJS.ErrnoException).code ?? result.error.message}`);
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The full commit id of `ref` in `repo`.
 *
 * @param flag the command-line flag that gave the ref, for the message
 * @throws RefError naming the flag and the ref when git cannot resolve it to a commit
 */
export function resolveCommit(repo: string, ref: string, flag = "--base"): string {
    if (ref === "") throw new RefError(`${flag} is empty: give a branch, tag or commit id`);
    if (ref.startsWith("-")) throw new RefError(`${flag} ${ref}: not a git ref (it starts with "-")`);
    const result = git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
    if (result.status !== 0) throw new RefError(`${flag} ${ref}: not a commit in ${repo} (git rev-parse found none; give a branch, tag or commit id)`);
    return result.stdout.trim();
}

/** Longest subject the header quotes. */
const MAX_SUBJECT = 100;

/** The first line of a commit's message, for the report's header, cut at MAX_SUBJECT characters. */
export function commitSubject(repo: string, commit: string): string {
    const subject = git(repo, ["log", "-1", "--format=%s", commit]).stdout.trim();
    return subject.length > MAX_SUBJECT ? `${subject.slice(0, MAX_SUBJECT - 1)}…` : subject;
}

/** Run `git archive COMMIT | tar -x -C DIR`; resolves with the failing side's last line of stderr, or undefined. */
function archiveInto(repo: string, commit: string, dir: string): Promise<string | undefined> {
    return new Promise((resolve) => {
        const archive = spawn("git", ["archive", "--format=tar", commit], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
        const tar = spawn("tar", ["-x", "-C", dir], { stdio: ["pipe", "ignore", "pipe"] });
        let archiveErr = "";
        let tarErr = "";
        archive.stderr.on("data", (c: Buffer) => (archiveErr += c.toString("utf8")));
        tar.stderr.on("data", (c: Buffer) => (tarErr += c.toString("utf8")));
        archive.stdout.pipe(tar.stdin);
        let archiveStatus: number | null = null;
        archive.on("error", (e) => resolve(`git archive: ${e.message}`));
        tar.on("error", (e) => resolve(`tar: ${e.message}`));
        archive.on("close", (code) => (archiveStatus = code));
        tar.on("close", (code) => {
            const last = (text: string) => text.trim().split("\n").pop() ?? "";
            if (archiveStatus !== 0 && archiveStatus !== null) resolve(`git archive ${commit}: ${last(archiveErr)}`);
            else if (code !== 0) resolve(`tar -x: ${last(tarErr)}`);
            else resolve(undefined);
        });
    });
}

/**
 * Extract `commit`'s files into a new temporary folder (`git archive | tar -x`) and link the
 * project's `node_modules` into it, so that commit's own render runs with the installed packages.
 *
 * @returns the folder; the caller removes it (`removeTree`)
 * @throws Error with git's or tar's last line when the extraction fails (the folder is removed)
 */
export async function extractCommit(repo: string, commit: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-review-"));
    const problem = await archiveInto(repo, commit, dir);
    if (problem !== undefined) {
        removeTree(dir);
        throw new Error(problem);
    }
    // Whatever the commit holds at node_modules (a committed link) gives way to the installed packages.
    fs.rmSync(path.join(dir, "node_modules"), { recursive: true, force: true });
    fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"), "dir");
    return dir;
}

/** Remove a folder `extractCommit` or the review made (it never names anything else). */
export function removeTree(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
}

/** One stack of a rendered tree: its objects, or the one-line error its render printed. */
export type StackRender = { objects: KubernetesObject[]; placeholder: boolean } | { error: string };

/** A tree's render: every stack of its `Pulumi.<stack>.yaml` files, and its Dockerfile's text. */
export interface TreeRender {
    stacks: Map<string, StackRender>;
    dockerfile: string;
    /** Each stack's `Pulumi.<stack>.yaml` as written. */
    stackFiles: Map<string, string>;
}

/** Stacks that have a `Pulumi.<stack>.yaml` in a tree, sorted. */
export function stacksOf(root: string): string[] {
    return fs.readdirSync(root).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined).sort();
}

/** The objects of `render --out` files: each file is a header comment and one object. */
function readOutFiles(dir: string): { objects: KubernetesObject[]; placeholder: boolean } {
    const objects: KubernetesObject[] = [];
    let placeholder = false;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
        const text = fs.readFileSync(path.join(dir, file), "utf8");
        if (/^# The image digest is a render placeholder/m.test(text)) placeholder = true;
        for (const document of parseAllDocuments(text)) {
            if (!Array.isArray(document) && document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
            const value = (Array.isArray(document) ? undefined : document.toJS()) as KubernetesObject | null | undefined;
            if (value) objects.push(value);
        }
    }
    return { objects, placeholder };
}

/**
 * The tree's own render command, from its package.json: `render` has moved between folders over
 * this project's history, and its npm script always names it. A `ts-node … FILE.ts` script runs
 * FILE with swc (the same transpile, faster); anything else runs through npm.
 *
 * @returns the program and its arguments, before `--all --out DIR`
 */
export function renderCommand(root: string): { file: string; args: string[] } {
    let script: unknown;
    try {
        script = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts?: Record<string, unknown> }).scripts?.render;
    } catch {
        script = undefined;
    }
    const tsNodeFile = typeof script === "string" ? /^ts-node(?: --[\w-]+)* (\S+\.ts)$/.exec(script.trim())?.[1] : undefined;
    if (tsNodeFile !== undefined) return { file: process.execPath, args: [require.resolve("ts-node/dist/bin.js"), "--swc", path.join(root, tsNodeFile)] };
    return { file: "npm", args: ["run", "--silent", "render", "--"] };
}

/** The line of a failed render's stderr that says what failed: its error's line, else its last line. */
export function failureLine(stderr: string): string {
    const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
    return lines.find((l) => /^(error: |[A-Za-z]*Error: )/.test(l)) ?? lines.filter((l) => !/^Node\.js v/.test(l)).pop() ?? "no output";
}

/**
 * Render every stack of a tree with the tree's own render command (`renderCommand`), in a child process.
 *
 * @param root the tree (an extracted commit, or the working tree)
 * @param outDir an empty folder for the render's files (the caller removes it)
 * @param signal aborting it kills the render (SIGTERM); the promise then rejects once the child is gone
 * @returns per stack its objects or its render's error line (a bad stack file, a bad Dockerfile)
 * @throws Error when the render command itself fails (not a stack's error): the line that says why
 */
export async function renderTree(root: string, outDir: string, signal?: AbortSignal): Promise<TreeRender> {
    const command = renderCommand(root);
    const { status, stderr } = await new Promise<{ status: number; stderr: string }>((resolve, reject) => {
        const child = spawn(command.file, [...command.args, "--all", "--out", outDir], {
            cwd: root,
            stdio: ["ignore", "ignore", "pipe"],
            env: { ...process.env, TS_NODE_PROJECT: path.join(root, "tsconfig.json") },
            ...(signal ? { signal } : {}),
        });
        let err = "";
        child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ status: code ?? -1, stderr: err }));
    });
    const stacks = new Map<string, StackRender>();
    // `error: Pulumi.<stack>.yaml: …` names a stack's problem; a list of problems follows on `  - ` lines.
    const errors = new Map<string, string>();
    let current: string | undefined;
    for (const line of stderr.split("\n")) {
        const match = /^error: Pulumi\.(.+?)\.yaml: (.*)$/.exec(line);
        if (match) {
            current = match[1];
            errors.set(current, match[2]);
        } else if (current !== undefined && /^\s+- /.test(line)) {
            const sofar = errors.get(current) as string;
            errors.set(current, `${sofar}${sofar.endsWith(":") ? " " : "; "}${line.trim().slice(2)}`);
        } else {
            current = undefined;
        }
    }
    if (status !== 0 && status !== 1) throw new Error(`its render exited ${status}: ${failureLine(stderr)}`);
    for (const stack of stacksOf(root)) {
        const dir = path.join(outDir, stack);
        if (errors.has(stack)) stacks.set(stack, { error: errors.get(stack) as string });
        else if (fs.existsSync(dir)) stacks.set(stack, readOutFiles(dir));
        else stacks.set(stack, { error: status === 0 ? "rendered no object" : failureLine(stderr) });
    }
    const dockerfile = fs.existsSync(path.join(root, "Dockerfile")) ? fs.readFileSync(path.join(root, "Dockerfile"), "utf8") : "";
    const stackFiles = new Map(stacksOf(root).map((stack) => [stack, fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")]));
    return { stacks, dockerfile, stackFiles };
}
