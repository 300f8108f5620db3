import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { promotionOrderProblem } from "../../infra/tools/promotion/order";
import { parseImageReference } from "../../infra/imageReference";
import { checkManifest } from "../../infra/tools/promotion/registryCheck";
import { parseDocument } from "yaml";

import { FileChangedError, writeFileAtomic } from "../../infra/tools/fsAtomic";
import { parseYaml } from "../../infra/yamlText";
import { setImageRef } from "../../infra/tools/promotion/stackFileImage";
import { committedStackWithoutVerification, ALIAS_BOMB, REPO_ROOT } from "./projectFixture";

const PUSHED = `sha256:${"a1".repeat(32)}`;
const NEVER_PUSHED = `sha256:${"b2".repeat(32)}`;
const AUTH = `Basic ${Buffer.from("ci:pw").toString("base64")}`;

/**
 * A registry API fake on loopback: HEAD /v2/platform/ragstar/manifests/<digest>, basic auth, one
 * pushed digest. `platform/liar` answers 200 with another digest; a HEAD for `platform/slow`
 * first runs `duringCheck` (to change files while a promotion waits for the registry).
 */
let registry: http.Server;
let registryHost: string;
let hits = 0;
let duringCheck: () => void = () => {};
beforeAll(async () => {
    registry = http.createServer((request, response) => {
        hits += 1;
        if (request.url?.startsWith("/v2/platform/slow/")) duringCheck();
        if (request.headers.authorization !== AUTH) {
            response.writeHead(401, { "WWW-Authenticate": 'Basic realm="test"' }).end();
        } else if (request.method === "HEAD" && (request.url === `/v2/platform/ragstar/manifests/${PUSHED}` || request.url === `/v2/platform/slow/manifests/${PUSHED}`)) {
            response.writeHead(200, { "Docker-Content-Digest": PUSHED }).end();
        } else if (request.method === "HEAD" && request.url === `/v2/platform/liar/manifests/${PUSHED}`) {
            response.writeHead(200, { "Docker-Content-Digest": NEVER_PUSHED }).end();
        } else {
            response.writeHead(404).end();
        }
    });
    await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
    registryHost = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => registry.close(resolve)));

function stackCopies(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-promote-"));
    for (const stack of ["dev", "staging", "prod"]) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), committedStackWithoutVerification(stack));
    return dir;
}

