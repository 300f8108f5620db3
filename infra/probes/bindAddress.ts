/**
 * The server bind-address check: does the image's command start a server that listens on
 * loopback only? The kubelet sends httpGet probes to the pod IP, so such a server would fail
 * every probe although Docker's in-container check passes. Loopback is `isLoopbackHost`
 * (infra/loopback.ts); a Unix socket is unreachable too.
 */
import { parse as parseShellWords } from "shell-quote";

import type { CommandForm } from "../dockerfile/commandForm";
import type { StageFacts } from "../dockerfile/facts";
import { isLoopbackHost } from "../loopback";

/** Servers whose default bind address is loopback-only (their docs: uvicorn, gunicorn, hypercorn, flask). */
const LOOPBACK_DEFAULT_SERVERS: Record<string, { hostFlags: string[]; env?: string }> = {
    uvicorn: { hostFlags: ["--host"], env: "UVICORN_HOST" },
    gunicorn: { hostFlags: ["--bind", "-b"] },
    hypercorn: { hostFlags: ["--bind", "-b"] },
    flask: { hostFlags: ["--host", "-h"], env: "FLASK_RUN_HOST" },
};

const SHELLS = new Set(["sh", "bash", "dash", "ash"]);

/** Shell words of a string; operators and globs become plain words (only flags matter here). */
function splitShell(command: string): string[] {
    return parseShellWords(command, (name: string) => `$${name}`).map((entry) =>
        typeof entry === "string" ? entry : "pattern" in entry ? entry.pattern : "op" in entry ? entry.op : "",
    );
}

/** The words a command runs, looking inside shell form and `sh -c SCRIPT`. */
function commandWords(command: CommandForm | undefined): string[] {
    if (!command) return [];
    const words = command.form === "exec" ? command.argv : splitShell(command.command);
    const out: string[] = [];
    for (let i = 0; i < words.length; i++) {
        out.push(words[i]);
        if (SHELLS.has(words[i].split("/").pop() ?? "") && words[i + 1] === "-c" && words[i + 2] !== undefined) {
            out.push(...splitShell(words[i + 2]));
            i += 2;
        }
    }
    return out;
}

/** The host part of a bind value. `--host` takes a bare host (`::1`); `--bind`/`-b` take HOST:PORT, `[v6]:PORT` or `unix:PATH`. */
function hostOf(flag: string, value: string): string {
    const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(value);
    if (bracketed) return bracketed[1];
    if (flag === "--host") return value;
    if (value.startsWith("unix:")) return value;
    return value.includes("::") ? value : value.replace(/:\d+$/, "");
}

/** Hosts the kubelet cannot reach from outside the container: loopback and Unix sockets. */
function isUnreachable(host: string): boolean {
    return isLoopbackHost(host) || host.startsWith("unix:");
}

/**
 * The error for a server that listens on loopback only, or undefined when the image's
 * command does not (or cannot be seen to). The kubelet sends httpGet probes to the pod IP,
 * so such a server would fail every probe although Docker's in-container check passes.
 * Looks at ENTRYPOINT and CMD, including shell form and `sh -c` scripts.
 */
export function loopbackBindProblem(facts: StageFacts): string | undefined {
    const words = [...commandWords(facts.entrypoint), ...commandWords(facts.cmd)];
    for (let i = 0; i < words.length; i++) {
        const word = words[i];
        const attached = /^-b(.+)$/.exec(word); // gunicorn/hypercorn accept -bHOST:PORT
        const eq = word.indexOf("=");
        const flag = attached ? "-b" : eq > 0 ? word.slice(0, eq) : word;
        if (["--host", "--bind", "-b"].includes(flag)) {
            const value = attached ? attached[1] : eq > 0 ? word.slice(eq + 1) : words[i + 1];
            if (value !== undefined && isUnreachable(hostOf(flag, value))) {
                return `the image's command binds the server to ${value} (${flag}), which the kubelet cannot reach: an httpGet probe goes to the pod IP. Bind to 0.0.0.0 (or [::]).`;
            }
        }
    }
    const serverIndex = words.findIndex((w) => Object.hasOwn(LOOPBACK_DEFAULT_SERVERS, w.split("/").pop() ?? ""));
    if (serverIndex >= 0) {
        const server = words[serverIndex].split("/").pop() as string;
        const { hostFlags, env } = LOOPBACK_DEFAULT_SERVERS[server];
        const hasHost = words.some((w) => hostFlags.includes(w.split("=")[0]) || (hostFlags.includes("-b") && /^-b.+/.test(w)));
        const envHost = env ? facts.variables.get(env) : undefined;
        if (!hasHost && !(envHost?.source === "ENV" && !isUnreachable(hostOf("--host", envHost.value)))) {
            return `the image's command runs ${server} without ${hostFlags[0]}, and ${server} listens on 127.0.0.1 by default, which the kubelet cannot reach: an httpGet probe goes to the pod IP. Add ${hostFlags[0]} 0.0.0.0${server === "gunicorn" || server === "hypercorn" ? ":PORT" : ""}.`;
        }
    }
    return undefined;
}
