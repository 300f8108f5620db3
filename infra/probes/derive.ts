/**
 * HEALTHCHECK → Kubernetes liveness, readiness and startup probes: the one mapping
 * this package exists for. Pure; documented with its reasons in docs/probes.md.
 *
 * With I, T, S, SI, R the HEALTHCHECK's effective interval, timeout, start period,
 * start interval and retries, and sec(d) = max(1, ceil(d in seconds)):
 *   livenessProbe   periodSeconds sec(I + T) (sec(I) when R = 1), timeoutSeconds sec(T),
 *                   failureThreshold R, successThreshold 1
 *   readinessProbe  periodSeconds sec(I), timeoutSeconds sec(T), failureThreshold R: it mirrors
 *                   Docker's health status and never kills, so it need not wait out slow checks;
 *                   the same action unless a readiness path is configured
 *   startupProbe    always: periodSeconds P = max(sec(SI), sec(T)), timeoutSeconds sec(T),
 *                   failureThreshold 1 + ceil(D / P), D = Docker's latest start-up deadline
 *                   (`dockerDeadlineBoundNs`, exact ns), so the kubelet never kills before Docker
 *                   would report "unhealthy", and at most `startupKillBoundNs` later (the invariant
 *                   and bounds in docs/probes.md, "Timing model").
 * Docker semantics: https://docs.docker.com/reference/dockerfile/#healthcheck
 * Kubernetes semantics: https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
 */
import { DockerfileError } from "../errors";
import { NANOSECONDS_PER_SECOND, type Nanoseconds } from "../dockerfile/duration";
import type { StageFacts } from "../dockerfile/facts";
import type { HealthcheckFacts, HealthcheckTiming } from "../dockerfile/healthcheck";
import { exposedTcpPorts } from "../dockerfile/exposedPorts";
import { deriveAction } from "./action";
import { loopbackBindProblem } from "./bindAddress";
import { dockerDeadlineBoundNs } from "./timingModel";
import type { Probe, ProbeAction, ProbeSet } from "./types";

/** Kubernetes probe fields are int32. */
const MAX_INT32 = 2 ** 31 - 1;

/** Choices the stack config makes about probes. */
export interface ProbeOptions {
    /** HTTP path for the readinessProbe (e.g. `/ready`); default: the HEALTHCHECK's own action. */
    readinessPath?: string;
    /** Explicit opt-out: deploy without probes when the image has no HEALTHCHECK. */
    allowMissingHealthcheck?: boolean;
}

/** Derived probes plus warnings for the reviewer; `probes` is null only when opted out. */
export interface ProbeDerivation {
    probes: ProbeSet | null;
    warnings: string[];
}

/** sec(d) = max(1, ceil(d / 1s)) for a duration in nanoseconds. */
export function wholeSeconds(ns: Nanoseconds): number {
    const seconds = (ns + NANOSECONDS_PER_SECOND - 1n) / NANOSECONDS_PER_SECOND;
    return Number(seconds < 1n ? 1n : seconds);
}

/** Timing of one probe: whole seconds and a count. */
export interface ProbeFields {
    periodSeconds: number;
    timeoutSeconds: number;
    failureThreshold: number;
}

/** Timing of the three probes, from the HEALTHCHECK's effective values. Pure arithmetic. */
export interface ProbeTiming extends ProbeFields {
    /** The livenessProbe's timing is the top-level fields; readiness and startup differ. */
    readiness: ProbeFields;
    startup: ProbeFields;
}

/**
 * The startupProbe's period in seconds: sec(SI), or sec(T) when a check may run longer than that.
 * Why: the kubelet's ticker collapses the ticks that pass while a probe runs (worker.go `run`), so
 * probes lasting up to sec(T) are spaced max(period, duration) apart. With period sec(SI) < sec(T),
 * the failureThreshold that covers fast failures (D / sec(SI) probes) would take D × sec(T)/sec(SI)
 * when the app hangs (the defaults: 31 probes × 30 s = 930 s against Docker's 180 s). With a period
 * ≥ sec(T) the probes never overlap a tick, so the schedule is the same for every probe duration.
 * A longer period only delays Ready after the app becomes healthy (by at most the period), so it is
 * kept at sec(SI) whenever sec(T) ≤ sec(SI).
 */
