/**
 * Probes executed by the kubelet (issue 13 §2): the health-switch fixture (tests/image/fixtures/
 * healthswitch) pushed to the authenticated registry, pulled by the real node's kubelet with a pull
 * Secret, run as a hardened Pod whose probes are this package's derivation of the fixture's
 * HEALTHCHECK (infra/tools/node/probePod.ts). Measured (infra/tools/node/probeTiming.ts):
 *   (a) /health answering 200 → the pod Ready (a watch stamped by this test; the app's own log)
 *   (b) /health switched to 500 → the kubelet's kill (the app's SIGTERM line) and the restart
 *   (c) a never-healthy container's start → the kill
 * Each must fall in the timing model's kubelet window (infra/probes/timingModel.ts) within the
 * slack below, and agree with Docker's health monitor on the same HEALTHCHECK: never before Docker's
 * earliest `unhealthy`, at most the mapping's stated bound after its latest (docs/probes.md).
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { probeTiming, startupKillBoundNs } from "../../infra/probes/derive";
import {
    dockerLivenessWindow, dockerStartup, kubeletLivenessWindow, kubeletReadyWindow, kubeletStartupWindow, type AppBehaviour, type KubeletProbe,
} from "../../infra/probes/timingModel";
import {
    HEALTHSWITCH_DIR, deleteNamespace, kubectl, nowNs, prepareNamespace, pushHealthswitch, runHealthy, runNeverHealthy, secondsReplacer,
    type HealthyRun, type NeverHealthyRun, type ProbeRunContext,
} from "../../infra/tools/node/probeTiming";
import { nodeFacts } from "../../infra/tools/node/nodeCluster";

const NAMESPACE = "ragstar-node-timing";
const MS = 1_000_000n;
/**
 * Slack around the model's windows for what the model leaves out. Late: an exec probe starts with a
 * `runc exec`, so the app sees the request after the tick: 20–750 ms here (the never-healthy pod's
 * startup probes reached the app 5.75 s and 4.23 s apart on a 5 s ticker, with two cores shared by
 * other tests); then the kill and the status go through the kubelet's sync loop and the API server,
 * and Ready through the status manager and the watch. Hence 1 s. Early: only the clocks (both on
 * this host, the test's anchored to the wall clock once), 100 ms. The windows' widths come from the
 * unknown phase of the kubelet's ticker; a wrong schedule (one failureThreshold more, a period off
 * by one second) moves a figure by at least a period (≥ 2 s here), more than the slack.
 */
const EARLY_NS = 100n * MS;
const LATE_NS = 1000n * MS;

let ctx: ProbeRunContext;
let healthy: HealthyRun;
let never: NeverHealthyRun;
let events: { reason: string; message: string; pod: string }[] = [];

const probeOf = (p: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number } | undefined): KubeletProbe => {
    if (!p) throw new Error("missing probe");
    return { periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds, failureThreshold: p.failureThreshold };
};

beforeAll(async () => {
    const node = nodeFacts();
    const { REGISTRY, REGISTRY_USERNAME, REGISTRY_PASSWORD } = process.env;
    if (!REGISTRY || !REGISTRY_USERNAME || !REGISTRY_PASSWORD) throw new Error("REGISTRY is not set: run through scripts/with-image-infra");
    const push = { registry: REGISTRY, username: REGISTRY_USERNAME, password: REGISTRY_PASSWORD };
    const image = pushHealthswitch(push, "node-timing");
    prepareNamespace(NAMESPACE, push);
    ctx = { namespace: NAMESPACE, image, nodeName: node.name, dockerfile: fs.readFileSync(path.join(HEALTHSWITCH_DIR, "Dockerfile"), "utf8") };
    [healthy, never] = await Promise.all([runHealthy(ctx, "derived", "hs-healthy"), runNeverHealthy(ctx, "derived", "hs-never")]);
    events = JSON.parse(kubectl(["-n", NAMESPACE, "get", "events", "-o", "json"])).items.map((e: any) => ({ reason: e.reason, message: e.message, pod: e.involvedObject.name }));
    process.stdout.write(`${JSON.stringify({ probe_timing: { at: new Date(Number(nowNs() / MS)).toISOString(), healthy: { ...healthy, probes: undefined }, never_healthy: { ...never, probes: undefined } } }, secondsReplacer)}\n`);
}, 300_000);

afterAll(() => {
    if (ctx) deleteNamespace(NAMESPACE);
});

const s = (ns: bigint) => (Number(ns) / 1e9).toFixed(3);
function expectInside(name: string, measured: bigint, [a, b]: [bigint, bigint]): void {
    process.stderr.write(`probe timing (real node): ${name}: measured ${s(measured)} s, model window [${s(a)}, ${s(b)}] s, slack −${s(EARLY_NS)}/+${s(LATE_NS)} s\n`);
    expect(measured).toBeGreaterThanOrEqual(a - EARLY_NS);
    expect(measured).toBeLessThanOrEqual(b + LATE_NS);
}

