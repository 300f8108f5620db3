/**
 * Why a rollout failed, in a few lines: the probe that failed, the pod's last events and its last
 * log lines. Pure: plain JSON of the pods, their events and their logs in, text out; the kubectl
 * calls that gather them are in podFacts.ts.
 *
 * Why it exists: the Kubernetes provider's await logic (pulumi-kubernetes v4.25.0
 * provider/pkg/await/deployment.go) fails only at its timeout, with
 * `'ragstar' timed out waiting to be Ready` and the pod's conditions and container states
 * (cloud-ready-checks pkg/kubernetes/pod `podReady`: `containers with unready status: [ragstar]`,
 * `Container "ragstar" terminated at … (Completed: exit code 0)`), never a probe's result, the
 * pod's events or its output. The kubelet reports a failing probe as a Warning event with reason
 * `Unhealthy` on the pod, its message `<Startup|Liveness|Readiness> probe failed: <the result>`
 * (kubernetes pkg/kubelet/prober/prober.go `probe`), and the kill as a `Killing` event
 * (`Container ragstar failed startup probe, will be restarted`: the reason is set in
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go `computePodActions`; the text as seen on the
 * real node, tests/infra/fixtures/brokenRollout.json).
 *
 * Nothing here reads a container's environment, a volume or a Secret: only probe fields, states,
 * events and log lines are printed (the service logs no secret).
 */

/** A core/v1 Event, the fields used (JSON from the API server; `kubectl get events -o json`). */
export interface EventJson {
    type?: string;
    reason?: string;
    message?: string;
    count?: number;
    firstTimestamp?: string | null;
    lastTimestamp?: string | null;
    eventTime?: string | null;
    series?: { count?: number; lastObservedTime?: string } | null;
    involvedObject?: { kind?: string; name?: string; fieldPath?: string };
    metadata?: { creationTimestamp?: string };
}

/** One container's log tail: the current container or the previous (killed) one. */
export interface LogTail {
    container: string;
    previous: boolean;
    /** The log text as `kubectl logs --tail` gave it; null when there was none to read (and why, in `error`). */
    text: string | null;
    error?: string;
}

/** What was gathered about one pod. */
export interface PodFacts {
    /** A core/v1 Pod as JSON. */
    pod: any;
    events: EventJson[];
    logs: LogTail[];
}

/** How much to show. */
export interface DiagnosisLimits {
    events: number;
    logLines: number;
}

export const DEFAULT_LIMITS: DiagnosisLimits = { events: 10, logLines: 20 };

const PROBE_FIELD = { Startup: "startupProbe", Liveness: "livenessProbe", Readiness: "readinessProbe" } as const;

/** An event's time: when it last happened (series, lastTimestamp) or was recorded (eventTime, creation). */
export function eventTime(event: EventJson): string {
    return event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp ?? "";
}

/** How many times an event happened (`count`, or the events.k8s.io series' count), at least 1. */
export function eventCount(event: EventJson): number {
    return Math.max(1, event.series?.count ?? event.count ?? 1);
}

/** A probe's action and timing on one line, e.g. `httpGet :8000/health, period 5s, timeout 3s, failureThreshold 21`. */
export function describeProbe(probe: any): string {
    const action = probe.httpGet
        ? `httpGet ${(probe.httpGet.scheme ?? "HTTP").toLowerCase()}://<pod IP>:${probe.httpGet.port}${probe.httpGet.path ?? "/"}`
        : probe.exec
          ? `exec ${JSON.stringify(probe.exec.command)}`
          : probe.tcpSocket
            ? `tcpSocket :${probe.tcpSocket.port}`
            : probe.grpc
              ? `grpc :${probe.grpc.port}`
              : "no action";
    const delay = probe.initialDelaySeconds ? `, initialDelay ${probe.initialDelaySeconds}s` : "";
    return `${action}${delay}, period ${probe.periodSeconds ?? 10}s, timeout ${probe.timeoutSeconds ?? 1}s, failureThreshold ${probe.failureThreshold ?? 3}`;
}

/** The container an event is about: `spec.containers{NAME}` in its fieldPath. */
function eventContainer(event: EventJson): string | undefined {
    return /spec\.(?:initContainers|containers)\{([^}]+)\}/.exec(event.involvedObject?.fieldPath ?? "")?.[1];
}

/**
 * The failing probes of a pod, newest first: from its `Unhealthy` events, with the probe's spec
 * from the pod. One line each: `startupProbe of container ragstar failed 42 times, last at …:
 * HTTP probe failed with statuscode: 503 (httpGet …)`.
 */
