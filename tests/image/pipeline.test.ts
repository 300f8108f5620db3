import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { parseStackConfig } from "../../infra/config/stackConfig";
import { imageBuildArgs } from "../../infra/image";
import { dockerRunPlan, type DockerRunPlan } from "../../infra/tools/docker/dockerRun";
import { buildImage, containerAddress, docker, dockerOk, pushImage, registryManifest, runContainer, secondsSince, type Build, type RunningContainer } from "../../infra/tools/docker/docker";
import type { Probe } from "../../infra/probes/types";
import { renderStack, type Render } from "../../infra/tools/render/render";
import { devStackSetting, devStackWith, projectWith, REPO_ROOT } from "../infra/projectFixture";
import { containerEvidence, deleteManifest, executeProbe } from "../lib/docker";
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";

function required(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run these tests through scripts/with-image-infra (scripts/test does)`);
    return value;
}

const registry = required("REGISTRY");
const username = required("REGISTRY_USERNAME");
const pythonImage = required("PYTHON_IMAGE");
const baseKind = required("BASE_IMAGE_KIND");
const repository = "ragstar-test";
const tag = `${registry}/${repository}:pipeline-${process.pid}`;
const adminToken = crypto.randomBytes(18).toString("base64url");
const unwrap = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

let build: Build;
let pushedDigest: string;
let render: Render;
let plan: DockerRunPlan;
let image: string;
let running: RunningContainer;
const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-pod-"));
fs.chmodSync(hostDir, 0o755);
const name = `ragstar-pipeline-${process.pid}`;
// A client config of our own, so `docker login` here does not race another run's.
const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-docker-config-"));
process.env.DOCKER_CONFIG = dockerConfig;

/** Fail with the container's state, health log and log tail attached. */
function withEvidence(check: () => void): void {
    try {
        check();
    } catch (error) {
        (error as Error).message += `\n${containerEvidence(name)}`;
        throw error;
    }
}

async function untilProbeSucceeds(probe: Probe, budgetSeconds: number): Promise<number> {
    const started = process.hrtime.bigint();
    let last = "";
    while (secondsSince(started) < budgetSeconds) {
        // A container that exited will not recover: fail now, with its logs, not after the budget.
        if (dockerOk(["inspect", "--format", "{{.State.Running}}", name]).trim() !== "true") {
            throw new Error(`the container stopped while waiting for the probe\n${containerEvidence(name)}`);
        }
        const attempt = await executeProbe(probe, name);
        if (attempt.ok) return secondsSince(started);
        last = attempt.detail;
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`probe did not succeed within ${budgetSeconds} s; last attempt: ${last}\n${containerEvidence(name)}`);
}

beforeAll(async () => {
    process.stderr.write(`image pipeline: base image ${pythonImage} (${baseKind})\n`);
    // The registry password travels as the Pulumi program receives it: a secret stack config value.
    const config = parseStackConfig(
        {
            "ragstar:namespace": "ragstar-test",
            // The base image from scripts/with-image-infra, through the stack key a user's stack would set.
            "ragstar:image": JSON.stringify({ registry, repository, username, buildArgs: { PYTHON_IMAGE: pythonImage } }),
            "ragstar:registryPassword": required("REGISTRY_PASSWORD"),
        },
        (key) => key === "ragstar:registryPassword",
        "image pipeline test",
    );
    expect(await pulumi.isSecret(config.registryPassword!)).toBe(true);
    dockerOk(["login", registry, "--username", username, "--password-stdin"], { input: await unwrap(config.registryPassword!) });

    build = buildImage(REPO_ROOT, "runtime", tag, imageBuildArgs(config));
    pushedDigest = pushImage(tag);
    image = `${registry}/${repository}@${pushedDigest}`;

    const secretLines = "  ragstar:adminToken:\n    secure: v1:aW1hZ2UtcGlwZWxpbmU=\n";
    render = await renderStack("dev", projectWith("dev", devStackWith(secretLines)));
    const deployment = render.objects.find((o) => o.kind === "Deployment") as KubernetesObject;
    plan = dockerRunPlan(deployment, render.objects, { hostDir, volumePrefix: `${name}-`, secretValues: { admin_token: adminToken } });
    running = runContainer(plan, image, name, hostDir);
});

afterAll(async () => {
    docker(["rm", "-f", name]);
    for (const volume of plan?.volumes ?? []) docker(["volume", "rm", "-f", volume]);
    docker(["image", "rm", "--force", tag]);
    if (pushedDigest) await deleteManifest(registry, repository, pushedDigest, { username, password: required("REGISTRY_PASSWORD") });
    fs.rmSync(hostDir, { recursive: true, force: true });
    fs.rmSync(dockerConfig, { recursive: true, force: true });
});

test("BuildKit builds the Dockerfile and the registry serves the pushed digest", async () => {
    expect(build.log).toMatch(/^#\d+ \[builder \d+\/\d+\] RUN --mount=type=cache/m);
    const served = await registryManifest(registry, repository, tag.split(":").pop()!, { username, password: required("REGISTRY_PASSWORD") });
    expect(served.digest).toBe(pushedDigest);
    const repoDigests = JSON.parse(dockerOk(["image", "inspect", "--format", "{{json .RepoDigests}}", build.imageId])) as string[];
    expect(repoDigests).toContain(`${registry}/${repository}@${pushedDigest}`);
    const anonymous = await fetch(`http://${registry}/v2/${repository}/manifests/${pushedDigest}`);
    expect(anonymous.status).toBe(401);
});