test("the kubelet ran our probes: the pulled image, the Unhealthy events name the failing probe, the kills name it too", () => {
    const of = (pod: string, reason: string) => events.filter((e) => e.pod === pod && e.reason === reason).map((e) => e.message).join("\n");
    expect(of("hs-healthy", "Pulled") + of("hs-never", "Pulled")).toMatch(/image .*ragstar-healthswitch@sha256:/);
    expect(of("hs-healthy", "Unhealthy")).toMatch(/^Liveness probe failed:/m);
    expect(of("hs-healthy", "Killing")).toMatch(/failed liveness probe, will be restarted/);
    expect(of("hs-never", "Unhealthy")).toMatch(/^Startup probe failed:/m);
    expect(of("hs-never", "Killing")).toMatch(/failed startup probe, will be restarted/);
});

test("(a) /health answering → Ready: within the startup probe's next tick and a readiness probe", () => {
    const { probes } = healthy.probes;
    const [a, b] = kubeletReadyWindow(probeOf(probes.startupProbe), probeOf(probes.readinessProbe), 0n);
    // An ok exec probe's own time (runc exec, the check's GET) goes into the late slack, twice.
    expectInside("healthy → Ready", healthy.healthyToReadyNs, [a, b + LATE_NS]);
});

test("(b) fault → the kubelet's kill: in the livenessProbe's window, never before Docker's earliest unhealthy, within the stated bound after its latest", () => {
    const { probes, check } = healthy.probes;
    const liveness = probeOf(probes.livenessProbe);
    // Probe durations are app behaviour in the model: 0 for the earliest, the measured tail (request → SIGTERM) for the latest.
    const app = (failLatencyNs: bigint): AppBehaviour => ({ healthyAtNs: 0n, okLatencyNs: 0n, failLatencyNs });
    const window: [bigint, bigint] = [kubeletLivenessWindow(liveness, app(0n))[0], kubeletLivenessWindow(liveness, app(healthy.lastProbeToKillNs))[1]];
    expectInside("fault → kill", healthy.faultToKillNs, window);
    const [dockerEarliest] = dockerLivenessWindow(check, app(0n));
    const [, dockerLatest] = dockerLivenessWindow(check, app(healthy.lastProbeToKillNs));
    const t = probeTiming(check);
    const bound = BigInt(check.retries) * (BigInt(t.periodSeconds) * 1_000_000_000n - check.intervalNs) + (BigInt(t.timeoutSeconds) * 1_000_000_000n - check.timeoutNs);
    expect(healthy.faultToKillNs).toBeGreaterThanOrEqual(dockerEarliest);
    expect(healthy.faultToKillNs).toBeLessThanOrEqual(dockerLatest + bound + LATE_NS);
    // The kubelet restarted the container: the watch saw restartCount 1 after the kill.
    expect(healthy.faultToRestartSeenNs).toBeGreaterThan(healthy.faultToKillNs);
});

test("(c) a never-healthy container: start → kill in the startupProbe's window, after Docker's unhealthy (both engines), within startupKillBoundNs of it", () => {
    const { probes, check } = never.probes;
    const startup = probeOf(probes.startupProbe);
    const fails = (failLatencyNs: bigint): AppBehaviour => ({ healthyAtNs: null, okLatencyNs: 0n, failLatencyNs });
    const tail = healthy.lastProbeToKillNs; // a failing exec probe's time after it reached the app, as measured in (b)
    const window: [bigint, bigint] = [kubeletStartupWindow(startup, fails(0n))[0], kubeletStartupWindow(startup, fails(tail))[1]];
    expectInside("never healthy: start → kill", never.startToKillNs, window);
    const docker = (["legacy", "current"] as const).map((engine) => dockerStartup(check, fails(0n), engine).atNs);
    expect(never.startToKillNs).toBeGreaterThanOrEqual(docker.reduce((x, y) => (x > y ? x : y)));
    expect(never.startToKillNs).toBeLessThanOrEqual(docker.reduce((x, y) => (x < y ? x : y)) + startupKillBoundNs(check) + LATE_NS);
    // failureThreshold startup probes reached the app, on a fixed ticker: the first and the last are
    // (failureThreshold − 1) periods apart, give or take each one's exec start (the slack).
    expect(never.probesNs).toHaveLength(startup.failureThreshold);
    const span = never.probesNs[never.probesNs.length - 1] - never.probesNs[0];
    const ticks = BigInt((startup.failureThreshold - 1) * startup.periodSeconds) * 1_000_000_000n;
    expect(span).toBeGreaterThanOrEqual(ticks - LATE_NS);
    expect(span).toBeLessThanOrEqual(ticks + LATE_NS);
});
