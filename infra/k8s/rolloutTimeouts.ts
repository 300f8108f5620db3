/**
 * How long `pulumi up` waits for the Deployment before it fails: the Kubernetes provider's
 * `customTimeouts` (create, update), derived from the probes instead of the provider's default of
 * 10 minutes (pulumi-kubernetes v4.25.0 provider/pkg/await/deployment.go
 * `DefaultDeploymentTimeoutMins`). The provider waits for the Deployment's `Available` condition
 * and the new ReplicaSet's ready replicas and fails only at this timeout, so a pod that never
 * becomes healthy costs exactly this long. The Service gets the same timeouts: its await
 * (service.go, also 10 minutes) waits for an endpoint, i.e. for the same pod to be ready, and the
 * engine ends `up` only after every started operation ended. Pure arithmetic; docs/probes.md,
 * "Rollout timeout".
 */
import { replicaCeiling, type ReplicaConfig } from "../config/database";
import { startupBudgetSeconds } from "../probes/timingModel";
import type { Probe } from "../probes/types";

/**
 * Seconds allowed before the container starts: scheduling, binding the data claim, pulling the
 * image and creating the sandbox. Our choice: on the real node of the tests the pod goes from
 * created to started in a few seconds (the image from the loopback registry); a cold pull of the
 * ~150 MB runtime image from a remote registry at 5 MB/s takes about 30 s, doubled for slack.
 */
export const ROLLOUT_START_MARGIN_SECONDS = 60;

/** The Deployment's rollout timeouts, whole seconds. */
export interface RolloutTimeouts {
    /**
     * A first rollout: ROLLOUT_START_MARGIN_SECONDS + the startupProbe's budget (the kubelet kills a
     * container that never passes it by then, `startupBudgetSeconds`) + one readiness period (the
     * kubelet runs the readinessProbe as soon as the startupProbe passes; if `/ready` lags `/health`
     * it passes at the latest one period later).
     */
    createSeconds: number;
    /**
     * An update. Recreate (sqlite): the same, after the old pod ends (up to its grace period).
     * RollingUpdate with maxSurge 1 and maxUnavailable 0 (postgres): the new pods start one after
     * another, each once the previous one is ready, so the create budget once per replica that can
     * run (`replicaCeiling`); the old pods end beside them and add nothing.
     */
    updateSeconds: number;
}

/**
 * @param probes the derived startupProbe and readinessProbe (whole seconds)
 * @param terminationGracePeriodSeconds the pod's grace period (`ragstar:terminationGracePeriodSeconds`)
 * @param replicas the mode and replica count (default: the sqlite mode's one replica)
 * @returns the timeouts in seconds; for the repository's Dockerfile and a 30 s grace period:
 *   60 + 108 + 30 = 198 s to create and 228 s to update in the sqlite mode; in the postgres mode
 *   with 3 replicas, 198 s to create and 3 × 198 = 594 s to update
 * @throws RangeError from `startupBudgetSeconds` when the startupProbe's timeout exceeds its period
 */
export function rolloutTimeouts(
    probes: { startupProbe: Probe; readinessProbe: Probe },
    terminationGracePeriodSeconds: number,
    replicas: ReplicaConfig = { database: "sqlite", replicas: 1 },
): RolloutTimeouts {
    const createSeconds = ROLLOUT_START_MARGIN_SECONDS + startupBudgetSeconds(probes.startupProbe) + probes.readinessProbe.periodSeconds;
    const updateSeconds = replicas.database === "postgres" ? createSeconds * Math.max(1, replicaCeiling(replicas)) : createSeconds + terminationGracePeriodSeconds;
    return { createSeconds, updateSeconds };
}

/** The Pulumi resource option: Go duration strings, as the engine parses them (`"198s"`). */
export function customTimeouts(timeouts: RolloutTimeouts): { create: string; update: string } {
    return { create: `${timeouts.createSeconds}s`, update: `${timeouts.updateSeconds}s` };
}
