/**
 * Run the project the way `pulumi preview`/`pulumi up` does, minus the Go binaries that cannot be
 * had here (the CLI's engine and `pulumi-language-nodejs`): read `Pulumi.yaml` as the CLI does,
 * derive the program directory, entry point, arguments and environment exactly as the Node.js
 * language host does, and spawn `@pulumi/pulumi/cmd/run` (the SDK's real entry point and option
 * handling: `--pwd`, PULUMI_NODEJS_TYPESCRIPT, PULUMI_NODEJS_TSCONFIG_PATH, package.json `main`)
 * against an in-process stand-in resource monitor and engine (gRPC) that records every
 * registration and log message.
 *
 * Sources (pulumi/pulumi, read, not copied):
 * - `pkg/engine/project.go` `getPwdMain`: `main` is joined to the project root; when it is a
 *   directory, the program directory (pwd) is `main` and the entry point is `.`; when a file,
 *   pwd is its directory and the entry point its base name.
 * - `sdk/nodejs/cmd/pulumi-language-nodejs/main.go` `parseOptions`: `typescript` (default true),
 *   `tsconfig` (string, passed as is); `execRuntime`: env PULUMI_CONFIG (keys rewritten to
 *   `<namespace>:config:<name>`, `constructConfig`), PULUMI_CONFIG_SECRET_KEYS,
 *   PULUMI_NODEJS_TYPESCRIPT=true, PULUMI_NODEJS_TSCONFIG_PATH=<tsconfig option, unresolved>;
 *   `constructArguments`: `<runPath> --monitor A --engine A --organization O --project P
 *   --root-directory R --stack S --pwd <program directory> [--dry-run] --parallel N <entry point>`;
 *   `Run`: runPath is `require.resolve('@pulumi/pulumi/cmd/run')` from the program directory.
 * - `sdk/nodejs/cmd/run/run.ts` (in node_modules): `process.chdir(pwd)`, then
 *   `fs.existsSync(PULUMI_NODEJS_TSCONFIG_PATH)` relative to that directory, else
 *   "tsconfig path was set to X but the file was not found".
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import * as grpc from "@grpc/grpc-js";
import { parse } from "yaml";

// The SDK's generated gRPC stubs and messages (CommonJS, no types needed for the stand-in).
/* eslint-disable @typescript-eslint/no-require-imports */
const resrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

/** What the language host takes from Pulumi.yaml: `name`, `main`, `runtime.options`. */
export interface ProjectFile {
    name: string;
    main?: string;
    runtime: { name: string; options: Record<string, unknown> };
}

/** Read Pulumi.yaml; `runtime` may be a bare name or `{name, options}` (both are valid project files). */
export function readProjectFile(rootDir: string): ProjectFile {
    const raw = parse(fs.readFileSync(path.join(rootDir, "Pulumi.yaml"), "utf8")) as { name: string; main?: string; runtime: string | { name: string; options?: Record<string, unknown> } };
    const runtime = typeof raw.runtime === "string" ? { name: raw.runtime, options: {} } : { name: raw.runtime.name, options: raw.runtime.options ?? {} };
    return { name: raw.name, main: raw.main, runtime };
}

/** `getPwdMain`: the program directory and the entry point passed to `cmd/run`. */
export function programLocation(rootDir: string, main: string | undefined): { programDirectory: string; entryPoint: string } {
    if (main === undefined || main === "") return { programDirectory: rootDir, entryPoint: "." };
    if (path.isAbsolute(main)) throw new Error("project 'main' must be a relative path");
    const full = path.resolve(rootDir, main); // filepath.Clean(filepath.Join(root, main)): no trailing separator
    return fs.statSync(full).isDirectory() ? { programDirectory: full, entryPoint: "." } : { programDirectory: path.dirname(full), entryPoint: path.basename(full) };
}

/** One `RegisterResource` call the program made. */
export interface Registration {
    type: string;
    name: string;
    custom: boolean;
    parent: string;
    dependencies: string[];
    /** The `customTimeouts` resource option's non-empty fields (Go duration strings), when any is set. */
    customTimeouts?: Partial<Record<"create" | "update" | "delete" | "read", string>>;
}

export interface HostRun {
    exitCode: number | null;
    registrations: Registration[];
    /** Engine `Log` messages (severity and text) and the child's stderr. */
    logs: string[];
    stderr: string;
}