function promote(root: string, args: string[], env: Record<string, string> = { REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "pw" }): Promise<{ code: number; stdout: string; stderr: string }> {
    // Asynchronous: the fake registry answers from this process's event loop.
    return new Promise((resolve) => {
        const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", path.join(REPO_ROOT, "infra/tools/cli/promote.ts"), "--root", root, ...args], {
            env: { ...process.env, REGISTRY_USERNAME: "", REGISTRY_PASSWORD: "", ...env },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

/** Lines that differ between two versions of a file (same line count expected). */
function changedLines(before: string, after: string): [string, string][] {
    const a = before.split("\n");
    const b = after.split("\n");
    expect(b).toHaveLength(a.length);
    return a.map((line, i) => [line, b[i]] as [string, string]).filter(([x, y]) => x !== y);
}

test("dev → staging → prod moves one digest and changes nothing but the image reference", async () => {
    const root = stackCopies();
    const ref = `${registryHost}/platform/ragstar@${PUSHED}`;
    const before = Object.fromEntries(["dev", "staging", "prod"].map((s) => [s, fs.readFileSync(path.join(root, `Pulumi.${s}.yaml`), "utf8")]));

    const toStaging = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref]);
    expect(toStaging).toMatchObject({ code: 0, stderr: "" });
    expect(toStaging.stdout).toContain(`registry check: ${registryHost} serves platform/ragstar@${PUSHED}`);
    expect(toStaging.stdout).toContain(`+ ${ref}`);
    const staging = fs.readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8");
    expect(changedLines(before.staging, staging)).toEqual([[expect.stringMatching(/^    ref: registry\.example\.com\/platform\/ragstar@sha256:[0-9a-f]{64}$/), `    ref: ${ref}`]]);

    const toProd = await promote(root, ["--from", "staging", "--to", "prod"]);
    expect(toProd.code).toBe(0);
    expect(toProd.stdout).toContain("(from Pulumi.staging.yaml ragstar:image.ref)");
    const prod = fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8");
    expect(changedLines(before.prod, prod)).toEqual([[expect.stringMatching(/^    ref: /), `    ref: ${ref}`]]);
    expect(fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")).toBe(before.dev);

    const again = await promote(root, ["--from", "staging", "--to", "prod"]);
    expect(again.stdout).toContain("already deploys this digest; nothing changed");
    expect(fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8")).toBe(prod);
});

test.each([
    ["an unpinned reference", ["--from", "dev", "--to", "staging", "--ref", "registry.example.com/platform/ragstar:1.2.3"], "is not pinned by digest; expected REGISTRY/REPOSITORY@sha256:<64 hex>"],
    ["a missing manifest", ["--from", "dev", "--to", "staging", "--ref", `HOST/platform/ragstar@${NEVER_PUSHED}`], `has no manifest platform/ragstar@${NEVER_PUSHED}; promote only what dev pushed`],
    ["an out-of-order promotion", ["--from", "dev", "--to", "prod", "--ref", `HOST/platform/ragstar@${PUSHED}`], "--from dev --to prod skips staging; promote to staging first, or pass --skip-stage"],
    ["a backwards promotion", ["--from", "prod", "--to", "staging", "--ref", `HOST/platform/ragstar@${PUSHED}`], "goes backwards"],
    ["dev as a target", ["--from", "staging", "--to", "dev"], "goes backwards"],
])("%s is refused with a clear message and no file changes", async (_, args, message) => {
    const root = stackCopies();
    const before = fs.readdirSync(root).map((f) => fs.readFileSync(path.join(root, f), "utf8"));
    const result = await promote(root, args.map((a) => a.replace("HOST", registryHost)));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("promotion refused: ");
    expect(result.stderr).toContain(message);
    expect(fs.readdirSync(root).map((f) => fs.readFileSync(path.join(root, f), "utf8"))).toEqual(before);
});

test("--ref that is not what the source stage deploys is refused", async () => {
    const root = stackCopies();
    const other = `${registryHost}/platform/ragstar@${PUSHED}`;
    const bypass = await promote(root, ["--from", "staging", "--to", "prod", "--ref", other]);
    expect(bypass.code).toBe(1);
    expect(bypass.stderr).toContain(`--ref ${other} is not what staging deploys`);
});

describe("--rollback", () => {
    const git = (root: string, ...args: string[]) => {
        const result = spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: root, encoding: "utf8" });
        expect(result.stderr).not.toMatch(/fatal/);
        return result.stdout;
    };
    const prodRef = (root: string) => /^    ref: (\S+)$/m.exec(fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8"))![1];

    test("puts back only a digest the target deployed before: the ref of a committed version of its stack file", async () => {
        const root = stackCopies();
        git(root, "init", "-q");
        git(root, "add", ".");
        git(root, "commit", "-qm", "initial");
        const earlier = prodRef(root);
        const other = `${registryHost}/platform/ragstar@${PUSHED}`;

        const never = await promote(root, ["--from", "staging", "--to", "prod", "--ref", other, "--rollback"]);
        expect(never.code).toBe(1);
        expect(never.stderr).toBe(`promotion refused: --rollback --ref ${other}: prod has not deployed it: no committed version of Pulumi.prod.yaml has it as ragstar:image.ref (1 version; its refs: ${earlier})\n`);

        expect((await promote(root, ["--from", "dev", "--to", "staging", "--ref", other])).code).toBe(0);
        expect((await promote(root, ["--from", "staging", "--to", "prod"])).code).toBe(0);
        git(root, "commit", "-qam", "promote");
        expect(prodRef(root)).toBe(other);

        // The same digest from another repository is not what prod ran.
        const elsewhere = earlier.replace("/platform/ragstar@", "/platform/elsewhere@");
        const foreign = await promote(root, ["--from", "staging", "--to", "prod", "--ref", elsewhere, "--rollback", "--offline"]);
        expect(foreign.code).toBe(1);
        expect(foreign.stderr).toContain(`--rollback --ref ${elsewhere}: prod has not deployed it`);

        const back = await promote(root, ["--from", "staging", "--to", "prod", "--ref", earlier, "--rollback", "--offline"]);
        expect(back).toMatchObject({ code: 0, stderr: "" });
        expect(back.stdout).toContain("(from --ref (rollback: Pulumi.prod.yaml deployed it in commit ");
        expect(prodRef(root)).toBe(earlier);
    }, 180_000);

    test("without the stack file's git history a rollback is refused", async () => {
        const root = stackCopies();
        const result = await promote(root, ["--from", "staging", "--to", "prod", "--ref", `${registryHost}/platform/ragstar@${PUSHED}`, "--rollback"], { PATH: process.env.PATH ?? "", GIT_CEILING_DIRECTORIES: path.dirname(root) });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^promotion refused: --rollback needs the git history of Pulumi\.prod\.yaml to know what prod deployed, and git log failed: .*not a git repository.*\n$/);
    });
});

test("the edit keeps every other byte: comments, blank lines, flow maps, CRLF", async () => {
    const root = stackCopies();
    const file = path.join(root, "Pulumi.staging.yaml");
    const odd = fs.readFileSync(file, "utf8").replace("  ragstar:app:", "\n\n  ragstar:app:").replace("log_level: info", "log_level: info   #  odd  comment").replace(/^(    ref: \S+)$/m, "$1   # the digest").replace(/\n/g, "\r\n") + "  ragstar:tmpSizeLimit: {  } \r\n".replace("{  } ", "64Mi");
    fs.writeFileSync(file, odd);
    const ref = `${registryHost}/platform/ragstar@${PUSHED}`;
    expect((await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref])).code).toBe(0);
    const after = fs.readFileSync(file, "utf8");
    const expected = odd.replace(/^(    ref: )\S+(   # the digest\r)$/m, `$1${ref}$2`);
    expect(after).toBe(expected);
    expect(after).not.toBe(odd);
});

test("the committed staging and prod verify signatures: without a verifier, promotion is refused; --offline says it skipped", async () => {
    const root = stackCopies();
    for (const stack of ["staging", "prod"]) fs.copyFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), path.join(root, `Pulumi.${stack}.yaml`));
    const ref = `${registryHost}/platform/ragstar@${PUSHED}`;
    const before = fs.readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8");
    const refused = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref], { REGISTRY_USERNAME: "ci", REGISTRY_PASSWORD: "pw", COSIGN: "/nonexistent/cosign" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`promotion refused: ${ref} could not be verified (is cosign installed? scripts/with-supply-chain builds it) [cosign: cosign could not run (/nonexistent/cosign): ENOENT] (ragstar:supplyChain.verify is on in Pulumi.staging.yaml)\n`);
    expect(fs.readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8")).toBe(before);
    const offline = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref, "--offline"], { COSIGN: "/nonexistent/cosign" });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain("signature check SKIPPED (--offline): the registry was not asked; staging's program verifies the digest before it deploys\n");
});

