/**
 * The Kubernetes Probe shapes this package emits (core/v1 Probe, HTTPGetAction,
 * ExecAction; https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Probe).
 * Plain data, so the derivation stays a pure function and the CLI can print it as JSON.
 */

/** `httpGet`: the kubelet requests `scheme://<pod IP>:port/path` and succeeds on 200–399. */
export interface HttpGetAction {
    path: string;
    /** Numeric container port (1–65535). */
    port: number;
    scheme: "HTTP" | "HTTPS";
    httpHeaders?: { name: string; value: string }[];
}

/** `exec`: the kubelet runs `command` in the container (no shell unless the command is one) and succeeds on exit 0. */
export interface ExecAction {
    command: string[];
}

export type ProbeAction = { httpGet: HttpGetAction } | { exec: ExecAction };

/** A Kubernetes Probe. All durations are whole seconds; thresholds are counts. */
export type Probe = ProbeAction & {
    periodSeconds: number;
    timeoutSeconds: number;
    failureThreshold: number;
    successThreshold: number;
};

/**
 * The derived probe set. Every HEALTHCHECK yields a startupProbe, with or without a start period:
 * Docker's first check waits one interval, so without it the kubelet could restart a slow starter
 * before Docker would report it unhealthy (docs/probes.md, "Timing model").
 */
export interface ProbeSet {
    livenessProbe: Probe;
    readinessProbe: Probe;
    startupProbe: Probe;
}
