/**
 * The GitHub and Ollama fakes of the service tests (tests/service/serve_fakes.py, standard
 * library only) run by the host's python3, bound to an address a pod can reach: the node IP,
 * the bridge's gateway address, where the pod's traffic to the host arrives.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

import { ROOT_DIR } from "../../../infra/paths";

/** Running fakes: their base URLs and how to stop them. */
export interface Fakes {
    githubUrl: string;
    ollamaUrl: string;
    githubPort: number;
    ollamaPort: number;
    /** Everything the process printed (for failure messages). */
    output(): string;
    /** SIGTERM, then wait for the exit. */
    stop(): Promise<void>;
}

/** A TCP port free on `host` now (bound and released; the fakes bind it right after). */
export function freePort(host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, host, () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/**
 * Start serve_fakes.py on `host` and wait for its "fakes ready" line.
 * @throws Error with the process's output when it exits or is not ready within `timeoutMs`
 */
export async function startFakes(host: string, timeoutMs = 20_000): Promise<Fakes> {
    const githubPort = await freePort(host);
    const ollamaPort = await freePort(host);
    const dir = path.join(ROOT_DIR, "tests/service");
    const child: ChildProcess = spawn("python3", ["serve_fakes.py", "--host", host, "--github-port", String(githubPort), "--ollama-port", String(ollamaPort)], {
        cwd: dir,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (!output.includes("fakes ready")) {
        if (child.exitCode !== null || Date.now() > deadline) {
            child.kill("SIGKILL");
            throw new Error(`serve_fakes.py on ${host} did not get ready (exit ${child.exitCode}): ${output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    return {
        githubUrl: `http://${host}:${githubPort}`,
        ollamaUrl: `http://${host}:${ollamaPort}`,
        githubPort,
        ollamaPort,
        output: () => output,
        async stop() {
            if (child.exitCode === null) child.kill("SIGTERM");
            await exited;
        },
    };
}
