/**
 * A watch on one pod through the API server (`kubectl get --raw ...?watch=1`, one JSON watch
 * event a line), each event stamped with the host's clock when it arrived, so a test can time a
 * transition to the millisecond even though the pod's own timestamps have one-second resolution.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

/** One watch event and when it arrived (Date.now(), ms). */
export interface StampedEvent {
    type: "ADDED" | "MODIFIED" | "DELETED" | "ERROR" | "BOOKMARK";
    object: any;
    at: number;
}

/** A running watch. */
export interface PodWatch {
    events: StampedEvent[];
    /** Resolve with the first event (already seen or to come) that satisfies `test`. @throws Error after `timeoutMs` */
    until(test: (event: StampedEvent) => boolean, timeoutMs: number): Promise<StampedEvent>;
    stop(): void;
}

/**
 * Watch pod `name` in `namespace`, starting from its current state (the first event is ADDED).
 * Resolves once that first event has arrived, so nothing done afterwards is missed.
 */
export async function watchPod(namespace: string, name: string): Promise<PodWatch> {
    const url = `/api/v1/namespaces/${namespace}/pods?watch=1&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
    const child: ChildProcess = spawn(path.join(process.env.KUBE_BIN ?? "", "kubectl"), ["get", "--raw", url], { stdio: ["ignore", "pipe", "pipe"] });
    const events: StampedEvent[] = [];
    let pending = "";
    let errors = "";
    const waiters: Array<() => void> = [];
    child.stdout!.on("data", (chunk: Buffer) => {
        const at = Date.now();
        pending += chunk.toString("utf8");
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line) events.push({ ...JSON.parse(line), at });
        }
        waiters.splice(0).forEach((wake) => wake());
    });
    child.stderr!.on("data", (chunk) => (errors += chunk));
    const watch: PodWatch = {
        events,
        async until(test, timeoutMs) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const found = events.find(test);
                if (found) return found;
                if (child.exitCode !== null) throw new Error(`the watch on ${namespace}/${name} ended (exit ${child.exitCode}): ${errors}`);
                const left = deadline - Date.now();
                if (left <= 0) throw new Error(`no matching event for ${namespace}/${name} within ${timeoutMs} ms; ${events.length} events, last: ${JSON.stringify(events.at(-1)?.object?.status ?? null)}`);
                await new Promise<void>((resolve) => {
                    const timer = setTimeout(resolve, Math.min(left, 500));
                    waiters.push(() => {
                        clearTimeout(timer);
                        resolve();
                    });
                });
            }
        },
        stop: () => {
            if (child.exitCode === null) child.kill("SIGTERM");
        },
    };
    await watch.until((e) => e.type === "ADDED", 30_000);
    return watch;
}
