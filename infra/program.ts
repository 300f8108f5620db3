/**
 * The Pulumi program: validate everything first (stack config, Dockerfile facts, probes,
 * UID, service config), then build or take the image and declare the Kubernetes objects.
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
import { loadStackConfig } from "./config/stackConfig";
import { declaredBuildArgs } from "./dockerfile/declaredArgs";
import { exposedTcpPorts } from "./dockerfile/exposedPorts";
import { ConfigError, DockerfileError } from "./errors";
import { imageBuildArgs, imagePullSecret, imageSource } from "./image";
import { mountPathProblem } from "./k8s/mounts";
import { configMapSizeProblem } from "./k8s/objectLimits";
import { RagstarApp, SECRETS_MOUNT_PATH } from "./k8s/ragstarApp";
import { userMismatch } from "./k8s/securityContext";
import { probesFromDockerfile } from "./probes/fromDockerfile";
import type { ProbeSet } from "./probes/types";
import { ROOT_DIR } from "./paths";

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

function serviceVersion(rootDir: string): string {
    const project = parseToml(fs.readFileSync(path.join(rootDir, "pyproject.toml"), "utf8")) as { project?: { version?: string } };
    return project.project?.version ?? "unknown";
}

/**
 * Run the program for the current stack.
 *
 * @throws ConfigError or DockerfileError before any resource is registered
 */
export function ragstarProgram(rootDir: string = ROOT_DIR): RagstarOutputs {
    // The stack name is every object's app.kubernetes.io/instance label; Pulumi allows names a label cannot hold.
    const stack = pulumi.getStack();
    const instanceProblem = labelValueProblem(stack);
    if (instanceProblem) {
        throw new ConfigError(`stack "${stack}"`, [`stack name: ${JSON.stringify(stack)}: is the app.kubernetes.io/instance label of every object, so it ${instanceProblem}; rename the stack`]);
    }
    // The service config is validated with the stack config, so one run reports every problem.
    let appConfig: AppConfigFile | undefined;
    const config = loadStackConfig((overrides) => {
        try {
            appConfig = buildAppConfig(path.join(rootDir, "ragstar.yaml"), path.join(rootDir, "src/ragstar/config.schema.json"), overrides);
            const tooLarge = configMapSizeProblem({ "ragstar.yaml": appConfig.text });
            return tooLarge ? [`ragstar:app: ragstar.yaml of ${tooLarge}`] : [];
        } catch (error) {
            if (error instanceof ConfigError) return error.problems;
            throw error;
        }
    });
    if (!appConfig) throw new Error("service config was not built");
    const dockerfile = path.relative(process.cwd(), path.resolve(rootDir, config.image.dockerfile)) || config.image.dockerfile;
    const target = `${config.image.dockerfile}, target "${config.image.target}"`;
    const declared = Object.keys(config.image.buildArgs).length === 0 ? [] : declaredBuildArgs(path.resolve(rootDir, config.image.dockerfile), config.image.target);
    const checked = checkBuildArgs(config.image.buildArgs, declared, target);
    if (checked.problems.length > 0) throw new ConfigError(`stack "${stack}"`, checked.problems);
    for (const warning of checked.warnings) pulumi.log.warn(warning);
    const buildArgs = imageBuildArgs(config);
    const derived = probesFromDockerfile(
        dockerfile,
        config.image.target,
        { readinessPath: config.probes.readinessPath, allowMissingHealthcheck: config.probes.allowMissingHealthcheck },
        buildArgs,
    );
    for (const warning of derived.warnings) pulumi.log.warn(warning);
    const { facts } = derived;

    const mismatch = userMismatch(facts.user?.value, config.runAsUser);
    if (mismatch) throw new DockerfileError(dockerfile, facts.user?.line ?? facts.fromLine, mismatch);

    const tcpPorts = exposedTcpPorts(facts);
    const probePort = derived.probes && "httpGet" in derived.probes.livenessProbe ? derived.probes.livenessProbe.httpGet.port : undefined;
    const containerPort = probePort ?? tcpPorts[0];
    if (containerPort === undefined) throw new DockerfileError(dockerfile, undefined, `stage "${facts.stage}" EXPOSEs no TCP port, so the Service has nothing to target; add EXPOSE <port>`);

    const configPath = facts.variables.get("RAGSTAR_CONFIG_PATH")?.value ?? DEFAULT_CONFIG_PATH;
    const dataPath = (config.app.db_path as string | undefined) ?? facts.variables.get("RAGSTAR_DB_PATH")?.value ?? DEFAULT_DATA_PATH;

    const dataProblem = mountPathProblem(dataPath, [
        { name: "config", mountPath: path.posix.dirname(configPath) },
        { name: "tmp", mountPath: "/tmp" },
        { name: "secrets", mountPath: SECRETS_MOUNT_PATH },
    ]);
    if (dataProblem) {
        if (config.app.db_path !== undefined) throw new ConfigError(`stack "${stack}"`, [`ragstar:app.db_path: ${JSON.stringify(dataPath)}: ${dataProblem}`]);
        throw new DockerfileError(dockerfile, facts.variables.get("RAGSTAR_DB_PATH")?.line, `RAGSTAR_DB_PATH ${JSON.stringify(dataPath)}, the data directory's mount path, ${dataProblem}`);
    }

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
        probes: derived.probes,
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
    return { image: app.image, namespace: app.namespace, serviceName: app.serviceName, probes: derived.probes };
}