export function failingProbes(facts: PodFacts): string[] {
    const byKey = new Map<string, { field: string; container: string; result: string; count: number; last: string }>();
    for (const event of facts.events) {
        if (event.reason !== "Unhealthy") continue;
        const match = /^(Startup|Liveness|Readiness) probe failed: ?([\s\S]*)$/.exec(event.message ?? "");
        if (!match) continue;
        const field = PROBE_FIELD[match[1] as keyof typeof PROBE_FIELD];
        const container = eventContainer(event) ?? facts.pod?.spec?.containers?.[0]?.name ?? "?";
        const key = `${container}/${field}`;
        const seen = byKey.get(key);
        const time = eventTime(event);
        const result = match[2].trim() || "(no output)";
        if (!seen) byKey.set(key, { field, container, result, count: eventCount(event), last: time });
        else {
            seen.count += eventCount(event);
            if (time >= seen.last) Object.assign(seen, { last: time, result });
        }
    }
    return [...byKey.values()]
        .sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0))
        .map((p) => {
            const spec = (facts.pod?.spec?.containers ?? []).find((c: any) => c.name === p.container)?.[p.field];
            return `${p.field} of container ${p.container} failed ${p.count} time${p.count === 1 ? "" : "s"}, last at ${p.last}: ${p.result}${spec ? ` (${describeProbe(spec)})` : ""}`;
        });
}

/** A container's state on one line: running/waiting/terminated, restarts, the last termination. */
function containerState(status: any): string {
    const state = status.state ?? {};
    const now = state.running
        ? `running since ${state.running.startedAt}${status.started === false ? ", not started (startupProbe not passed)" : ""}`
        : state.waiting
          ? `waiting: ${state.waiting.reason}${state.waiting.message ? ` (${state.waiting.message})` : ""}`
          : state.terminated
            ? `terminated: ${state.terminated.reason} exit code ${state.terminated.exitCode}`
            : "unknown";
    const last = status.lastState?.terminated;
    const previous = last ? `; last terminated ${last.finishedAt}: ${last.reason}, exit code ${last.exitCode}` : "";
    return `container ${status.name}: ${now}, ready ${status.ready === true}, restarts ${status.restartCount ?? 0}${previous}`;
}

/** The last `n` non-empty lines of a text. */
function lastLines(text: string, n: number): string[] {
    const lines = text.replace(/\s+$/, "").split("\n");
    return lines.length === 1 && lines[0] === "" ? [] : lines.slice(-n);
}

const indent = (lines: string[], by = "    ") => lines.map((line) => `${by}${line}`);

/**
 * The diagnosis of a failed rollout, as text lines for the user.
 *
 * @param deployment `NAMESPACE/NAME`, for the heading
 * @param pods the Deployment's pods (those of its newest ReplicaSet first), with their events and log tails
 * @param limits how many events and log lines per pod (default 10 and 20)
 * @returns lines: a heading, then per pod its containers' states, the failing probes, the last
 *   events (oldest first, `time type reason (×count): message`) and the log tails
 */
export function rolloutDiagnosis(deployment: string, pods: PodFacts[], limits: DiagnosisLimits = DEFAULT_LIMITS): string[] {
    if (pods.length === 0) return [`rollout diagnosis of Deployment ${deployment}: no pods (see the Deployment's and ReplicaSet's events: kubectl describe deployment)`];
    const out = [`rollout diagnosis of Deployment ${deployment}: ${pods.length} pod${pods.length === 1 ? "" : "s"}`];
    for (const facts of pods) {
        const pod = facts.pod;
        const ready = (pod.status?.conditions ?? []).find((c: any) => c.type === "Ready");
        out.push(`pod ${pod.metadata?.name}: phase ${pod.status?.phase ?? "unknown"}, node ${pod.spec?.nodeName ?? "(not scheduled)"}, Ready ${ready?.status ?? "unknown"}${ready?.message ? ` (${ready.message})` : ""}`);
        out.push(...indent((pod.status?.containerStatuses ?? []).map(containerState), "  "));
        const probes = failingProbes(facts);
        out.push(probes.length > 0 ? `  failing probe: ${probes[0]}` : "  failing probe: none reported (no Unhealthy event): the container did not get to its probes; see the events");
        out.push(...indent(probes.slice(1).map((p) => `also: ${p}`), "  "));
        const events = [...facts.events].sort((a, b) => (eventTime(a) < eventTime(b) ? -1 : eventTime(a) > eventTime(b) ? 1 : 0)).slice(-limits.events);
        out.push(`  last ${events.length} event${events.length === 1 ? "" : "s"}:`);
        out.push(...indent(events.map((e) => `${eventTime(e)} ${e.type ?? ""} ${e.reason ?? ""}${eventCount(e) > 1 ? ` (×${eventCount(e)})` : ""}: ${(e.message ?? "").trim()}`)));
        for (const log of facts.logs) {
            const which = `container ${log.container}${log.previous ? ", previous (killed) instance" : ""}`;
            if (log.text === null) {
                out.push(`  no log of ${which}${log.error ? `: ${log.error}` : ""}`);
                continue;
            }
            const lines = lastLines(log.text, limits.logLines);
            out.push(`  last ${lines.length} log line${lines.length === 1 ? "" : "s"} of ${which}:`);
            out.push(...indent(lines));
        }
    }
    return out;
}
