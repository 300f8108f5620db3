/**
 * Issue 11: no error, warning or log line of any command, or of the program under the engine,
 * contains a secret value. Canary values go in wherever a secret can come from (decrypted
 * config as the engine passes it, plain-text secrets and `secure:` values in stack files,
 * registry credentials and the config passphrase in the environment) and must come out nowhere:
 * stdout, stderr, files written, error messages, Pulumi log lines.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { renderConfig, toYaml } from "../../infra/render/render";
import { readStackFile } from "../../infra/render/stackFile";
import { projectWith, REPO_ROOT } from "./projectFixture";

/** Every canary starts with this; a numeric one stands for secrets a number-typed key would print. */
jest.setTimeout(300_000); // many ts-node processes on a shared machine

const MARK = "Zq7CANARY";
const canary = (name: string) => `${MARK}-${name}-3f9d1c`;
const NUMERIC_CANARY = "73519046";
const ALL_CANARIES = new RegExp(`${MARK}|${NUMERIC_CANARY}`);

const DIGEST = `sha256:${"c3".repeat(32)}`;
const canaryEnv = {
    REGISTRY_USERNAME: canary("registry-user"),
    REGISTRY_PASSWORD: canary("registry-password"),
    PULUMI_CONFIG_PASSPHRASE: canary("passphrase"),
    PULUMI_ACCESS_TOKEN: canary("access-token"),
};

function run(script: string, args: string[]): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", path.join(REPO_ROOT, "infra/cli", script), ...args], {
            cwd: REPO_ROOT,
            env: { ...process.env, ...canaryEnv },
        });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        child.on("close", (code) => resolve({ code: code ?? -1, output }));
    });
}

/** Every file under `dir`, concatenated. */
function allText(dir: string): string {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8")).join("\n");
}

describe("the program, with secrets decrypted as the engine passes them", () => {
    const devConfig = readStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "ragstar").config;
    const secrets = {
        "ragstar:adminToken": canary("admin-token"),
        "ragstar:githubToken": canary("github-token"),
        "ragstar:ollamaApiKey": canary("ollama-key"),
        "ragstar:registryPassword": canary("registry-password-config"),
    };

    /** Run the program under mocks; return what it printed, its objects' YAML and its error message. */
    async function program(config: Record<string, string>, secretKeys: string[]): Promise<{ text: string; error?: Error; yaml?: string }> {
        const printed: string[] = [];
        const capture = (chunk: unknown) => {
            printed.push(String(chunk));
            return true;
        };
        const spies = [
            jest.spyOn(process.stdout, "write").mockImplementation(capture),
            jest.spyOn(process.stderr, "write").mockImplementation(capture),
            ...(["log", "warn", "error", "info", "debug"] as const).map((m) => jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(" ")))),
        ];
        try {
            const render = await renderConfig("dev", projectWith("dev", ""), { config, secretKeys });
            const yaml = toYaml(render.objects) + JSON.stringify(render.outputs);
            return { text: printed.join("\n") + yaml, yaml };
        } catch (error) {
            return { text: `${printed.join("\n")}\n${(error as Error).message}\n${(error as Error).stack}`, error: error as Error };
        } finally {
            for (const spy of spies) spy.mockRestore();
        }
    }

    test("valid config with every secret: the Secret names them, no value shows", async () => {
        const image = JSON.stringify({ ...JSON.parse(devConfig["ragstar:image"]), username: "ci" });
        const result = await program({ ...devConfig, "ragstar:image": image, ...secrets }, Object.keys(secrets));
        expect(result.error).toBeUndefined();
        expect(result.yaml).toContain(`admin_token: "[secret]"`);
        expect(result.yaml).toContain(`ollama_api_key: "[secret]"`);
        expect(result.text).not.toMatch(ALL_CANARIES);
    });

    test.each([
        ["a secret under a non-secret string key", { "ragstar:namespace": canary("namespace") }, "ragstar:namespace: holds a secret value"],
        ["a secret under a number key", { "ragstar:replicas": NUMERIC_CANARY }, "ragstar:replicas: holds a secret value"],
        ["a secret structured key (app overrides)", { "ragstar:app": JSON.stringify({ log_level: canary("log-level") }) }, "ragstar:app: holds a secret value"],
        ["a secret structured key (image build args)", { "ragstar:image": JSON.stringify({ registry: "registry.example.com", buildArgs: { PYTHON_IMAGE: canary("build-arg") } }) }, "ragstar:image: holds a secret value"],
    ])("%s is refused without its value", async (_, extra, message) => {
        const result = await program({ ...devConfig, ...secrets, ...extra }, [...Object.keys(secrets), ...Object.keys(extra)]);
        expect(result.error?.message).toContain(message);
        expect(result.text).not.toMatch(ALL_CANARIES);
    });

    test("an invalid config beside secrets lists its problems without the secrets", async () => {
        const result = await program({ ...devConfig, ...secrets, "ragstar:replicas": "2", "ragstar:tmpSizeLimit": "big" }, Object.keys(secrets));
        expect(result.error?.message).toContain('ragstar:tmpSizeLimit: "big": not a Kubernetes quantity');
        expect(result.text).not.toMatch(ALL_CANARIES);
    });
});

