import { imagePullPlan } from "../../infra/config/imagePull";
import { DOCKER_HUB_AUTH_KEY, dockerConfigJson, registryHost } from "../../infra/k8s/pullSecret";

test.each([
    ["registry.example.com/platform/ragstar@sha256:" + "ab".repeat(32), "registry.example.com"],
    ["127.0.0.1:5000/ragstar@sha256:" + "ab".repeat(32), "127.0.0.1:5000"],
    ["localhost/ragstar:dev", "localhost"],
    ["registry.example.com:5000/team/ragstar", "registry.example.com:5000"],
    ["team/ragstar@sha256:" + "ab".repeat(32), DOCKER_HUB_AUTH_KEY],
    ["docker.io/team/ragstar:1", DOCKER_HUB_AUTH_KEY],
])("registryHost(%s) is %s", (reference, host) => {
    expect(registryHost(reference)).toBe(host);
});

test("dockerConfigJson is what docker login writes: auths by host, with auth = base64(user:password)", () => {
    const json = JSON.parse(dockerConfigJson("registry.example.com:5000", "puller", "pa:ss wörd"));
    expect(json).toEqual({ auths: { "registry.example.com:5000": { username: "puller", password: "pa:ss wörd", auth: "cHVsbGVyOnBhOnNzIHfDtnJk" } } });
    expect(Buffer.from(json.auths["registry.example.com:5000"].auth, "base64").toString("utf8")).toBe("puller:pa:ss wörd");
});

test.each([
    ["unset, with username and password", { username: "ci" }, true, { kind: "managed", name: "ragstar-registry" }],
    ["unset, without credentials", {}, false, { kind: "none" }],
    ["a Secret name", { username: "ci", pullSecret: "team-pull" }, true, { kind: "existing", name: "team-pull" }],
    ["none", { username: "ci", pullSecret: "none" }, true, { kind: "none" }],
])("imagePullPlan: %s", (_, image, hasPassword, plan) => {
    expect(imagePullPlan({ registry: "r.example.com", ...image }, hasPassword)).toEqual(plan);
});

test("the local stack configures the loopback registry's credentials for the pull Secret, the password as a secret", async () => {
    const { localConfig, registryCredentialsFromEnv } = await import("../../infra/tools/engine/localStack");
    const paths = { workDir: "/nonexistent/work", stateDir: "/nonexistent/state", manifestsDir: "/nonexistent/manifests" };
    const credentials = registryCredentialsFromEnv({ REGISTRY_USERNAME: "ragstar-ci", REGISTRY_PASSWORD: "pw" });
    expect(credentials).toEqual({ username: "ragstar-ci", password: "pw" });
    expect(registryCredentialsFromEnv({ REGISTRY_USERNAME: "ragstar-ci" })).toBeUndefined();
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-local-config-"));
    const config = localConfig("127.0.0.1:5000/ragstar@sha256:" + "ab".repeat(32), { ...paths, workDir }, {}, "files", {}, credentials);
    expect(config["ragstar:image.username"]).toEqual({ value: "ragstar-ci" });
    expect(config["ragstar:registryPassword"]).toEqual({ value: "pw", secret: true });
    expect(localConfig("127.0.0.1:5000/ragstar@sha256:" + "ab".repeat(32), { ...paths, workDir }, {}, "files", {}, undefined)).not.toHaveProperty("ragstar:image.username");
});
