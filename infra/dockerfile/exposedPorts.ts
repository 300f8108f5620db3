/**
 * The TCP ports a stage EXPOSEs, which the Service and an HTTP probe may target.
 */
import type { StageFacts } from "./facts";

/**
 * The distinct TCP ports of a stage's EXPOSE instructions, in the order they first appear
 * (inherited ones first). UDP and SCTP ports are left out: probes and the Service's
 * targetPort here are TCP.
 *
 * @returns port numbers (1–65535); empty when the stage exposes no TCP port
 */
export function exposedTcpPorts(facts: Pick<StageFacts, "exposedPorts">): number[] {
    return [...new Set(facts.exposedPorts.filter((p) => p.protocol === "tcp").map((p) => p.port))];
}
