/**
 * The probe-timing pod for the real node (tests/node/probeTiming.test.ts, `bench:rollout`): the
 * health-switch fixture (tests/image/fixtures/healthswitch) as a bare Pod, with one of three probe
 * sets, hardened as every RAGstar pod is (infra/k8s/securityContext.ts). Pure: objects out, no I/O.
 *
 * The probe sets, all from the fixture's Dockerfile:
 *   derived            this package's mapping (`deriveProbes`) of its HEALTHCHECK as written
 *   start-interval-1s  the same with `--start-interval=1s` added to the HEALTHCHECK line: the
 *                      startupProbe's period becomes max(sec(SI), sec(T)) (infra/probes/derive.ts)
 *   kompose            what Kompose writes for a compose healthcheck (kubernetes/kompose
 *                      pkg/transformer/kubernetes/podspec.go `configProbe`): a livenessProbe only,
 *                      periodSeconds = interval, timeoutSeconds = timeout, failureThreshold =
 *                      retries, initialDelaySeconds = start period; no startup or readiness probe
 */
import { readStageFacts } from "../../dockerfile/facts";
import type { HealthcheckTiming } from "../../dockerfile/healthcheck";
import { deriveProbes, wholeSeconds } from "../../probes/derive";
import type { Probe, ProbeAction } from "../../probes/types";
import { containerSecurityContext, podSecurityContext } from "../../k8s/securityContext";

/** The probe sets compared on the node. */
export const PROBE_VARIANTS = ["derived", "start-interval-1s", "kompose"] as const;
export type ProbeVariant = (typeof PROBE_VARIANTS)[number];

/** A Probe as Kompose writes it: the mapping's fields plus initialDelaySeconds. */
export type KomposeProbe = Probe & { initialDelaySeconds: number };

/** The probes a variant puts on the container; absent ones are not set. */
export interface PodProbes {
    livenessProbe?: Probe | KomposeProbe;
    readinessProbe?: Probe;
    startupProbe?: Probe;
}

/** A variant's probes and the HEALTHCHECK timing they came from (ns, as the Dockerfile reader gives it). */
export interface VariantProbes {
    variant: ProbeVariant;
    check: HealthcheckTiming;
    probes: PodProbes;
}

/**
 * The Dockerfile text with `flag` inserted after the `HEALTHCHECK` keyword of its only HEALTHCHECK.
 *
 * @param flag e.g. `--start-interval=1s`
 * @throws Error when the text has no HEALTHCHECK line, or more than one
 */
export function withHealthcheckFlag(dockerfile: string, flag: string): string {
    const lines = dockerfile.split("\n");
    const at = lines.map((line, i) => (/^HEALTHCHECK\s/i.test(line) ? i : -1)).filter((i) => i >= 0);
    if (at.length !== 1) throw new Error(`expected one HEALTHCHECK line, found ${at.length}`);
    lines[at[0]] = lines[at[0]].replace(/^(HEALTHCHECK)\s+/i, `$1 ${flag} `);
    return lines.join("\n");
}

/**
 * Kompose's livenessProbe for a HEALTHCHECK: its timing in whole seconds (sec(d), as this package
 * rounds; Kompose reads whole seconds from the compose file), the same action as ours.
 */
export function komposeLiveness(check: HealthcheckTiming, action: ProbeAction): KomposeProbe {
    return {
        ...action,
        periodSeconds: wholeSeconds(check.intervalNs),
        timeoutSeconds: wholeSeconds(check.timeoutNs),
        failureThreshold: check.retries,
        successThreshold: 1,
        initialDelaySeconds: check.startPeriodNs === 0n ? 0 : wholeSeconds(check.startPeriodNs),
    };
}

/**
 * A variant's probes from a Dockerfile's text.
 *
 * @param file the path, for error messages
 * @throws DockerfileError as `deriveProbes` does (no HEALTHCHECK, unmappable command)
 */
export function variantProbes(variant: ProbeVariant, dockerfile: string, file: string): VariantProbes {
    const text = variant === "start-interval-1s" ? withHealthcheckFlag(dockerfile, "--start-interval=1s") : dockerfile;
    const facts = readStageFacts(text, file);
    const derived = deriveProbes(facts).probes;
    const check = facts.healthcheck;
    if (!derived || !check || check.kind === "none") throw new Error(`${file}: no HEALTHCHECK to derive probes from`);
    const timing: HealthcheckTiming = { intervalNs: check.intervalNs, timeoutNs: check.timeoutNs, startPeriodNs: check.startPeriodNs, startIntervalNs: check.startIntervalNs, retries: check.retries };
    if (variant === "kompose") {
        const { successThreshold: _s, periodSeconds: _p, timeoutSeconds: _t, failureThreshold: _f, ...action } = derived.livenessProbe;
        return { variant, check: timing, probes: { livenessProbe: komposeLiveness(timing, action as ProbeAction) } };
    }
    return { variant, check: timing, probes: derived };
}

/** What the pod needs besides its probes. */
export interface ProbePodArgs {
    name: string;
    namespace: string;
    /** Digest-pinned image reference of the health-switch fixture. */
    image: string;
    /** A kubernetes.io/dockerconfigjson Secret in the namespace. */
    pullSecret: string;
    /** The real node's name (kubernetes.io/hostname), so the pod never lands on kwok's node. */
    nodeName: string;
    /** The container's args after the ENTRYPOINT `/healthswitch serve`, e.g. `["--mode=fail"]`. */
    serveArgs: string[];
    probes: PodProbes;
    /** UID and GID (the fixture is `FROM scratch` with no USER; any non-root UID runs it). */
    uid: number;
}

/** The fixture's port (tests/image/fixtures/healthswitch/main.go listens on 0.0.0.0:8080). */
export const HEALTHSWITCH_PORT = 8080;

/**
 * The Pod object (core/v1), plain JSON for `kubectl apply`: restartPolicy Always (the kubelet
 * restarts the container it kills), the hardened pod and container securityContext, no service
 * account token, no service links, pinned to `nodeName` by a nodeSelector.
 */
export function probePod(args: ProbePodArgs): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: args.name, namespace: args.namespace, labels: { "app.kubernetes.io/name": "healthswitch" } },
        spec: {
            restartPolicy: "Always",
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            nodeSelector: { "kubernetes.io/hostname": args.nodeName },
            imagePullSecrets: [{ name: args.pullSecret }],
            securityContext: podSecurityContext(args.uid),
            terminationGracePeriodSeconds: 5,
            containers: [{
                name: "healthswitch",
                image: args.image,
                imagePullPolicy: "IfNotPresent",
                args: args.serveArgs,
                ports: [{ name: "http", containerPort: HEALTHSWITCH_PORT, protocol: "TCP" }],
                securityContext: containerSecurityContext(args.uid),
                ...args.probes,
            }],
        },
    };
}
