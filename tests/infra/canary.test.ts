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

import { parseStackConfig, type RawConfig } from "../../infra/config/stackConfig";
import { ConfigError } from "../../infra/errors";
import { renderConfig, toYaml } from "../../infra/tools/render/render";
import { readStackFile } from "../../infra/tools/render/stackFile";
import { committedStackWithoutVerification, projectWith, REPO_ROOT } from "./projectFixture";

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
        const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", path.join(REPO_ROOT, "infra/tools/cli", script), ...args], {
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

describe("a plain key held as secret: its values show in no problem, whatever the check", () => {
    /** Lower-case too, for values that must be DNS names. */
    const ANY_CANARY = new RegExp(`${MARK}|${NUMERIC_CANARY}`, "i");
    const lower = (name: string) => canary(name).toLowerCase();
    const ref = `registry.example.com/platform/ragstar@sha256:${"ab".repeat(32)}`;
    const base: RawConfig = { "ragstar:namespace": "ragstar-test", "ragstar:image": JSON.stringify({ registry: "registry.example.com" }) };
    const password = { "ragstar:registryPassword": canary("registry-password") };
    /** The app check echoes what it is given, as a schema error would. */
    const echo = (overrides: Record<string, unknown>) => [`ragstar:app: ${JSON.stringify(overrides)}: not allowed by the service's schema`];

    test.each<[string, RawConfig, boolean?]>([
        // schema issues: a type error, a pattern, a custom check, an unknown key, a missing key
        ["namespace (a custom check)", { "ragstar:namespace": `kube-${lower("ns")}` }],
        ["replicas (a type error)", { "ragstar:replicas": JSON.stringify(canary("replicas")) }],
        ["replicas (the replica check)", { "ragstar:replicas": NUMERIC_CANARY }],
        ["runAsUser (a bound)", { "ragstar:runAsUser": `-${NUMERIC_CANARY}` }],
        ["tmpSizeLimit (a quantity)", { "ragstar:tmpSizeLimit": canary("tmp") }],
        ["terminationGracePeriodSeconds (a bound)", { "ragstar:terminationGracePeriodSeconds": NUMERIC_CANARY }],
        ["image (a pattern)", { "ragstar:image": JSON.stringify({ ref: canary("ref") }) }],
        ["image (a type error)", { "ragstar:image": JSON.stringify({ registry: "r.example.com", buildArgs: { PYTHON_IMAGE: [canary("arg")] } }) }],
        ["image (the one-of refinement)", { "ragstar:image": JSON.stringify({ registry: "r.example.com", fromStack: `o/p/${canary("stack")}` }) }],
        ["image (cross-key: an unused username)", { "ragstar:image": JSON.stringify({ ref, username: canary("user"), pullSecret: lower("pull") }), ...password }],
        ["image (cross-key: a managed pull Secret named)", { "ragstar:image": JSON.stringify({ registry: "r.example.com", username: canary("user"), pullSecret: "ragstar-registry" }), ...password }],
        ["image (cross-key: a password without a username)", { "ragstar:image": JSON.stringify({ registry: "r.example.com", repository: lower("repo") }), ...password }],
        ["image (cross-key: a username without a password)", { "ragstar:image": JSON.stringify({ registry: "r.example.com", username: canary("user") }) }],
        ["resources (requests above limits)", { "ragstar:resources": JSON.stringify({ requests: { cpu: `${NUMERIC_CANARY}0`, memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: `${NUMERIC_CANARY}m`, memory: "1Gi", "ephemeral-storage": "1Gi" } }) }],
        ["resources (a quantity)", { "ragstar:resources": JSON.stringify({ requests: { cpu: canary("cpu"), memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" } }) }],
        ["storage (an enum)", { "ragstar:storage": JSON.stringify({ size: "1Gi", accessMode: canary("mode") }) }],
        ["storage (a type error)", { "ragstar:storage": JSON.stringify(canary("storage")) }],
        ["probes (a pattern)", { "ragstar:probes": JSON.stringify({ readinessPath: canary("path") }) }],
        ["network (a label value)", { "ragstar:network": JSON.stringify({ egress: [{ namespace: "ollama", podLabels: { app: `-${canary("label")}` }, ports: [{ port: 1 }] }] }) }],
        ["network (a union)", { "ragstar:network": JSON.stringify({ egress: [{ host: canary("host") }] }) }],
        ["network (a CIDR)", { "ragstar:network": JSON.stringify({ egress: [{ cidr: canary("cidr"), ports: [{ port: 1 }] }] }) }],
        ["nodeSelector (a label value)", { "ragstar:nodeSelector": JSON.stringify({ type: `-${canary("node")}` }) }],
        ["tolerations (Exists with a value)", { "ragstar:tolerations": JSON.stringify([{ key: "k", operator: "Exists", value: canary("value") }]) }],
        ["tolerations (a rule naming another field: tolerationSeconds beside the effect)", { "ragstar:tolerations": JSON.stringify([{ key: "k", effect: canary("effect"), tolerationSeconds: Number(NUMERIC_CANARY) }]) }],
        ["kubernetes (an unknown key)", { "ragstar:kubernetes": JSON.stringify({ context: canary("context"), contxt: canary("context") }) }],
        // Skipped for a secret ragstar:app: the service's messages are text, so its values could not be masked.
        ["app (the app check)", { "ragstar:app": JSON.stringify({ log_level: canary("log-level") }) }, false],
        ["app (a type error)", { "ragstar:app": JSON.stringify([canary("app")]) }],
    ])("%s", (_, extra, checked = true) => {
        const raw = { ...base, ...extra };
        const secret = new Set([...Object.keys(extra)]);
        const error = thrownConfigError(() => parseStackConfig(raw, (key) => secret.has(key), "Pulumi.test.yaml", echo));
        const held = Object.keys(extra).filter((key) => key !== "ragstar:registryPassword");
        for (const key of held) expect(error.problems).toContainEqual(expect.stringContaining(`${key}: holds a secret value`));
        if (checked) expect(error.problems.length).toBeGreaterThan(held.length); // the check itself still reports, masked
        expect(`${error.message}\n${error.problems.join("\n")}`).not.toMatch(ANY_CANARY);
    });

    test("the reviewer's case: ragstar:image.username set with --secret on a stack with image.ref and pullSecret", () => {
        const raw = { ...base, "ragstar:image": JSON.stringify({ ref, username: "CANARYuser", pullSecret: "pull" }), ...password };
        const error = thrownConfigError(() => parseStackConfig(raw, (key) => key in password || key === "ragstar:image", "Pulumi.test.yaml"));
        expect(error.problems).toContainEqual(expect.stringMatching(/^ragstar:image\.username: \[secret\]: unused: /));
        expect(error.problems.join("\n")).not.toContain("CANARYuser");
    });

    test("the reviewer's case: a secret ragstar:resources with requests above limits", () => {
        const resources = { requests: { cpu: "8", memory: "1Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "7777m", memory: "1Gi", "ephemeral-storage": "1Gi" } };
        const error = thrownConfigError(() => parseStackConfig({ ...base, "ragstar:resources": JSON.stringify(resources) }, (key) => key === "ragstar:resources", "Pulumi.test.yaml"));
        expect(error.problems).toContainEqual("ragstar:resources.requests.cpu: [secret]: must be at most the limit [secret] (ragstar:resources.limits.cpu): the API server refuses requests above limits");
        expect(error.problems.join("\n")).not.toContain("7777");
    });
});

function thrownConfigError(fn: () => unknown): ConfigError {
    try {
        fn();
    } catch (error) {
        if (error instanceof ConfigError) return error;
        throw error;
    }
    throw new Error("expected a ConfigError");
}

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
            for (const stack of ["dev", "staging", "prod"]) fs.writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), committedStackWithoutVerification(stack));
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
