/**
 * Task exits as the node's containerd reports them (`ctr events`, namespace k8s.io): the exact
 * time a container's process ended (`exited_at`, nanoseconds) and its exit status, which the
 * pod's status only gives to the second, and only after the kubelet's next relist.
 *
 * One `ctr events` line: `<date> <time> +0000 UTC k8s.io /tasks/exit {"container_id":…,"id":…,
 * "pid":…,"exit_status":…,"exited_at":"…Z"}`; protobuf's JSON leaves out a zero exit_status.
 */
import { spawn, type ChildProcess } from "node:child_process";

import { nodeFacts } from "../../../infra/tools/node/nodeCluster";

/** One task exit. */
export interface TaskExit {
    containerId: string;
    /** The exiting process is the container's own (not an exec'd one). */
    main: boolean;
    exitStatus: number;
    /** exited_at as Date.now()-style milliseconds (sub-millisecond part kept as a fraction). */
    exitedAt: number;
}

/** A running `ctr events` subscription. */
export interface ExitWatch {
    /** The main process exit of `containerId` (with or without `containerd://`). @throws Error after `timeoutMs` */
    exitOf(containerId: string, timeoutMs: number): Promise<TaskExit>;
    stop(): void;
}

/** RFC 3339 with up to nanoseconds → milliseconds since the epoch, keeping the fraction. */
export function rfc3339Millis(stamp: string): number {
    const match = /^(.*?)(?:\.(\d+))?Z$/.exec(stamp);
    if (!match) throw new Error(`not an RFC 3339 UTC timestamp: ${stamp}`);
    return Date.parse(`${match[1]}Z`) + Number(`0.${match[2] ?? "0"}`) * 1000;
}

/** Parse one `ctr events` line; undefined unless it is a /tasks/exit event. */
export function parseTaskExit(line: string): TaskExit | undefined {
    const at = line.indexOf(" /tasks/exit ");
    if (at < 0) return undefined;
    const event = JSON.parse(line.slice(at + " /tasks/exit ".length));
    return { containerId: event.container_id, main: event.id === event.container_id, exitStatus: event.exit_status ?? 0, exitedAt: rfc3339Millis(event.exited_at) };
}

/** Subscribe to the node containerd's events; resolves once `ctr` is running (give it a moment to connect). */
export async function watchExits(): Promise<ExitWatch> {
    const child: ChildProcess = spawn("ctr", ["--address", nodeFacts().containerd, "events"], { stdio: ["ignore", "pipe", "pipe"] });
    const exits: TaskExit[] = [];
    let pending = "";
    let errors = "";
    child.stdout!.on("data", (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
            const exit = parseTaskExit(pending.slice(0, newline));
            pending = pending.slice(newline + 1);
            if (exit) exits.push(exit);
        }
    });
    child.stderr!.on("data", (chunk) => (errors += chunk));
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode !== null) throw new Error(`ctr events exited (${child.exitCode}): ${errors}`);
    return {
        async exitOf(containerId, timeoutMs) {
            const id = containerId.replace(/^containerd:\/\//, "");
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const found = exits.find((e) => e.containerId === id && e.main);
                if (found) return found;
                if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no exit of container ${id} from containerd within ${timeoutMs} ms: ${errors}`);
                await new Promise((r) => setTimeout(r, 50));
            }
        },
        stop: () => {
            if (child.exitCode === null) child.kill("SIGTERM");
        },
    };
}
