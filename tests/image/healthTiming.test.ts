// The timing model (infra/probes/timingModel.ts) against a real Docker engine's health monitor:
// a scratch image whose /health can be switched to fail fast or to hang, a short HEALTHCHECK, and
// Docker's `health_status` events, which must fall inside the model's window for the legacy engine
// (the engine here is Debian's Docker 20.10). Needs only the engine: no registry, no base image.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

import {
    dockerLivenessWindow, dockerStartup, type AppBehaviour,
} from "../../infra/probes/timingModel";
import type { HealthcheckTiming } from "../../infra/dockerfile/healthcheck";

const DOCKER = process.env.DOCKER ?? "/usr/bin/docker";
const FIXTURE = path.join(__dirname, "fixtures", "healthswitch");
const MS = 1_000_000n;
const SECOND = 1_000_000_000n;
/**
 * Slack (ns) around the model's window for what the model leaves out. Late side: the engine's timer
 * fires late and the event is published after the deciding check's End; both only ever add time.
 * Measured here with 4 containers at once (the report line's "late by"): up to ~280 ms for one check,
 * ~190 ms for an event, ~250 ms summed over a run; hence 500 ms. Early side: a check already running
 * when /health is switched fails though it started before the switch (the model has checks start after
 * it), by at most that check's duration, ~100–300 ms here; hence 250 ms. Both stay well below the
 * interval (2 s) that a wrong schedule is off by (the current engine's schedule reports scenario 1
 * about 1 s earlier; one retry more, 2 s later).
 */
const EARLY_NS = 250n * MS;
const LATE_NS = 500n * MS;

const run = promisify(execFile);
const tag = `ragstar-healthswitch:${process.pid}`;
const containers: string[] = [];
let context: string;
let hc: HealthcheckTiming;

async function docker(args: string[]): Promise<string> {
    return (await run(DOCKER, args, { maxBuffer: 16 << 20 })).stdout.trim();
}

/** An RFC 3339 time with up to ns digits (Docker's stamps) to Unix ns: Date keeps only ms. */
function isoNs(text: string): bigint {
    const m = /^(.*?)(?:\.(\d+))?Z$/.exec(text);
    if (!m) throw new Error(`not an RFC 3339 UTC time: ${text}`);
    return BigInt(Date.parse(`${m[1]}Z`)) * MS + BigInt((m[2] ?? "").padEnd(9, "0").slice(0, 9));
}

interface Check { startNs: bigint; endNs: bigint; ok: boolean }
interface State { startedNs: bigint; status: string; checks: Check[]; ip: string }

async function inspect(id: string): Promise<State> {
    const [c] = JSON.parse(await docker(["inspect", id]));
    const log: { Start: string; End: string; ExitCode: number }[] = c.State.Health?.Log ?? [];
    return {
        startedNs: isoNs(c.State.StartedAt),
        status: c.State.Health?.Status ?? "none",
        checks: log.map((l) => ({ startNs: isoNs(l.Start), endNs: isoNs(l.End), ok: l.ExitCode === 0 })),
        ip: c.NetworkSettings.IPAddress,
    };
}

async function untilStatus(id: string, status: string, budgetMs: number): Promise<State> {
    const deadline = Date.now() + budgetMs;
    for (;;) {
        const state = await inspect(id);
        if (state.status === status) return state;
        if (Date.now() > deadline) throw new Error(`${id}: health ${state.status}, not ${status}, after ${budgetMs} ms: ${JSON.stringify(state.checks, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** Docker's `health_status: <status>` event times (Unix ns) for a container, oldest first. */
async function healthEvents(id: string, sinceNs: bigint): Promise<{ status: string; ns: bigint }[]> {
    const since = String(sinceNs / SECOND - 1n);
    const until = String(BigInt(Date.now()) / 1000n + 1n);
    const out = await docker(["events", "--since", since, "--until", until, "--filter", `container=${id}`, "--filter", "event=health_status", "--format", "{{json .}}"]);
    return out.split("\n").filter(Boolean).map((line) => {
        const e = JSON.parse(line);
        return { status: String(e.Action).replace(/^health_status: /, ""), ns: BigInt(e.timeNano) };
    });
}

async function firstEvent(id: string, status: string, sinceNs: bigint): Promise<bigint> {
    const e = (await healthEvents(id, sinceNs)).find((x) => x.status === status && x.ns >= sinceNs);
    if (!e) throw new Error(`${id}: no health_status: ${status} event after ${sinceNs}`);
    return e.ns;
}

async function start(name: string, args: string[]): Promise<string> {
    const id = await docker(["run", "-d", "--name", `${name}-${process.pid}`, tag, ...args]);
    containers.push(id);
    return id;
}

/** Switches the app's /health; returns the switch time (Unix ns) the app stamped. */
async function switchTo(ip: string, mode: "fail" | "hang"): Promise<bigint> {
    const res = await fetch(`http://${ip}:8080/${mode}`);
    if (!res.ok) throw new Error(`switch to ${mode}: HTTP ${res.status}`);
    return BigInt((await res.text()).trim());
}

const durations = (checks: Check[], ok: boolean) => checks.filter((c) => c.ok === ok).map((c) => c.endNs - c.startNs);
const least = (xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));
const most = (xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));

