/**
 * A timing model of Docker's health monitor and of the kubelet's prober: pure functions
 * over exact nanoseconds (bigint), so the probe mapping can be checked against Docker
 * (tests/infra/timingModel.test.ts) and the model against a real engine
 * (tests/image/healthTiming.test.ts). Explained in docs/probes.md, "Timing model".
 *
 * Time 0 is the container's start (Docker's State.StartedAt, the kubelet's Running.StartedAt).
 * A check's outcome depends on when it starts: it succeeds iff it starts at or after the app's
 * `healthyAtNs` (and the app never fails again in the start-up scenarios).
 *
 * Sources (read, not copied):
 * - moby/moby daemon/health.go: `monitor` (scheduling, `getInterval`), `handleProbeResult`
 *   (start period, failing streak, status), `cmdProbe.run` (timeout).
 * - kubernetes/kubernetes pkg/kubelet/prober/worker.go: `run` (fixed ticker, first probe at once),
 *   `doProbe` (startup gates liveness/readiness, failureThreshold, kill and hold);
 *   prober_manager.go `UpdatePodStatus` (readiness triggered at once when started).
 */
import type { Nanoseconds } from "../dockerfile/duration";
import type { HealthcheckTiming } from "../dockerfile/healthcheck";

const SECOND = 1_000_000_000n;

/**
 * How the app answers checks.
 * - healthyAtNs: checks that start at or after this succeed; null = never healthy.
 * - okLatencyNs: how long a succeeding check takes (≤ the timeout, else Docker would fail it).
 * - failLatencyNs: how long a failing check takes before the app answers; null = it hangs, so
 *   the check lasts the timeout (Docker: T; kubelet: timeoutSeconds).
 */
export interface AppBehaviour {
    healthyAtNs: Nanoseconds | null;
    okLatencyNs: Nanoseconds;
    failLatencyNs: Nanoseconds | null;
}

/**
 * Which engine: "current" is moby's daemon/health.go `monitor` with `getInterval` (start interval
 * while `starting` inside the start period, a check exactly when the start period ends if less than
 * one interval remains, the interval after it); "legacy" is Docker 20.10–24, which ignores
 * `--start-interval` and waits one interval before every check.
 */
export type DockerEngine = "current" | "legacy";

/** One check or probe: start and end in ns since the container started. */
export interface Attempt {
    startNs: Nanoseconds;
    endNs: Nanoseconds;
    ok: boolean;
}