test("an unreachable registry refuses, unless --offline, which says the check was skipped", async () => {
    const root = stackCopies();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
    const ref = `127.0.0.1:${port}/platform/ragstar@${PUSHED}`;
    const refused = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("ECONNREFUSED. Retry when the registry is reachable, or pass --offline");
    const offline = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref, "--offline"]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain("registry check SKIPPED (--offline)");
});

test("without credentials the registry check explains the 401", async () => {
    const check = await checkManifest(parseImageReference(`${registryHost}/platform/ragstar@${PUSHED}`));
    expect(check).toEqual({ status: "unreachable", reason: expect.stringContaining("answered 401: set REGISTRY_USERNAME and REGISTRY_PASSWORD") });
});

test("dev builds its image, so its digest needs a stack output or --ref", async () => {
    const result = await promote(stackCopies(), ["--from", "dev", "--to", "staging"], { PATH: "/usr/bin:/bin" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot read dev's image: dev builds its image, so its digest is a stack output, and the Pulumi CLI is not available");
});

/** Issue 11: nothing lost, nothing shown. */
describe("writes that lose nothing", () => {
    const ref = () => `${registryHost}/platform/ragstar@${PUSHED}`;

    test.each([">-", "|-", ">", "|"])("a ref written as a %s block scalar is replaced by a plain scalar, and the file stays valid", async (indicator) => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        const text = fs.readFileSync(file, "utf8").replace(/^    ref: (\S+)$/m, `    ref: ${indicator}\n      $1`);
        fs.writeFileSync(file, text);
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref()]);
        expect(result).toMatchObject({ code: 0, stderr: "" });
        const after = fs.readFileSync(file, "utf8");
        expect(parseDocument(after).errors).toEqual([]);
        expect(parseDocument(after).getIn(["config", "ragstar:image", "ref"])).toBe(ref());
        expect(after).toBe(text.replace(new RegExp(`^    ref: ${indicator.replace("|", "\\|")}\n      \\S+\n`, "m"), `    ref: ${ref()}\n`));
    });

    test("the stack file is replaced by a rename (a reader never sees it half-written) and keeps its mode", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        fs.chmodSync(file, 0o640);
        const inode = fs.statSync(file).ino;
        expect((await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref()])).code).toBe(0);
        expect(fs.statSync(file).ino).not.toBe(inode);
        expect(fs.statSync(file).mode & 0o777).toBe(0o640);
        expect(fs.readdirSync(root).sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]);
    });

    test("a stack file that changes while the promotion runs is not overwritten", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        const edited = `${fs.readFileSync(file, "utf8")}  ragstar:tmpSizeLimit: 128Mi\n`;
        duringCheck = () => fs.writeFileSync(file, edited); // someone else's edit, while we wait for the registry
        try {
            const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", `${registryHost}/platform/slow@${PUSHED}`]);
            expect(result.code).toBe(1);
            expect(result.stderr).toBe(`promotion refused: ${file} changed while this command ran (another promotion or an editor?); nothing was written, run it again\n`);
        } finally {
            duringCheck = () => {};
        }
        expect(fs.readFileSync(file, "utf8")).toBe(edited);
    });

    test("the compare-and-replace refuses a stale read and keeps the other writer's update", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-atomic-"));
        const file = path.join(dir, "Pulumi.staging.yaml");
        fs.writeFileSync(file, "a: 1\n");
        fs.writeFileSync(file, "a: 2\n"); // the other writer, after our read of "a: 1"
        expect(() => writeFileAtomic(file, "a: 3\n", "a: 1\n")).toThrow(FileChangedError);
        expect(fs.readFileSync(file, "utf8")).toBe("a: 2\n");
        writeFileAtomic(file, "a: 3\n", "a: 2\n");
        expect(fs.readFileSync(file, "utf8")).toBe("a: 3\n");
        expect(fs.readdirSync(dir)).toEqual(["Pulumi.staging.yaml"]);
    });

    test("a read-only stack file is refused with one line and left as it is", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        fs.chmodSync(file, 0o444);
        const before = fs.readFileSync(file, "utf8");
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref()]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`promotion refused: ${file} is read-only (mode 0444); make it writable to promote into it\n`);
        expect(fs.readFileSync(file, "utf8")).toBe(before);
    });
});

