import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ALIAS_BOMB, projectWith, REPO_ROOT } from "./projectFixture";

const tsNode = path.join(REPO_ROOT, "node_modules/.bin/ts-node");
const run = (script: string, args: string[]) =>
    spawnSync(tsNode, ["--transpile-only", path.join(REPO_ROOT, "infra/tools/cli", script), ...args], { cwd: REPO_ROOT, encoding: "utf8" });

test("probes prints the three probes of this repository's Dockerfile as JSON", () => {
    const result = run("probes.ts", ["Dockerfile"]);
    expect(result.status).toBe(0);
    const probes = JSON.parse(result.stdout);
    expect(Object.keys(probes)).toEqual(["livenessProbe", "readinessProbe", "startupProbe"]);
    expect(probes.livenessProbe).toEqual({ httpGet: { path: "/health", port: 8000, scheme: "HTTP" }, periodSeconds: 33, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 });
    expect(probes.readinessProbe).toEqual({ httpGet: { path: "/health", port: 8000, scheme: "HTTP" }, periodSeconds: 30, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 });
    expect(probes.startupProbe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 21 });
});

test("probes exits non-zero naming file and line for --interval=30", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "probes-cli-"));
    const file = path.join(dir, "Dockerfile");
    fs.writeFileSync(file, fs.readFileSync(path.join(REPO_ROOT, "Dockerfile"), "utf8").replace("--interval=30s", "--interval=30"));
    const line = fs.readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes("--interval=30 ")) + 1;
    const result = run("probes.ts", [file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${file}:${line}: HEALTHCHECK --interval=30: time: missing unit in duration "30"`);
});

test("probes --target picks a stage, and an unknown stage is an error", () => {
    expect(run("probes.ts", ["Dockerfile", "--target", "builder"]).stderr).toContain('stage "builder" has no HEALTHCHECK');
    expect(run("probes.ts", ["Dockerfile", "--target", "nope"]).stderr).toContain('build target "nope" is not a stage');
    expect(run("probes.ts", []).status).toBe(2);
});

test("render prints the stack's objects as YAML and writes one file per object with --out", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-cli-"));
    const result = run("render.ts", ["--stack", "prod", "--out", out]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("kind: Deployment");
    expect(fs.readFileSync(path.join(out, "deployment-ragstar.yaml"), "utf8")).toMatch(/^# stack prod: 1 object rendered by RAGstar deploy without the Pulumi engine\.\n# The image is the digest-pinned ragstar:image.ref of the stack file\. Secrets print as \[secret\]\.\n/);
    expect(fs.readdirSync(out).sort()).toEqual(
        [".ragstar-render.json", "configmap-", "deployment-ragstar.yaml", "horizontalpodautoscaler-ragstar.yaml", "namespace-ragstar.yaml", "networkpolicy-ragstar.yaml", "poddisruptionbudget-ragstar.yaml", "secret-ragstar-secrets.yaml", "service-ragstar.yaml", "serviceaccount-ragstar.yaml"]
            .map((f) => (f === "configmap-" ? fs.readdirSync(out).find((n) => n.startsWith("configmap-"))! : f))
            .sort(),
    );
});

test("render of an unknown stack or without --stack fails clearly", () => {
    expect(run("render.ts", ["--stack", "nope"]).stderr).toContain("Pulumi.nope.yaml does not exist");
    expect(run("render.ts", []).status).toBe(2);
});

describe("render: YAML that must not reach the program is one line naming file and line", () => {
    const stackFile = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");

    test("an undefined alias", () => {
        const root = projectWith("dev", stackFile.replace(/ragstar:namespace: \S+/, "ragstar:namespace: *nope"));
        const line = fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8").split("\n").findIndex((l) => l.includes("*nope")) + 1;
        const result = run("render.ts", ["--stack", "dev", "--root", root]);
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(`error: Pulumi.dev.yaml: invalid stack config: line ${line}: alias *nope names no anchor defined before it\n`);
    });

    test("an alias bomb in the stack file, refused quickly", () => {
        const root = projectWith("dev", `${stackFile.trimEnd()}\n${ALIAS_BOMB}`);
        const started = Date.now();
        const result = run("render.ts", ["--stack", "dev", "--root", root]);
        expect(Date.now() - started).toBeLessThan(30_000);
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/^error: Pulumi\.dev\.yaml: invalid stack config: line \d+: more than 100 aliases \(an alias bomb\?\); refused\n$/);
    });

    test("an alias bomb in ragstar.yaml", () => {
        const root = projectWith("dev", stackFile, { "ragstar.yaml": `${fs.readFileSync(path.join(REPO_ROOT, "ragstar.yaml"), "utf8")}${ALIAS_BOMB.replace(/^  /gm, "").replace("ragstar:laughs", "laughs")}` });
        const result = run("render.ts", ["--stack", "dev", "--root", root]);
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/^error: Pulumi\.dev\.yaml: invalid stack config: ragstar\.yaml:\d+: more than 100 aliases \(an alias bomb\?\); refused\n$/);
    });
});
