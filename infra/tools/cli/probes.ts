/**
 * `npm run --silent probes -- PATH/TO/Dockerfile [--target STAGE] [--readiness-path PATH]`
 *
 * Prints the Kubernetes probes derived from the Dockerfile's HEALTHCHECK as one JSON
 * object `{"livenessProbe": …, "readinessProbe": …, "startupProbe": …}` on stdout (all three null
 * only when the stage has no HEALTHCHECK and the caller opted out).
 * Warnings go to stderr. Exit status: 0 on success, 1 when the Dockerfile cannot be
 * mapped (the error, with file and line, on stderr), 2 on bad usage.
 */

import { parseCommandLine, UsageError } from "./commandLine";
import { runCli } from "./runCli";
import { probesFromDockerfile } from "../../probes/fromDockerfile";

const USAGE = "usage: npm run --silent probes -- DOCKERFILE [--target STAGE] [--readiness-path PATH]";

function main(argv: string[]): void {
    const parsed = parseCommandLine({ args: argv, allowPositionals: true, options: { target: { type: "string" }, "readiness-path": { type: "string" } } });
    if (parsed.positionals.length !== 1) throw new UsageError("expected exactly one Dockerfile path");
    const readinessPath = parsed.values["readiness-path"];
    if (readinessPath !== undefined && !/^\/\S*$/.test(readinessPath)) throw new UsageError(`--readiness-path must be an absolute HTTP path such as /ready, not ${JSON.stringify(readinessPath)}`);
    // A DockerfileError (file and line) is the runner's to print.
    const result = probesFromDockerfile(parsed.positionals[0], parsed.values.target, { readinessPath });
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    const probes = result.probes ?? { livenessProbe: null, readinessProbe: null, startupProbe: null };
    process.stdout.write(`${JSON.stringify(probes, null, 2)}\n`);
}

runCli(main, USAGE);