test("the container runs with the rendered pod's hardening", () => {
    withEvidence(() => {
        const hostConfig = JSON.parse(dockerOk(["inspect", "--format", "{{json .HostConfig}}", name]));
        expect(hostConfig.ReadonlyRootfs).toBe(true);
        expect(hostConfig.CapDrop).toEqual(["ALL"]);
        expect(hostConfig.SecurityOpt).toEqual(["no-new-privileges"]);
        expect(hostConfig.Tmpfs).toHaveProperty("/tmp");
        const status = dockerOk(["exec", name, "cat", "/proc/1/status"]);
        expect(status).toMatch(/^Uid:\t1000\t1000\t1000\t1000$/m);
        expect(status).toMatch(/^Gid:\t1000\t1000\t1000\t1000$/m);
        expect(status).toMatch(/^CapEff:\t0{16}$/m);
        expect(status).toMatch(/^NoNewPrivs:\t1$/m);
        expect(status).toMatch(/^Seccomp:\t2$/m); // filter mode: Docker's default profile
        expect(dockerOk(["exec", name, "python", "-c", "import os; print(os.getuid(), os.getgid())"]).trim()).toBe("1000 1000");
        // The image itself says so too, not only the --user the pod's runAsUser maps to.
        expect(dockerOk(["image", "inspect", "--format", "{{.Config.User}}", image]).trim()).toBe("1000:1000");
    });
});

test("each derived probe succeeds within its startup budget", async () => {
    const container = plan.container;
    const startup: Probe = container.startupProbe;
    const budget = startup.periodSeconds * startup.failureThreshold;
    const waited = await untilProbeSucceeds(startup, budget);
    const sinceStart = secondsSince(running.startedAt);
    expect(sinceStart).toBeLessThanOrEqual(budget);
    process.stderr.write(`startupProbe succeeded ${sinceStart.toFixed(2)} s after docker run (budget ${budget} s, polled ${waited.toFixed(2)} s)\n`);
    for (const probe of [container.livenessProbe, container.readinessProbe] as Probe[]) {
        const attempt = await executeProbe(probe, name);
        expect(attempt).toEqual({ ok: true, detail: expect.stringMatching(/→ 200$/) });
    }
});

test("config and secrets are read-only files with the rendered content", () => {
    withEvidence(() => {
        const configMap = render.objects.find((o) => o.kind === "ConfigMap") as KubernetesObject & { data: Record<string, string> };
        expect(dockerOk(["exec", name, "cat", "/app/config/ragstar.yaml"])).toBe(configMap.data["ragstar.yaml"]);
        expect(dockerOk(["exec", name, "cat", "/run/secrets/ragstar/admin_token"])).toBe(adminToken);
        expect(dockerOk(["exec", name, "stat", "-c", "%a %g", "/run/secrets/ragstar/admin_token"]).trim()).toBe("440 1000");
        expect(docker(["exec", name, "sh", "-c", "echo x > /app/config/ragstar.yaml"]).code).not.toBe(0);
        // /app/.venv belongs to the app user: only the read-only root filesystem stops this write.
        const denied = docker(["exec", name, "sh", "-c", "echo x > /app/.venv/new-file"]);
        expect(denied.code).not.toBe(0);
        expect(denied.stderr).toContain("Read-only file system");
        const env = dockerOk(["exec", name, "env"]);
        expect(env).toContain("RAGSTAR_ADMIN_TOKEN_FILE=/run/secrets/ragstar/admin_token");
        expect(env).not.toContain(adminToken);
    });
});

