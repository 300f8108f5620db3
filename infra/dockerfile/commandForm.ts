/**
 * The command of CMD, ENTRYPOINT, `HEALTHCHECK CMD` and SHELL as written: exec form (argv) or
 * shell form (one string the stage's SHELL runs). The text is exec form when it parses as a JSON
 * array of strings, else shell form (buildkit frontend/dockerfile/parser `parseMaybeJSON`).
 */
import { DockerfileError } from "../errors";

/** The shell Docker uses for shell-form commands when the stage sets no SHELL. */
export const DEFAULT_SHELL: readonly string[] = ["/bin/sh", "-c"];

/** A command as written: exec form (argv) or shell form (one string run by the stage's SHELL). */
export type CommandForm =
    | { form: "exec"; argv: string[]; line: number }
    | { form: "shell"; command: string; line: number };

/**
 * Split the text after `CMD`/`ENTRYPOINT`/`HEALTHCHECK CMD` into exec or shell form, as
 * buildkit's `parseMaybeJSON` does: JSON array of strings → exec; a JSON array with
 * anything but strings → error; anything else (including malformed JSON) → shell form.
 */
export function parseCommandText(text: string, file: string, line: number): CommandForm {
    const trimmed = text.trim();
    if (trimmed.startsWith("[")) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(trimmed);
        } catch {
            return { form: "shell", command: trimmed, line };
        }
        if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
            throw new DockerfileError(file, line, "JSON arrays in a Dockerfile must hold only strings");
        }
        return { form: "exec", argv: parsed as string[], line };
    }
    return { form: "shell", command: trimmed, line };
}

/**
 * SHELL's argv; BuildKit's `parseShell` accepts only a non-empty JSON array.
 *
 * @param text the text after `SHELL`
 * @throws DockerfileError for anything else
 */
export function parseShellArgv(text: string, file: string, line: number): string[] {
    const command = parseCommandText(text, file, line);
    if (command.form !== "exec" || command.argv.length === 0) {
        throw new DockerfileError(file, line, 'SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/bash", "-c"]');
    }
    return command.argv;
}
