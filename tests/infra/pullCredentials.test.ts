/**
 * Image pull credentials (issue 10): the managed kubernetes.io/dockerconfigjson Secret, an existing
 * Secret's name, or none; and the registry password never leaves the Pulumi secret it came in as.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import * as appsV1 from "kubernetes-models/apps/v1";
import * as coreV1 from "kubernetes-models/v1";

import { ConfigError } from "../../infra/errors";
import { checkRestricted } from "../../infra/k8s/podSecurity";
import { ragstarProgram } from "../../infra/program";
import { objectFiles, renderConfig, renderStack, toYaml, type Render } from "../../infra/tools/render/render";
import { readStackFile } from "../../infra/tools/render/stackFile";
import { evaluatePolicy } from "../../infra/review/rules";
import { devStackSetting, projectWith, REPO_ROOT } from "./projectFixture";
import type { KubernetesObject } from "../../infra/k8s/kubernetesObject";

const REF = `127.0.0.1:5000/ragstar@sha256:${"cd".repeat(32)}`;
const PASSWORD_LINES = "  ragstar:registryPassword:\n    secure: v1:cHVsbC1wYXNzd29yZC1jaXBoZXJ0ZXh0\n";
const devImage = (extra: Record<string, unknown>) => ({ registry: "registry.example.com/platform", repository: "ragstar", platform: "linux/amd64", ...extra });
const stackFile = (image: Record<string, unknown>, secretLines = "") => `${devStackSetting({ "ragstar:image": image }).trimEnd()}\n${secretLines}`;
const podSpec = (render: Render) => (render.objects.find((o) => o.kind === "Deployment") as any).spec.template.spec;
const secrets = (render: Render) => render.objects.filter((o) => o.kind === "Secret") as (KubernetesObject & Record<string, any>)[];

describe("the pod's imagePullSecrets", () => {
    test("username + registryPassword: a managed dockerconfigjson Secret, printed as [secret], named in the pod spec", async () => {
        const render = await renderStack("dev", projectWith("dev", stackFile(devImage({ username: "deploy-bot" }), PASSWORD_LINES)));
        expect(secrets(render)).toEqual([{
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "ragstar-registry", namespace: "ragstar-dev", labels: expect.objectContaining({ "app.kubernetes.io/name": "ragstar" }) },
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": "[secret]" },
        }]);
        expect(podSpec(render).imagePullSecrets).toEqual([{ name: "ragstar-registry" }]);
        expect(render.objects.map((o) => o.kind)).toEqual(["Namespace", "NetworkPolicy", "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service", "Deployment"]);
        for (const object of secrets(render)) expect(new coreV1.Secret(object as any).validate()).toBeUndefined();
        expect(new appsV1.Deployment(render.objects.find((o) => o.kind === "Deployment") as any).validate()).toBeUndefined();
        expect(checkRestricted(podSpec(render))).toEqual([]);
        expect(evaluatePolicy(render.objects).filter((v) => v.enforcement === "mandatory")).toEqual([]);
    });

    test("image.ref with a pull-only user (staging, prod): the managed Secret too", async () => {
        const stackYaml = `config:\n  ragstar:namespace: ragstar-staging\n  ragstar:image:\n    ref: ${REF}\n    username: puller\n${PASSWORD_LINES}`;
        const render = await renderStack("staging", projectWith("staging", stackYaml));
        expect(secrets(render).map((s) => [s.metadata.name, s.type])).toEqual([["ragstar-registry", "kubernetes.io/dockerconfigjson"]]);
        expect(podSpec(render).imagePullSecrets).toEqual([{ name: "ragstar-registry" }]);
    });

    test("an existing Secret's name: only the reference, no Secret object; the username only pushes", async () => {
        const render = await renderStack("dev", projectWith("dev", stackFile(devImage({ username: "deploy-bot", pullSecret: "team-registry-pull" }), PASSWORD_LINES)));
        expect(secrets(render)).toEqual([]);
        expect(podSpec(render).imagePullSecrets).toEqual([{ name: "team-registry-pull" }]);
    });

    test("none: no imagePullSecrets and no Secret, even with push credentials", async () => {
        const render = await renderStack("dev", projectWith("dev", stackFile(devImage({ username: "deploy-bot", pullSecret: "none" }), PASSWORD_LINES)));
        expect(secrets(render)).toEqual([]);
        expect(podSpec(render)).not.toHaveProperty("imagePullSecrets");
    });

    test("no credentials and no pullSecret (the committed stacks): none", async () => {
        expect(podSpec(await renderStack("dev"))).not.toHaveProperty("imagePullSecrets");
    });

    test("the managed Secret sits next to the service secrets, each in its own object", async () => {
        const lines = `${PASSWORD_LINES}  ragstar:adminToken:\n    secure: v1:YWRtaW4tY2lwaGVydGV4dA==\n`;
        const render = await renderStack("dev", projectWith("dev", stackFile(devImage({ username: "deploy-bot" }), lines)));
        expect(secrets(render).map((s) => [s.metadata.name, s.type, Object.keys(s.stringData)])).toEqual([
            ["ragstar-registry", "kubernetes.io/dockerconfigjson", [".dockerconfigjson"]],
            ["ragstar-secrets", "Opaque", ["admin_token"]],
        ]);
    });
});

/** The Secret inputs as the engine would receive them (secret wrappers unwrapped), for a stack file's config with `secretValues` in place of its secure values. */
async function rawSecretInputs(dir: string, stack: string, secretValues: Record<string, string>): Promise<Record<string, any>[]> {
    const { config, secretKeys } = readStackFile(path.join(dir, `Pulumi.${stack}.yaml`), "ragstar");
    pulumi.runtime.setAllConfig({ ...config, ...secretValues }, secretKeys);
    const unwrap = (value: any): any => {
        if (Array.isArray(value)) return value.map(unwrap);
        if (value !== null && typeof value === "object") return "value" in value && Object.keys(value).length === 2 ? unwrap(value.value) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
        return value;
    };
    const found: Record<string, any>[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                if (args.type === "kubernetes:core/v1:Secret") found.push(unwrap(args.inputs));
                const state = args.type === "docker:index/image:Image" ? { ...args.inputs, repoDigest: `registry.example.com/platform/ragstar@sha256:${"ef".repeat(32)}` } : args.inputs;
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        "ragstar",
        stack,
        false,
    );
    ragstarProgram(dir);
    const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
    return found;
}

