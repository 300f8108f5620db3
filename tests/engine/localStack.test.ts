import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml } from "yaml";

import { LOCAL_STACK, localBuildArgs, localImageBuildArgs, openLocalStack, type LocalPaths } from "../../infra/tools/engine/localStack";
import { buildAndPushImage } from "../../infra/tools/docker/docker";

import { renderStack } from "../../infra/tools/render/render";
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";
import { ROOT_DIR } from "../../infra/paths";

function required(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run through scripts/with-image-infra and scripts/with-pulumi (scripts/test does)`);
    return value;
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-engine-"));
const paths: LocalPaths = { workDir: path.join(base, "work"), stateDir: path.join(base, "state"), manifestsDir: path.join(base, "manifests") };
let image: string;
let stack: Stack;

/** The stack file the workspace wrote, for the engine-free render of the same config. */
function localStackFile(paths: LocalPaths): string {
    return path.join(paths.workDir, `Pulumi.${LOCAL_STACK}.yaml`);
}

/** The provider's rendered manifests: their files (`renderYamlToDirectory`'s `1-manifest/`), sorted. */
function providerManifests(paths: LocalPaths): string[] {
    const dir = path.join(paths.manifestsDir, "1-manifest");
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => path.join(dir, f)).sort() : [];
}

/** The provider's files as objects, keyed `Kind/name`. */
function providerObjects(): Map<string, KubernetesObject> {
    return new Map(providerManifests(paths).map((file) => {
        const object = parseYaml(fs.readFileSync(file, "utf8")) as KubernetesObject;
        return [`${object.kind}/${object.metadata.name}`, object];
    }));
}

/** The operations (other than `same`) per resource type in an engine event stream, sorted. */
function operations(events: EngineEvent[]): Record<string, string[]> {
    const ops: Record<string, Set<string>> = {};
    for (const event of events) {
        const metadata = event.resourcePreEvent?.metadata;
        if (metadata && metadata.op !== "same") (ops[metadata.type] ??= new Set()).add(metadata.op);
    }
    return Object.fromEntries(Object.entries(ops).map(([type, set]) => [type, [...set].sort()]));
}

beforeAll(async () => {
    ({ reference: image } = buildAndPushImage(
        ROOT_DIR,
        { registry: required("REGISTRY"), username: required("REGISTRY_USERNAME"), password: required("REGISTRY_PASSWORD") },
        "ragstar",
        "engine-test",
        localImageBuildArgs(),
    ));
    stack = await openLocalStack(image, paths, {}, "files", localBuildArgs());
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

test("preview, then up, creates every object; the outputs name the pushed digest", async () => {
    const preview = await stack.preview();
    // 12: the Stack, the component, the provider and 9 objects: the Secrets ragstar-secrets (adminToken)
    // and ragstar-registry (the pull Secret from REGISTRY_USERNAME/REGISTRY_PASSWORD, since issue 10).
    expect(preview.changeSummary).toEqual({ create: 12 });
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.outputs.image.value).toBe(image);
    expect(up.outputs.namespace.value).toBe("ragstar-local");
    expect(up.outputs.serviceName.value).toBe("ragstar");
    expect(up.outputs.probes.value.startupProbe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 21 });
});

test("a second preview shows no changes (idempotence)", async () => {
    const preview = await stack.preview({ expectNoChanges: true });
    expect(preview.changeSummary).toEqual({ same: 12 });
});

test("the provider's manifests match the engine-free render of the same config, object for object and field for field", async () => {
    const render = await renderStack(LOCAL_STACK, ROOT_DIR, localStackFile(paths));
    const fromProvider = providerObjects();
    expect([...fromProvider.keys()].sort()).toEqual(render.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    for (const object of render.objects) {
        const rendered = fromProvider.get(`${object.kind}/${object.metadata.name}`) as Record<string, any>;
        if (object.kind === "Secret") {
            // The provider writes data (base64 of the real value); the render prints the keys with [secret].
            const { stringData, ...rest } = object as Record<string, any>;
            const { data, ...providerRest } = rendered;
            expect(Object.keys(data).sort()).toEqual(Object.keys(stringData).sort());
            expect(providerRest).toEqual(rest);
        } else {
            expect(rendered).toEqual(object);
        }
    }
});

test("secrets stay secret: encrypted in the state, marked in the outputs, plain only where the Secret needs it", async () => {
    const token = fs.readFileSync(path.join(paths.workDir, "admin-token"), "utf8").trim();
    const stateFiles = fs.readdirSync(paths.stateDir, { recursive: true }).map(String).filter((f) => f.endsWith(".json"));
    expect(stateFiles.length).toBeGreaterThan(0);
    for (const file of stateFiles) expect(fs.readFileSync(path.join(paths.stateDir, file), "utf8")).not.toContain(token);
    expect(fs.readFileSync(localStackFile(paths), "utf8")).toMatch(/ragstar:adminToken:\n\s+secure: v1:/);
    const secret = providerObjects().get("Secret/ragstar-secrets") as Record<string, any>;
    expect(Buffer.from(secret.data.admin_token, "base64").toString()).toBe(token);
    // The registry password: encrypted in the state and the stack file, plain only in the pull Secret.
    const password = required("REGISTRY_PASSWORD");
    for (const file of stateFiles) expect(fs.readFileSync(path.join(paths.stateDir, file), "utf8")).not.toContain(password);
    expect(fs.readFileSync(localStackFile(paths), "utf8")).toMatch(/ragstar:registryPassword:\n\s+secure: v1:/);
    const pull = providerObjects().get("Secret/ragstar-registry") as Record<string, any>;
    expect(pull.type).toBe("kubernetes.io/dockerconfigjson");
    const auths = JSON.parse(Buffer.from(pull.data[".dockerconfigjson"], "base64").toString()).auths;
    const username = required("REGISTRY_USERNAME");
    expect(auths).toEqual({ [required("REGISTRY")]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") } });
    expect((providerObjects().get("Deployment/ragstar") as Record<string, any>).spec.template.spec.imagePullSecrets).toEqual([{ name: "ragstar-registry" }]);
});

test("a config change shows exactly the expected diff: the ConfigMap is replaced, the Deployment rolls", async () => {
    const changed = await openLocalStack(image, paths, { "ragstar:app.log_level": { value: "warning" } });
    const events: EngineEvent[] = [];
    const preview = await changed.preview({ onEvent: (e) => events.push(e) });
    expect(preview.changeSummary).toEqual({ same: 10, replace: 1, update: 1 });
    expect(operations(events)).toEqual({
        "kubernetes:core/v1:ConfigMap": ["create-replacement", "delete-replaced", "replace"],
        "kubernetes:apps/v1:Deployment": ["update"],
    });
    const before = [...providerObjects().keys()].find((k) => k.startsWith("ConfigMap/"));
    await changed.up();
    const after = providerObjects();
    const configMap = [...after.keys()].find((k) => k.startsWith("ConfigMap/"));
    expect(configMap).not.toBe(before);
    expect((after.get(configMap!) as Record<string, any>).data["ragstar.yaml"]).toContain("log_level: warning");
    expect((after.get("Deployment/ragstar") as Record<string, any>).spec.template.spec.volumes[0].configMap.name).toBe(configMap!.split("/")[1]);
    stack = changed;
});

test("the policy pack runs under the engine with the same verdict as render", async () => {
    let output = "";
    await stack.preview({ policyPacks: [path.join(ROOT_DIR, "policy")], onOutput: (text) => (output += text) });
    expect(output).toContain("[advisory]  high-uid");
    expect(output).toContain("container ragstar: runAsUser 1000 is below 10000");
    expect(output).not.toContain("[mandatory]");
});

test("destroy removes every object", async () => {
    const result = await stack.destroy();
    expect(result.summary.result).toBe("succeeded");
    expect(providerManifests(paths)).toEqual([]);
});
