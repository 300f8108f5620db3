/**
 * Working with the running ragstar pod of a test stack: a Python snippet run inside its
 * container (`kubectl exec`, as the container's own user), waiting for the Deployment's
 * replacement pod, and JSON calls to the service through its Service ClusterIP.
 */
import { kubectl, ragstarPod } from "../../../infra/tools/node/nodeCluster";

/** Name of the container in the ragstar pod (infra/k8s/podSpec.ts CONTAINER_NAME). */
export const CONTAINER = "ragstar";

/**
 * Run `python -c script` in the ragstar container of `pod` and return its stdout, trimmed.
 * @throws Error with stderr when the snippet fails (non-zero exit)
 */
export function execPython(namespace: string, pod: string, script: string): string {
    return kubectl(["-n", namespace, "exec", pod, "-c", CONTAINER, "--", "python", "-c", script]).trim();
}

/** The pod's Ready condition is True. */
export function isReady(pod: any): boolean {
    return (pod.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
}

/**
 * Wait until the Deployment's single pod is not `previous` (a pod name) and is Ready; returns its JSON.
 * @throws Error after `timeoutMs` with the last state seen
 */
export async function replacementPod(namespace: string, previous: string, timeoutMs = 180_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last = "no pod yet";
    while (Date.now() < deadline) {
        try {
            const pod = ragstarPod(namespace);
            if (pod.metadata.name !== previous && isReady(pod)) return pod;
            last = `${pod.metadata.name}: ${pod.status.phase}, ready ${isReady(pod)}`;
        } catch (error) {
            last = (error as Error).message;
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`no Ready replacement of ${previous} in ${namespace} within ${timeoutMs} ms; last: ${last}`);
}

/** One HTTP exchange with a JSON body (`json` is undefined when the body is not JSON). */
export interface JsonReply {
    status: number;
    json: any;
}

/** `method url` with an optional JSON body and headers, 10 s timeout. */
export async function callJson(url: string, method = "GET", body?: unknown, headers: Record<string, string> = {}): Promise<JsonReply> {
    const response = await fetch(url, {
        method,
        headers: { ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let json: any;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: response.status, json };
}

/**
 * Poll `url` until it answers 200 (e.g. `/ready` through the Service once its endpoints follow a new pod).
 * @throws Error after `timeoutMs` with the last status or error
 */
export async function until200(url: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        try {
            const reply = await callJson(url);
            if (reply.status === 200) return;
            last = `HTTP ${reply.status} ${JSON.stringify(reply.json)}`;
        } catch (error) {
            last = String((error as Error).cause ?? error);
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${url} did not answer 200 within ${timeoutMs} ms; last: ${last}`);
}