describe("the .dockerconfigjson the program builds (secret unwrapped under mocks)", () => {
    test.each([
        ["dev builds: the host of image.registry", "dev", stackFile(devImage({ username: "deploy-bot" }), PASSWORD_LINES), "registry.example.com", "deploy-bot"],
        ["staging deploys image.ref: the host:port of the ref", "staging", `config:\n  ragstar:namespace: ragstar-staging\n  ragstar:image:\n    ref: ${REF}\n    username: puller\n${PASSWORD_LINES}`, "127.0.0.1:5000", "puller"],
    ])("%s", async (_, stack, yaml, host, username) => {
        const [secret] = await rawSecretInputs(projectWith(stack, yaml), stack, { "ragstar:registryPassword": "s3cr3t:pw" });
        expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
        const config = JSON.parse(secret.stringData[".dockerconfigjson"]);
        expect(config).toEqual({ auths: { [host]: { username, password: "s3cr3t:pw", auth: Buffer.from(`${username}:s3cr3t:pw`).toString("base64") } } });
    });
});

describe("a distinctive registry password (canary) never shows", () => {
    const CANARY = "Canary-7hQx2-registry-pw";
    const forms = [CANARY, Buffer.from(CANARY).toString("base64"), Buffer.from(`deploy-bot:${CANARY}`).toString("base64")];
    const expectAbsent = (text: string) => {
        for (const form of forms) expect(text).not.toContain(form);
    };
    let written: string[];
    let restore: (() => void)[];
    beforeEach(() => {
        written = [];
        restore = [process.stdout, process.stderr].map((stream) => {
            const spy = jest.spyOn(stream, "write").mockImplementation((chunk: any) => (written.push(String(chunk)), true));
            return () => spy.mockRestore();
        });
    });
    afterEach(() => restore.forEach((r) => r()));

    const configWith = (image: Record<string, unknown>, extra: Record<string, string> = {}, secret = true) => {
        const { config, secretKeys } = readStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "ragstar");
        return {
            config: { ...config, "ragstar:image": JSON.stringify(image), "ragstar:registryPassword": CANARY, ...extra },
            secretKeys: secret ? [...secretKeys, "ragstar:registryPassword"] : secretKeys,
        };
    };

    test("in the rendered objects, their YAML, the --out files and anything written while rendering", async () => {
        const render = await renderConfig("dev", REPO_ROOT, configWith(devImage({ username: "deploy-bot" })));
        expect(secrets(render).map((s) => s.metadata.name)).toEqual(["ragstar-registry"]);
        expectAbsent(toYaml(render.objects));
        expectAbsent(JSON.stringify(render));
        expectAbsent(Object.values(objectFiles(render)).join("\n"));
        expectAbsent(written.join(""));
    });

    test.each([
        ["an invalid key next to it", { "ragstar:tmpSizeLimit": "64MB" }, true, 'ragstar:tmpSizeLimit: "64MB"'],
        ["the password stored in plain text", {}, false, "ragstar:registryPassword: is stored in plain text"],
        ["a contradictory pullSecret", {}, true, "ragstar:image.username"],
    ])("in the error for %s", async (name, extra, secret, expected) => {
        const image = name === "a contradictory pullSecret" ? { ref: REF, username: "deploy-bot", pullSecret: "none" } : devImage({ username: "deploy-bot" });
        const error: ConfigError = await renderConfig("dev", REPO_ROOT, configWith(image, extra, secret)).then(() => { throw new Error("expected an error"); }, (e) => e);
        expect(error).toBeInstanceOf(ConfigError);
        expect(error.message).toContain(expected);
        expectAbsent(`${error.message}\n${error.stack}\n${error.problems.join("\n")}`);
        expectAbsent(written.join(""));
    });
});

test("the committed rendered/ holds no pull credentials (no stack sets image.username); its only Secret is the postgres stacks' database URL, masked", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        const files = fs.readdirSync(path.join(REPO_ROOT, "rendered", stack)).filter((f) => f.startsWith("secret-"));
        expect(files).toEqual(stack === "dev" ? [] : ["secret-ragstar-secrets.yaml"]);
        for (const file of files) {
            const text = fs.readFileSync(path.join(REPO_ROOT, "rendered", stack, file), "utf8");
            expect(text).not.toContain("dockerconfigjson");
            expect(text).toContain('  database_url: "[secret]"\n');
        }
    }
});
