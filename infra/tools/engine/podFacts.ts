/**
 * The pods of a Deployment, their events and their last log lines, read with kubectl (KUBE_BIN,
 * else PATH; KUBECONFIG as scripts/main sets it). Thin: the reading is here, the judging in
 * rolloutDiagnosis.ts. Reads Pods, Events and logs only; never Secrets, never a container's env.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

import { DEFAULT_LIMITS, rolloutDiagnosis, type DiagnosisLimits, type EventJson, type LogTail, type PodFacts } from "./rolloutDiagnosis";

/** kubectl's result: stdout, or the error text. */
function kubectl(args: string[]): { ok: true; stdout: string } | { ok: false; error: string } {
    const binary = process.env.KUBE_BIN ? path.join(process.env.KUBE_BIN, "kubectl") : "kubectl";
    const result = spawnSync(binary, args, { encoding: "utf8", timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
    if (result.status === 0) return { ok: true, stdout: result.stdout };
    return { ok: false, error: (result.stderr || String(result.error ?? `exit ${result.status}`)).trim() };
}

function kubectlJson(args: string[]): any {
    const result = kubectl([...args, "-o", "json"]);
    if (!result.ok) throw new Error(`kubectl ${args.join(" ")}: ${result.error}`);
    return JSON.parse(result.stdout);
}

/**
 * The Deployment's pods (newest first: those of the failing rollout), each with its events and
 * the last `logLines` log lines of each container, and of its previous instance when it restarted.
 *
 * @throws Error when the Deployment or its pods cannot be read
 */
export function readPodFacts(namespace: string, deployment: string, logLines: number = DEFAULT_LIMITS.logLines): PodFacts[] {
    const selector = kubectlJson(["-n", namespace, "get", "deployment", deployment]).spec.selector.matchLabels as Record<string, string>;
    const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(",");
    const pods: any[] = kubectlJson(["-n", namespace, "get", "pods", "-l", labels]).items;
    pods.sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    return pods.map((pod) => {
        const name = pod.metadata.name;
        const events: EventJson[] = kubectlJson(["-n", namespace, "get", "events", "--field-selector", `involvedObject.kind=Pod,involvedObject.name=${name}`]).items;
        const logs: LogTail[] = [];
        for (const status of pod.status?.containerStatuses ?? []) {
            const read = (previous: boolean): LogTail => {
                const result = kubectl(["-n", namespace, "logs", name, "-c", status.name, `--tail=${logLines}`, ...(previous ? ["--previous"] : [])]);
                return result.ok ? { container: status.name, previous, text: result.stdout } : { container: status.name, previous, text: null, error: result.error.split("\n")[0] };
            };
            if ((status.restartCount ?? 0) > 0) logs.push(read(true));
            logs.push(read(false));
        }
        return { pod, events, logs };
    });
}

/**
 * The diagnosis text of the Deployment's rollout (rolloutDiagnosis), or one line saying why it
 * could not be read: a diagnosis must not hide the failure it explains.
 */
export function diagnoseRollout(namespace: string, deployment: string, limits: DiagnosisLimits = DEFAULT_LIMITS): string {
    try {
        return rolloutDiagnosis(`${namespace}/${deployment}`, readPodFacts(namespace, deployment, limits.logLines), limits).join("\n");
    } catch (error) {
        return `rollout diagnosis of Deployment ${namespace}/${deployment} unavailable: ${(error as Error).message.split("\n")[0]}`;
    }
}