test("the HEALTHCHECK command itself, run as an exec probe through docker exec, succeeds", async () => {
    const healthcheck = JSON.parse(dockerOk(["image", "inspect", "--format", "{{json .Config.Healthcheck}}", image]));
    expect(healthcheck.Test[0]).toBe("CMD");
    const probe: Probe = { exec: { command: healthcheck.Test.slice(1) }, periodSeconds: 30, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 };
    expect(await executeProbe(probe, name)).toEqual({ ok: true, detail: expect.stringMatching(/→ exit 0/) });
    const failing: Probe = { ...probe, exec: { command: ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/no-such-path', timeout=2)"] } };
    expect((await executeProbe(failing, name)).ok).toBe(false);
});

test("Docker's own health status reaches healthy", async () => {
    const deadline = process.hrtime.bigint() + 120n * 1_000_000_000n;
    let status = "";
    while (process.hrtime.bigint() < deadline) {
        status = dockerOk(["inspect", "--format", "{{.State.Health.Status}}", name]).trim();
        if (status === "healthy" || status === "unhealthy") break;
        await new Promise((r) => setTimeout(r, 1000));
    }
    if (status !== "healthy") throw new Error(`health status ${status}\n${containerEvidence(name)}`);
});

test("the process writes nowhere but /tmp and the data directory", () => {
    withEvidence(() => {
        dockerOk(["exec", name, "sh", "-c", "echo data > /app/ragstar_db/probe.txt && echo tmp > /tmp/probe.txt"]);
        const mountPoints = (plan.args.join(" ").match(/dst=(\S+?)(?:,|\s|$)|--tmpfs (\S+?):/g) ?? []).map((m) => m.replace(/^(dst=|--tmpfs )/, "").replace(/[,:\s]$/, ""));
        const parents = new Set(mountPoints.flatMap((p) => p.split("/").slice(1).map((_, i, parts) => `/${parts.slice(0, i + 1).join("/")}`)));
        const changes = dockerOk(["diff", name]).trim().split("\n").filter((l) => l !== "");
        const unexpected = changes.filter((line) => !parents.has(line.slice(2)));
        expect(unexpected).toEqual([]);
    });
});

test("data in the data directory survives a new container on the same volume", () => {
    const marker = crypto.randomBytes(8).toString("hex");
    dockerOk(["exec", name, "sh", "-c", `echo ${marker} > /app/ragstar_db/survives.txt`]);
    dockerOk(["rm", "-f", name]);
    running = runContainer(plan, image, name, hostDir);
    withEvidence(() => expect(dockerOk(["exec", name, "cat", "/app/ragstar_db/survives.txt"]).trim()).toBe(marker));
});

test("SIGTERM stops the container well within the pod's termination grace period", async () => {
    await untilProbeSucceeds(plan.container.startupProbe, 100);
    const started = process.hrtime.bigint();
    dockerOk(["stop", "--time", String(plan.terminationGracePeriodSeconds), name]);
    const seconds = secondsSince(started);
    const state = JSON.parse(dockerOk(["inspect", "--format", "{{json .State}}", name]));
    const logs = docker(["logs", name]);
    process.stderr.write(`SIGTERM → exit ${state.ExitCode} in ${seconds.toFixed(2)} s (grace ${plan.terminationGracePeriodSeconds} s)\n`);
    // docker stop sends SIGKILL when the grace period runs out (exit 137): the process must exit on its own, sooner.
    expect(seconds).toBeLessThan(plan.terminationGracePeriodSeconds);
    expect(state.OOMKilled).toBe(false);
    expect(state.ExitCode).not.toBe(137);
    expect(`${logs.stdout}${logs.stderr}`).toContain("Finished server process");
});

describe("a short session against the container, with GitHub and Ollama fakes on the Docker bridge", () => {
    const fakes = `ragstar-fakes-${process.pid}`;
    const service = `ragstar-session-${process.pid}`;
    const sessionDir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-session-"));
    fs.chmodSync(sessionDir, 0o755);
    // Every repository of the service tests' fixture corpus, so rankings match theirs.
    const repositories = [...fs.readFileSync(path.join(REPO_ROOT, "tests/service/corpus.py"), "utf8").matchAll(/FixtureRepo\(\s*"([\w.-]+\/[\w.-]+)"/g)].map((m) => `https://github.com/${m[1]}`);
    let sessionPlan: DockerRunPlan;
    let address: string;

    const call = async (method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: any }> => {
        const response = await fetch(`http://${address}:8000${urlPath}`, {
            method,
            headers: body ? { "Content-Type": "application/json" } : {},
            body: body ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(10_000),
        });
        return { status: response.status, json: await response.json() };
    };
    const startService = async () => {
        runContainer(sessionPlan, image, service, sessionDir);
        address = containerAddress(service);
        const started = process.hrtime.bigint();
        while (!(await executeProbe(sessionPlan.container.readinessProbe, service)).ok) {
            if (secondsSince(started) > 60) throw new Error(`the service did not get ready\n${containerEvidence(service)}`);
            await new Promise((r) => setTimeout(r, 250));
        }
    };
    const ranking = async (query: string) => (await call("POST", "/query", { query, num_results: 3 })).json.results.map((hit: { name: string }) => hit.name);

    beforeAll(async () => {
        expect(repositories.length).toBeGreaterThanOrEqual(5);
        docker(["rm", "-f", fakes]);
        dockerOk([
            "run", "--detach", "--name", fakes, "--read-only", "--user", "1000:1000", "--cap-drop", "ALL",
            "--mount", `type=bind,src=${path.join(REPO_ROOT, "tests/service")},dst=/fakes,readonly`, "--workdir", "/fakes",
            "--env", "PYTHONDONTWRITEBYTECODE=1", pythonImage, "python3", "serve_fakes.py", "--host", "0.0.0.0", "--github-port", "8081", "--ollama-port", "8082",
        ]);
        const fakesAddress = containerAddress(fakes);
        const app = { log_level: "info", github_api_url: `http://${fakesAddress}:8081`, ollama_base_url: `http://${fakesAddress}:8082`, retry_backoff_seconds: 0.1 };
        const sessionRender = await renderStack("dev", projectWith("dev", devStackSetting({ "ragstar:app": app })));
        const deployment = sessionRender.objects.find((o) => o.kind === "Deployment") as KubernetesObject;
        sessionPlan = dockerRunPlan(deployment, sessionRender.objects, { hostDir: sessionDir, volumePrefix: `${service}-` });
        await startService();
    });

    afterAll(() => {
        docker(["rm", "-f", service, fakes]);
        for (const volume of sessionPlan?.volumes ?? []) docker(["volume", "rm", "-f", volume]);
        fs.rmSync(sessionDir, { recursive: true, force: true });
    });

    test("build an index from the fakes, query it, restart, query again", async () => {
        const build = await call("POST", "/build", { repositories });
        expect(build.status).toBe(202);
        const started = process.hrtime.bigint();
        let job = (await call("GET", `/jobs/${build.json.job_id}`)).json;
        while (job.status === "queued" || job.status === "running") {
            if (secondsSince(started) > 90) throw new Error(`job still ${job.status}\n${containerEvidence(service)}`);
            await new Promise((r) => setTimeout(r, 250));
            job = (await call("GET", `/jobs/${build.json.job_id}`)).json;
        }
        expect(job.status).toBe("succeeded");
        const expected = ["junegunn/fzf", "BurntSushi/ripgrep", "encode/httpx"];
        expect(await ranking("fuzzy finder for the command line")).toEqual(expected);
        const summaries = (await call("GET", "/summaries")).json;

        docker(["rm", "-f", service]); // a new pod on the same volume
        await startService();
        expect(await ranking("fuzzy finder for the command line")).toEqual(expected);
        expect((await call("GET", "/summaries")).json).toEqual(summaries);
        expect((await call("GET", "/ready")).json).toMatchObject({ status: "ready", store: "ok" });

        // After a real build and queries, the service has still written nothing outside its mounts.
        await call("POST", "/query", { query: "grep", num_results: 1 });
        const mounts = sessionPlan.args.flatMap((arg) => [.../dst=([^,]+)/.exec(arg)?.slice(1) ?? [], .../^(\/[^:]+):rw/.exec(arg)?.slice(1) ?? []]);
        const allowed = new Set(mounts.flatMap((p) => p.split("/").slice(1).map((_, i, parts) => `/${parts.slice(0, i + 1).join("/")}`)));
        expect(mounts).toEqual(expect.arrayContaining(["/app/ragstar_db", "/tmp"]));
        const changes = dockerOk(["diff", service]).trim().split("\n").filter((line) => line !== "");
        expect(changes.filter((line) => !allowed.has(line.slice(2)))).toEqual([]);
        const written = dockerOk(["exec", service, "ls", "/app/ragstar_db"]).split("\n");
        expect(written).toContain("ragstar.sqlite3");
    });
});