/** The set fields of a request's CustomTimeouts (the SDK sends the message with empty strings when none is set). */
function customTimeoutsOf(timeouts: any): Pick<Registration, "customTimeouts"> {
    if (!timeouts) return {};
    const { pb_delete: del, ...rest } = timeouts.toObject() as Record<string, string>;
    const set = Object.fromEntries(Object.entries({ ...rest, delete: del }).filter(([, value]) => value !== "" && value !== undefined));
    return Object.keys(set).length === 0 ? {} : { customTimeouts: set };
}

/** A stand-in resource monitor and engine: registers everything, answers every feature with "no". */
async function startStandIn(stack: string, project: string, state: (type: string, inputs: Record<string, unknown>) => Record<string, unknown>) {
    const registrations: Registration[] = [];
    const logs: string[] = [];
    const server = new grpc.Server();
    server.addService(resrpc.ResourceMonitorService, {
        supportsFeature(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
            callback(null, new resproto.SupportsFeatureResponse().setHassupport(false));
        },
        registerResource(call: { request: any }, callback: grpc.sendUnaryData<unknown>) {
            const request = call.request;
            const type: string = request.getType();
            const name: string = request.getName();
            registrations.push({
                type,
                name,
                custom: request.getCustom(),
                parent: request.getParent(),
                dependencies: request.getDependenciesList(),
                ...customTimeoutsOf(request.getCustomtimeouts()),
            });
            const inputs = (request.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
            const { Struct } = require("google-protobuf/google/protobuf/struct_pb"); // eslint-disable-line @typescript-eslint/no-require-imports
            const response = new resproto.RegisterResourceResponse();
            response.setUrn(`urn:pulumi:${stack}::${project}::${type}::${name}`);
            if (request.getCustom()) response.setId(`${name}-id`);
            response.setObject(Struct.fromJavaScript(state(type, inputs)));
            callback(null, response);
        },
        registerResourceOutputs(_call: unknown, callback: grpc.sendUnaryData<unknown>) {
            callback(null, new Empty());
        },
    });
    server.addService(engrpc.EngineService, {
        log(call: { request: any }, callback: grpc.sendUnaryData<unknown>) {
            logs.push(`${call.request.getSeverity()}: ${call.request.getMessage()}`);
            callback(null, new Empty());
        },
    });
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    return { address: `127.0.0.1:${port}`, registrations, logs, stop: () => server.forceShutdown() };
}

/**
 * Run the project's program as `pulumi preview` (dry run) would.
 *
 * @param config the stack's config as the CLI holds it: `namespace:key` → string (objects as JSON)
 * @param state the outputs the stand-in monitor returns for a resource (default: its inputs)
 */
export async function runLikeLanguageHost(
    rootDir: string,
    stack: string,
    config: Record<string, string>,
    state: (type: string, inputs: Record<string, unknown>) => Record<string, unknown> = (_type, inputs) => inputs,
    secretKeys: string[] = [],
): Promise<HostRun> {
    const project = readProjectFile(rootDir);
    if (project.runtime.name !== "nodejs") throw new Error(`runtime ${project.runtime.name} is not nodejs`);
    const { programDirectory, entryPoint } = programLocation(rootDir, project.main);
    const options = project.runtime.options;
    const typescript = options.typescript === undefined ? true : options.typescript === true;
    const tsconfig = typeof options.tsconfig === "string" ? options.tsconfig : "";
    const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [programDirectory] });

    const standIn = await startStandIn(stack, project.name, state);
    try {
        const env: Record<string, string> = {
            ...(process.env as Record<string, string>),
            PULUMI_CONFIG: JSON.stringify(Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^([^:]+):/, "$1:config:"), value]))),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
            ...(typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
            ...(tsconfig !== "" ? { PULUMI_NODEJS_TSCONFIG_PATH: tsconfig } : {}),
        };
        // jest's own settings must not leak into the program's ts-node.
        delete env.TS_NODE_PROJECT;
        const args = [
            runPath,
            "--monitor", standIn.address,
            "--engine", standIn.address,
            "--organization", "organization",
            "--project", project.name,
            "--root-directory", rootDir,
            "--stack", stack,
            "--pwd", programDirectory,
            "--dry-run",
            "--parallel", "8",
            entryPoint,
        ];
        const child = spawn(process.execPath, args, { cwd: rootDir, env, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
        return { exitCode, registrations: standIn.registrations, logs: [...standIn.logs, stderr], stderr };
    } finally {
        standIn.stop();
    }
}
