/**
 * The service on the real node builds an index from the GitHub and Ollama fakes and keeps it
 * across a pod restart: the Deployment's replacement pod mounts the same `local` volume and
 * answers the same ranking and summaries. The fakes run on the host at the node IP (the pod's
 * gateway); the stack's NetworkPolicy allows egress to exactly that address and the fakes'
 * ports (`ragstar:network.egress`), as a user's stack would for its GitHub and Ollama.
 * Calls go through the Service's ClusterIP, which the node's kube-proxy routes on this host.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { ROOT_DIR } from "../../infra/paths";
import { kubectl, kubectlJson, nodeFacts, openTestStack, pushedImage, ragstarPod, serviceAddress, type TestStack } from "../../infra/tools/node/nodeCluster";
import { startFakes, type Fakes } from "./lib/fakes";
import { callJson, replacementPod, until200 } from "./lib/pods";

const NAMESPACE = "ragstar-node-index";
// Every repository of the service tests' fixture corpus, so rankings match theirs (and tests/image/pipeline.test.ts).
const REPOSITORIES = [...fs.readFileSync(path.join(ROOT_DIR, "tests/service/corpus.py"), "utf8").matchAll(/FixtureRepo\(\s*"([\w.-]+\/[\w.-]+)"/g)].map((m) => `https://github.com/${m[1]}`);
const QUERY = "fuzzy finder for the command line";
const EXPECTED_TOP3 = ["junegunn/fzf", "BurntSushi/ripgrep", "encode/httpx"];

let fakes: Fakes;
let deployed: TestStack;
let base: string;

const ranking = async (query: string): Promise<string[]> => {
    const reply = await callJson(`${base}/query`, "POST", { query, num_results: 3 });
    expect(reply.status).toBe(200);
    return reply.json.results.map((hit: { name: string }) => hit.name);
};

/** The pod's last log lines and the fakes' output, for a failure message. */
function evidence(): string {
    let logs = "";
    try {
        logs = kubectl(["-n", NAMESPACE, "logs", "-l", "app.kubernetes.io/name=ragstar", "--tail", "30"]);
    } catch (error) {
        logs = (error as Error).message;
    }
    return `\npod log:\n${logs}\nfakes:\n${fakes?.output()}`;
}

beforeAll(async () => {
    const node = nodeFacts();
    expect(REPOSITORIES.length).toBeGreaterThanOrEqual(5);
    fakes = await startFakes(node.hostIp);
    const network = { egress: [{ cidr: `${node.hostIp}/32`, ports: [{ port: fakes.githubPort }, { port: fakes.ollamaPort }] }] };
    deployed = await openTestStack(NAMESPACE, pushedImage(), {
        "ragstar:app.github_api_url": { value: fakes.githubUrl },
        "ragstar:app.ollama_base_url": { value: fakes.ollamaUrl },
        "ragstar:network": { value: JSON.stringify(network) },
    });
    const up = await deployed.stack.up();
    expect(up.summary.result).toBe("succeeded");
    base = `http://${serviceAddress(NAMESPACE)}`;
    await until200(`${base}/ready`);
});

afterAll(async () => {
    await deployed?.dispose();
    await fakes?.stop();
});

test("the deployed NetworkPolicy lets the pod out to the fakes on the node IP, and the config points the service at them", () => {
    const policy = kubectlJson(["-n", NAMESPACE, "get", "networkpolicy", "ragstar"]);
    expect(policy.spec.egress).toContainEqual({
        to: [{ ipBlock: { cidr: `${nodeFacts().hostIp}/32` } }],
        ports: [{ port: fakes.githubPort, protocol: "TCP" }, { port: fakes.ollamaPort, protocol: "TCP" }],
    });
    const configMap = kubectlJson(["-n", NAMESPACE, "get", "configmap", "-l", "app.kubernetes.io/name=ragstar"]).items[0];
    expect(configMap.data["ragstar.yaml"]).toContain(`github_api_url: ${fakes.githubUrl}`);
    expect(configMap.data["ragstar.yaml"]).toContain(`ollama_base_url: ${fakes.ollamaUrl}`);
});

test("an index built from the fakes survives the pod's deletion: the new pod answers the same ranking and summaries from the same volume", async () => {
    const build = await callJson(`${base}/build`, "POST", { repositories: REPOSITORIES });
    expect(build.status).toBe(202);
    const started = Date.now();
    let job = (await callJson(`${base}/jobs/${build.json.job_id}`)).json;
    while (job.status === "queued" || job.status === "running") {
        if (Date.now() - started > 120_000) throw new Error(`job still ${job.status}${evidence()}`);
        await new Promise((r) => setTimeout(r, 250));
        job = (await callJson(`${base}/jobs/${build.json.job_id}`)).json;
    }
    if (job.status !== "succeeded") throw new Error(`job ${job.status}: ${JSON.stringify(job)}${evidence()}`);
    expect(await ranking(QUERY)).toEqual(EXPECTED_TOP3);
    const summaries = (await callJson(`${base}/summaries`)).json;
    expect(summaries.total).toBe(REPOSITORIES.length);

    // The index lives on the reserved local volume, on the host.
    const before = ragstarPod(NAMESPACE);
    const claim = before.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName;
    const volumeName = kubectlJson(["-n", NAMESPACE, "get", "pvc", claim]).spec.volumeName;
    const hostPath = kubectlJson(["get", "pv", volumeName]).spec.local.path;
    expect(fs.readdirSync(hostPath)).toContain("ragstar.sqlite3");

    kubectl(["-n", NAMESPACE, "delete", "pod", before.metadata.name, "--wait=true"]);
    const after = await replacementPod(NAMESPACE, before.metadata.name);
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(after.spec.nodeName).toBe(nodeFacts().name);
    expect(kubectlJson(["-n", NAMESPACE, "get", "pvc", claim]).spec.volumeName).toBe(volumeName);
    await until200(`${base}/ready`);

    expect(await ranking(QUERY)).toEqual(EXPECTED_TOP3);
    expect((await callJson(`${base}/summaries`)).json).toEqual(summaries);
    const jobAfter = (await callJson(`${base}/jobs/${build.json.job_id}`)).json;
    expect(jobAfter.status).toBe("succeeded");
});