describe("concurrent writers and permissions", () => {
    const ref = () => `${registryHost}/platform/ragstar@${PUSHED}`;

    /** A child process that promotes its own key N times (read, edit, compare-and-replace), retrying refusals. */
    function writer(file: string, key: string, times: number): Promise<{ code: number; stderr: string }> {
        const script = `
            require(${JSON.stringify(path.join(REPO_ROOT, "node_modules/ts-node"))}).register({ transpileOnly: true });
            const fs = require("node:fs");
            const { writeFileAtomic } = require(${JSON.stringify(path.join(REPO_ROOT, "infra/tools/fsAtomic.ts"))});
            const [file, key, times] = process.argv.slice(1);
            for (let done = 0; done < Number(times); ) {
                const before = fs.readFileSync(file, "utf8");
                const edited = before.replace(new RegExp("^" + key + ": (\\\\d+)$", "m"), (_, n) => key + ": " + (Number(n) + 1));
                try { writeFileAtomic(file, edited, before); done += 1; }
                catch (error) { if (!/changed while|is locked/.test(error.message)) throw error; }
            }`;
        return new Promise((resolve) => {
            const child = spawn(process.execPath, ["-e", script, file, key, String(times)]);
            let stderr = "";
            child.stderr.on("data", (chunk) => (stderr += chunk));
            child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
        });
    }

    test("two concurrent writers of one file lose no update", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-race-"));
        const file = path.join(dir, "Pulumi.staging.yaml");
        fs.writeFileSync(file, "a: 0\nb: 0\n");
        const results = await Promise.all([writer(file, "a", 400), writer(file, "b", 400)]);
        expect(results).toEqual([{ code: 0, stderr: "" }, { code: 0, stderr: "" }]);
        expect(fs.readFileSync(file, "utf8")).toBe("a: 400\nb: 400\n");
        expect(fs.readdirSync(dir)).toEqual(["Pulumi.staging.yaml"]);
    }, 60_000);

    test("a stale lock is reported in one line naming it, not broken", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        const lock = `${file}.lock`;
        fs.writeFileSync(lock, "");
        const old = new Date(Date.now() - 120_000);
        fs.utimesSync(lock, old, old);
        const before = fs.readFileSync(file, "utf8");
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref(), "--offline"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`^promotion refused: ${lock.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is locked since \\d+ s ago \\(older than 60 s: a writer that died\\?\\); nothing was written; remove the lock file if no promotion is running, then run again\n$`));
        expect(fs.existsSync(lock)).toBe(true);
        expect(fs.readFileSync(file, "utf8")).toBe(before);
    });

    (process.getuid?.() === 0 ? test : test.skip)("a stack file this user may not write is refused, not replaced (mode bits allow the owner)", async () => {
        const root = stackCopies();
        fs.chmodSync(root, 0o777);
        const file = path.join(root, "Pulumi.staging.yaml");
        fs.chmodSync(file, 0o644); // root's, writable by root only; the directory lets anyone rename into it
        for (const f of fs.readdirSync(root)) fs.chmodSync(path.join(root, f), 0o644);
        const before = fs.readFileSync(file, "utf8");
        const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
            const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", path.join(REPO_ROOT, "infra/tools/cli/promote.ts"), "--root", root, "--from", "dev", "--to", "staging", "--ref", ref(), "--offline"], { uid: 65534, gid: 65534, env: { ...process.env, HOME: os.tmpdir() } });
            let stderr = "";
            child.stderr.on("data", (chunk) => (stderr += chunk));
            child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
        });
        expect(result.stderr).toBe(`promotion refused: ${file} is not writable by this user; make it writable to promote into it\n`);
        expect(result.code).toBe(1);
        expect(fs.readFileSync(file, "utf8")).toBe(before);
    });
});

