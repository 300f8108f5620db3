/**
 * Docker helpers only the tests use, over the client wrappers of infra/tools/docker/docker.ts:
 * execute a probe as the kubelet would, gather a container's evidence (state, health log, log
 * tail) so a failure message explains itself rather than being a bare timeout, and delete a
 * pushed manifest.
 */
import type { Probe } from "../../infra/probes/types";
import { containerAddress, docker, tail } from "../../infra/tools/docker/docker";

/** Delete a manifest by digest (registry API v2; the registry must allow deletes). Best effort. */
export async function deleteManifest(registry: string, repository: string, digest: string, auth: { username: string; password: string }): Promise<number> {
    const response = await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, {
        method: "DELETE",
        headers: { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` },
    });
    return response.status;
}

/** Everything that explains a container's state: status, health log and log tail. */
export function containerEvidence(name: string): string {
    const state = docker(["inspect", "--format", "{{json .State}}", name]).stdout.trim();
    const logs = docker(["logs", "--tail", "40", name]);
    return `container ${name} state: ${state}\ncontainer log tail:\n${tail(`${logs.stdout}${logs.stderr}`, 40)}`;
}

/** Outcome of one probe attempt. */
export interface ProbeAttempt {
    ok: boolean;
    detail: string;
}

/**
 * Execute a Kubernetes probe against a running container once, as the kubelet would:
 * httpGet to the container's address (success: status 200–399), exec through `docker exec`
 * (success: exit 0), each bounded by the probe's timeoutSeconds.
 */
export async function executeProbe(probe: Probe, container: string): Promise<ProbeAttempt> {
    if ("httpGet" in probe) {
        const { path: urlPath, port, scheme, httpHeaders } = probe.httpGet;
        const address = containerAddress(container);
        if (address === "") return { ok: false, detail: `container ${container} has no network address (it is not running)` };
        const url = `${scheme.toLowerCase()}://${address}:${port}${urlPath}`;
        try {
            const response = await fetch(url, {
                headers: Object.fromEntries((httpHeaders ?? []).map((h) => [h.name, h.value])),
                signal: AbortSignal.timeout(probe.timeoutSeconds * 1000),
                redirect: "manual",
            });
            return { ok: response.status >= 200 && response.status < 400, detail: `GET ${url} → ${response.status}` };
        } catch (error) {
            const cause = (error as { cause?: { code?: string; message?: string } }).cause;
            return { ok: false, detail: `GET ${url} → ${cause?.code ?? cause?.message ?? (error as Error).message}` };
        }
    }
    const result = docker(["exec", container, ...probe.exec.command], { timeoutMs: probe.timeoutSeconds * 1000 });
    return { ok: result.code === 0, detail: `exec ${probe.exec.command.join(" ")} → exit ${result.code} ${tail(result.stderr, 3)}` };
}
