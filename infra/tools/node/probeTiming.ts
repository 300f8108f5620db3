/**
 * Probes executed by the kubelet of the real node, timed: the health-switch fixture pushed to the
 * authenticated registry, pulled by the kubelet with a pull Secret, run as a hardened Pod with one
 * of the probe variants of `probePod.ts`, and watched. Shared by tests/node/probeTiming.test.ts
 * (the figures against the timing model) and `bench:rollout` (medians).
 *
 * Clocks: every time is Unix ns on this host. The test's own stamps (`nowNs`) come from the
 * monotonic clock anchored once to the wall clock; the app's stamps are its own log lines
 * (tests/image/fixtures/healthswitch/main.go: start, listening, healthy-from, health, sigterm),
 * read with `kubectl logs` (`--previous` for a killed container). The pod's Ready condition and
 * restart count are seen through a `kubectl get -w` watch, stamped as each line arrives: the
 * API's own times (lastTransitionTime, event timestamps) have 1 s resolution.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { dockerConfigJson, registryHost } from "../../k8s/pullSecret";
import { ROOT_DIR } from "../../paths";
import { dockerOk, pushImage, type PushTarget } from "../docker/docker";
import { HEALTHSWITCH_PORT, probePod, variantProbes, type ProbeVariant, type VariantProbes } from "./probePod";

/** The fixture: a static Go server on scratch whose /health can be switched to fail. */
export const HEALTHSWITCH_DIR = path.join(ROOT_DIR, "tests/image/fixtures/healthswitch");
const PULL_SECRET = "healthswitch-registry";

const anchorWallNs = BigInt(Date.now()) * 1_000_000n;
const anchorMonoNs = process.hrtime.bigint();

/** Now, Unix ns: the monotonic clock from an anchor taken on the wall clock once (so spacing is exact). */
export function nowNs(): bigint {
    return anchorWallNs + (process.hrtime.bigint() - anchorMonoNs);
}