describe("every command", () => {
    const dev = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8").trimEnd();
    const secureLines = `\n  ragstar:adminToken:\n    secure: v1:${canary("ciphertext-admin")}\n  ragstar:githubToken:\n    secure: v1:${canary("ciphertext-github")}\n`;

    test("render: one stack, --all and --out with secure: values; written files too", async () => {
        const root = projectWith("dev", dev + secureLines, { "Pulumi.prod.yaml": fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8").trimEnd() + secureLines });
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "canary-out-"));
        const one = await run("render.ts", ["--stack", "dev", "--root", root]);
        const all = await run("render.ts", ["--all", "--root", root, "--out", out]);
        expect([one.code, all.code]).toEqual([0, 0]);
        expect(all.output).toContain(`admin_token: "[secret]"`);
        expect(one.output + all.output + allText(out)).not.toMatch(ALL_CANARIES);
    });

    test.each([
        ["a plain-text secret", `${dev}\n  ragstar:adminToken: ${canary("plain-text")}\n`, "ragstar:adminToken: is stored in plain text"],
        ["a secure: value under a non-secret key", `${dev.replace(/  ragstar:namespace: \S+\n/, "")}\n  ragstar:namespace:\n    secure: v1:${canary("ciphertext-ns")}\n`, "ragstar:namespace: holds a secret value"],
        ["a secure: value nested in a structured key", `${dev}\n  ragstar:kubernetes:\n    context:\n      secure: v1:${canary("nested")}\n`, "ragstar:kubernetes: secrets inside structured values are not supported"],
        ["an invalid config beside a plain-text secret", `${dev}\n  ragstar:tmpSizeLimit: big\n  ragstar:githubToken: ${canary("plain-github")}\n`, 'ragstar:tmpSizeLimit: "big"'],
    ])("render refuses %s without printing it", async (_, stackYaml, message) => {
        const result = await run("render.ts", ["--stack", "dev", "--root", projectWith("dev", stackYaml)]);
        expect(result.code).toBe(1);
        expect(result.output).toContain(message);
        expect(result.output).not.toMatch(ALL_CANARIES);
    });

    test("probes", async () => {
        const result = await run("probes.ts", ["Dockerfile"]);
        expect(result.code).toBe(0);
        expect(result.output).not.toMatch(ALL_CANARIES);
    });

    describe("promote, with registry credentials and the passphrase as canaries", () => {
        /** 401 Basic for `basic/`, a Bearer challenge whose token endpoint refuses for `bearer/`, 200 for `ok/`. */
        let registry: http.Server;
        let host: string;
        let authorizations: string[] = [];
        beforeAll(async () => {
            registry = http.createServer((request, response) => {
                authorizations.push(String(request.headers.authorization));
                if (request.url?.startsWith("/token")) response.writeHead(403).end();
                else if (request.url?.startsWith("/v2/team/basic/")) response.writeHead(401, { "WWW-Authenticate": 'Basic realm="r"' }).end();
                else if (request.url?.startsWith("/v2/team/bearer/")) response.writeHead(401, { "WWW-Authenticate": `Bearer realm="http://${host}/token",service="r"` }).end();
                else response.writeHead(200, { "Docker-Content-Digest": DIGEST }).end();
            });
            await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
            host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
        });
        afterAll(() => new Promise((resolve) => registry.close(resolve)));

        /** Stack copies whose staging file also holds secure: values and a plain-text secret. */
        function stacks(): string {
            const root = fs.mkdtempSync(path.join(os.tmpdir(), "canary-promote-"));
            for (const stack of ["dev", "staging", "prod"]) fs.copyFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), path.join(root, `Pulumi.${stack}.yaml`));
            fs.appendFileSync(path.join(root, "Pulumi.staging.yaml"), `${secureLines}  ragstar:ollamaApiKey: ${canary("plain-ollama")}\n`);
            return root;
        }

        test.each([
            ["refused by basic auth", "basic", [], 1],
            ["refused by the token endpoint", "bearer", [], 1],
            ["accepted", "ok", [], 0],
            ["offline", "ok", ["--offline"], 0],
            ["skipping a stage", "ok", ["--skip-stage"], 0],
        ])("%s", async (_, repository, extra, code) => {
            const root = stacks();
            const to = extra.includes("--skip-stage") ? "prod" : "staging";
            authorizations = [];
            const result = await run("promote.ts", ["--root", root, "--from", "dev", "--to", to, "--ref", `${host}/team/${repository}@${DIGEST}`, ...extra]);
            expect(result.code).toBe(code);
            if (!extra.includes("--offline")) expect(authorizations.some((a) => a.startsWith("Basic "))).toBe(true); // the credentials were used
            expect(result.output + allText(root)).not.toMatch(new RegExp(`${MARK}-(registry|passphrase|access)`));
            expect(result.output).not.toMatch(ALL_CANARIES);
        });
    });
});
