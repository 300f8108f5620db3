/**
 * `npm run --silent bench:image [-- --runs N]`
 *
 * Measures the service image on the real engine and registry that scripts/with-image-infra
 * provides, and prints one JSON object on stdout (progress on stderr). Each timing and
 * size is the median of N runs (default 3):
 *   image_size_bytes       uncompressed size as the engine reports it (`docker image inspect .Size`)
 *   base_image_size_bytes  the same for the base image
 *   compressed_size_bytes  sum of the layer sizes in the pushed manifest
 *   cold_build_s           `docker build --no-cache` after pruning the engine's BuildKit cache mounts
 *                          (`docker builder prune --filter type=exec.cachemount`, which affects other
 *                          builds on the same engine too)
 *   hot_build_s            rebuild after a change to one source file only
 *   time_to_healthy_s      from `docker run` of the pod's plan to the first 200 from /health
 *   base_image             which base was used, and whether it is the production one
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { dockerRunPlan } from "../docker/dockerRun";
import { buildImage, containerAddress, copyBuildContext, docker, dockerOk, pushImage, registryManifest, runContainer, secondsSince } from "../docker/docker";
import { localImageBuildArgs } from "../engine/localStack";
import { renderStack } from "../render/render";
import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { parseCommandLine, positiveInteger } from "./commandLine";
import { asFailure, CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent bench:image [-- --runs N]";

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const round = (seconds: number) => Math.round(seconds * 100) / 100;

function env(name: string): string {
    const value = process.env[name];
    if (!value) throw new CommandFailure(`${name} is not set: run through scripts/with-image-infra (npm run bench:image does)`);
    return value;
}

async function timeToHealthy(image: string, run: number): Promise<number> {
    const render = await renderStack("dev");
    const deployment = render.objects.find((o) => o.kind === "Deployment") as KubernetesObject;
    const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-bench-pod-"));
    fs.chmodSync(hostDir, 0o755);
    const name = `ragstar-bench-${process.pid}-${run}`;
    const plan = dockerRunPlan(deployment, render.objects, { hostDir, volumePrefix: `${name}-` });
    try {
        const container = runContainer(plan, image, name, hostDir);
        const address = containerAddress(name);
        while (secondsSince(container.startedAt) < 120) {
            try {
                const response = await fetch(`http://${address}:8000/health`, { signal: AbortSignal.timeout(1000) });
                if (response.status === 200) return secondsSince(container.startedAt);
            } catch {
                // not listening yet
            }
            await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`no 200 from /health within 120 s:\n${docker(["logs", "--tail", "30", name]).stderr}`);
    } finally {
        docker(["rm", "-f", name]);
        for (const volume of plan.volumes) docker(["volume", "rm", "-f", volume]);
        fs.rmSync(hostDir, { recursive: true, force: true });
    }
}

async function main(argv: string[]): Promise<void> {
    const runs = positiveInteger("--runs", parseCommandLine({ args: argv, options: { runs: { type: "string", default: "3" } } }).values.runs);
    try {
        await bench(runs);
    } catch (error) {
        // Docker's and the registry's errors are failures to report in full (they carry the evidence), not bugs.
        throw asFailure(error);
    }
}

/** Measure `runs` times and print the medians as JSON on stdout. */
async function bench(runs: number): Promise<void> {
    const registry = env("REGISTRY");
    const auth = { username: env("REGISTRY_USERNAME"), password: env("REGISTRY_PASSWORD") };
    // The local stack's build arguments (ragstar:image.buildArgs with scripts/with-image-infra's base, and APP_UID).
    const buildArgs = localImageBuildArgs();
    const pythonImage = buildArgs.PYTHON_IMAGE;
    const tag = `${registry}/ragstar-bench:latest`;
    // A client config of our own, so `docker login` here does not race another run's.
    process.env.DOCKER_CONFIG = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-docker-config-"));
    dockerOk(["login", registry, "--username", auth.username, "--password-stdin"], { input: auth.password });
    const context = copyBuildContext();
    const cold: number[] = [];
    const hot: number[] = [];
    const sizes: number[] = [];
    const compressed: number[] = [];
    const healthy: number[] = [];
    try {
        for (let run = 1; run <= runs; run++) {
            // Cold: no layer cache (--no-cache) and no uv download cache (the cache mounts are pruned).
            dockerOk(["builder", "prune", "--force", "--filter", "type=exec.cachemount"]);
            docker(["image", "rm", "--force", tag]);
            const coldBuild = buildImage(context, "runtime", tag, buildArgs, true);
            cold.push(coldBuild.seconds);
            fs.appendFileSync(path.join(context, "src/ragstar/__init__.py"), `# benchmark edit ${run}\n`);
            const hotBuild = buildImage(context, "runtime", tag, buildArgs);
            hot.push(hotBuild.seconds);
            sizes.push(Number(dockerOk(["image", "inspect", "--format", "{{.Size}}", hotBuild.imageId]).trim()));
            const digest = pushImage(tag);
            const { manifest } = await registryManifest(registry, "ragstar-bench", digest, auth);
            compressed.push(manifest.layers.reduce((sum, layer) => sum + layer.size, 0));
            healthy.push(await timeToHealthy(`${registry}/ragstar-bench@${digest}`, run));
            log(`run ${run}/${runs}: cold ${cold.at(-1)!.toFixed(2)} s, hot ${hot.at(-1)!.toFixed(2)} s, healthy after ${healthy.at(-1)!.toFixed(2)} s`);
        }
    } finally {
        fs.rmSync(context, { recursive: true, force: true });
        fs.rmSync(process.env.DOCKER_CONFIG, { recursive: true, force: true });
    }
    const result = {
        image_size_bytes: median(sizes),
        base_image_size_bytes: Number(dockerOk(["image", "inspect", "--format", "{{.Size}}", pythonImage]).trim()),
        compressed_size_bytes: median(compressed),
        cold_build_s: round(median(cold)),
        hot_build_s: round(median(hot)),
        time_to_healthy_s: round(median(healthy)),
        base_image: `${pythonImage} (${env("BASE_IMAGE_KIND")})`,
        runs,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

runCli(main, USAGE);
