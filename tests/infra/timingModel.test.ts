import fc from "fast-check";

import { probeTiming, startupKillBoundNs } from "../../infra/probes/derive";
import {
    dockerLiveness, dockerLivenessWindow, dockerStartup, kubeletLiveness, kubeletLivenessWindow, kubeletReadyWindow, kubeletStartup, kubeletStartupWindow,
    startupBudgetSeconds, type AppBehaviour, type DockerEngine,
} from "../../infra/probes/timingModel";
import type { HealthcheckTiming } from "../../infra/dockerfile/healthcheck";

const S = 1_000_000_000n;
const MS = 1_000_000n;
const ENGINES: DockerEngine[] = ["current", "legacy"];
const hc = (i: number, t: number, sp: number, si: number, r: number): HealthcheckTiming => ({
    intervalNs: BigInt(i) * MS, timeoutNs: BigInt(t) * MS, startPeriodNs: BigInt(sp) * MS, startIntervalNs: BigInt(si) * MS, retries: r,
});
const never = (failLatencyNs: bigint | null): AppBehaviour => ({ healthyAtNs: null, okLatencyNs: 0n, failLatencyNs });
const sec = (ns: bigint) => Number(ns) / 1e9;

describe("Docker model (table)", () => {
    // This repository's Dockerfile: I 30 s, T 3 s, S 10 s, SI 5 s, R 3.
    const repo = hc(30_000, 3_000, 10_000, 5_000, 3);
    test.each([
        ["current", 0n, [10, 40, 70], 70],
        ["current", 3n * S, [10, 43, 76], 79],
        ["legacy", 0n, [30, 60, 90], 90],
        ["legacy", 3n * S, [30, 63, 96], 99],
    ] as const)("repo Dockerfile, %s engine, failing checks of %p ns", (engine, lat, starts, report) => {
        const out = dockerStartup(repo, never(lat), engine);
        expect(out.result).toBe("unhealthy");
        expect(out.attempts.map((a) => sec(a.startNs))).toEqual(starts);
        expect(sec(out.atNs)).toBe(report);
    });

    test("current engine: start interval during a long start period, a check exactly at its end", () => {
        const out = dockerStartup(hc(10_000, 1_000, 23_000, 4_000, 2), never(0n), "current");
        expect(out.attempts.map((a) => sec(a.startNs))).toEqual([4, 8, 12, 16, 23, 33]);
    });

    test("a check that starts in the start period does not count; the first success decides", () => {
        const out = dockerStartup(hc(2_000, 1_000, 3_000, 1_000, 2), { healthyAtNs: 5n * S, okLatencyNs: 0n, failLatencyNs: 0n }, "legacy");
        expect(out.attempts.map((a) => [sec(a.startNs), a.ok])).toEqual([[2, false], [4, false], [6, true]]);
        expect(out.result).toBe("healthy");
    });
});

describe("Docker liveness window", () => {
    test("first failing check at once, or one interval after an ok check running when the app fails", () => {
        // I 2 s, T 1 s, R 2; ok checks take 0.1 s. Fast failures (0.05 s): 0.05 + 2 + 0.05; a hang: 1 + 2 + 1.
        const c = hc(2_000, 1_000, 3_000, 2_000, 2);
        const fast = dockerLivenessWindow(c, { healthyAtNs: 0n, okLatencyNs: 100n * MS, failLatencyNs: 50n * MS });
        expect(fast.map(sec)).toEqual([2.1, 4.2]);
        const hang = dockerLivenessWindow(c, { healthyAtNs: 0n, okLatencyNs: 100n * MS, failLatencyNs: null });
        expect(hang.map(sec)).toEqual([4, 6.1]);
    });
});

describe("kubelet model (table)", () => {
    test("ticks do not stretch; a probe longer than the period starts the next one at once", () => {
        const fast = kubeletStartup({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 }, never(2n * S), 1n * S);
        expect(fast.attempts.map((a) => sec(a.startNs))).toEqual([1, 6, 11]);
        expect(sec(fast.atNs)).toBe(13);
        const slow = kubeletStartup({ periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 3 }, never(null), 0n);
        expect(slow.attempts.map((a) => sec(a.startNs))).toEqual([0, 3, 6]);
    });
});

