/**
 * HEALTHCHECK command → Kubernetes probe action.
 *
 * A check that fetches exactly one http(s) URL on the container's own host (loopback:
 * localhost, 127.0.0.0/8, [::1]; or the unspecified 0.0.0.0, [::]; infra/loopback.ts) with
 * `curl`, `wget` or Python's `urllib.request.urlopen` becomes an `httpGet` action: the
 * kubelet makes the same request without needing a client binary in the image, and without a
 * process fork per probe.
 * Every other check becomes an `exec` action that runs exactly what Docker runs: exec
 * form as written, shell form through the stage's SHELL (Docker's `CMD-SHELL`, moby
 * daemon/health.go). The rules are documented in docs/probes.md.
 */
import * as path from "node:path";
import { parse as parseShellWords, type ParseEntry } from "shell-quote";

import { DockerfileError } from "../errors";
import type { CommandForm } from "../dockerfile/commandForm";
import { expandShellParameter } from "../dockerfile/expansion";
import type { StageFacts } from "../dockerfile/facts";
import { isLoopbackHost, isUnspecifiedHost } from "../loopback";
import type { HttpGetAction, ProbeAction } from "./types";

/** The action for a probe, and anything the reviewer should know about the conversion. */
export interface DerivedAction {
    action: ProbeAction;
    warnings: string[];
}

const DEFAULT_PORT: Record<string, number> = { "http:": 80, "https:": 443 };

/** What a fetcher's arguments told us: the URL, headers, and whether HTTP errors fail the check. */
interface FetchRequest {
    url: string;
    headers: { name: string; value: string }[];
    failsOnHttpError: boolean;
}

/** Result of parsing a client's options: a request, or "not a plain single fetch" (fall back to exec). */
type FetchParse = FetchRequest | undefined;

/**
 * Walk client options, separating flags from the single URL.
 * `noValue` flags take nothing; `withValue` flags take the next word (or `--flag=value`
 * when the client accepts that spelling, or the rest of a bundled short flag such as
 * `-oNAME`). Unknown flags mean "not ours".
 *
 * @param longEquals whether `--name=value` is one option to this client: wget's getopt
 *   accepts it; curl does not (curl's tool_getparam.c matches the whole word as the option
 *   name, so `--max-time=5` is an unknown option and curl exits 2)
 */
function scanOptions(
    args: string[],
    noValue: ReadonlySet<string>,
    withValue: ReadonlySet<string>,
    onFlag: (flag: string, value: string | undefined) => boolean,
    longEquals: boolean,
): string[] | undefined {
    const positional: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (!arg.startsWith("--") && noValue.has(arg)) {
            // A multi-letter single-dash flag such as wget's -nv.
            if (!onFlag(arg, undefined)) return undefined;
        } else if (arg.startsWith("--")) {
            const eq = longEquals ? arg.indexOf("=") : -1;
            const name = eq >= 0 ? arg.slice(0, eq) : arg;
            if (noValue.has(name) && eq < 0) {
                if (!onFlag(name, undefined)) return undefined;
            } else if (withValue.has(name)) {
                const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
                if (value === undefined || !onFlag(name, value)) return undefined;
            } else {
                return undefined;
            }
        } else if (arg.startsWith("-") && arg.length > 1) {
            // Bundled short flags, e.g. -fsS or -qO-.
            for (let j = 1; j < arg.length; j++) {
                const name = `-${arg[j]}`;
                if (noValue.has(name)) {
                    if (!onFlag(name, undefined)) return undefined;
                } else if (withValue.has(name)) {
                    const value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
                    if (value === undefined || !onFlag(name, value)) return undefined;
                    break;
                } else {
                    return undefined;
                }
            }
        } else {
            positional.push(arg);
        }
    }
    return positional;
}

function parseHeader(raw: string): { name: string; value: string } | undefined {
    const colon = raw.indexOf(":");
    if (colon <= 0) return undefined;
    const value = raw.slice(colon + 1).trim();
    return value === "" ? undefined : { name: raw.slice(0, colon).trim(), value };
}

/** curl and wget treat a URL without a scheme as http://. */
function withDefaultScheme(url: string): string {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
}

/**
 * Whether curl requests this URL text as the kubelet would request it: no whitespace
 * (curl refuses a URL with an unencoded space: "URL rejected: Malformed input") and, unless
 * `-g`/`--globoff`, no glob characters `[]{}` outside an IPv6 host (curl's tool_urlglob.c
 * expands `[1-3]` and `{a,b}` into several requests).
 */
function curlFetchesAsWritten(url: string, globOff: boolean): boolean {
    if (/\s/.test(url)) return false;
    if (globOff) return true;
    const withoutV6Host = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?\[[0-9a-fA-F:.]+\]/i, "$1");
    return !/[[\]{}]/.test(withoutV6Host);
}

