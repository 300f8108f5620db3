/**
 * The Pulumi program: validate everything first (stack name, stack config, service config,
 * Dockerfile facts, probes, UID, mount paths) and report every problem found in one error, then
 * build or take the image and declare the Kubernetes objects (`RagstarApp`).
 * Used by `infra/index.ts` under the engine and by `render` under mocks.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseToml } from "smol-toml";

import { buildAppConfig, type AppConfigFile } from "./app/ragstarYaml";
import { checkBuildArgs } from "./config/buildArgs";
import { labelValueProblem } from "./config/kubernetesNames";
import { serviceSecret, type ServiceSecretKey } from "./config/serviceSecrets";
import { loadStackConfig, type StackConfig } from "./config/stackConfig";
import { declaredBuildArgs } from "./dockerfile/declaredArgs";
import { exposedTcpPorts } from "./dockerfile/exposedPorts";
import { ConfigError, DockerfileError } from "./errors";
import { imageBuildArgs, imagePullSecret, imageSource } from "./image";
import { mountPathProblem, mountsBesideData } from "./k8s/mounts";
import { shutdownSettings } from "./k8s/shutdown";
import { configMapSizeProblem } from "./k8s/objectLimits";
import type { ContainerFacts } from "./k8s/podSpec";
import { RagstarApp } from "./k8s/ragstarApp";
import { userMismatch } from "./k8s/securityContext";
import { probesFromDockerfile } from "./probes/fromDockerfile";
import type { ProbeSet } from "./probes/types";
import { ROOT_DIR } from "./paths";
import { failureText, verifyImage, type ImageVerifier } from "./supplyChain/verifyImage";

/** Where the image keeps its config and data when its Dockerfile sets no ENV for them. */
const DEFAULT_CONFIG_PATH = "/app/config/ragstar.yaml";
const DEFAULT_DATA_PATH = "/app/ragstar_db";

/** The stack outputs. */
export interface RagstarOutputs {
    image: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    serviceName: pulumi.Output<string>;
    probes: ProbeSet | null;
}

/** What the objects are built from, every part validated. */
interface ProgramInputs extends ContainerFacts {
    config: StackConfig;
    appConfig: AppConfigFile;
}

/**
 * One problem that stops the program before anything is registered: a line of the stack's
 * ConfigError (stack name, stack config, service config, build arguments, data path), or a
 * Dockerfile error, which keeps its file and line.
 */
type Problem = string | DockerfileError;

/**
 * The one error for `problems` (not empty): a Dockerfile error alone is thrown as it is; anything
 * else is one ConfigError of the stack listing every problem, a Dockerfile one as `file:line: detail`.
 */
function problemsError(stack: string, problems: Problem[]): ConfigError | DockerfileError {
    if (problems.length === 1 && problems[0] instanceof DockerfileError) return problems[0];
    return new ConfigError(`stack "${stack}"`, problems.map((problem) => (typeof problem === "string" ? problem : problem.message)));
}

/** What `check` returns; or, when it throws a ConfigError or a DockerfileError, undefined, with its problems added to `problems`. */
function collecting<T>(problems: Problem[], check: () => T): T | undefined {
    try {
        return check();
    } catch (error) {
        if (error instanceof ConfigError) problems.push(...error.problems);
        else if (error instanceof DockerfileError) problems.push(error);
        else throw error;
        return undefined;
    }
}

/**
 * The service config: the repository's ragstar.yaml with the stack's `ragstar:app` overrides,
 * checked against the service's schema and the ConfigMap size limit.
 *
 * @returns the file, or its problems as `ragstar:app…` / `ragstar.yaml…` lines
 */
function serviceConfig(rootDir: string, overrides: Record<string, unknown>): { file: AppConfigFile } | { problems: string[] } {
    let file: AppConfigFile;
    try {
        file = buildAppConfig(path.join(rootDir, "ragstar.yaml"), path.join(rootDir, "src/ragstar/config.schema.json"), overrides);
    } catch (error) {
        if (error instanceof ConfigError) return { problems: error.problems };
        throw error;
    }
    const tooLarge = configMapSizeProblem({ "ragstar.yaml": file.text });
    return tooLarge ? { problems: [`ragstar:app: ragstar.yaml of ${tooLarge}`] } : { file };
}

