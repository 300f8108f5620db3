/**
 * Thin wrappers over the Docker engine's own client for the image benchmark, the `local` stack's
 * image and the image tests: build with BuildKit, push, inspect, run. Every failure throws an
 * Error that carries the evidence (build log tail, client output) rather than a bare timeout.
 * What only the tests use (probing a container, its evidence, deleting a manifest) is in
 * tests/lib/docker.ts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { SHA256_DIGEST } from "../../imageReference";
import { ROOT_DIR } from "../../paths";
import type { DockerRunPlan } from "./dockerRun";

/** The engine's client: `$DOCKER`, else /usr/bin/docker (the client on PATH may want buildx). */
export const DOCKER = process.env.DOCKER ?? "/usr/bin/docker";

/** Result of one client call. */
export interface DockerResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Last `lines` lines of a text, for error messages. */
export function tail(text: string, lines = 30): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Run the Docker client.
 *
 * @param args client arguments
 * @param options `input` for stdin (e.g. a password), `timeoutMs` (default 10 minutes)
 */
export function docker(args: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): DockerResult {
    const result = spawnSync(DOCKER, args, {
        input: options.input,
        encoding: "utf8",
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, DOCKER_BUILDKIT: "1", ...options.env },
    });
    return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** Like `docker`, but throws with the command's output when it fails. */
export function dockerOk(args: string[], options: Parameters<typeof docker>[1] = {}): string {
    const result = docker(args, options);
    if (result.code !== 0) throw new Error(`docker ${args.join(" ")} failed (exit ${result.code}):\n${tail(result.stderr || result.stdout)}`);
    return result.stdout;
}

/** A finished BuildKit build. */
export interface Build {
    imageId: string;
    /** Wall-clock seconds of `docker build`. */
    seconds: number;
    log: string;
}

/**
 * Build `target` of the Dockerfile in `context` with BuildKit.
 *
 * @param buildArgs e.g. `{PYTHON_IMAGE: "..."}`
 * @throws Error with the tail of the build log when the build fails
 */
