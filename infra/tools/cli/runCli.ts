/**
 * The one runner of every command in infra/tools/cli/: each command's file ends with
 * `runCli(main, USAGE)`, and this is the only place where what a command threw becomes output and
 * an exit status:
 *   0  success (or `--help`, the usage on stdout)
 *   1  a failure the command reports: a `CommandFailure`, a `ConfigError`, a `DockerfileError` or a
 *      system error such as a file that cannot be read (`error: ` and the message on stderr), or
 *      an unexpected error (one line, below)
 *   2  bad usage: a `UsageError` (from the shared parser, infra/tools/cli/commandLine.ts, or the
 *      command's own checks), its message and the usage on stderr
 * A command may also return its status itself (render and promote do, after printing their own
 * lines). Nothing prints a stack trace.
 */
import { ConfigError, DockerfileError } from "../../errors";
import { HelpRequested, UsageError } from "./commandLine";

/**
 * A failure the command expected and reports as `error: <message>` on stderr, exit status 1: a
 * missing environment variable, a failed build or engine run. The message is printed as given
 * (it may carry evidence on further lines, such as a build log tail), so it must hold no secret.
 */
export class CommandFailure extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CommandFailure";
    }
}

/**
 * What a command reports for an error: `error` itself when it is one the runner maps, else a
 * `CommandFailure` with its message. For commands that drive the Docker engine or the Pulumi
 * engine, whose errors are failures to report in full (the build log or engine output they
 * carry), not bugs.
 */
export function asFailure(error: unknown): Error {
    if (error instanceof UsageError || error instanceof HelpRequested || error instanceof CommandFailure || error instanceof ConfigError || error instanceof DockerfileError) return error;
    return new CommandFailure(String((error as Error)?.message ?? error));
}

/** A command's body: the arguments after the script; returns the exit status (none: 0). */
export type CommandMain = (argv: string[]) => number | void | Promise<number | void>;

/** What the runner prints for an error, and the exit status. */
interface ErrorOutcome {
    status: number;
    stdout: string;
    stderr: string;
}

/** The command's name for messages: the npm script the usage line names (`npm run --silent NAME`). */
function commandName(usage: string): string {
    return /npm run --silent (\S+)/.exec(usage)?.[1] ?? "command";
}

/**
 * The output and exit status for what a command threw (pure).
 *
 * @param usage the command's usage line, printed with usage errors and for `--help`
 */
function errorOutcome(error: unknown, usage: string): ErrorOutcome {
    if (error instanceof HelpRequested) return { status: 0, stdout: `${usage}\n`, stderr: "" };
    if (error instanceof UsageError) return { status: 2, stdout: "", stderr: error.message === "" ? `${usage}\n` : `${error.message}\n${usage}\n` };
    if (error instanceof ConfigError) return { status: 1, stdout: "", stderr: `error: ${oneLine(`${error.source}: invalid stack config: ${error.problems.join("; ")}`)}\n` };
    if (error instanceof DockerfileError) return { status: 1, stdout: "", stderr: `error: ${oneLine(error.message)}\n` };
    if (error instanceof CommandFailure) return { status: 1, stdout: "", stderr: `error: ${error.message}\n` };
    // Node's system errors name the path and what failed (e.g. "EACCES: permission denied, open '…'").
    if ((error as NodeJS.ErrnoException)?.syscall !== undefined) return { status: 1, stdout: "", stderr: `error: ${oneLine((error as Error).message)}\n` };
    // A bug, not bad input: still one line, its first, and no stack trace. Credentials never enter
    // a message, and the render never decrypts; the first line alone keeps anything a message
    // appends (a command's output, an object dump) out of stderr.
    return { status: 1, stdout: "", stderr: `${commandName(usage)}: internal error: ${String((error as Error)?.message ?? error).split("\n")[0]}\n` };
}

/** A message on one line: its lines joined by spaces. */
function oneLine(text: string): string {
    return text.split("\n").join(" ");
}

/**
 * Run a command: call `main` with the arguments, print what an error it throws calls for, and set
 * `process.exitCode` (the process ends when its work is done, so output is flushed).
 *
 * @param usage the command's usage line (`usage: npm run --silent NAME -- …`)
 * @param argv the arguments; default: the process's, after the script
 * @returns the exit status, also set as `process.exitCode`
 */
export async function runCli(main: CommandMain, usage: string, argv: string[] = process.argv.slice(2)): Promise<number> {
    let status: number;
    try {
        status = (await main(argv)) ?? 0;
    } catch (error) {
        const outcome = errorOutcome(error, usage);
        if (outcome.stdout !== "") process.stdout.write(outcome.stdout);
        if (outcome.stderr !== "") process.stderr.write(outcome.stderr);
        status = outcome.status;
    }
    process.exitCode = status;
    return status;
}
