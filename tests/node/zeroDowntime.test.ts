/**
 * Zero downtime in the postgres mode (issue 14 §3), on the real node: two replicas on a PostgreSQL
 * server that the host runs on the node's link (scripts/node/postgres), behind the Service. A
 * client sends POST /query through the Service's ClusterIP every 50 ms while `pulumi up` applies an
 * image change (a new digest) and then a config change (`ragstar:app.log_level`). Each rolls both
 * pods with RollingUpdate (maxUnavailable 0, maxSurge 1); the old pods drain (/ready 503, still
 * serving) before they stop accepting. Every request must succeed. The sqlite mode's window for
 * the same kind of change is tests/node/rolloutTiming.test.ts's (Recreate).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { kubectl, kubectlJson, nodeFacts, openTestStack, pushedImage, serviceAddress, type TestStack } from "../../infra/tools/node/nodeCluster";
import { pollUrl } from "../../infra/tools/node/rolloutTiming";
import type { Poll } from "../../infra/tools/node/rolloutStats";
import { ROOT_DIR } from "../../infra/paths";
import { pushDerivedImage } from "./lib/derivedImage";

const NAMESPACE = "ragstar-node-zero";
const EVERY_MS = 50;

let deployed: TestStack;
let pgDir: string;
let polls: Poll[] = [];
let podsSeen = new Set<string>();

function postgres(args: string[]): string {
    const result = spawnSync("bash", [path.join(ROOT_DIR, "scripts/node/postgres"), ...args], { encoding: "utf8", timeout: 300_000 });
    if (result.status !== 0) throw new Error(`scripts/node/postgres ${args[0]} failed: ${result.stderr}`);
    return result.stdout.trim();
}

const livePods = () => kubectlJson<{ items: any[] }>(["-n", NAMESPACE, "get", "pods", "-l", "app.kubernetes.io/name=ragstar"]).items.filter((p) => !p.metadata.deletionTimestamp);

beforeAll(async () => {
    const node = nodeFacts();
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-node-pg-"));
    fs.chmodSync(parent, 0o755); // the server runs as the postgres user, which must reach its folder
    pgDir = path.join(parent, "cluster");
    const url = postgres(["start", pgDir, node.hostIp]);
    const port = Number(new URL(url).port);
    const image = pushedImage();
    // The postgres mode: two replicas, the URL as a secret, the host's address as the database's egress.
    const mode = {
        "ragstar:database": { value: "postgres" },
        "ragstar:replicas": { value: "2" },
        "ragstar:databaseUrl": { value: url, secret: true },
        "ragstar:network": { value: JSON.stringify({ database: { cidr: `${node.hostIp}/32`, ports: [{ port }] } }) },
    };
    deployed = await openTestStack(NAMESPACE, image, mode);
    try {
        await deployed.stack.up();
    } catch (error) {
        // The pods' own words (e.g. the store's error) say more than the provider's timeout.
        for (const pod of livePods()) process.stdout.write(`--- ${pod.metadata.name}\n${kubectl(["-n", NAMESPACE, "logs", pod.metadata.name, "--tail=30"])}\n`);
        throw error;
    }
    podsSeen = new Set(livePods().map((p) => p.metadata.name));

    const next = pushDerivedImage(image, ["LABEL dev.ragstar.test=zero-downtime"], "ragstar-zero", "v2");
    const serviceUrl = `http://${serviceAddress(NAMESPACE)}/query`;
    // POST /query every 50 ms, each cut at 2 s, on keep-alive connections (Node's fetch pools them).
    const poller = pollUrl(serviceUrl, EVERY_MS, 2000, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "http client" }) });
    try {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const imageChange = await deployed.reconfigure({
            ...mode,
            "ragstar:image.ref": { value: next },
        });
        expect((await imageChange.up()).summary.result).toBe("succeeded");
        for (const pod of livePods()) podsSeen.add(pod.metadata.name);
        const configChange = await deployed.reconfigure({
            ...mode,
            "ragstar:image.ref": { value: next },
            "ragstar:app.log_level": { value: "info" },
        });
        expect((await configChange.up()).summary.result).toBe("succeeded");
        await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
        polls = await poller.stop();
    }
    for (const pod of livePods()) podsSeen.add(pod.metadata.name);
}, 900_000);

afterAll(async () => {
    await deployed?.dispose();
    if (pgDir) {
        postgres(["stop", pgDir]);
        fs.rmSync(path.dirname(pgDir), { recursive: true, force: true });
    }
});

test("two replicas on PostgreSQL rolled twice (image, then config) while every request through the Service succeeded", () => {
    const failures = polls.filter((p) => !p.ok);
    const byReason: Record<string, number> = {};
    for (const f of failures) byReason[f.detail ?? "?"] = (byReason[f.detail ?? "?"] ?? 0) + 1;
    console.log(`zero-downtime: ${polls.length} requests (every ${EVERY_MS} ms), ${failures.length} failed ${JSON.stringify(byReason)}; pods seen ${podsSeen.size}`);
    // Both changes replaced both pods: the first two, two for the image, two for the config.
    expect(podsSeen.size).toBe(6);
    expect(polls.length).toBeGreaterThan(200);
    expect(failures).toEqual([]);
});

test("the replicas run the new image and config, with the rolling strategy and a budget", () => {
    const deployment = kubectlJson(["-n", NAMESPACE, "get", "deployment", "ragstar"]);
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(deployment.status).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 });
    expect(deployment.spec.template.spec.containers[0].image).toContain("ragstar-zero@sha256:");
    expect(kubectlJson(["-n", NAMESPACE, "get", "poddisruptionbudget", "ragstar"]).spec.maxUnavailable).toBe(1);
});
