/**
 * The Deployment's rollout timeouts (infra/k8s/rolloutTimeouts.ts): the startup budget of the
 * derived startupProbe plus the start margin and one readiness period, and the grace period on
 * update; and the program hands them to the engine as the Deployment's `customTimeouts`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { customTimeouts, ROLLOUT_START_MARGIN_SECONDS, rolloutTimeouts } from "../../infra/k8s/rolloutTimeouts";
import { probeTiming } from "../../infra/probes/derive";
import type { Probe } from "../../infra/probes/types";
import { withRequiredSecrets } from "../../infra/tools/render/render";
import { readStackFile } from "../../infra/tools/render/stackFile";
import { runLikeLanguageHost } from "./languageHost";
import { REPO_ROOT } from "./projectFixture";

const action = { httpGet: { path: "/health", port: 8000, scheme: "HTTP" as const } };
const probe = (periodSeconds: number, timeoutSeconds: number, failureThreshold: number): Probe => ({ ...action, periodSeconds, timeoutSeconds, failureThreshold, successThreshold: 1 });
const MS = 1_000_000n;

test("this repository's Dockerfile (startup 5 s × 21, timeout 3 s; readiness every 30 s), grace 30 s: 60 + 108 + 30 = 198 s to create, 228 s to update", () => {
    const t = probeTiming({ intervalNs: 30_000n * MS, timeoutNs: 3_000n * MS, startPeriodNs: 10_000n * MS, startIntervalNs: 5_000n * MS, retries: 3 });
    const timeouts = rolloutTimeouts({ startupProbe: { ...action, ...t.startup, successThreshold: 1 }, readinessProbe: { ...action, ...t.readiness, successThreshold: 1 } }, 30);
    expect(ROLLOUT_START_MARGIN_SECONDS).toBe(60);
    expect(timeouts).toEqual({ createSeconds: 198, updateSeconds: 228 });
    expect(customTimeouts(timeouts)).toEqual({ create: "198s", update: "228s" });
});

test("each term counts once: a longer startup period, readiness period or grace period lengthens the timeouts by exactly that much", () => {
    const base = rolloutTimeouts({ startupProbe: probe(5, 3, 21), readinessProbe: probe(30, 3, 3) }, 30);
    expect(rolloutTimeouts({ startupProbe: probe(6, 3, 21), readinessProbe: probe(30, 3, 3) }, 30).createSeconds - base.createSeconds).toBe(21);
    expect(rolloutTimeouts({ startupProbe: probe(5, 3, 21), readinessProbe: probe(40, 3, 3) }, 30).createSeconds - base.createSeconds).toBe(10);
    expect(rolloutTimeouts({ startupProbe: probe(5, 3, 21), readinessProbe: probe(30, 3, 3) }, 45)).toEqual({ createSeconds: base.createSeconds, updateSeconds: base.createSeconds + 45 });
});

test("a startupProbe whose timeout exceeds its period has no budget: the error says why", () => {
    expect(() => rolloutTimeouts({ startupProbe: probe(2, 3, 4), readinessProbe: probe(30, 3, 3) }, 30)).toThrow("startupProbe timeoutSeconds 3 exceeds periodSeconds 2");
});

test("postgres mode (RollingUpdate, maxSurge 1): the update budget once per replica that can run; the grace period adds nothing", () => {
    const probes = { startupProbe: probe(5, 3, 21), readinessProbe: probe(30, 3, 3) };
    const sqlite = rolloutTimeouts(probes, 30);
    expect(rolloutTimeouts(probes, 30, { database: "postgres", replicas: 3 })).toEqual({ createSeconds: sqlite.createSeconds, updateSeconds: 3 * sqlite.createSeconds });
    expect(rolloutTimeouts(probes, 45, { database: "postgres", autoscaling: { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 } }).updateSeconds).toBe(6 * sqlite.createSeconds);
    expect(rolloutTimeouts(probes, 30, { database: "postgres", replicas: 0 }).updateSeconds).toBe(sqlite.createSeconds);
});

test("the program registers the Deployment and the Service (which waits for the same pod) with these customTimeouts, and no other resource with any", async () => {
    // dev: sqlite, grace 30 s → 198 s and 228 s. prod: postgres with up to 6 replicas → 198 s and 6 × 198 = 1188 s.
    expect(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8")).toMatch(/maxReplicas: 6/);
    for (const [stack, update] of [["dev", "228s"], ["prod", "1188s"]]) {
        const { config, secretKeys } = withRequiredSecrets(readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "ragstar"));
        // prod verifies its image's signature in a registry (tests/supplyChain judges that); here only the timeouts count.
        delete config["ragstar:supplyChain"];
        const run = await runLikeLanguageHost(REPO_ROOT, stack, config, (type, inputs) => (type === "docker:index/image:Image" ? { ...inputs, repoDigest: `${String(inputs.imageName).replace(/:[^/:]*$/, "")}@sha256:${"a".repeat(64)}` } : inputs), secretKeys);
        expect({ stack, exitCode: run.exitCode, logs: run.exitCode === 0 ? [] : run.logs.filter((line) => line.startsWith("3:")) }).toEqual({ stack, exitCode: 0, logs: [] });
        const timed = run.registrations.filter((r) => r.customTimeouts);
        expect(timed.map((r) => [r.type, r.customTimeouts]).sort()).toEqual([
            ["kubernetes:apps/v1:Deployment", { create: "198s", update }],
            ["kubernetes:core/v1:Service", { create: "198s", update }],
        ]);
    }
}, 240_000);