/**
 * Validate everything the objects are built from: the stack name, the stack config with the
 * service config, then the Dockerfile against them (build arguments, probes, USER, the port, the
 * data directory's mount path). Every problem found is collected; a check that needs what an
 * earlier one refused (the Dockerfile needs a valid stack config, the checks of its facts need a
 * readable Dockerfile) is left out, and the problems so far are thrown.
 *
 * @throws ConfigError or DockerfileError (see `problemsError`), before any resource is registered
 */
function validatedInputs(rootDir: string, stack: string): ProgramInputs {
    const problems: Problem[] = [];
    // The stack name is every object's app.kubernetes.io/instance label; Pulumi allows names a label cannot hold.
    const instanceProblem = labelValueProblem(stack);
    if (instanceProblem) {
        problems.push(`stack name: ${JSON.stringify(stack)}: is the app.kubernetes.io/instance label of every object, so it ${instanceProblem}; rename the stack`);
    }
    // The service config is checked with the stack config (its overrides are part of it), so one
    // run reports the problems of both.
    const config = collecting(problems, () => loadStackConfig((overrides) => {
        const checked = serviceConfig(rootDir, overrides);
        return "problems" in checked ? checked.problems : [];
    }));
    if (config === undefined) throw problemsError(stack, problems);
    // The shutdown timings are derived from the grace period (k8s/shutdown.ts), never set by hand.
    const shutdown = shutdownSettings(config.terminationGracePeriodSeconds, config.database);
    for (const key of Object.keys(shutdown).filter((k) => k in config.app)) {
        problems.push(`ragstar:app.${key}: ${JSON.stringify(config.app[key])}: is derived from ragstar:terminationGracePeriodSeconds (docs/database.md, "Draining"); set that instead`);
    }
    // Built again from the validated overrides, the object the check above was given: it passes now.
    const service = serviceConfig(rootDir, { ...config.app, ...shutdown });
    if ("problems" in service) throw problemsError(stack, [...problems, ...service.problems]);

    const dockerfile = path.relative(process.cwd(), path.resolve(rootDir, config.image.dockerfile)) || config.image.dockerfile;
    const target = `${config.image.dockerfile}, target "${config.image.target}"`;
    const declared = Object.keys(config.image.buildArgs).length === 0 ? [] : declaredBuildArgs(path.resolve(rootDir, config.image.dockerfile), config.image.target, config.image.buildArgs);
    const buildArgs = checkBuildArgs(config.image.buildArgs, declared, target);
    problems.push(...buildArgs.problems);
    for (const warning of buildArgs.warnings) pulumi.log.warn(warning);
    const derived = collecting(problems, () => probesFromDockerfile(
        dockerfile,
        config.image.target,
        { readinessPath: config.probes.readinessPath, allowMissingHealthcheck: config.probes.allowMissingHealthcheck },
        imageBuildArgs(config),
    ));
    if (derived === undefined) throw problemsError(stack, problems);
    for (const warning of derived.warnings) pulumi.log.warn(warning);
    const { facts } = derived;

    const mismatch = userMismatch(facts.user?.value, config.runAsUser);
    if (mismatch) problems.push(new DockerfileError(dockerfile, facts.user?.line ?? facts.fromLine, mismatch));

    const tcpPorts = exposedTcpPorts(facts);
    const probePort = derived.probes && "httpGet" in derived.probes.livenessProbe ? derived.probes.livenessProbe.httpGet.port : undefined;
    const containerPort = probePort ?? tcpPorts[0];
    if (containerPort === undefined) problems.push(new DockerfileError(dockerfile, undefined, `stage "${facts.stage}" EXPOSEs no TCP port, so the Service has nothing to target; add EXPOSE <port>`));

    const configPath = facts.variables.get("RAGSTAR_CONFIG_PATH")?.value ?? DEFAULT_CONFIG_PATH;
    const dataPath = (config.app.db_path as string | undefined) ?? facts.variables.get("RAGSTAR_DB_PATH")?.value ?? DEFAULT_DATA_PATH;
    const dataProblem = mountPathProblem(dataPath, mountsBesideData(configPath));
    if (dataProblem) {
        problems.push(
            config.app.db_path !== undefined
                ? `ragstar:app.db_path: ${JSON.stringify(dataPath)}: ${dataProblem}`
                : new DockerfileError(dockerfile, facts.variables.get("RAGSTAR_DB_PATH")?.line, `RAGSTAR_DB_PATH ${JSON.stringify(dataPath)}, the data directory's mount path, ${dataProblem}`),
        );
    }

    if (problems.length > 0 || containerPort === undefined) throw problemsError(stack, problems);
    return { config, appConfig: service.file, probes: derived.probes, containerPort, configPath, dataPath };
}

