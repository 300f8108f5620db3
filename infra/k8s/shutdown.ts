/**
 * The service's shutdown timings, derived from the pod's terminationGracePeriodSeconds so that a
 * stopping pod always exits before the kubelet's SIGKILL. The service (`python -m ragstar`, the
 * image's command; src/ragstar/__main__.py) spends the grace period in three steps:
 *
 *   drain (`drain_seconds`)  →  requests in flight, then the job step (`shutdown_timeout_seconds`)  →  exit
 *
 * During the drain /ready answers 503 and everything else is still served, so endpoints and load
 * balancers stop sending before the server stops accepting connections. Only the postgres mode
 * drains: there the other replicas take the traffic. The sqlite mode's one pod has no one to hand
 * over to, and with the Recreate strategy a drain would only lengthen the update's downtime.
 * docs/database.md, "Draining".
 */
import type { DatabaseMode } from "../config/database";

/** Seconds kept back for the exit itself: closing the store and the HTTP clients, Python's teardown. */
export const EXIT_MARGIN_SECONDS = 2;

/**
 * The longest drain: kube-proxy and the EndpointSlice controller take a terminating pod out of a
 * Service within about a second on the test node (tests/node); 5 s leaves room on a busy cluster.
 */
export const MAX_DRAIN_SECONDS = 5;

/** The smallest grace period the timings fit in: 1 s of shutdown after the exit margin. */
export const MIN_GRACE_SECONDS = EXIT_MARGIN_SECONDS + 1;

/** The service settings of the shutdown (ragstar.yaml keys), in seconds. */
export interface ShutdownSettings {
    drain_seconds: number;
    shutdown_timeout_seconds: number;
}

/**
 * @param terminationGracePeriodSeconds the pod's grace period, whole seconds ≥ MIN_GRACE_SECONDS
 * @param database the mode: only postgres drains
 * @returns drain = min(MAX_DRAIN_SECONDS, ⌊(grace − margin) / 3⌋) in the postgres mode, else 0;
 *   shutdown timeout = grace − drain − margin. The default grace of 30 s: 5 s + 23 s (postgres), 0 s + 28 s (sqlite)
 * @throws RangeError for a grace period below MIN_GRACE_SECONDS (the stack config refuses it first)
 */
export function shutdownSettings(terminationGracePeriodSeconds: number, database: DatabaseMode): ShutdownSettings {
    if (terminationGracePeriodSeconds < MIN_GRACE_SECONDS) {
        throw new RangeError(`terminationGracePeriodSeconds ${terminationGracePeriodSeconds} is below ${MIN_GRACE_SECONDS}`);
    }
    const usable = terminationGracePeriodSeconds - EXIT_MARGIN_SECONDS;
    const drain = database === "postgres" ? Math.min(MAX_DRAIN_SECONDS, Math.floor(usable / 3)) : 0;
    return { drain_seconds: drain, shutdown_timeout_seconds: usable - drain };
}
