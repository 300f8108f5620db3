/**
 * What the supply-chain tests share: the project image built and pushed to the test registry
 * (scripts/with-image-infra), images derived from it (each a new digest), cosign key pairs made by
 * cosign itself, a second authenticated registry started and stopped by the test, and the CLIs run
 * as a user runs them.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { buildAndPushImage, pushDerivedImage as pushDerived, type PushTarget } from "../../infra/tools/docker/docker";
import type { RegistryLogins } from "../../infra/supplyChain/registryAuth";

export const REPO_ROOT = path.resolve(__dirname, "../..");

/** The temporary folders these helpers made (keys, stack roots, SBOMs), removed by `removeTemporaryFolders`. */
const made: string[] = [];

/** A new temporary folder, removed by `removeTemporaryFolders` (each test file's afterAll). */
export function temporaryFolder(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
}

/** Remove every folder `temporaryFolder` made: test keys and SBOMs do not outlive the tests. */
export function removeTemporaryFolders(): void {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function required(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run through scripts/with-image-infra and scripts/with-supply-chain (see scripts/test)`);
    return value;
}

export const registry = (): PushTarget => ({ registry: required("REGISTRY"), username: required("REGISTRY_USERNAME"), password: required("REGISTRY_PASSWORD") });
export const logins = (...targets: PushTarget[]): RegistryLogins => Object.fromEntries(targets.map((t) => [t.registry, { username: t.username, password: t.password }]));

/** The project's runtime image, built from the repository's Dockerfile and pushed; its digest-pinned reference. */
export function pushProjectImage(repository: string): string {
    return buildAndPushImage(REPO_ROOT, registry(), repository, "supply-chain", { PYTHON_IMAGE: required("PYTHON_IMAGE") }).reference;
}

/** An image derived from `base` by one label (a new config, so a new digest), pushed as `repository:tag` to the test registry. */
export function pushDerivedImage(base: string, repository: string, tag: string): string {
    return pushDerived(base, registry(), repository, tag);
}

/** A cosign key pair made by `cosign generate-key-pair` (encrypted private key, PEM public key). */
export interface KeyPair {
    keyFile: string;
    privateKeyPem: string;
    publicKeyPem: string;
    password: string;
}

export function generateKeyPair(password: string): KeyPair {
    const dir = temporaryFolder("ragstar-cosign-key-");
    const run = spawnSync(process.env.COSIGN ?? "cosign", ["generate-key-pair"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH, HOME: dir, COSIGN_PASSWORD: password } });
    if (run.status !== 0) throw new Error(`cosign generate-key-pair failed: ${run.stderr}`);
    const keyFile = path.join(dir, "cosign.key");
    return { keyFile, privateKeyPem: fs.readFileSync(keyFile, "utf8"), publicKeyPem: fs.readFileSync(path.join(dir, "cosign.pub"), "utf8"), password };
}

/** A second registry (Debian's docker-registry with htpasswd), on a free loopback port, in a folder of its own. */
export interface SecondRegistry extends PushTarget {
    stop(): Promise<void>;
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
        server.on("error", reject);
    });
}

export async function startSecondRegistry(username: string, password: string): Promise<SecondRegistry> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-registry-2-"));
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const htpasswd = spawnSync("htpasswd", ["-Bbc", path.join(dir, "htpasswd"), username, password], { encoding: "utf8" });
    if (htpasswd.status !== 0) throw new Error(`htpasswd failed: ${htpasswd.stderr}`);
    fs.writeFileSync(
        path.join(dir, "config.yml"),
        `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: ${address}\nauth:\n  htpasswd:\n    realm: ragstar-second\n    path: ${dir}/htpasswd\n`,
    );
    const child = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "ignore", fs.openSync(path.join(dir, "registry.log"), "w")] });
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
        try {
            if ((await fetch(`http://${address}/v2/`, { headers: { Authorization: authorization } })).status === 200) break;
        } catch {
            // not listening yet
        }
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the second registry did not answer on ${address}: ${fs.readFileSync(path.join(dir, "registry.log"), "utf8")}`);
        await new Promise((r) => setTimeout(r, 100));
    }
    return {
        registry: address,
        username,
        password,
        stop: async () => {
            child.kill();
            await new Promise((r) => child.once("exit", r));
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

const MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json";

/** GET a manifest by tag or digest: its bytes and media type (a registry API call, as a client makes it). */
export async function getManifest(target: PushTarget, repository: string, reference: string): Promise<{ status: number; body: Buffer; mediaType: string; digest?: string }> {
    const response = await fetch(`http://${target.registry}/v2/${repository}/manifests/${reference}`, { headers: { Accept: MANIFEST_TYPES, Authorization: `Basic ${Buffer.from(`${target.username}:${target.password}`).toString("base64")}` } });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()), mediaType: response.headers.get("content-type") ?? "", digest: response.headers.get("docker-content-digest") ?? undefined };
}

/** PUT manifest bytes under a tag (its blobs must be in the repository already). */
export async function putManifest(target: PushTarget, repository: string, tag: string, body: Buffer, mediaType: string): Promise<number> {
    const response = await fetch(`http://${target.registry}/v2/${repository}/manifests/${tag}`, {
        method: "PUT",
        headers: { "Content-Type": mediaType, Authorization: `Basic ${Buffer.from(`${target.username}:${target.password}`).toString("base64")}` },
        body,
    });
    return response.status;
}

/** Run a command of infra/tools/cli as a user does (ts-node), with only the environment given plus PATH and the tools. */
export function runCommand(command: string, args: string[], env: Record<string, string>, cwd = REPO_ROOT): { status: number | null; stdout: string; stderr: string } {
    const run = spawnSync(path.join(REPO_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", path.join(REPO_ROOT, `infra/tools/cli/${command}.ts`), ...args], {
        cwd,
        encoding: "utf8",
        timeout: 600_000,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, COSIGN: required("COSIGN"), SYFT: required("SYFT"), ...env },
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A project root for `promote --root`: dev deploys `devRef`; the target stack file is given. */
export function promotionRoot(devRef: string, target: { stack: string; yaml: string }): string {
    const dir = temporaryFolder("ragstar-sc-promote-");
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `config:\n  ragstar:namespace: ragstar-dev\n  ragstar:image:\n    ref: ${devRef}\n`);
    fs.writeFileSync(path.join(dir, `Pulumi.${target.stack}.yaml`), target.yaml);
    return dir;
}

/** A target stack file: deploys `ref`, verifies with `publicKeyPem` when given, copies to `repository` when given. */
export function targetStackYaml(ref: string, options: { publicKeyPem?: string; repository?: string }): string {
    const lines = ["config:", "  ragstar:namespace: ragstar-staging", "  ragstar:image:", `    ref: ${ref}`];
    if (options.publicKeyPem) {
        lines.push("  ragstar:supplyChain:", "    verify: true", "    publicKey: |", ...options.publicKeyPem.trimEnd().split("\n").map((l) => `      ${l}`));
    }
    if (options.repository) lines.push("  ragstar:promotion:", `    repository: ${options.repository}`);
    return `${lines.join("\n")}\n`;
}