function serviceVersion(rootDir: string): string {
    const project = parseToml(fs.readFileSync(path.join(rootDir, "pyproject.toml"), "utf8")) as { project?: { version?: string } };
    return project.project?.version ?? "unknown";
}

/** How the program runs. */
export interface ProgramOptions {
    /**
     * Verifies `image.ref` when `ragstar:supplyChain.verify` is on (default: cosign, verifyImage.ts);
     * `false` skips it, for `render`, which contacts no registry and says so.
     */
    verifier?: ImageVerifier | false;
}

/**
 * With `ragstar:supplyChain.verify` on: `image.ref` must be signed by `supplyChain.publicKey`
 * and carry an SBOM attestation signed by it, checked in the registry before any resource is
 * registered. Registry credentials: `image.username` and the `ragstar:registryPassword` secret
 * (its plain value goes only into the verifier's private client config).
 *
 * @throws ConfigError `ragstar:image.ref: <ref> <reason> …` naming the digest and the reason
 */
function verifyConfiguredImage(config: StackConfig, stack: string, verifier: ImageVerifier | false): void {
    const { verify, publicKey } = config.supplyChain;
    const ref = config.image.ref;
    if (!verify || verifier === false || ref === undefined || publicKey === undefined) return;
    const password = pulumi.runtime.allConfig()["ragstar:registryPassword"];
    const registry = ref.split("/")[0];
    const logins = config.image.username && password ? { [registry]: { username: config.image.username, password } } : {};
    const result = verifier(ref, publicKey, logins);
    if (!result.ok) throw new ConfigError(`stack "${stack}"`, [`ragstar:image.ref: ${ref} ${failureText(result.failure, result.detail, publicKey)} (ragstar:supplyChain.verify is on)`]);
}

/**
 * Run the program for the current stack.
 *
 * @throws ConfigError or DockerfileError before any resource is registered, one for every problem
 *   found (see `validatedInputs`), or the one problem of the image's verification
 */
export function ragstarProgram(rootDir: string = ROOT_DIR, options: ProgramOptions = {}): RagstarOutputs {
    const stack = pulumi.getStack();
    const { config, appConfig, probes, containerPort, configPath, dataPath } = validatedInputs(rootDir, stack);
    verifyConfiguredImage(config, stack, options.verifier ?? verifyImage);

    const secretFiles: Record<string, pulumi.Output<string>> = {};
    for (const [key, value] of Object.entries(config.serviceSecrets)) {
        secretFiles[serviceSecret(key as ServiceSecretKey).fileName] = value;
    }

    const image = imageSource(config, rootDir, stack);
    const { renderYamlToDirectory, context } = config.kubernetes;
    const provider =
        renderYamlToDirectory !== undefined || context !== undefined
            ? new k8s.Provider("ragstar-kubernetes", {
                  ...(renderYamlToDirectory !== undefined ? { renderYamlToDirectory: path.resolve(rootDir, renderYamlToDirectory) } : {}),
                  ...(context !== undefined ? { context } : {}),
              })
            : undefined;
    const app = new RagstarApp("ragstar", {
        instance: stack,
        version: serviceVersion(rootDir),
        config,
        image: image.reference,
        probes,
        containerPort,
        appConfig,
        configPath,
        dataPath,
        secretFiles,
        imagePullSecret: imagePullSecret(config, image.reference),
        // Resolves only once the reference is validated (fromStack: pinned by digest) and, when this
        // stack builds, the build is done; a rejected reference fails every object's registration.
        waitFor: image.reference.apply(() => (image.built ? [image.built] : [])),
    }, provider ? { providers: { kubernetes: provider } } : undefined);
    return { image: app.image, namespace: app.namespace, serviceName: app.serviceName, probes };
}