export function buildImage(context: string, target: string, tag: string, buildArgs: Record<string, string>, noCache = false): Build {
    const idFile = path.join(fs.mkdtempSync(path.join(context, ".iid-")), "iid");
    const args = ["build", "--progress=plain", "--target", target, "--tag", tag, "--iidfile", idFile];
    for (const [name, value] of Object.entries(buildArgs)) args.push("--build-arg", `${name}=${value}`);
    if (noCache) args.push("--no-cache");
    const started = process.hrtime.bigint();
    const result = docker([...args, context]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const log = `${result.stdout}${result.stderr}`;
    const imageId = fs.existsSync(idFile) ? fs.readFileSync(idFile, "utf8").trim() : "";
    fs.rmSync(path.dirname(idFile), { recursive: true, force: true });
    if (result.code !== 0 || imageId === "") throw new Error(`docker build of ${target} failed (exit ${result.code}); build log tail:\n${tail(log, 40)}`);
    return { imageId, seconds, log };
}

/** Push `tag` and return the manifest digest the push reported (`sha256:…`). */
export function pushImage(tag: string): string {
    const output = dockerOk(["push", tag]);
    const digest = new RegExp(`digest: (${SHA256_DIGEST})`).exec(output)?.[1];
    if (!digest) throw new Error(`docker push ${tag} reported no digest:\n${tail(output)}`);
    return digest;
}

/** A manifest as the registry serves it. */
export interface RegistryManifest {
    /** `Docker-Content-Digest` of the manifest. */
    digest: string;
    manifest: { layers: { size: number; digest: string }[]; config: { size: number; digest: string } };
}

/**
 * Fetch a manifest from a registry over HTTP with basic authentication (registry API v2,
 * https://distribution.github.io/distribution/spec/api/).
 */
export async function registryManifest(registry: string, repository: string, reference: string, auth: { username: string; password: string }): Promise<RegistryManifest> {
    const response = await fetch(`http://${registry}/v2/${repository}/manifests/${reference}`, {
        headers: {
            Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`,
            Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
        },
    });
    if (!response.ok) throw new Error(`registry ${registry}: GET manifest ${repository}:${reference} answered ${response.status}`);
    const digest = response.headers.get("docker-content-digest");
    if (!digest) throw new Error(`registry ${registry}: no Docker-Content-Digest for ${repository}:${reference}`);
    return { digest, manifest: (await response.json()) as RegistryManifest["manifest"] };
}

/** A container started from a plan. */
export interface RunningContainer {
    name: string;
    /** When `docker run` returned, from `process.hrtime.bigint()` (nanoseconds). */
    startedAt: bigint;
}

/**
 * Write the plan's host files and start the container detached.
 *
 * @throws Error with the client's output when `docker run` fails
 */
export function runContainer(plan: DockerRunPlan, image: string, name: string, hostDir: string): RunningContainer {
    for (const file of plan.files) {
        const target = path.join(hostDir, file.relativePath);
        fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
        fs.writeFileSync(target, file.content, { mode: file.mode });
        fs.chmodSync(target, file.mode);
        if (file.group !== undefined && process.getuid?.() === 0) fs.chownSync(target, 0, file.group);
    }
    for (const volume of plan.volumes) dockerOk(["volume", "create", volume]);
    docker(["rm", "-f", name]);
    const startedAt = process.hrtime.bigint();
    dockerOk(["run", "--detach", "--name", name, ...plan.args, image]);
    return { name, startedAt };
}

/** The container's address on its Docker network. */
export function containerAddress(name: string): string {
    return dockerOk(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name]).trim();
}

/** Seconds since `startedAt` (from `process.hrtime.bigint()`). */
export function secondsSince(startedAt: bigint): number {
    return Number(process.hrtime.bigint() - startedAt) / 1e9;
}

/** What `buildAndPushImage` needs: the registry and its credentials. */
export interface PushTarget {
    registry: string;
    username: string;
    password: string;
}

/**
 * Build `target` of the repository's Dockerfile with BuildKit, push it as
 * `<registry>/<repository>:<tag>` with a client config of its own (so logins do not race),
 * and return the digest-pinned reference the registry reported.
 *
 * @param buildArgs every build argument, as `imageBuildArgs(config)` gives them from the stack
 *   config (`ragstar:image.buildArgs`, e.g. `PYTHON_IMAGE`, and `APP_UID`); nothing is added here
 * @throws Error with the build log tail or the client's output on failure
 */
export function buildAndPushImage(context: string, push: PushTarget, repository: string, tag: string, buildArgs: Record<string, string>): { reference: string; build: Build } {
    const previous = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-docker-config-"));
    try {
        dockerOk(["login", push.registry, "--username", push.username, "--password-stdin"], { input: push.password });
        const name = `${push.registry}/${repository}`;
        const build = buildImage(context, "runtime", `${name}:${tag}`, buildArgs);
        return { reference: `${name}@${pushImage(`${name}:${tag}`)}`, build };
    } finally {
        fs.rmSync(process.env.DOCKER_CONFIG, { recursive: true, force: true });
        if (previous === undefined) delete process.env.DOCKER_CONFIG;
        else process.env.DOCKER_CONFIG = previous;
    }
}

/**
 * An image derived from `base` by one label (a new config, so a new digest), built and pushed as
 * `<registry>/<repository>:<tag>` with a client config of its own. For tests and benchmarks that
 * need fresh digests of the same contents.
 *
 * @returns the digest-pinned reference the push reported
 * @throws Error with the client's output on failure
 */
export function pushDerivedImage(base: string, push: PushTarget, repository: string, tag: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-derived-"));
    const previous = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir;
    try {
        dockerOk(["login", push.registry, "--username", push.username, "--password-stdin"], { input: push.password });
        fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM ${base}\nLABEL org.example.ragstar-derived=${tag}\n`);
        const name = `${push.registry}/${repository}:${tag}`;
        dockerOk(["build", "--quiet", "--tag", name, dir]);
        return `${push.registry}/${repository}@${pushImage(name)}`;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        if (previous === undefined) delete process.env.DOCKER_CONFIG;
        else process.env.DOCKER_CONFIG = previous;
    }
}

/**
 * A copy of exactly what the project's build context admits (Dockerfile, .dockerignore,
 * pyproject.toml, uv.lock, ragstar.yaml, src/), in a new temporary folder, so a benchmark's source
 * edits never touch the work tree.
 */
export function copyBuildContext(rootDir: string = ROOT_DIR): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-bench-context-"));
    for (const entry of ["Dockerfile", ".dockerignore", "pyproject.toml", "uv.lock", "ragstar.yaml", "src"]) {
        fs.cpSync(path.join(rootDir, entry), path.join(dir, entry), { recursive: true, filter: (source) => !source.includes("__pycache__") });
    }
    return dir;
}