/** One scenario's result: the measured time and the model's window, ns from the scenario's reference time. */
interface Measured { measuredNs: bigint; window: [bigint, bigint]; lateNs: bigint[] }

/**
 * What the model leaves out, for the report: how much later than the model each check started (its
 * Start minus the previous check's End, or the container's start, minus I), then how long after the
 * deciding check's End the event came.
 */
function lateness(state: State, eventNs: bigint, fromStart: boolean): bigint[] {
    const ends = [...(fromStart ? [state.startedNs] : []), ...state.checks.map((c) => c.endNs)];
    const late = state.checks.slice(fromStart ? 0 : 1).map((c, i) => c.startNs - ends[i] - hc.intervalNs);
    return [...late, eventNs - state.checks[state.checks.length - 1].endNs];
}

/**
 * The model's window for Docker's run from container start. Check durations are app behaviour in
 * the model; they are taken from the engine's own health log (exec included), shortest for the
 * earliest report and longest for the latest.
 */
function startupWindow(healthyAtNs: bigint | null, checks: Check[]): [bigint, bigint] {
    const fail = durations(checks, false);
    const ok = durations(checks, true);
    const app = (pick: (xs: bigint[]) => bigint): AppBehaviour => ({
        healthyAtNs, okLatencyNs: ok.length ? pick(ok) : 0n, failLatencyNs: fail.length ? pick(fail) : 0n,
    });
    return [dockerStartup(hc, app(least), "legacy").atNs, dockerStartup(hc, app(most), "legacy").atNs];
}

/** The same for the run once healthy, the app switched at 0; failLatencyNs null for a hang. */
function livenessWindow(checks: Check[], hang: boolean): [bigint, bigint] {
    const fail = durations(checks, false);
    const ok = durations(checks, true);
    const app = (pick: (xs: bigint[]) => bigint): AppBehaviour => ({ healthyAtNs: 0n, okLatencyNs: pick(ok), failLatencyNs: hang ? null : pick(fail) });
    return [dockerLivenessWindow(hc, app(least))[0], dockerLivenessWindow(hc, app(most))[1]];
}

