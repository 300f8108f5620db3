/**
 * Pulumi entry point (`main` in Pulumi.yaml). Validation errors are re-thrown as
 * `RunError` so `pulumi up` prints the one-line message (file, line or config key)
 * instead of a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";

import { ConfigError, DockerfileError } from "./errors";
import { ragstarProgram, type RagstarOutputs } from "./program";

function run(): RagstarOutputs {
    try {
        return ragstarProgram();
    } catch (error) {
        if (error instanceof ConfigError || error instanceof DockerfileError) throw new pulumi.RunError(error.message);
        throw error;
    }
}

const outputs = run();
export const image = outputs.image;
export const namespace = outputs.namespace;
export const serviceName = outputs.serviceName;
export const probes = outputs.probes;
