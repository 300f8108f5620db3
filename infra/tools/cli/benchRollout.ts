/**
 * `npm run --silent bench:rollout [-- --runs N] [--only probes|recreate]`
 *
 * Rollouts and probes on the real node (issue 13 §3), medians of N runs (default 3), one JSON object:
 *   node_start_s             the node's start: RAGSTAR_NODE_START_SECONDS when the scripts exported it,
 *                            else its containerd process's start → the node's Ready condition
 *                            (lastTransitionTime, 1 s resolution), one sample: the running node's last start
 *   probes.<variant>         for each probe set of infra/tools/node/probePod.ts (derived, start-interval-1s,
 *                            kompose) on the health-switch fixture: pod created → Ready, app listening →
 *                            Ready, fault → kill (the app's SIGTERM) and → restart seen, never healthy →
 *                            kill (infra/tools/node/probeTiming.ts)
 *   recreate                 the project's `local` stack (infra/tools/node/nodeCluster.ts openTestStack): a
 *                            `ragstar:app.log_level` change through `pulumi up`; the longest outage a
 *                            client polling /health through the Service every 100 ms saw, the new pod's
 *                            uvicorn listening → Ready and → first answer through the Service
 *                            (infra/tools/node/rolloutTiming.ts)
 * Needs the node (scripts/with-cluster), the registry (scripts/with-image-infra) and the Pulumi CLI
 * (scripts/with-pulumi). Progress goes to stderr. Uses namespaces ragstar-node-bench-*.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { nodeFacts, openTestStack, pushedImage, serviceAddress } from "../node/nodeCluster";
import { PROBE_VARIANTS } from "../node/probePod";
import { HEALTHSWITCH_DIR, deleteNamespace, kubectl, prepareNamespace, pushHealthswitch, runHealthy, runNeverHealthy, type HealthyRun, type NeverHealthyRun, type ProbeRunContext } from "../node/probeTiming";
import { measureRecreate, type RecreateRun } from "../node/rolloutTiming";
import type { PushTarget } from "../docker/docker";
import { median, seconds } from "../node/rolloutStats";
import { parseCommandLine, positiveInteger, UsageError } from "./commandLine";
import { asFailure, CommandFailure, runCli } from "./runCli";

const USAGE = "usage: npm run --silent bench:rollout [-- --runs N] [--only probes|recreate]";
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** Process start (Unix s, 10 ms resolution) from /proc/<pid>/stat's starttime and the boot time. */
function processStartSeconds(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]); // field 22 of proc(5); fields[0] is field 3
    const boot = Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))?.[1]);
    return boot + ticks / 100; // USER_HZ is 100 on Linux
}

function nodeStart(nodeName: string, nodeDir: string): { seconds: number; source: string } {
    const exported = process.env.RAGSTAR_NODE_START_SECONDS;
    if (exported !== undefined && exported !== "") return { seconds: Number(exported), source: "RAGSTAR_NODE_START_SECONDS" };
    const pid = Number(fs.readFileSync(path.join(nodeDir, "containerd.pid"), "utf8").trim());
    const node = JSON.parse(kubectl(["get", "node", nodeName, "-o", "json"]));
    const ready = node.status.conditions.find((c: { type: string }) => c.type === "Ready");
    const readyAt = Date.parse(ready.lastTransitionTime) / 1000;
    return { seconds: Math.round((readyAt - processStartSeconds(pid)) * 100) / 100, source: "containerd process start → node Ready lastTransitionTime (1 s resolution; one sample, the running node's last start)" };
}

async function main(argv: string[]): Promise<void> {
    try {
        await bench(argv);
    } catch (error) {
        throw asFailure(error);
    }
}