const scenarios: Record<string, () => Promise<Measured>> = {
    /** 1. The app never answers 200: start → unhealthy (uncounted checks in the start period, then R). */
    "never healthy, fails fast": async () => {
        const id = await start("hs-never", ["--mode=fail"]);
        const state = await untilStatus(id, "unhealthy", 20_000);
        const at = await firstEvent(id, "unhealthy", state.startedNs);
        return { measuredNs: at - state.startedNs, window: startupWindow(null, state.checks), lateNs: lateness(state, at, true) };
    },
    /** 2. Healthy, then /health answers 500 from t_f: t_f → unhealthy. */
    "healthy, then fails fast": async () => {
        const id = await start("hs-fail", []);
        const healthy = await untilStatus(id, "healthy", 15_000);
        await new Promise((r) => setTimeout(r, 700)); // not right after a check: any phase is fine, a fixed one is easier to read
        const tf = await switchTo(healthy.ip, "fail");
        const state = await untilStatus(id, "unhealthy", 20_000);
        const at = await firstEvent(id, "unhealthy", tf);
        return { measuredNs: at - tf, window: livenessWindow(state.checks, false), lateNs: lateness(state, at, false) };
    },
    /** 3. Healthy, then /health never answers from t_f: each failing check lasts the timeout. */
    "healthy, then hangs": async () => {
        const id = await start("hs-hang", []);
        const healthy = await untilStatus(id, "healthy", 15_000);
        await new Promise((r) => setTimeout(r, 1_300));
        const tf = await switchTo(healthy.ip, "hang");
        const state = await untilStatus(id, "unhealthy", 20_000);
        const at = await firstEvent(id, "unhealthy", tf);
        return { measuredNs: at - tf, window: livenessWindow(state.checks, true), lateNs: lateness(state, at, false) };
    },
    /** 4. /health fails until 3 s after the app starts: start → healthy. */
    "slow start (ready after 3 s)": async () => {
        const id = await start("hs-slow", ["--ready-after=3s"]);
        const state = await untilStatus(id, "healthy", 20_000);
        const at = await firstEvent(id, "healthy", state.startedNs);
        return { measuredNs: at - state.startedNs, window: startupWindow(3n * SECOND, state.checks), lateNs: lateness(state, at, true) };
    },
};
const results = new Map<string, Measured>();

beforeAll(async () => {
    context = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-healthswitch-"));
    execFileSync("go", ["build", "-trimpath", "-o", path.join(context, "healthswitch"), path.join(FIXTURE, "main.go")], {
        env: { ...process.env, CGO_ENABLED: "0" }, stdio: ["ignore", "inherit", "inherit"],
    });
    fs.copyFileSync(path.join(FIXTURE, "Dockerfile"), path.join(context, "Dockerfile"));
    execFileSync(DOCKER, ["build", "-q", "-t", tag, context], { env: { ...process.env, DOCKER_BUILDKIT: "1" }, stdio: ["ignore", "ignore", "inherit"] });
    // The model's input is the HEALTHCHECK as the engine stored it (ns), not a copy of the Dockerfile's flags.
    const h = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config.Healthcheck}}", tag]));
    hc = {
        intervalNs: BigInt(h.Interval), timeoutNs: BigInt(h.Timeout), startPeriodNs: BigInt(h.StartPeriod),
        startIntervalNs: BigInt(h.Interval), retries: h.Retries, // legacy ignores the start interval
    };
    // Concurrently: the file stays within ~30 s; each scenario's times are relative to its own container.
    const settled = await Promise.allSettled(Object.entries(scenarios).map(async ([name, f]) => results.set(name, await f())));
    for (const s of settled) if (s.status === "rejected") process.stderr.write(`health timing: ${s.reason}\n`);
}, 120_000);

afterAll(async () => {
    if (containers.length) await docker(["rm", "-f", ...containers]).catch(() => undefined);
    await docker(["rmi", "-f", tag]).catch(() => undefined);
    if (context) fs.rmSync(context, { recursive: true, force: true });
});

test("the fixture's HEALTHCHECK is the short one the windows below assume", () => {
    expect(hc).toEqual({ intervalNs: 2n * SECOND, timeoutNs: SECOND, startPeriodNs: 3n * SECOND, startIntervalNs: 2n * SECOND, retries: 2 });
});

const s = (ns: bigint) => (Number(ns) / 1e9).toFixed(2);

test.each(Object.keys(scenarios))("Docker's health_status event lies in the legacy model's window: %s", (name) => {
    const r = results.get(name);
    if (!r) throw new Error(`scenario ${name} did not finish (its error is on stderr above)`);
    const [a, b] = r.window;
    process.stderr.write(`health timing (docker 20.10 legacy model): ${name}: measured ${s(r.measuredNs)} s, model window [${s(a)}, ${s(b)}] s` +
        ` (checks late by ${r.lateNs.slice(0, -1).map((n) => Number(n / MS)).join(", ")} ms; event ${Number(r.lateNs[r.lateNs.length - 1] / MS)} ms after the check)\n`);
    expect(r.measuredNs).toBeGreaterThanOrEqual(a - EARLY_NS);
    expect(r.measuredNs).toBeLessThanOrEqual(b + LATE_NS);
});
