/**
 * SIGTERM ends the pod inside its grace period under a real kubelet: deleting the pod makes the
 * kubelet send the container's stop signal (SIGTERM: the image sets no STOPSIGNAL), and uvicorn
 * shuts down on its own, exit code 0, long before the kubelet's SIGKILL at
 * `terminationGracePeriodSeconds` (which would show as exit code 137, reason Error).
 *
 * Timing, host clock: from just before `kubectl delete` to the process's exit as the node's
 * containerd reports it (`exited_at`, ns), and to the watch event that first shows the container
 * `terminated` (the kubelet reports the exit after its next relist). The pod's own timestamps
 * (`finishedAt`, `deletionTimestamp`) have one-second resolution and are reported beside it;
 * containerd's log timestamps (ns) split the figure into the kubelet's part (delete → uvicorn logs
 * "Shutting down"), uvicorn's (→ "Finished server process") and Python's teardown (→ exit).
 * Three deletions (the Deployment replaces the pod each time); the machine is shared with other
 * tests, so the median is the figure to quote.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";

import { kubectl, kubectlJson, nodeFacts, openTestStack, pushedImage, ragstarPod, type TestStack } from "../../infra/tools/node/nodeCluster";
import { CONTAINER, isReady, replacementPod } from "./lib/pods";
import { rfc3339Millis, watchExits } from "./lib/containerdEvents";
import { watchPod } from "./lib/watch";

const NAMESPACE = "ragstar-node-termination";
const RUNS = 3;
let deployed: TestStack;

/** One deletion, measured. */
interface Termination {
    pod: string;
    graceSeconds: number;
    /** How long `kubectl delete --wait=false` itself took (process start, API call): part of every figure below. */
    kubectlDeleteSeconds: number;
    /** Delete issued → the container's process exited (containerd's `exited_at`, ns): the figure to quote. */
    deleteToExitSeconds: number;
    /** Exit status containerd reported for the container's process. */
    exitStatus: number;
    /** Delete issued → watch event showing the container terminated, host clock (the kubelet reports the exit after its relist). */
    deleteToTerminatedSeconds: number;
    /** Delete issued → pod object gone (DELETED event): includes the kubelet's volume teardown. */
    deleteToGoneSeconds: number;
    /** finishedAt − (deletionTimestamp − deletionGracePeriodSeconds): server clock, whole seconds. */
    serverSeconds: number;
    exitCode: number;
    reason: string;
    /** Delete issued → the container's log line "Shutting down" (uvicorn got SIGTERM), containerd's log timestamps. */
    deleteToSigtermLogSeconds: number;
    /** "Shutting down" → "Finished server process": uvicorn's own shutdown. */
    shutdownSeconds: number;
    /** "Finished server process" → the process's exit: Python's own teardown. */
    teardownSeconds: number;
    /** The container's log streamed until it ended, each line prefixed with its RFC 3339 nanosecond timestamp. */
    log: string;
}

/** Follow the container's log (`kubectl logs -f --timestamps`) until the stream ends; resolves with all of it. */
function followLog(pod: string): Promise<string> {
    return new Promise((resolve) => {
        const child = spawn(path.join(process.env.KUBE_BIN ?? "", "kubectl"), ["-n", NAMESPACE, "logs", "-f", "--timestamps", pod, "-c", CONTAINER], { stdio: ["ignore", "pipe", "pipe"] });
        let text = "";
        child.stdout.on("data", (chunk) => (text += chunk));
        child.stderr.on("data", (chunk) => (text += chunk));
        child.on("close", () => resolve(text));
    });
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * Host time (ms) of the first log line containing `text`, from its `--timestamps` prefix (RFC 3339
 * with nanoseconds, written by containerd when the line arrived), or NaN when no line has it.
 */
function loggedAt(log: string, text: string): number {
    const line = log.split("\n").find((l) => l.includes(text));
    return line ? rfc3339Millis(line.split(" ")[0]) : NaN;
}

async function terminate(pod: any): Promise<Termination> {
    const name = pod.metadata.name;
    const containerId = pod.status.containerStatuses.find((c: any) => c.name === CONTAINER).containerID;
    const watch = await watchPod(NAMESPACE, name);
    const exits = await watchExits();
    const log = followLog(name);
    try {
        const issued = Date.now();
        kubectl(["-n", NAMESPACE, "delete", "pod", name, "--wait=false"]);
        const acknowledged = Date.now();
        const terminatedOf = (object: any) => object?.status?.containerStatuses?.find((c: any) => c.name === CONTAINER)?.state?.terminated;
        const terminated = await watch.until((e) => terminatedOf(e.object) !== undefined, 120_000);
        const gone = await watch.until((e) => e.type === "DELETED", 120_000);
        const exit = await exits.exitOf(containerId, 10_000);
        const state = terminatedOf(terminated.object);
        const meta = terminated.object.metadata;
        const text = await log;
        return {
            pod: name,
            graceSeconds: pod.spec.terminationGracePeriodSeconds,
            kubectlDeleteSeconds: (acknowledged - issued) / 1000,
            deleteToExitSeconds: (exit.exitedAt - issued) / 1000,
            exitStatus: exit.exitStatus,
            deleteToTerminatedSeconds: (terminated.at - issued) / 1000,
            deleteToGoneSeconds: (gone.at - issued) / 1000,
            serverSeconds: seconds(state.finishedAt) - (seconds(meta.deletionTimestamp) - meta.deletionGracePeriodSeconds),
            exitCode: state.exitCode,
            reason: state.reason,
            deleteToSigtermLogSeconds: (loggedAt(text, "Shutting down") - issued) / 1000,
            shutdownSeconds: (loggedAt(text, "Finished server process") - loggedAt(text, "Shutting down")) / 1000,
            teardownSeconds: (exit.exitedAt - loggedAt(text, "Finished server process")) / 1000,
            log: text,
        };
    } finally {
        watch.stop();
        exits.stop();
    }
}

/** The median of `values`, rounded to milliseconds. */
const median = (values: number[]) => Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] * 1000) / 1000;
const rounded = (values: number[]) => values.map((v) => Math.round(v * 1000) / 1000);