describe("kubelet windows (the real-node test's fixture: I 2 s, T 1 s, S 3 s, SI 5 s, R 2)", () => {
    const t = probeTiming(hc(2_000, 1_000, 3_000, 5_000, 2));
    const startup = t.startup;
    const liveness = { periodSeconds: t.periodSeconds, timeoutSeconds: t.timeoutSeconds, failureThreshold: t.failureThreshold };

    test("the fixture's probes: liveness 3 s × 2, readiness 2 s × 2, startup 5 s × 3", () => {
        expect([liveness, t.readiness, startup]).toEqual([
            { periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 2 },
            { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2 },
            { periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 },
        ]);
    });

    test("liveness kill: 3 s after the fault at the earliest (a probe at once, the next one period later), 6 s at the latest; failing probes add their duration", () => {
        expect(kubeletLivenessWindow(liveness, { healthyAtNs: 0n, okLatencyNs: 0n, failLatencyNs: 0n }).map(sec)).toEqual([3, 6]);
        expect(kubeletLivenessWindow(liveness, { healthyAtNs: 0n, okLatencyNs: 0n, failLatencyNs: 100n * MS }).map(sec)).toEqual([3.1, 6.1]);
        // A hang lasts the timeout, 1 s, on each of the two probes: ticks at 0 and 3 still, so +1 s.
        expect(kubeletLivenessWindow(liveness, { healthyAtNs: 0n, okLatencyNs: 0n, failLatencyNs: null }).map(sec)).toEqual([4, 7]);
    });

    test("liveness window brackets every phase", () => {
        fc.assert(fc.property(fc.bigInt({ min: 0n, max: 3n * S }), fc.bigInt({ min: 0n, max: 2n * S }), (phase, lat) => {
            const app: AppBehaviour = { healthyAtNs: 0n, okLatencyNs: 0n, failLatencyNs: lat };
            const [a, b] = kubeletLivenessWindow(liveness, app);
            const kill = kubeletLiveness(liveness, app, phase).atNs;
            return a <= kill && kill <= b;
        }), { seed: 1301, numRuns: 500 });
    });

    test("start-up kill of a never-healthy app: probes at phase, +5 s, +10 s, so [10 s, 15 s)", () => {
        expect(kubeletStartupWindow(startup, never(0n))).toEqual([10n * S, 15n * S - 1n]);
    });

    test("start-up success of an app healthy at 3 s: at once when a tick falls on 3 s, one period later when it just missed", () => {
        const app: AppBehaviour = { healthyAtNs: 3n * S, okLatencyNs: 10n * MS, failLatencyNs: 10n * MS };
        expect(kubeletStartupWindow(startup, app)).toEqual([3n * S + 10n * MS, 8n * S - 1n + 10n * MS]);
        for (const phase of [0n, 1n * S, 3n * S, 4n * S + 999n * MS]) {
            const at = kubeletStartup(startup, app, phase).atNs;
            expect(at >= 3n * S + 10n * MS && at <= 8n * S + 10n * MS).toBe(true);
        }
    });

    test("Ready: the startup probe's next tick, then the readiness probe at once: [2 probes, period + 2 probes] after the app is healthy", () => {
        expect(kubeletReadyWindow(startup, t.readiness, 10n * MS)).toEqual([20n * MS, 5n * S + 20n * MS]);
        // With --start-interval=1s the startup period is 1 s: Ready within 1 s and two probes.
        const fast = probeTiming(hc(2_000, 1_000, 3_000, 1_000, 2));
        expect(kubeletReadyWindow(fast.startup, fast.readiness, 10n * MS)).toEqual([20n * MS, 1n * S + 20n * MS]);
        // A probe is cut at its timeout.
        expect(kubeletReadyWindow(startup, t.readiness, 5n * S)).toEqual([2n * S, 7n * S]);
    });
});

