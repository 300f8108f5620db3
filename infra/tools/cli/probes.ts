/**
 * `npm run --silent probes -- PATH/TO/Dockerfile [--target STAGE] [--readiness-path PATH]`
 *
 * Prints the Kubernetes probes derived from the Dockerfile's HEALTHCHECK as one JSON
 * object `{"livenessProbe": …, "readinessProbe": …, "startupProbe": …}` on stdout (all three null
 * only when the stage has no HEALTHCHECK and the caller opted out).
 * Warnings go to stderr. Exit status: 0 on success, 1 when the Dockerfile cannot be
 * mapped (the error, with file and line, on stderr), 2 on bad usage.
 */

import { DockerfileError } from "../../errors";
import { parseCommandLine, usageError } from "./commandLine";
import { probesFromDockerfile } from "../../probes/fromDockerfile";

const USAGE = "usage: npm run --silent probes -- DOCKERFILE [--target STAGE] [--readiness-path PATH]";

function main(argv: string[]): number {
    const parsed = parseCommandLine({ args: argv, allowPositionals: true, options: { target: { type: "string" }, "readiness-path": { type: "string" } } }, USAGE);
    if (typeof parsed === "number") return parsed;
    if (parsed.positionals.length !== 1) return usageError("expected exactly one Dockerfile path", USAGE);
    const readinessPath = parsed.values["readiness-path"];
    if (readinessPath !== undefined && !/^\/\S*$/.test(readinessPath)) {
        process.stderr.write(`--readiness-path must be an absolute HTTP path such as /ready, not ${JSON.stringify(readinessPath)}\n`);
        return 2;
    }
    try {
        const result = probesFromDockerfile(parsed.positionals[0], parsed.values.target, { readinessPath });
        for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
        const probes = result.probes ?? { livenessProbe: null, readinessProbe: null, startupProbe: null };
        process.stdout.write(`${JSON.stringify(probes, null, 2)}\n`);
        return 0;
    } catch (error) {
        if (error instanceof DockerfileError) {
            process.stderr.write(`error: ${error.message}\n`);
            return 1;
        }
        throw error;
    }
}

process.exitCode = main(process.argv.slice(2));