beforeAll(async () => {
    nodeFacts();
    deployed = await openTestStack(NAMESPACE, pushedImage());
    const up = await deployed.stack.up();
    expect(up.summary.result).toBe("succeeded");
});

afterAll(async () => {
    await deployed?.dispose();
});

test("deleting the pod: the container exits 0 on SIGTERM, well inside terminationGracePeriodSeconds (3 runs)", async () => {
    const results: Termination[] = [];
    let pod = ragstarPod(NAMESPACE);
    expect(isReady(pod)).toBe(true);
    const grace = pod.spec.terminationGracePeriodSeconds;
    expect(grace).toBe(30); // ragstar:terminationGracePeriodSeconds' default
    for (let run = 0; run < RUNS; run++) {
        const result = await terminate(pod);
        results.push(result);
        expect({ exitCode: result.exitCode, reason: result.reason, exitStatus: result.exitStatus }).toEqual({ exitCode: 0, reason: "Completed", exitStatus: 0 });
        expect(result.deleteToExitSeconds).toBeLessThan(grace);
        expect(result.deleteToTerminatedSeconds).toBeLessThan(grace);
        expect(result.serverSeconds).toBeLessThan(grace);
        // uvicorn's own shutdown after SIGTERM, not a SIGKILL.
        expect(result.log).toContain("Shutting down");
        expect(result.log).toContain("Finished server process");
        if (run < RUNS - 1) pod = await replacementPod(NAMESPACE, result.pod);
    }
    const events = kubectlJson<{ items: any[] }>(["-n", NAMESPACE, "get", "events", "--field-selector", "reason=Killing"]).items;
    expect(events.map((e) => e.message)).toContain(`Stopping container ${CONTAINER}`);
    console.log(JSON.stringify({
        measure: "pod delete → container terminated (SIGTERM, real kubelet)",
        graceSeconds: grace,
        runs: results.length,
        medianDeleteToExitSeconds: median(results.map((r) => r.deleteToExitSeconds)),
        deleteToExitSeconds: rounded(results.map((r) => r.deleteToExitSeconds)),
        medianDeleteToTerminatedSeconds: median(results.map((r) => r.deleteToTerminatedSeconds)),
        deleteToTerminatedSeconds: rounded(results.map((r) => r.deleteToTerminatedSeconds)),
        medianKubectlDeleteSeconds: median(results.map((r) => r.kubectlDeleteSeconds)),
        medianDeleteToSigtermLogSeconds: median(results.map((r) => r.deleteToSigtermLogSeconds)),
        deleteToSigtermLogSeconds: rounded(results.map((r) => r.deleteToSigtermLogSeconds)),
        medianShutdownSeconds: median(results.map((r) => r.shutdownSeconds)),
        medianTeardownSeconds: median(results.map((r) => r.teardownSeconds)),
        teardownSeconds: rounded(results.map((r) => r.teardownSeconds)),
        medianDeleteToGoneSeconds: median(results.map((r) => r.deleteToGoneSeconds)),
        serverSeconds: results.map((r) => r.serverSeconds),
        exitCodes: results.map((r) => r.exitCode),
    }));
});