/** Run kubectl (`$KUBE_BIN/kubectl`) and return stdout. @throws Error with stderr when it fails. */
export function kubectl(args: string[], input?: string, timeoutMs = 120_000): string {
    const result = spawnSync(path.join(process.env.KUBE_BIN ?? "", "kubectl"), args, { input, encoding: "utf8", timeout: timeoutMs });
    if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr || result.error}`);
    return result.stdout;
}

/**
 * Build the fixture (`go build`, CGO off, then `docker build` of its Dockerfile) and push it to
 * `<registry>/ragstar-healthswitch:<tag>` with a client config of its own; returns the digest-pinned
 * reference. @throws Error with the tool's output when a step fails
 */
export function pushHealthswitch(push: PushTarget, tag: string): string {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-healthswitch-"));
    const config = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-docker-config-"));
    try {
        const go = spawnSync("go", ["build", "-trimpath", "-o", path.join(context, "healthswitch"), path.join(HEALTHSWITCH_DIR, "main.go")], { env: { ...process.env, CGO_ENABLED: "0" }, encoding: "utf8" });
        if (go.status !== 0) throw new Error(`go build of the health-switch fixture failed: ${go.stderr || go.error}`);
        fs.copyFileSync(path.join(HEALTHSWITCH_DIR, "Dockerfile"), path.join(context, "Dockerfile"));
        const env = { DOCKER_CONFIG: config };
        dockerOk(["login", push.registry, "--username", push.username, "--password-stdin"], { input: push.password, env });
        const name = `${push.registry}/ragstar-healthswitch:${tag}`;
        dockerOk(["build", "-q", "-t", name, context], { env });
        const previous = process.env.DOCKER_CONFIG;
        process.env.DOCKER_CONFIG = config;
        try {
            return `${push.registry}/ragstar-healthswitch@${pushImage(name)}`;
        } finally {
            if (previous === undefined) delete process.env.DOCKER_CONFIG;
            else process.env.DOCKER_CONFIG = previous;
        }
    } finally {
        fs.rmSync(context, { recursive: true, force: true });
        fs.rmSync(config, { recursive: true, force: true });
    }
}

/**
 * A namespace under Pod Security `restricted` with a kubernetes.io/dockerconfigjson pull Secret for
 * `push.registry` (what the kubelet reads; infra/k8s/pullSecret.ts). Idempotent (apply).
 */
export function prepareNamespace(namespace: string, push: PushTarget): void {
    const restricted = Object.fromEntries(["enforce", "audit", "warn"].map((mode) => [`pod-security.kubernetes.io/${mode}`, "restricted"]));
    kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: restricted } }));
    const json = dockerConfigJson(registryHost(push.registry), push.username, push.password);
    kubectl(["apply", "-f", "-"], JSON.stringify({
        apiVersion: "v1", kind: "Secret", type: "kubernetes.io/dockerconfigjson",
        metadata: { name: PULL_SECRET, namespace }, data: { ".dockerconfigjson": Buffer.from(json).toString("base64") },
    }));
}

/** One line of the pod watch: the pod as the API server showed it, stamped when the line arrived. */
export interface PodSample {
    atNs: bigint;
    name: string;
    phase: string;
    podIP: string;
    ready: boolean;
    restartCount: number;
}

const WATCH_TEMPLATE = '{.metadata.name}|{.status.phase}|{.status.podIP}|{.status.conditions[?(@.type=="Ready")].status}|{.status.containerStatuses[0].restartCount}{"\\n"}';

/**
 * A `kubectl get pods -w` of one pod by name (it may not exist yet), or of the pods a label selector
 * (`selector`) matches, every change stamped with `nowNs` as its line arrives.
 */
export class PodWatch {
    readonly samples: PodSample[] = [];
    private readonly child: ChildProcess;
    private waiters: (() => void)[] = [];
    private stderr = "";

    constructor(readonly namespace: string, readonly name: string, selector?: string) {
        const which = selector === undefined ? ["--field-selector", `metadata.name=${name}`] : ["-l", selector];
        this.child = spawn(path.join(process.env.KUBE_BIN ?? "", "kubectl"), ["-n", namespace, "get", "pods", "-w", ...which, "-o", `jsonpath=${WATCH_TEMPLATE}`], { stdio: ["ignore", "pipe", "pipe"] });
        let buffer = "";
        this.child.stdout?.on("data", (chunk: Buffer) => {
            const atNs = nowNs();
            buffer += chunk.toString("utf8");
            const lines = buffer.split("\n");
            buffer = lines.pop() ?? "";
            for (const line of lines.filter(Boolean)) {
                const [podName, phase, podIP, ready, restarts] = line.split("|");
                this.samples.push({ atNs, name: podName, phase, podIP, ready: ready === "True", restartCount: Number(restarts || 0) });
            }
            for (const wake of this.waiters.splice(0)) wake();
        });
        this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    }

    /**
     * The first sample (from `fromNs` on) that satisfies `test`.
     * @throws Error after `timeoutMs`, with the last sample and the watch's stderr
     */
    async until(test: (s: PodSample) => boolean, timeoutMs: number, fromNs = 0n): Promise<PodSample> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const hit = this.samples.find((s) => s.atNs >= fromNs && test(s));
            if (hit) return hit;
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`pod ${this.namespace}/${this.name}: condition not reached in ${timeoutMs} ms; seen: ${this.samples.slice(-8).map((x) => `${x.name} ${x.phase} ready=${x.ready} restarts=${x.restartCount}`).join("; ") || "nothing"} ${this.stderr.trim()}`);
            await new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, Math.min(left, 1000));
                this.waiters.push(() => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
    }

    stop(): void {
        this.child.kill();
    }
}

/** What the app logged (Unix ns on its clock); absent fields were not logged. */
export interface AppLog {
    startNs?: bigint;
    listeningNs?: bigint;
    healthyFromNs?: bigint;
    sigtermNs?: bigint;
    /** Every /health request: when it arrived and what it answered (200, 500, hang). */
    health: { atNs: bigint; answer: string }[];
}

/** Parse the fixture's log lines. Lines it does not know (the check's own output) are skipped. */
export function parseAppLog(text: string): AppLog {
    const log: AppLog = { health: [] };
    for (const line of text.split("\n")) {
        const [word, ns, answer] = line.trim().split(/\s+/);
        if (!/^\d+$/.test(ns ?? "")) continue;
        const at = BigInt(ns);
        if (word === "start") log.startNs = at;
        else if (word === "listening") log.listeningNs = at;
        else if (word === "healthy-from") log.healthyFromNs = at;
        else if (word === "sigterm") log.sigtermNs = at;
        else if (word === "health") log.health.push({ atNs: at, answer });
    }
    return log;
}

/** The container's log through the API server (`--previous`: the container the kubelet killed). */
export function appLog(namespace: string, pod: string, previous = false): AppLog {
    return parseAppLog(kubectl(["-n", namespace, "logs", pod, ...(previous ? ["--previous"] : [])]));
}

/** Switch the app's /health (GET /fail or /hang on the pod IP); returns the app's stamp of the switch. */
export async function switchHealth(podIP: string, mode: "fail" | "hang"): Promise<bigint> {
    const response = await fetch(`http://${podIP}:${HEALTHSWITCH_PORT}/${mode}`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`switch ${podIP} to ${mode}: HTTP ${response.status}`);
    return BigInt((await response.text()).trim());
}