describe("the invariant, this repository's Dockerfile", () => {
    const repo = hc(30_000, 3_000, 10_000, 5_000, 3);
    test("old startup 5 s × 20 killed before a 20.10 engine reports unhealthy; the new mapping does not", () => {
        const docker = dockerStartup(repo, never(3n * S), "legacy"); // deadline 96 s
        const old = kubeletStartup({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 20 }, never(3n * S), 0n);
        expect(old.deadlineNs).toBeLessThan(docker.deadlineNs);
        const t = probeTiming(repo);
        expect(t.startup).toEqual({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 21 });
        const now = kubeletStartup(t.startup, never(3n * S), 0n);
        expect(sec(now.atNs)).toBe(103);
        expect(now.atNs).toBeGreaterThanOrEqual(docker.atNs);
    });

    test("old liveness 30 s × 3 killed 6 s before Docker's earliest unhealthy when checks hang; period 33 s does not", () => {
        const app = never(null);
        const docker = dockerLiveness(repo, app, 0n);
        expect(sec(docker.atNs)).toBe(3 + 33 + 33);
        expect(sec(kubeletLiveness({ periodSeconds: 30, timeoutSeconds: 3, failureThreshold: 3 }, app, 0n).atNs)).toBe(63);
        expect(probeTiming(repo).periodSeconds).toBe(33);
        expect(sec(kubeletLiveness({ periodSeconds: 33, timeoutSeconds: 3, failureThreshold: 3 }, app, 0n).atNs)).toBe(69);
    });
});

describe("the start-up bound where it failed: checks that hang longer than sec(SI)", () => {
    test.each([
        // HEALTHCHECK CMD … (defaults: I 30 s, T 30 s, S 0, SI 5 s, R 3): old startup 5 s × 31.
        { c: hc(30_000, 30_000, 0, 5_000, 3), old: { periodSeconds: 5, timeoutSeconds: 30, failureThreshold: 31 }, docker: [180, 180], oldKill: 930, now: { periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 6 }, kill: 180 },
        // --interval=10s --timeout=5s --start-period=120s --start-interval=1s: old startup 1 s × 166.
        { c: hc(10_000, 5_000, 120_000, 1_000, 3), old: { periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 166 }, docker: [155, 165], oldKill: 830, now: { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 34 }, kill: 170 },
    ])("old kill $oldKill s, now $kill s, Docker (current, legacy) $docker s", ({ c, old, docker, oldKill, now, kill }) => {
        const app = never(null);
        const reports = ENGINES.map((engine) => dockerStartup(c, app, engine));
        expect(reports.map((r) => r.result)).toEqual(["unhealthy", "unhealthy"]);
        expect(reports.map((r) => sec(r.atNs))).toEqual(docker);
        expect(sec(kubeletStartup(old, app, 0n).atNs)).toBe(oldKill);
        expect(probeTiming(c).startup).toEqual(now);
        for (const phase of [0n, 4n * S + 999n * MS]) {
            const out = kubeletStartup(now, app, phase % (BigInt(now.periodSeconds) * S));
            expect(out.atNs).toBeGreaterThanOrEqual(reports[0].atNs > reports[1].atNs ? reports[0].atNs : reports[1].atNs);
            expect(out.atNs - (reports[0].atNs < reports[1].atNs ? reports[0].atNs : reports[1].atNs)).toBeLessThanOrEqual(startupKillBoundNs(c));
        }
        expect(sec(kubeletStartup(now, app, 0n).atNs)).toBe(kill);
    });

    test("the stated bounds: defaults 120 s, the start-period example 35 s, this repository 36 s", () => {
        expect(sec(startupKillBoundNs(hc(30_000, 30_000, 0, 5_000, 3)))).toBe(2 * 30 + (150 - 90));
        expect(sec(startupKillBoundNs(hc(10_000, 5_000, 120_000, 1_000, 3)))).toBe(2 * 5 + (165 - 140));
        expect(sec(startupKillBoundNs(hc(30_000, 3_000, 10_000, 5_000, 3)))).toBe(2 * 5 + (96 - 70));
    });
});