export function startupPeriodSeconds(check: Pick<HealthcheckTiming, "timeoutNs" | "startIntervalNs">): number {
    return Math.max(wholeSeconds(check.startIntervalNs), wholeSeconds(check.timeoutNs));
}

/**
 * The probe timing for a HEALTHCHECK, exactly as the mapping above.
 *
 * Liveness: Docker starts a check one interval after the previous one ENDS, so R failing checks
 * that each last up to T span (R − 1)×(I + T) + T; the kubelet's ticker does not stretch, so its
 * period must be at least I + T for the kill not to precede Docker's `unhealthy` (R = 1 needs no span).
 * Readiness: sec(I), Docker's cadence between checks; it only takes the pod out of the Service,
 * so it may mark unready up to (R − 1)×T before Docker's `unhealthy`, and it sees recovery sooner.
 * Startup: the last startup probe starts (failureThreshold − 1)×period after the first, which may come
 * right at container start; it must start no earlier than Docker's last deciding check. The period is
 * `startupPeriodSeconds`, so probes never stretch the schedule.
 *
 * @param check effective durations in nanoseconds and retries (count ≥ 1)
 * @throws RangeError if a field would exceed Kubernetes' int32 limit
 */
export function probeTiming(check: HealthcheckTiming): ProbeTiming {
    const periodSeconds = wholeSeconds(check.retries > 1 ? check.intervalNs + check.timeoutNs : check.intervalNs);
    const timeoutSeconds = wholeSeconds(check.timeoutNs);
    const readiness = { periodSeconds: wholeSeconds(check.intervalNs), timeoutSeconds, failureThreshold: check.retries };
    const startupPeriod = startupPeriodSeconds(check);
    const step = BigInt(startupPeriod) * NANOSECONDS_PER_SECOND;
    const failureThreshold = 1n + (dockerDeadlineBoundNs(check) + step - 1n) / step;
    const startup = { periodSeconds: startupPeriod, timeoutSeconds, failureThreshold: Number(failureThreshold) };
    const fields = { periodSeconds, timeoutSeconds, failureThreshold: check.retries, startupPeriodSeconds: startupPeriod, startupFailureThreshold: failureThreshold };
    for (const [name, value] of Object.entries(fields)) {
        if (value > MAX_INT32) throw new RangeError(`${name} ${value} exceeds the Kubernetes limit of ${MAX_INT32}`);
    }
    return { periodSeconds, timeoutSeconds, failureThreshold: check.retries, readiness, startup };
}

/**
 * How much later than Docker's `unhealthy` report the startupProbe may kill (ns), over both engines,
 * every app behaviour and every kubelet phase:
 *   2×P + (D − Dmin) + (sec(T) − T),   P = startupPeriodSeconds, D = dockerDeadlineBoundNs,
 *   Dmin = S′ + (R − 1)×I the earliest deadline (S′ = S, or I when S = 0: the first counted check).
 * Why: the probes are exactly P apart (no probe outlasts P), so the last one starts before
 * phase + D + P < D + 2P, and lasts at most sec(T) where Docker's check lasts the same app time cut at T;
 * Docker's deciding check starts at or after Dmin (the current engine checks at S, then every I at least).
 */
export function startupKillBoundNs(check: HealthcheckTiming): Nanoseconds {
    const period = BigInt(startupPeriodSeconds(check)) * NANOSECONDS_PER_SECOND;
    const first = check.startPeriodNs > 0n ? check.startPeriodNs : check.intervalNs;
    const earliest = first + BigInt(check.retries - 1) * check.intervalNs;
    const timeoutRounding = BigInt(wholeSeconds(check.timeoutNs)) * NANOSECONDS_PER_SECOND - check.timeoutNs;
    return 2n * period + (dockerDeadlineBoundNs(check) - earliest) + timeoutRounding;
}

function probe(action: ProbeAction, timing: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number }): Probe {
    return { ...action, ...timing, successThreshold: 1 };
}

