/**
 * The one CLI runner (infra/tools/cli/runCli.ts): usage errors exit 2 with the usage, ConfigError
 * and DockerfileError exit 1 with one line, anything else is a one-line internal error; and every
 * command in infra/tools/cli/ runs through it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { ConfigError, DockerfileError } from "../../infra/errors";
import { parseCommandLine, positiveInteger, UsageError } from "../../infra/tools/cli/commandLine";
import { asFailure, CommandFailure, runCli, type CommandMain } from "../../infra/tools/cli/runCli";
import { REPO_ROOT } from "./projectFixture";

const USAGE = "usage: npm run --silent demo -- --name NAME";

/** Run `main` through the runner in this process; what it printed and the exit status. */
async function run(main: CommandMain, argv: string[] = [], usage = USAGE): Promise<{ status: number; exitCode: typeof process.exitCode; stdout: string; stderr: string }> {
    const printed = { stdout: "", stderr: "" };
    const spies = (["stdout", "stderr"] as const).map((stream) =>
        jest.spyOn(process[stream], "write").mockImplementation((chunk: unknown) => {
            printed[stream] += String(chunk);
            return true;
        }),
    );
    const before = process.exitCode;
    try {
        const status = await runCli(main, usage, argv);
        return { status, exitCode: process.exitCode, ...printed };
    } finally {
        process.exitCode = before;
        for (const spy of spies) spy.mockRestore();
    }
}

const parseName = (argv: string[]) => parseCommandLine({ args: argv, options: { name: { type: "string" } } }).values;

describe("runCli", () => {
    test("the command's status, or 0 when it returns none, becomes the exit status", async () => {
        expect(await run(() => 3)).toMatchObject({ status: 3, exitCode: 3, stderr: "" });
        expect(await run(async () => undefined)).toMatchObject({ status: 0, exitCode: 0, stdout: "", stderr: "" });
        expect(await run((argv) => void process.stdout.write(`${parseName(argv).name}\n`), ["--name", "x"])).toMatchObject({ status: 0, stdout: "x\n" });
    });

    test("an unknown flag is bad usage: the parser's message and the usage on stderr, exit 2", async () => {
        const result = await run((argv) => void parseName(argv), ["--nope"]);
        expect(result).toMatchObject({ status: 2, exitCode: 2, stdout: "" });
        expect(result.stderr).toBe(`Unknown option '--nope'\n${USAGE}\n`);
    });

    test("a UsageError is bad usage: its message and the usage on stderr, exit 2", async () => {
        const result = await run(() => {
            throw new UsageError("--name is required");
        });
        expect(result).toEqual({ status: 2, exitCode: 2, stdout: "", stderr: `--name is required\n${USAGE}\n` });
        expect((await run(() => Promise.reject(new UsageError("")))).stderr).toBe(`${USAGE}\n`);
    });

    test("--help and -h print the usage on stdout, exit 0", async () => {
        for (const flag of ["--help", "-h"]) expect(await run((argv) => void parseName(argv), [flag])).toEqual({ status: 0, exitCode: 0, stdout: `${USAGE}\n`, stderr: "" });
    });

    test("a ConfigError exits 1 with one line naming the source and every problem", async () => {
        const result = await run(() => {
            throw new ConfigError("Pulumi.dev.yaml", ["ragstar:replicas: must be 1", "ragstar:namespace: required"]);
        });
        expect(result).toEqual({ status: 1, exitCode: 1, stdout: "", stderr: "error: Pulumi.dev.yaml: invalid stack config: ragstar:replicas: must be 1; ragstar:namespace: required\n" });
    });

    test("a DockerfileError exits 1 with its message, file and line", async () => {
        const result = await run(async () => {
            throw new DockerfileError("Dockerfile", 7, "HEALTHCHECK --interval=30: time: missing unit");
        });
        expect(result).toEqual({ status: 1, exitCode: 1, stdout: "", stderr: "error: Dockerfile:7: HEALTHCHECK --interval=30: time: missing unit\n" });
    });

    test("a CommandFailure exits 1 with its message as given; a system error with its one-line message", async () => {
        expect(await run(() => Promise.reject(new CommandFailure("build failed; log tail:\nstep 3")))).toMatchObject({ status: 1, stderr: "error: build failed; log tail:\nstep 3\n" });
        const missing = await run(() => void fs.readFileSync("/nonexistent/ragstar"));
        expect(missing).toMatchObject({ status: 1, stderr: "error: ENOENT: no such file or directory, open '/nonexistent/ragstar'\n" });
    });

    test("anything else is an internal error: the first line only, no stack trace, exit 1", async () => {
        const result = await run(() => {
            throw new Error("unexpected\nsecond line with a secret");
        });
        expect(result).toEqual({ status: 1, exitCode: 1, stdout: "", stderr: "demo: internal error: unexpected\n" });
        expect((await run(() => Promise.reject("a string"))).stderr).toBe("demo: internal error: a string\n");
    });

    test("asFailure keeps the errors the runner maps and turns others into a CommandFailure with the whole message", () => {
        const usage = new UsageError("bad");
        expect(asFailure(usage)).toBe(usage);
        const failure = asFailure(new Error("docker build failed:\nlog tail"));
        expect(failure).toBeInstanceOf(CommandFailure);
        expect(failure.message).toBe("docker build failed:\nlog tail");
    });

    test("the internal error names the command its usage line names", async () => {
        const fail = () => {
            throw new Error("boom");
        };
        expect((await run(fail, [], "usage: npm run --silent bench:engine [-- --runs N]")).stderr).toBe("bench:engine: internal error: boom\n");
        expect((await run(fail, [], "usage: something else")).stderr).toBe("command: internal error: boom\n");
    });

    test("positiveInteger accepts whole numbers ≥ 1 only", () => {
        expect(positiveInteger("--runs", "5")).toBe(5);
        for (const text of ["0", "-1", "1.5", "x", ""]) expect(() => positiveInteger("--runs", text)).toThrow(new UsageError(`--runs must be a positive integer, not ${text}`));
    });
});