/** Where a probe-timing run happens: the namespace (prepared), the pushed image, the node. */
export interface ProbeRunContext {
    namespace: string;
    image: string;
    nodeName: string;
    /** The fixture's Dockerfile text, from which each variant's probes are derived. */
    dockerfile: string;
}

/** The pod of a run, with the variant's probes. */
function applyPod(ctx: ProbeRunContext, name: string, variant: VariantProbes, serveArgs: string[]): void {
    const pod = probePod({ name, namespace: ctx.namespace, image: ctx.image, pullSecret: PULL_SECRET, nodeName: ctx.nodeName, serveArgs, probes: variant.probes, uid: 1000 });
    kubectl(["apply", "-f", "-"], JSON.stringify(pod));
}

function deletePod(ctx: ProbeRunContext, name: string): void {
    try {
        kubectl(["-n", ctx.namespace, "delete", "pod", name, "--wait=false", "--grace-period=1"]);
    } catch {
        // already gone
    }
}

/** A pod that becomes healthy, is Ready, then has /health switched to fail until the kubelet kills it. */
export interface HealthyRun {
    variant: ProbeVariant;
    probes: VariantProbes;
    /** `kubectl apply` returned → Ready seen. */
    createdToReadyNs: bigint;
    /** The app listening (its log) → Ready seen. */
    listeningToReadyNs: bigint;
    /** /health answering 200 (the app's healthy-from) → Ready seen. */
    healthyToReadyNs: bigint;
    /** The app's first 200 to a probe (a kubelet probe reaching /health) → Ready seen. */
    firstOkProbeToReadyNs: bigint;
    /** The app's switch to fail → its SIGTERM (the kubelet's kill). */
    faultToKillNs: bigint;
    /** The switch → the watch showing restartCount 1. */
    faultToRestartSeenNs: bigint;
    /** /health requests after the switch (ns after it): the failing probes that led to the kill. */
    failingProbesNs: bigint[];
    /** The last failing /health request → SIGTERM: the probe's tail (exec exit, kubelet) and the kill path. */
    lastProbeToKillNs: bigint;
}

/**
 * Run the healthy-then-failing pod of `variant` under `name` and measure it; deletes the pod after.
 *
 * @param settleMs wait after Ready before the fault, so the fault falls at some phase of the ticks
 * @throws Error when a step does not happen within its budget (60 s each), with the last pod state
 */