describe("one-line errors name the file and line", () => {
    const ref = () => `${registryHost}/platform/ragstar@${PUSHED}`;

    test("a duplicate key in the target gives its real line", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        const lines = fs.readFileSync(file, "utf8").split("\n");
        // A second ref right after the first: line (index of the first) + 2, counted from 1.
        const first = lines.findIndex((line) => line.startsWith("    ref: "));
        lines.splice(first + 1, 0, "    ref: registry.example.com/platform/ragstar@sha256:" + "c3".repeat(32));
        fs.writeFileSync(file, lines.join("\n"));
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref(), "--offline"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`promotion refused: Pulumi.staging.yaml: line ${first + 2}: Map keys must be unique\n`);
    });

    test("a target that is a directory is named, with what is expected", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        fs.rmSync(file);
        fs.mkdirSync(file);
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref(), "--offline"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`promotion refused: ${file} is a directory; expected the stack file (YAML) there\n`);
    });

    test("a top-level list as the stack file must be a mapping", async () => {
        const root = stackCopies();
        fs.writeFileSync(path.join(root, "Pulumi.staging.yaml"), "- config\n- ragstar:image\n");
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", ref(), "--offline"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe("promotion refused: Pulumi.staging.yaml: line 1: a stack file is a YAML mapping (config: ...), not a list\n");
    });

    test("YAML problems carry no library wording", () => {
        expect(parseYaml("a: 1\na: 2\n")).toEqual({ problems: ["line 2: Map keys must be unique"] });
        expect(parseYaml("a: 1\n---\nb: 2\n")).toEqual({ problems: ["line 2: a stack file holds one YAML document"] });
        expect(parseYaml("a: 1\n---\nb: 2\n", "ragstar.yaml")).toEqual({ problems: ["line 2: ragstar.yaml holds one YAML document"] });
    });
});