describe("the invariant (properties)", () => {
    const dur = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((ms) => BigInt(ms) * MS);
    const check = fc.record({
        intervalNs: dur(100, 20_000), timeoutNs: dur(1, 10_000), startPeriodNs: fc.oneof(fc.constant(0n), dur(1, 60_000)),
        startIntervalNs: dur(100, 10_000), retries: fc.integer({ min: 1, max: 6 }),
    });
    /** App failing-check latency: anything from instant to a hang. */
    const failLatency = fc.oneof(fc.constant<bigint | null>(null), dur(0, 12_000));

    test("start-up, every regime (both engines, S < I and S ≥ I, checks up to a hang): the kubelet kills only if Docker reports unhealthy, never before it, and at most startupKillBoundNs later", () => {
        fc.assert(
            fc.property(check, failLatency, fc.option(dur(0, 200_000), { nil: null }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom(...ENGINES), (c, lat, healthyAt, phase, engine) => {
                const t = probeTiming(c);
                const app: AppBehaviour = { healthyAtNs: healthyAt, okLatencyNs: 0n, failLatencyNs: lat };
                const docker = dockerStartup(c, app, engine);
                const period = BigInt(t.startup.periodSeconds) * S;
                const kube = kubeletStartup(t.startup, app, BigInt(Math.floor(phase * Number(period))));
                if (kube.result !== "unhealthy") return true;
                return docker.result === "unhealthy" && kube.atNs >= docker.atNs && kube.atNs - docker.atNs <= startupKillBoundNs(c);
            }),
            { seed: 1010, numRuns: 5000 },
        );
    });

    test("start-up: the kill is never later than the bound allows for slow, succeeding checks either (ok latency up to T)", () => {
        fc.assert(
            fc.property(check, failLatency, dur(0, 10_000), fc.option(dur(0, 200_000), { nil: null }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom(...ENGINES), (c, lat, okLat, healthyAt, phase, engine) => {
                const t = probeTiming(c);
                const app: AppBehaviour = { healthyAtNs: healthyAt, okLatencyNs: okLat < c.timeoutNs ? okLat : c.timeoutNs, failLatencyNs: lat };
                const docker = dockerStartup(c, app, engine);
                const kube = kubeletStartup(t.startup, app, BigInt(Math.floor(phase * t.startup.periodSeconds * 1e9)));
                if (kube.result !== "unhealthy") return true;
                return docker.result === "unhealthy" && kube.atNs >= docker.atNs && kube.atNs - docker.atNs <= startupKillBoundNs(c);
            }),
            { seed: 1012, numRuns: 3000 },
        );
    });

    test("liveness: earliest kill ≥ Docker's earliest unhealthy; latest kill ≤ Docker's latest + R×(sec(I+T) − I) + (sec(T) − T)", () => {
        fc.assert(
            fc.property(check, failLatency, dur(0, 10_000), (c, lat, okLat) => {
                const t = probeTiming(c);
                const okD = okLat < c.timeoutNs ? okLat : c.timeoutNs;
                const app: AppBehaviour = { healthyAtNs: 0n, okLatencyNs: okD, failLatencyNs: lat };
                const probe = { periodSeconds: t.periodSeconds, timeoutSeconds: t.timeoutSeconds, failureThreshold: t.failureThreshold };
                const period = BigInt(t.periodSeconds) * S;
                const dockerEarliest = dockerLiveness(c, app, 0n).atNs;
                const dockerLatest = dockerLiveness(c, app, c.intervalNs + okD).atNs;
                const kubeEarliest = kubeletLiveness(probe, app, 0n).atNs;
                const kubeLatest = kubeletLiveness(probe, app, period > okD ? period : okD).atNs;
                const sT = BigInt(t.timeoutSeconds) * S;
                const bound = BigInt(c.retries) * (period - c.intervalNs) + (sT - c.timeoutNs);
                return kubeEarliest >= dockerEarliest && kubeLatest <= dockerLatest + bound;
            }),
            { seed: 1011, numRuns: 5000 },
        );
    });

    test("readiness (never kills): unready no earlier than Docker's earliest unhealthy − (R − 1)×T, no later than its latest + R×(sec(I) − I) + (sec(T) − T)", () => {
        fc.assert(
            fc.property(check, failLatency, dur(0, 10_000), (c, lat, okLat) => {
                const { readiness } = probeTiming(c);
                const okD = okLat < c.timeoutNs ? okLat : c.timeoutNs;
                const app: AppBehaviour = { healthyAtNs: 0n, okLatencyNs: okD, failLatencyNs: lat };
                const period = BigInt(readiness.periodSeconds) * S;
                const sT = BigInt(readiness.timeoutSeconds) * S;
                const dockerEarliest = dockerLiveness(c, app, 0n).atNs;
                const dockerLatest = dockerLiveness(c, app, c.intervalNs + okD).atNs;
                const kubeEarliest = kubeletLiveness(readiness, app, 0n).atNs;
                const kubeLatest = kubeletLiveness(readiness, app, period > okD ? period : okD).atNs;
                const early = BigInt(c.retries - 1) * c.timeoutNs;
                const late = BigInt(c.retries) * (period - c.intervalNs) + (sT - c.timeoutNs);
                return kubeEarliest >= dockerEarliest - early && kubeLatest <= dockerLatest + late;
            }),
            { seed: 1013, numRuns: 5000 },
        );
    });

    test("readiness reacts sooner than liveness timing would: with fast failures and R ≥ 2, unready up to (R − 1)×T earlier", () => {
        // This repository's Dockerfile, checks failing at once: readiness period 30 s → unready 60 s after the first failure; 33 s → 66 s.
        const c = hc(30_000, 3_000, 10_000, 5_000, 3);
        const t = probeTiming(c);
        expect(sec(kubeletLiveness(t.readiness, never(0n), 0n).atNs)).toBe(60);
        expect(sec(kubeletLiveness(t, never(0n), 0n).atNs)).toBe(66);
        expect(sec(dockerLiveness(c, never(0n), 0n).atNs)).toBe(60);
    });
});

describe("startup budget (the kubelet's kill of a never-healthy container)", () => {
    test("this repository's startupProbe (period 5 s, timeout 3 s, failureThreshold 21): 108 s; an initial delay adds to it", () => {
        const startup = probeTiming(hc(30_000, 3_000, 10_000, 5_000, 3)).startup;
        expect(startup).toEqual({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 21 });
        expect(startupBudgetSeconds(startup)).toBe(108);
        expect(startupBudgetSeconds({ ...startup, initialDelaySeconds: 7 })).toBe(115);
    });

    test("tight: a hanging app on the latest phase is killed 1 ns before the budget, the earliest phase with instant failures (F − 1) × P after start", () => {
        const probe = { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 21 };
        expect(kubeletStartup(probe, never(null), 5n * S - 1n).atNs).toBe(108n * S - 1n);
        expect(sec(kubeletStartup(probe, never(0n), 0n).atNs)).toBe(100);
    });

    test("refuses a timeout longer than the period (the probes would stretch past the formula)", () => {
        expect(() => startupBudgetSeconds({ periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 4 })).toThrow("startupProbe timeoutSeconds 3 exceeds periodSeconds 2");
    });

    test("every derived startupProbe kills a never-healthy container within its budget, at every phase and failing latency", () => {
        const dur = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((ms) => BigInt(ms) * MS);
        const check = fc.record({
            intervalNs: dur(100, 20_000), timeoutNs: dur(1, 10_000), startPeriodNs: fc.oneof(fc.constant(0n), dur(1, 60_000)),
            startIntervalNs: dur(100, 10_000), retries: fc.integer({ min: 1, max: 6 }),
        });
        fc.assert(
            fc.property(check, fc.oneof(fc.constant<bigint | null>(null), fc.integer({ min: 0, max: 12_000 }).map((ms) => BigInt(ms) * MS)), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (c, lat, phase) => {
                const startup = probeTiming(c).startup;
                const kill = kubeletStartup(startup, never(lat), BigInt(Math.floor(phase * startup.periodSeconds * 1e9)));
                return kill.result === "unhealthy" && kill.atNs < BigInt(startupBudgetSeconds(startup)) * S;
            }),
            { seed: 1014, numRuns: 3000 },
        );
    });
});