function readinessAction(facts: StageFacts, liveness: ProbeAction, readinessPath: string | undefined, line: number): ProbeAction {
    if (readinessPath === undefined) return liveness;
    if ("httpGet" in liveness) return { httpGet: { ...liveness.httpGet, path: readinessPath } };
    const tcpPorts = exposedTcpPorts(facts);
    if (tcpPorts.length !== 1) {
        throw new DockerfileError(
            facts.file,
            line,
            `a readiness path is configured but the HEALTHCHECK is not an HTTP check, and the stage exposes ${tcpPorts.length === 0 ? "no TCP port" : `several TCP ports (${tcpPorts.join(", ")})`}; expose exactly one port so the readinessProbe knows where to send ${readinessPath}`,
        );
    }
    return { httpGet: { path: readinessPath, port: tcpPorts[0], scheme: "HTTP" } };
}

/**
 * Derive the three probes for a build stage.
 *
 * @param facts the target stage's facts (see `readStageFacts`)
 * @param options stack choices: readiness path, explicit opt-out of probes
 * @returns probes as Kubernetes Probe objects (whole seconds), plus warnings
 * @throws DockerfileError (file and line) when the stage has no HEALTHCHECK or `HEALTHCHECK NONE`
 *   without an opt-out, when a variable cannot be resolved, when the server binds to loopback only
 *   while a probe is httpGet, or when a field would exceed int32
 */
export function deriveProbes(facts: StageFacts, options: ProbeOptions = {}): ProbeDerivation {
    const check: HealthcheckFacts | undefined = facts.healthcheck;
    if (!check || check.kind === "none") {
        if (options.allowMissingHealthcheck) {
            return { probes: null, warnings: [`${facts.file}: stage "${facts.stage}" has no HEALTHCHECK; deploying without probes as the stack config allows`] };
        }
        const where = check ? `HEALTHCHECK NONE disables the check` : `stage "${facts.stage}" has no HEALTHCHECK${facts.baseImage ? ` (one inherited from the external base image ${facts.baseImage} cannot be seen here)` : ""}`;
        throw new DockerfileError(
            facts.file,
            check?.line ?? facts.fromLine,
            `${where}, so no probes can be derived; add a HEALTHCHECK, or opt out explicitly with the stack config key ragstar:probes.allowMissingHealthcheck=true`,
        );
    }
    let timing: ProbeTiming;
    try {
        timing = probeTiming(check);
    } catch (error) {
        if (error instanceof RangeError) throw new DockerfileError(facts.file, check.line, `HEALTHCHECK timing: ${error.message}`);
        throw error;
    }
    const { action, warnings } = deriveAction(facts, check.command);
    const readiness = readinessAction(facts, action, options.readinessPath, check.line);
    const usesHttpGet = "httpGet" in action || "httpGet" in readiness;
    if (usesHttpGet) {
        const problem = loopbackBindProblem(facts);
        if (problem) throw new DockerfileError(facts.file, facts.cmd?.line ?? facts.entrypoint?.line, problem);
        const port = "httpGet" in readiness ? readiness.httpGet.port : undefined;
        const sameNumber = facts.exposedPorts.filter((p) => p.port === port);
        if (port !== undefined && sameNumber.length > 0 && !sameNumber.some((p) => p.protocol === "tcp")) {
            // HTTP runs over TCP: an EXPOSE 8000/udp says nothing listens for the probe on TCP 8000.
            throw new DockerfileError(facts.file, sameNumber[0].line, `the HTTP probe targets TCP port ${port}, but the stage EXPOSEs ${port} only as ${sameNumber.map((p) => p.protocol).join(", ")}; EXPOSE ${port} (TCP) for an HTTP probe`);
        }
        if (port !== undefined && facts.exposedPorts.length > 0 && sameNumber.length === 0) {
            warnings.push(`${facts.file}:${check.line}: the probe targets port ${port}, which the stage does not EXPOSE (exposed: ${facts.exposedPorts.map((p) => p.port).join(", ")})`);
        }
    }
    const liveness = { periodSeconds: timing.periodSeconds, timeoutSeconds: timing.timeoutSeconds, failureThreshold: timing.failureThreshold };
    return {
        probes: {
            livenessProbe: probe(action, liveness),
            readinessProbe: probe(readiness, timing.readiness),
            startupProbe: probe(action, timing.startup),
        },
        warnings: [...check.warnings, ...warnings],
    };
}
