/**
 * The `local` stack under the real Pulumi engine: a `file://` backend inside the project
 * (`.pulumi-state/`, git-ignored), a passphrase secrets provider, and the Kubernetes provider
 * in `renderYamlToDirectory` mode, so no cluster is needed. The program runs in this process
 * through Pulumi's Automation API (an inline program: the CLI drives it over gRPC), which also
 * means no Node.js language host binary is needed. The CLI and the provider plugin come from
 * scripts/with-pulumi (PULUMI_ROOT, PULUMI_HOME).
 * "local" names this stack only (its identifiers, the `local` npm script, the `ragstar-local`
 * namespace); the `docker run` of a rendered pod is infra/tools/docker/, and the cluster of
 * scripts/with-cluster is the embedded control plane.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from "@pulumi/pulumi/automation";

import { imageBuildArgs } from "../../image";
import { DEFAULT_RUN_AS_USER } from "../../k8s/securityContext";
import { ragstarProgram } from "../../program";
import { ROOT_DIR } from "../../paths";

export const LOCAL_STACK = "local";

/** Where the local stack deploys: YAML files (no cluster), or the cluster of KUBECONFIG. */
export type LocalTarget = "files" | "cluster";

/** Where the local stack keeps its settings, state and the provider's manifests. */
export interface LocalPaths {
    /** Workspace: Pulumi.yaml-less project settings, `Pulumi.local.yaml`, the passphrase. */
    workDir: string;
    /** `file://` backend. */
    stateDir: string;
    /** `renderYamlToDirectory` of the Kubernetes provider. */
    manifestsDir: string;
}

/** The default paths, all git-ignored. */
export function localPaths(rootDir: string = ROOT_DIR): LocalPaths {
    const workDir = path.join(rootDir, ".cache/pulumi-local");
    return { workDir, stateDir: path.join(rootDir, ".pulumi-state"), manifestsDir: path.join(workDir, "manifests") };
}

/**
 * The local stack's `ragstar:image.buildArgs`: the base image that scripts/with-image-infra
 * provides (the production base when it can be pulled, else the stand-in it builds), announced
 * in PYTHON_IMAGE. The stack config is where the build reads it, as a user's stack would.
 *
 * @throws Error when PYTHON_IMAGE is unset (not run through scripts/with-image-infra)
 */
export function localBuildArgs(): Record<string, string> {
    const base = process.env.PYTHON_IMAGE;
    if (!base) throw new Error("PYTHON_IMAGE is not set: run through scripts/with-image-infra (scripts/main does), which provides the base image");
    return { PYTHON_IMAGE: base };
}

/** The build arguments of the local stack's image, exactly as the program computes them from its config. */
export function localImageBuildArgs(buildArgs: Record<string, string> = localBuildArgs()): Record<string, string> {
    return imageBuildArgs({ runAsUser: DEFAULT_RUN_AS_USER /* the schema's default, so the pushed image and the pod agree */, image: { buildArgs } });
}

/** A value generated once and kept in `file` (mode 0600), so reruns see the same one. */
function persistentSecret(file: string): string {
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, crypto.randomBytes(24).toString("base64url"), { mode: 0o600 });
    }
    return fs.readFileSync(file, "utf8").trim();
}

/** Registry credentials of scripts/lib/registry.sh (REGISTRY_USERNAME, REGISTRY_PASSWORD), if both are set. */
export function registryCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): { username: string; password: string } | undefined {
    return env.REGISTRY_USERNAME && env.REGISTRY_PASSWORD ? { username: env.REGISTRY_USERNAME, password: env.REGISTRY_PASSWORD } : undefined;
}

/**
 * The local stack's config: dev's shape, deploying `image` (digest-pinned, built and pushed by
 * the real image pipeline) and rendering to files. `overrides` replace keys (for tests);
 * `buildArgs` are the `ragstar:image.buildArgs` the image was built with (`localBuildArgs()`).
 * With `pull` credentials (default: the loopback registry's, from the environment) the stack
 * manages the pull Secret `ragstar-registry`, so a kubelet could pull from the authenticated registry.
 */
export function localConfig(
    image: string,
    paths: LocalPaths,
    overrides: ConfigMap = {},
    target: LocalTarget = "files",
    buildArgs: Record<string, string> = {},
    pull: { username: string; password: string } | undefined = registryCredentialsFromEnv(),
): ConfigMap {
    return {
        "ragstar:namespace": { value: "ragstar-local" },
        "ragstar:image.ref": { value: image },
        // The arguments the image was built with (localImageBuildArgs), so the program reads the
        // Dockerfile with the same values.
        ...Object.fromEntries(Object.entries(buildArgs).map(([name, value]) => [`ragstar:image.buildArgs.${name}`, { value }])),
        ...(pull ? { "ragstar:image.username": { value: pull.username }, "ragstar:registryPassword": { value: pull.password, secret: true } } : {}),
        // "cluster": the kubeconfig in KUBECONFIG (scripts/with-cluster's embedded control plane, or the user's).
        ...(target === "files" ? { "ragstar:kubernetes.renderYamlToDirectory": { value: path.relative(ROOT_DIR, paths.manifestsDir) } } : {}),
        "ragstar:probes.readinessPath": { value: "/ready" },
        "ragstar:app.log_level": { value: "debug" },
        // A secret, so the engine's secrets handling is exercised; generated, never committed.
        "ragstar:adminToken": { value: persistentSecret(path.join(paths.workDir, "admin-token")), secret: true },
        ...overrides,
    };
}

/**
 * Create or select the local stack and set its config.
 *
 * @param image digest-pinned reference to deploy
 * @throws Error when PULUMI_ROOT is unset or the CLI is not the SDK's version
 */
export async function openLocalStack(image: string, paths: LocalPaths = localPaths(), overrides: ConfigMap = {}, target: LocalTarget = "files", buildArgs: Record<string, string> = {}): Promise<Stack> {
    const root = process.env.PULUMI_ROOT;
    if (!root) throw new Error("PULUMI_ROOT is not set: run through scripts/with-pulumi (scripts/main does)");
    fs.mkdirSync(paths.workDir, { recursive: true });
    fs.mkdirSync(paths.stateDir, { recursive: true });
    const backend = `file://${paths.stateDir}`;
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: LOCAL_STACK, projectName: "ragstar", program: async () => ragstarProgram(ROOT_DIR) },
        {
            workDir: paths.workDir,
            pulumiHome: process.env.PULUMI_HOME,
            pulumiCommand: await PulumiCommand.get({ root }),
            secretsProvider: "passphrase",
            projectSettings: { name: "ragstar", runtime: "nodejs", backend: { url: backend } },
            envVars: {
                PULUMI_CONFIG_PASSPHRASE: persistentSecret(path.join(paths.workDir, "passphrase")),
                PULUMI_BACKEND_URL: backend,
                PULUMI_SKIP_UPDATE_CHECK: "true",
            },
        },
    );
    if (target === "cluster") await stack.removeConfig("ragstar:kubernetes").catch(() => undefined);
    // Keys of an earlier run that this one does not set would linger in the stack file.
    await stack.removeConfig("ragstar:image").catch(() => undefined);
    await stack.removeConfig("ragstar:supplyChain").catch(() => undefined);
    await stack.setAllConfig(localConfig(image, paths, overrides, target, buildArgs), true);
    return stack;
}