/** The decision a run reaches: Docker's first `healthy`/`unhealthy`, or the kubelet's start/kill. */
export interface Outcome {
    result: "healthy" | "unhealthy";
    /** When the deciding check/probe ended: Docker's `health_status` event, the kubelet's kill. */
    atNs: Nanoseconds;
    /** When the deciding check/probe started: the app had to be healthy by then to be spared. */
    deadlineNs: Nanoseconds;
    attempts: Attempt[];
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** A failing attempt's duration: the app's answer time, cut at the timeout (a hang lasts the timeout). */
function failDuration(app: AppBehaviour, timeoutNs: Nanoseconds): Nanoseconds {
    return app.failLatencyNs === null ? timeoutNs : min(app.failLatencyNs, timeoutNs);
}

/**
 * When Docker starts the next check, given the end of the previous one (0 at container start).
 * Source: moby daemon/health.go `monitor`: the timer is reset after each result, so the wait
 * counts from the previous check's END; `getInterval` for "current".
 */
export function dockerNextStart(hc: HealthcheckTiming, engine: DockerEngine, previousEndNs: Nanoseconds, starting: boolean): Nanoseconds {
    const e = previousEndNs;
    if (engine === "legacy" || e >= hc.startPeriodNs) return e + hc.intervalNs;
    const remaining = hc.startPeriodNs - e;
    if (remaining < hc.intervalNs) return hc.startPeriodNs;
    return e + (starting ? hc.startIntervalNs : hc.intervalNs);
}

/**
 * Docker's run from container start to its first decision: `healthy` at the first success,
 * `unhealthy` at the retries-th counted consecutive failure.
 * Source: moby daemon/health.go `handleProbeResult`: while the status is `starting`, a failure of
 * a check that STARTED less than the start period after the container started does not count.
 *
 * @throws RangeError after maxChecks checks (guards tests against runaway schedules)
 */
export function dockerStartup(hc: HealthcheckTiming, app: AppBehaviour, engine: DockerEngine, maxChecks = 1_000_000): Outcome {
    const attempts: Attempt[] = [];
    let streak = 0;
    let end = 0n;
    while (attempts.length < maxChecks) {
        const start = dockerNextStart(hc, engine, end, true);
        const ok = app.healthyAtNs !== null && start >= app.healthyAtNs;
        end = start + (ok ? min(app.okLatencyNs, hc.timeoutNs) : failDuration(app, hc.timeoutNs));
        attempts.push({ startNs: start, endNs: end, ok });
        if (ok) return { result: "healthy", atNs: end, deadlineNs: start, attempts };
        if (start >= hc.startPeriodNs && ++streak >= hc.retries) return { result: "unhealthy", atNs: end, deadlineNs: start, attempts };
    }
    throw new RangeError(`no decision after ${maxChecks} checks`);
}

/** A Kubernetes probe's timing, whole seconds and a count. */
export interface KubeletProbe {
    periodSeconds: number;
    timeoutSeconds: number;
    failureThreshold: number;
}

/**
 * The kubelet's probe worker from its first probe at `firstStartNs`, until the first success
 * (`healthy`) or the failureThreshold-th consecutive failure (`unhealthy`: the kill).
 * Source: kubernetes pkg/kubelet/prober/worker.go `run`: a time.Ticker at periodSeconds whose phase
 * is set when the worker starts (with the pod, not the container); ticks that pass while a probe
 * runs collapse into one pending tick, so the next probe starts at the next tick, or at once when
 * the probe outlasted the period. `doProbe`: a result changes state at the threshold-th repeat.
 * The probe's own timeout cuts a hanging probe at timeoutSeconds.
 *
 * @param isHealthyAt whether a probe starting at that time succeeds
 */
export function kubeletRun(probe: KubeletProbe, firstStartNs: Nanoseconds, isHealthyAt: (startNs: Nanoseconds) => boolean, app: AppBehaviour): Outcome {
    const period = BigInt(probe.periodSeconds) * SECOND;
    const timeout = BigInt(probe.timeoutSeconds) * SECOND;
    const attempts: Attempt[] = [];
    let start = firstStartNs;
    let failures = 0;
    for (;;) {
        const ok = isHealthyAt(start);
        const end = start + (ok ? min(app.okLatencyNs, timeout) : failDuration(app, timeout));
        attempts.push({ startNs: start, endNs: end, ok });
        if (ok) return { result: "healthy", atNs: end, deadlineNs: start, attempts };
        if (++failures >= probe.failureThreshold) return { result: "unhealthy", atNs: end, deadlineNs: start, attempts };
        const nextTick = firstStartNs + ((start - firstStartNs) / period + 1n) * period;
        start = nextTick <= end ? end : nextTick;
    }
}

/**
 * The startupProbe from container start: its ticker's phase is `phaseNs` in [0, period), the first
 * tick at or after the container started (worker.go `doProbe` skips ticks before that).
 */
export function kubeletStartup(probe: KubeletProbe, app: AppBehaviour, phaseNs: Nanoseconds): Outcome {
    return kubeletRun(probe, phaseNs, (s) => app.healthyAtNs !== null && s >= app.healthyAtNs, app);
}

/**
 * Docker once healthy, the app failing from time 0 on: its first failing check starts at
 * `firstFailNs` in [0, I + ok check duration] (one interval after the last good check ended), then
 * one interval after each failing check ends. Returns the `unhealthy` decision.
 */
export function dockerLiveness(hc: HealthcheckTiming, app: AppBehaviour, firstFailNs: Nanoseconds): Outcome {
    const d = failDuration(app, hc.timeoutNs);
    const attempts: Attempt[] = [];
    let start = firstFailNs;
    for (let i = 1; ; i++) {
        attempts.push({ startNs: start, endNs: start + d, ok: false });
        if (i >= hc.retries) return { result: "unhealthy", atNs: start + d, deadlineNs: start, attempts };
        start = start + d + hc.intervalNs;
    }
}

/**
 * The window [earliest, latest] (ns after the app starts failing at 0) of Docker's `unhealthy` report
 * once healthy, over every phase of Docker's schedule relative to 0: the first failing check starts
 * at once (0) at the earliest, and at the latest one interval after an ok check that was running at 0
 * ends (I + ok check duration). Every other phase lies between, as the report is monotone in it.
 */
export function dockerLivenessWindow(hc: HealthcheckTiming, app: AppBehaviour): [Nanoseconds, Nanoseconds] {
    const okD = min(app.okLatencyNs, hc.timeoutNs);
    return [dockerLiveness(hc, app, 0n).atNs, dockerLiveness(hc, app, hc.intervalNs + okD).atNs];
}

/** The livenessProbe once started, the app failing from time 0: first failing probe at `firstFailNs` in [0, max(period, ok probe)]. */
export function kubeletLiveness(probe: KubeletProbe, app: AppBehaviour, firstFailNs: Nanoseconds): Outcome {
    return kubeletRun(probe, firstFailNs, () => false, app);
}

/**
 * An upper bound on Docker's start-up deadline (the start of the check that makes a never-healthy
 * container `unhealthy`), over both engines and every failing check duration d in [0, T]:
 *   S < I:  D = R×I + (R − 1)×T          (exact: legacy checks at I, 2I + d, …; current at S, S + I + d, …)
 *   S ≥ I:  D = S + R×(I + T) + max(0, SI − 2I − T)
 * Why the second: the first counted check starts less than I + T after S (legacy: one interval after
 * a check that started before S; current: at S, one interval after a check that straddles S, or
 * one start interval after a point at least I before S), and each further check at most I + T later.
 */
export function dockerDeadlineBoundNs(hc: HealthcheckTiming): Nanoseconds {
    const r = BigInt(hc.retries);
    if (hc.startPeriodNs < hc.intervalNs) return r * hc.intervalNs + (r - 1n) * hc.timeoutNs;
    const slack = max(0n, hc.startIntervalNs - 2n * hc.intervalNs - hc.timeoutNs);
    return hc.startPeriodNs + r * (hc.intervalNs + hc.timeoutNs) + slack;
}

/**
 * The startup budget of a startupProbe, in whole seconds: the longest time from the container's
 * start until the kubelet gives up on a container that never passes it (the kill):
 *   initialDelaySeconds + periodSeconds × failureThreshold + timeoutSeconds.
 * Why: the worker's first tick comes less than one period after the container started (its ticker's
 * phase is set with the pod, `kubeletStartup`'s `phaseNs` < period), plus initialDelaySeconds
 * (worker.go `doProbe` reports failure-free "probe not yet run" until then); the
 * failureThreshold-th failing probe starts (failureThreshold − 1) periods after the first, so before
 * initialDelay + failureThreshold × period, and lasts at most timeoutSeconds (a probe that outlasts
 * the period cannot occur with the derived timing, where period ≥ timeout; with period < timeout
 * the probes would stretch and this bound would not hold, so it is refused).
 * Source: kubernetes pkg/kubelet/prober/worker.go `run` and `doProbe`.
 *
 * @param probe whole seconds and a count; initialDelaySeconds defaults to 0 (the derived probes set none)
 * @returns seconds (an integer)
 * @throws RangeError when timeoutSeconds > periodSeconds (probes would stretch the schedule)
 */
export function startupBudgetSeconds(probe: KubeletProbe & { initialDelaySeconds?: number }): number {
    if (probe.timeoutSeconds > probe.periodSeconds) {
        throw new RangeError(`startupProbe timeoutSeconds ${probe.timeoutSeconds} exceeds periodSeconds ${probe.periodSeconds}: probes would stretch, so the startup budget is unbounded by this formula`);
    }
    return (probe.initialDelaySeconds ?? 0) + probe.periodSeconds * probe.failureThreshold + probe.timeoutSeconds;
}

/**
 * The window [earliest, latest] (ns after the app starts failing at 0) of the livenessProbe's kill,
 * over every phase of the kubelet's ticker relative to 0: the first failing probe starts at once (0)
 * at the earliest, and at the latest one period after the last ok probe started, or when an ok probe
 * running at 0 ends if that is later (max(period, ok probe)), as `kubeletLiveness` takes it.
 * The kill is monotone in that phase, so every other phase lies between.
 */
export function kubeletLivenessWindow(probe: KubeletProbe, app: AppBehaviour): [Nanoseconds, Nanoseconds] {
    const period = BigInt(probe.periodSeconds) * SECOND;
    const okD = min(app.okLatencyNs, BigInt(probe.timeoutSeconds) * SECOND);
    return [kubeletLiveness(probe, app, 0n).atNs, kubeletLiveness(probe, app, max(period, okD)).atNs];
}

/**
 * The window [earliest, latest] (ns after container start) of the startupProbe's decision for an app
 * that becomes healthy at `app.healthyAtNs`, or never (the kill), over every phase of its ticker in
 * [0, period): `kubeletStartup` at phase 0 and at the phase just before the next tick (period − 1 ns)
 * bound every other phase for a never-healthy app (the kill is monotone in the phase); for an app that
 * becomes healthy the success comes at the first tick at or after healthyAtNs, which phases in
 * [0, period) move by less than one period, so the window is taken at the phase whose tick coincides
 * with healthyAtNs (earliest) and at the phase whose tick comes 1 ns before it (latest: the next tick
 * is one period later). Exact when no probe outlasts the period (the mapping's startup period is at
 * least sec(T)), else the collapsed ticks make the real window wider.
 */
export function kubeletStartupWindow(probe: KubeletProbe, app: AppBehaviour): [Nanoseconds, Nanoseconds] {
    const period = BigInt(probe.periodSeconds) * SECOND;
    if (app.healthyAtNs === null) return [kubeletStartup(probe, app, 0n).atNs, kubeletStartup(probe, app, period - 1n).atNs];
    const onTime = app.healthyAtNs % period;
    const justMissed = (onTime + period - 1n) % period;
    const a = kubeletStartup(probe, app, onTime).atNs;
    const b = kubeletStartup(probe, app, justMissed).atNs;
    return [min(a, b), max(a, b)];
}

/**
 * The window [earliest, latest] (ns after the app becomes healthy) of the pod's Ready condition under
 * the three probes: the startupProbe succeeds at its first tick at or after the app is healthy (0 to
 * one period later, plus the ok probe's duration), then the readinessProbe runs at once and succeeds
 * (plus one more ok probe). Source: kubernetes pkg/kubelet/prober/prober_manager.go `UpdatePodStatus`:
 * when the container has started but is not ready, the readiness worker is triggered at once
 * (`manualTriggerCh`) rather than waiting for its own tick. Assumes the app became healthy after the
 * container started and that no probe failure from before it is still counted against readiness.
 * The status's own path (the kubelet's sync loop, the status manager's API update) is left out: it
 * only adds time, which a measurement has to allow as slack.
 * On the real node (tests/node/probeTiming.test.ts) the startup worker's first probe came at the
 * container's start, before the app listened, so Ready came near the top of this window.
 *
 * @param startup the startupProbe's timing; only periodSeconds and timeoutSeconds matter here
 * @param readiness the readinessProbe's timing (its timeout cuts the ok probe's duration)
 * @param okLatencyNs how long a succeeding probe takes
 */
export function kubeletReadyWindow(startup: KubeletProbe, readiness: KubeletProbe, okLatencyNs: Nanoseconds): [Nanoseconds, Nanoseconds] {
    const startupOk = min(okLatencyNs, BigInt(startup.timeoutSeconds) * SECOND);
    const readinessOk = min(okLatencyNs, BigInt(readiness.timeoutSeconds) * SECOND);
    return [startupOk + readinessOk, BigInt(startup.periodSeconds) * SECOND + startupOk + readinessOk];
}