async function bench(argv: string[]): Promise<void> {
    const { values } = parseCommandLine({ args: argv, options: { runs: { type: "string", default: "3" }, only: { type: "string" } } });
    const runs = positiveInteger("--runs", values.runs);
    const only = values.only as string | undefined;
    if (only !== undefined && only !== "probes" && only !== "recreate") throw new UsageError(`--only must be probes or recreate, not ${JSON.stringify(only)}`);
    const node = nodeFacts();
    const { REGISTRY, REGISTRY_USERNAME, REGISTRY_PASSWORD } = process.env;
    if (!REGISTRY || !REGISTRY_USERNAME || !REGISTRY_PASSWORD) throw new CommandFailure("REGISTRY is not set: run through scripts/with-image-infra");
    const push = { registry: REGISTRY, username: REGISTRY_USERNAME, password: REGISTRY_PASSWORD };
    const result: Record<string, unknown> = { runs, node_start: nodeStart(node.name, node.dir) };

    if (only !== "recreate") result.probes = await benchProbes(runs, node.name, push);
    if (only !== "probes") result.recreate = await benchRecreate(runs);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

async function benchProbes(runs: number, nodeName: string, push: PushTarget): Promise<Record<string, unknown>> {
    const probesNamespace = "ragstar-node-bench-probes";
    const ctx: ProbeRunContext = { namespace: probesNamespace, image: pushHealthswitch(push, "bench"), nodeName, dockerfile: fs.readFileSync(path.join(HEALTHSWITCH_DIR, "Dockerfile"), "utf8") };
    prepareNamespace(probesNamespace, push);
    try {
        const probes: Record<string, unknown> = {};
        for (const variant of PROBE_VARIANTS) {
            const samples: { h: HealthyRun; n: NeverHealthyRun }[] = [];
            for (let i = 1; i <= runs; i++) {
                const [h, n] = await Promise.all([runHealthy(ctx, variant, `hs-${variant}-${i}-h`), runNeverHealthy(ctx, variant, `hs-${variant}-${i}-n`)]);
                log(`${variant} ${i}/${runs}: created→Ready ${seconds(h.createdToReadyNs)} s, listening→Ready ${seconds(h.listeningToReadyNs)} s, fault→kill ${seconds(h.faultToKillNs)} s, never healthy→kill ${seconds(n.startToKillNs)} s`);
                samples.push({ h, n });
            }
            const m = (f: (s: (typeof samples)[number]) => bigint) => median(samples.map((s) => seconds(f(s))));
            probes[variant] = {
                probes: samples[0].h.probes.probes,
                pod_created_to_ready_s: m((s) => s.h.createdToReadyNs),
                app_listening_to_ready_s: m((s) => s.h.listeningToReadyNs),
                fault_to_kill_s: m((s) => s.h.faultToKillNs),
                fault_to_restart_seen_s: m((s) => s.h.faultToRestartSeenNs),
                never_healthy_start_to_kill_s: m((s) => s.n.startToKillNs),
            };
        }
        return probes;
    } finally {
        deleteNamespace(probesNamespace);
    }
}

async function benchRecreate(runs: number): Promise<Record<string, unknown>> {
    const namespace = "ragstar-node-bench-rollout";
    const stack = await openTestStack(namespace, pushedImage("bench-rollout"));
    try {
        const up = await stack.stack.up();
        if (up.summary.result !== "succeeded") throw new CommandFailure(`pulumi up of the bench stack: ${up.summary.result}`);
        const url = `http://${serviceAddress(namespace)}/health`;
        const samples: RecreateRun[] = [];
        for (let i = 1; i <= runs; i++) {
            const level = i % 2 === 1 ? "info" : "debug"; // the local stack starts at debug (Pulumi.dev.yaml): every run changes it; both keep uvicorn's INFO lines
            const r = await measureRecreate(namespace, "app.kubernetes.io/name=ragstar", url, async () => {
                const changed = await stack.reconfigure({ "ragstar:app.log_level": { value: level } });
                const result = await changed.up();
                if (result.summary.result !== "succeeded") throw new CommandFailure(`pulumi up (log_level ${level}): ${result.summary.result}`);
            });
            log(`recreate ${i}/${runs}: outage ${seconds(r.outage.gapNs)} s (${r.outage.failedPolls} failed polls), pulumi up ${seconds(r.updateNs)} s, listening→Ready ${seconds(r.listeningToReadyNs)} s, listening→served ${seconds(r.listeningToServedNs)} s`);
            samples.push(r);
        }
        return {
            unavailable_s: median(samples.map((s) => seconds(s.outage.gapNs))),
            failed_polls: median(samples.map((s) => s.outage.failedPolls)),
            pulumi_up_s: median(samples.map((s) => seconds(s.updateNs))),
            app_listening_to_ready_s: median(samples.map((s) => seconds(s.listeningToReadyNs))),
            app_listening_to_served_s: median(samples.map((s) => seconds(s.listeningToServedNs))),
        };
    } finally {
        await stack.dispose();
    }
}

runCli(main, USAGE);