export async function runHealthy(ctx: ProbeRunContext, variantName: ProbeVariant, name: string, settleMs = 700): Promise<HealthyRun> {
    const variant = variantProbes(variantName, ctx.dockerfile, path.join(HEALTHSWITCH_DIR, "Dockerfile"));
    const watch = new PodWatch(ctx.namespace, name);
    try {
        await new Promise((r) => setTimeout(r, 300)); // the watch is established before the pod exists
        applyPod(ctx, name, variant, []);
        const created = nowNs();
        const ready = await watch.until((s) => s.ready, 60_000);
        let log = appLog(ctx.namespace, name);
        // Without a readinessProbe (Kompose) the pod is Ready as the container starts, maybe before the app logs.
        for (let i = 0; i < 20 && log.healthyFromNs === undefined; i++) {
            await new Promise((r) => setTimeout(r, 100));
            log = appLog(ctx.namespace, name);
        }
        if (log.listeningNs === undefined || log.healthyFromNs === undefined) throw new Error(`${name}: the app logged no listening/healthy-from line`);
        const firstOk = log.health.find((h) => h.answer === "200");
        await new Promise((r) => setTimeout(r, settleMs));
        const faultNs = await switchHealth(ready.podIP, "fail");
        const restarted = await watch.until((s) => s.restartCount >= 1, 60_000);
        const previous = appLog(ctx.namespace, name, true);
        if (previous.sigtermNs === undefined) throw new Error(`${name}: the killed container logged no SIGTERM`);
        const failing = previous.health.filter((h) => h.atNs >= faultNs && h.answer !== "200");
        return {
            variant: variantName,
            probes: variant,
            createdToReadyNs: ready.atNs - created,
            listeningToReadyNs: ready.atNs - log.listeningNs,
            healthyToReadyNs: ready.atNs - log.healthyFromNs,
            firstOkProbeToReadyNs: firstOk ? ready.atNs - firstOk.atNs : -1n,
            faultToKillNs: previous.sigtermNs - faultNs,
            faultToRestartSeenNs: restarted.atNs - faultNs,
            failingProbesNs: failing.map((h) => h.atNs - faultNs),
            lastProbeToKillNs: failing.length ? previous.sigtermNs - failing[failing.length - 1].atNs : -1n,
        };
    } finally {
        watch.stop();
        deletePod(ctx, name);
    }
}

/** A pod whose /health never answers 200, until the kubelet kills it. */
export interface NeverHealthyRun {
    variant: ProbeVariant;
    probes: VariantProbes;
    /** The app's start → its SIGTERM (the kubelet's kill). */
    startToKillNs: bigint;
    /** The app's start → the watch showing restartCount 1. */
    startToRestartSeenNs: bigint;
    /** /health requests (ns after the app's start). */
    probesNs: bigint[];
}

/** Run the never-healthy pod of `variant` (`--mode=fail`) under `name`; deletes it after. */
export async function runNeverHealthy(ctx: ProbeRunContext, variantName: ProbeVariant, name: string): Promise<NeverHealthyRun> {
    const variant = variantProbes(variantName, ctx.dockerfile, path.join(HEALTHSWITCH_DIR, "Dockerfile"));
    const watch = new PodWatch(ctx.namespace, name);
    try {
        await new Promise((r) => setTimeout(r, 300));
        applyPod(ctx, name, variant, ["--mode=fail"]);
        const restarted = await watch.until((s) => s.restartCount >= 1, 90_000);
        const previous = appLog(ctx.namespace, name, true);
        if (previous.startNs === undefined || previous.sigtermNs === undefined) throw new Error(`${name}: the killed container logged no start or SIGTERM line`);
        const start = previous.startNs;
        return {
            variant: variantName,
            probes: variant,
            startToKillNs: previous.sigtermNs - start,
            startToRestartSeenNs: restarted.atNs - start,
            probesNs: previous.health.map((h) => h.atNs - start),
        };
    } finally {
        watch.stop();
        deletePod(ctx, name);
    }
}

/** Delete the namespace (and with it every pod and the Secret); does not wait. */
export function deleteNamespace(namespace: string): void {
    try {
        kubectl(["delete", "namespace", namespace, "--wait=false"]);
    } catch {
        // already gone
    }
}

/** JSON.stringify replacer that prints ns bigints as seconds with 3 decimals. */
export function secondsReplacer(_key: string, value: unknown): unknown {
    return typeof value === "bigint" ? Math.round(Number(value) / 1e6) / 1e3 : value;
}