function parseCurl(args: string[]): FetchParse {
    const noValue = new Set([
        "-f", "--fail", "--fail-with-body", "--fail-early", "-s", "--silent", "-S", "--show-error", "-k", "--insecure",
        "-L", "--location", "-4", "--ipv4", "-6", "--ipv6", "-q", "--disable", "--no-progress-meter", "-I", "--head",
        "-v", "--verbose", "-g", "--globoff",
    ]);
    const withValue = new Set([
        "-H", "--header", "-m", "--max-time", "--connect-timeout", "-o", "--output", "-A", "--user-agent",
        "-w", "--write-out", "--url", "-X", "--request",
    ]);
    const headers: { name: string; value: string }[] = [];
    let fails = false;
    let urlOption: string | undefined;
    let globOff = false;
    const positional = scanOptions(args, noValue, withValue, (flag, value) => {
        if (flag === "-g" || flag === "--globoff") globOff = true;
        if (flag === "-f" || flag === "--fail" || flag === "--fail-with-body") fails = true;
        if (flag === "-H" || flag === "--header") {
            const header = parseHeader(value ?? "");
            if (!header) return false;
            headers.push(header);
        }
        if ((flag === "-X" || flag === "--request") && !["GET", "HEAD"].includes((value ?? "").toUpperCase())) return false;
        if (flag === "--url") urlOption = value;
        return true;
    }, false);
    if (!positional) return undefined;
    const urls = urlOption === undefined ? positional : [urlOption, ...positional];
    if (urls.length !== 1 || !curlFetchesAsWritten(urls[0], globOff)) return undefined;
    return { url: withDefaultScheme(urls[0]), headers, failsOnHttpError: fails };
}

function parseWget(args: string[]): FetchParse {
    const noValue = new Set([
        "-q", "--quiet", "--spider", "-nv", "--no-verbose", "-S", "--server-response", "--no-check-certificate",
        "-4", "--inet4-only", "-6", "--inet6-only",
    ]);
    const withValue = new Set(["-O", "--output-document", "-T", "--timeout", "-t", "--tries", "--header", "-U", "--user-agent"]);
    const headers: { name: string; value: string }[] = [];
    const positional = scanOptions(args, noValue, withValue, (flag, value) => {
        if (flag === "--header") {
            const header = parseHeader(value ?? "");
            if (!header) return false;
            headers.push(header);
        }
        return true;
    }, true);
    if (!positional || positional.length !== 1) return undefined;
    // wget exits non-zero (8) on any HTTP error status.
    return { url: withDefaultScheme(positional[0]), headers, failsOnHttpError: true };
}

/**
 * Python one-liners of the shape `import urllib.request; urllib.request.urlopen('URL', timeout=N)`:
 * only imports and exactly one urlopen call of a literal URL. urlopen raises on status ≥ 400
 * and on connection errors, so the interpreter exits 1.
 */