describe("the registry check", () => {
    test("--offline opens no connection", async () => {
        const root = stackCopies();
        const before = hits;
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", `${registryHost}/platform/ragstar@${PUSHED}`, "--offline"]);
        expect(result.code).toBe(0);
        expect(result.stdout).toContain("registry check SKIPPED (--offline): the registry was not contacted");
        expect(hits).toBe(before);
    });

    test("a 200 whose Docker-Content-Digest is another digest is refused", async () => {
        const root = stackCopies();
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", `${registryHost}/platform/liar@${PUSHED}`]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`promotion refused: ${registryHost} answered for platform/liar@${PUSHED} with Docker-Content-Digest ${NEVER_PUSHED}; it does not serve the digest asked for\n`);
    });
});

describe("YAML the stack file must not contain", () => {
    test("an undefined alias is one line naming the file and line", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("ragstar:namespace: ragstar-staging", "ragstar:namespace: *nope"));
        const line = fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes("*nope")) + 1;
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", `${registryHost}/platform/ragstar@${PUSHED}`]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`promotion refused: Pulumi.staging.yaml: line ${line}: alias *nope names no anchor defined before it\n`);
    });

    test("an alias bomb is refused quickly with one line", async () => {
        const root = stackCopies();
        const file = path.join(root, "Pulumi.staging.yaml");
        fs.writeFileSync(file, `${fs.readFileSync(file, "utf8")}${ALIAS_BOMB}`);
        const started = Date.now();
        const result = await promote(root, ["--from", "dev", "--to", "staging", "--ref", `${registryHost}/platform/ragstar@${PUSHED}`]);
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^promotion refused: Pulumi\.staging\.yaml: line \d+: more than 100 aliases \(an alias bomb\?\); refused\n$/);
    });
});

describe("pure parts", () => {
    test("order", () => {
        expect(promotionOrderProblem("dev", "staging", false)).toBeUndefined();
        expect(promotionOrderProblem("staging", "prod", false)).toBeUndefined();
        expect(promotionOrderProblem("dev", "prod", true)).toBeUndefined();
        expect(promotionOrderProblem("dev", "qa", false)).toContain("--to qa: not a stage");
    });

    test("a stack that builds its own image is not a promotion target", () => {
        const text = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");
        expect(() => setImageRef(text, "Pulumi.dev.yaml", `r.example.com/x@${PUSHED}`)).toThrow("ragstar:image.registry is set: this stack builds its own image");
    });

    test("references split into registry, repository and digest, as Docker reads them", () => {
        expect(parseImageReference(`registry.example.com:5000/platform/ragstar:1.0@${PUSHED}`)).toEqual({ registry: "registry.example.com:5000", repository: "platform/ragstar", digest: PUSHED });
        expect(parseImageReference(`library/python@${PUSHED}`)).toEqual({ registry: "registry-1.docker.io", repository: "library/python", digest: PUSHED });
        expect(parseImageReference(`localhost/ragstar@${PUSHED}`)).toEqual({ registry: "localhost", repository: "ragstar", digest: PUSHED });
    });
});
