/**
 * A Recreate rollout on the real node, timed from the client's side: while a config change rolls
 * the ragstar Deployment (strategy Recreate: the old pod ends before the new one starts), a client
 * polls `/health` through the Service's ClusterIP every 100 ms (kube-proxy routes it on this host),
 * and a watch on the Deployment's pods stamps the new pod's Ready. The new pod's uvicorn log line
 * `Uvicorn running on` (its CRI timestamp, ns) is when the app listens.
 * Shared by tests/node/rolloutTiming.test.ts and `bench:rollout`.
 */
import { kubectl, nowNs, PodWatch } from "./probeTiming";
import { longestOutage, rfc3339Ns, type Outage, type Poll } from "./rolloutStats";

/** A poller that sends one request per `everyMs` (without waiting for the previous), each cut at `timeoutMs`. */
export interface Poller {
    /** Stop sending, wait for requests in flight, return every poll. */
    stop(): Promise<Poll[]>;
    /** Polls answered so far. */
    readonly polls: Poll[];
}

/**
 * Poll `url` every `everyMs`; a poll is ok when it answers 200 within `timeoutMs`.
 * @param init the request (default a GET), e.g. `{ method: "POST", headers, body }`
 */
export function pollUrl(url: string, everyMs = 100, timeoutMs = 1000, init: RequestInit = {}): Poller {
    const polls: Poll[] = [];
    const inFlight = new Set<Promise<void>>();
    const send = () => {
        const atNs = nowNs();
        const request = fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
            .then(async (response) => {
                await response.arrayBuffer();
                polls.push({ atNs, ok: response.status === 200, detail: `HTTP ${response.status}` });
            })
            .catch((error: Error & { cause?: { code?: string } }) => {
                polls.push({ atNs, ok: false, detail: error.cause?.code ?? error.name });
            })
            .finally(() => inFlight.delete(request));
        inFlight.add(request);
    };
    send();
    const timer = setInterval(send, everyMs);
    return {
        polls,
        async stop() {
            clearInterval(timer);
            await Promise.all([...inFlight]);
            return [...polls].sort((a, b) => (a.atNs < b.atNs ? -1 : 1));
        },
    };
}

/** The CRI timestamp of the first log line of `pod` that contains `needle`; undefined when none does. */
export function logLineNs(namespace: string, pod: string, needle: string): bigint | undefined {
    const line = kubectl(["-n", namespace, "logs", pod, "--timestamps"]).split("\n").find((l) => l.includes(needle));
    return line === undefined ? undefined : rfc3339Ns(line.slice(0, line.indexOf(" ")));
}

/** What one Recreate rollout looked like. */
export interface RecreateRun {
    /** The longest run of failed polls and its gap (last ok → next ok). */
    outage: Outage;
    /** The update call (e.g. `pulumi up`) → it returned. */
    updateNs: bigint;
    /** The new pod's app listening (uvicorn's line) → its Ready seen by the watch. */
    listeningToReadyNs: bigint;
    /** The new pod's app listening → the first ok poll through the Service after the outage. */
    listeningToServedNs: bigint;
    newPod: string;
    /** How many polls failed, by reason (`HTTP 503`, `ECONNREFUSED`, `TimeoutError`, ...). */
    failures: Record<string, number>;
}

/**
 * Run `update` (which must roll the Deployment's pod) while polling `serviceUrl`, and measure.
 *
 * @param selector the Deployment's pod label selector
 * @throws Error when no new pod becomes Ready within 120 s, or it logs no `Uvicorn running on` line
 */
export async function measureRecreate(namespace: string, selector: string, serviceUrl: string, update: () => Promise<void>): Promise<RecreateRun> {
    const watch = new PodWatch(namespace, "(by label)", selector);
    let poller: Poller | undefined;
    try {
        const old = await watch.until((s) => s.ready, 30_000);
        poller = pollUrl(serviceUrl);
        await new Promise((r) => setTimeout(r, 1000));
        const started = nowNs();
        await update();
        const updated = nowNs();
        const ready = await watch.until((s) => s.ready && s.name !== old.name, 120_000);
        // Keep polling until the Service has answered for a while after the new pod is Ready.
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && poller.polls.filter((p) => p.ok && p.atNs > ready.atNs).length < 20) await new Promise((r) => setTimeout(r, 100));
        const polls = await poller.stop();
        const outage = longestOutage(polls);
        const listening = logLineNs(namespace, ready.name, "Uvicorn running on");
        if (listening === undefined) throw new Error(`pod ${namespace}/${ready.name} logged no "Uvicorn running on" line`);
        const served = polls.find((p) => p.ok && outage.fromNs !== null && p.atNs > outage.fromNs);
        return {
            outage,
            updateNs: updated - started,
            listeningToReadyNs: ready.atNs - listening,
            listeningToServedNs: served ? served.atNs - listening : -1n,
            newPod: ready.name,
            failures: polls.filter((p) => !p.ok).reduce<Record<string, number>>((counts, p) => ({ ...counts, [p.detail ?? "?"]: (counts[p.detail ?? "?"] ?? 0) + 1 }), {}),
        };
    } finally {
        watch.stop();
        await poller?.stop();
    }
}