describe("every command runs through the runner", () => {
    const dir = path.join(REPO_ROOT, "infra/tools/cli");
    const commands: Record<string, string> = { "probes.ts": "probes", "render.ts": "render", "promote.ts": "promote", "deployLocal.ts": "local", "benchImage.ts": "bench:image", "benchEngine.ts": "bench:engine", "benchRollout.ts": "bench:rollout", "attest.ts": "attest", "benchSupplyChain.ts": "bench:supply-chain", "review.ts": "review", "benchReview.ts": "bench:review" };

    test("each command's file ends with runCli(main, USAGE) and parses through the shared parser", () => {
        const files = fs.readdirSync(dir).filter((f) => !["commandLine.ts", "runCli.ts"].includes(f));
        expect(files.sort()).toEqual(Object.keys(commands).sort());
        for (const file of files) {
            const text = fs.readFileSync(path.join(dir, file), "utf8");
            expect(text.trimEnd().split("\n").pop()).toBe("runCli(main, USAGE);");
            expect(text).toContain("parseCommandLine(");
            expect(text).not.toMatch(/from "node:util"|process\.exitCode|process\.exit\(/);
        }
    });

    test("the bench's child process (engine/previewTiming.ts) ends with the runner too, and nothing else sets an exit status", () => {
        const child = fs.readFileSync(path.join(REPO_ROOT, "infra/tools/engine/previewTiming.ts"), "utf8");
        expect(child.trimEnd().split("\n").pop()).toBe("runCli(main, USAGE);");
        const all = fs.readdirSync(path.join(REPO_ROOT, "infra"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts") && f !== path.join("tools", "cli", "runCli.ts"));
        expect(all.filter((f) => /process\.exitCode|process\.exit\(/.test(fs.readFileSync(path.join(REPO_ROOT, "infra", f), "utf8")))).toEqual([]);
    });

    /** Each command run with an unknown flag, all at once (each is a ts-node process). */
    const unknownFlag = new Map<string, Promise<{ code: number; stdout: string; stderr: string }>>();
    beforeAll(() => {
        for (const file of Object.keys(commands)) {
            unknownFlag.set(
                file,
                new Promise((resolve) => {
                    const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", path.join(dir, file), "--no-such-flag"], { cwd: REPO_ROOT });
                    let stdout = "";
                    let stderr = "";
                    child.stdout.on("data", (chunk) => (stdout += chunk));
                    child.stderr.on("data", (chunk) => (stderr += chunk));
                    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
                }),
            );
        }
    });

    test.each(Object.entries(commands))("%s: an unknown flag exits 2 with its usage", async (file, name) => {
        const result = await unknownFlag.get(file)!;
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(new RegExp(`^Unknown option '--no-such-flag'.*\\nusage: npm run --silent ${name} `));
    });
});