function parsePython(args: string[]): FetchParse {
    if (args.length !== 2 || args[0] !== "-c") return undefined;
    const statements = args[1]
        .split(/[;\n]/)
        .map((s) => s.trim())
        .filter((s) => s !== "");
    let url: string | undefined;
    for (const statement of statements) {
        if (/^(import\s+[\w.]+(\s*,\s*[\w.]+)*|from\s+urllib\.request\s+import\s+urlopen)$/.test(statement)) continue;
        const call = /^(?:urllib\.request\.)?urlopen\(\s*(['"])([^'"\\]+)\1\s*(?:,\s*timeout\s*=\s*[\d.]+\s*)?\)$/.exec(statement);
        if (!call || url !== undefined) return undefined;
        url = call[2];
    }
    if (url === undefined || !/\burllib\.request\b/.test(args[1])) return undefined;
    return { url, headers: [], failsOnHttpError: true };
}

/**
 * Whether a URL's host is the container itself, so the kubelet's request to the pod IP reaches
 * the same server: loopback, or the unspecified address, which a client's connect sends to its
 * own host (infra/loopback.ts). A server bound to loopback only is caught by bindAddress.ts.
 *
 * @param hostname a WHATWG `URL` hostname (canonical: lower case, `[::1]`, `127.0.0.1`)
 */
function reachesOwnHost(hostname: string): boolean {
    return isLoopbackHost(hostname) || isUnspecifiedHost(hostname);
}

function toHttpGet(request: FetchRequest): HttpGetAction | undefined {
    let url: URL;
    try {
        url = new URL(request.url);
    } catch {
        return undefined;
    }
    const defaultPort = DEFAULT_PORT[url.protocol];
    if (defaultPort === undefined || !reachesOwnHost(url.hostname) || url.username !== "" || url.password !== "") return undefined;
    const action: HttpGetAction = {
        path: `${url.pathname}${url.search}`,
        port: url.port === "" ? defaultPort : Number(url.port),
        scheme: url.protocol === "https:" ? "HTTPS" : "HTTP",
    };
    if (request.headers.length > 0) action.httpHeaders = request.headers;
    return action;
}

const FETCHERS: { matches: (program: string) => boolean; parse: (args: string[]) => FetchParse; name: string }[] = [
    { name: "curl", matches: (p) => p === "curl", parse: parseCurl },
    { name: "wget", matches: (p) => p === "wget", parse: parseWget },
    { name: "python", matches: (p) => /^python(3(\.\d+)?)?$/.test(p), parse: parsePython },
];

/**
 * Resolve `$VAR`/`${VAR}` in a shell-form check against the stage's ENV, as the
 * container's shell would when Docker runs it, and split it into words.
 * Returns undefined when the command is more than one simple command (optionally
 * followed by `|| exit 1`, the usual idiom that maps curl's exit codes to 1).
 */
function shellWords(facts: StageFacts, command: string, line: number): string[] | undefined {
    // shell-quote hands over the text inside ${...}; the container's shell gives it its value.
    const environment = (name: string): string | undefined => {
        const known = facts.variables.get(name);
        return known?.source === "ENV" ? known.value : undefined;
    };
    const unknown = (variable: string): never => {
        const known = facts.variables.get(variable);
        if (known?.source === "ARG") {
            throw new DockerfileError(
                facts.file,
                line,
                `HEALTHCHECK uses $${variable}, which only an ARG sets (line ${known.line}); ARG values are not in the container's environment when Docker runs the check, so it would see an empty value. Add ENV ${variable}=\${${variable}}.`,
            );
        }
        throw new DockerfileError(facts.file, line, `HEALTHCHECK uses $${variable}, which no ENV of stage "${facts.stage}" or its parent stages sets, so its value at run time is unknown`);
    };
    const resolve = (expression: string): string => expandShellParameter(expression, environment, unknown);
    // The shell computes these when the check runs, so the request cannot be known here:
    // special parameters ($?, $$, $1, ...), command substitution ($(...), `...`),
    // arithmetic ($((...))) and nested expansions (${A:-${B}}). Docker accepts them (the
    // command is stored as CMD-SHELL text), so the probe runs the same text: exec.
    if (SHELL_RUNTIME_EXPANSION.test(command)) return undefined;
    const entries: ParseEntry[] = parseShellWords(command, resolve);
    const words: string[] = [];
    for (let i = 0; i < entries.length; i++) {
        const entry = entries[i];
        if (typeof entry === "string") {
            words.push(entry);
        } else if ("pattern" in entry) {
            words.push(entry.pattern);
        } else if ("op" in entry && entry.op === "||" && i === entries.length - 3 && entries[i + 1] === "exit" && entries[i + 2] === "1") {
            return words;
        } else {
            return undefined;
        }
    }
    return words;
}

/** Shell syntax whose value only exists when the check runs (POSIX sh: special parameters, command substitution, arithmetic; and a `${` inside `${...}`). */
const SHELL_RUNTIME_EXPANSION = /\$[?$!#*@0-9-]|\$\(|`|\$\{[^}]*\$\{/;

const EXEC_FORM_VARIABLE = /\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Derive the probe action for a HEALTHCHECK command of the given stage.
 *
 * @throws DockerfileError when an exec-form check contains `${VAR}` (Docker never expands
 *   it) or a shell-form check uses a variable that the stage's ENV does not set
 */
export function deriveAction(facts: StageFacts, command: CommandForm): DerivedAction {
    let words: string[] | undefined;
    if (command.form === "exec") {
        const withVariable = command.argv.find((word, index) => EXEC_FORM_VARIABLE.test(word) && !(index === 2 && command.argv[1] === "-c"));
        if (withVariable !== undefined) {
            throw new DockerfileError(
                facts.file,
                command.line,
                `exec-form HEALTHCHECK argument ${JSON.stringify(withVariable)} contains a variable, but Docker never expands variables in exec form; use shell form (HEALTHCHECK CMD ...) or a literal value`,
            );
        }
        words = command.argv;
    } else {
        words = shellWords(facts, command.command, command.line);
    }

    const warnings: string[] = [];
    if (words && words.length > 0) {
        const program = path.posix.basename(words[0]);
        const fetcher = FETCHERS.find((f) => f.matches(program));
        const request = fetcher?.parse(words.slice(1));
        const httpGet = request && toHttpGet(request);
        if (fetcher && request && httpGet) {
            if (!request.failsOnHttpError) {
                warnings.push(
                    `${facts.file}:${command.line}: HEALTHCHECK runs curl without --fail, so Docker counts an HTTP error status as healthy; the derived httpGet probe is stricter (it fails on status ≥ 400). Add --fail to make both agree.`,
                );
            }
            return { action: { httpGet }, warnings };
        }
    }
    const argv = command.form === "exec" ? command.argv : [...facts.shell, command.command];
    return { action: { exec: { command: argv } }, warnings };
}
