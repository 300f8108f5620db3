/**
 * The argument and flag rules BuildKit applies to every instruction of every stage before it
 * builds anything (moby/buildkit frontend/dockerfile/instructions/parse.go `ParseInstruction`
 * and its `parse<Instruction>` functions; flags by bflag.go `BFlags.Parse`; arguments split by
 * parser/line_parsers.go). HEALTHCHECK and SHELL are read in healthcheck.ts and commandForm.ts;
 * their flags are checked here too. Messages are BuildKit's own.
 *
 * Current BuildKit is followed where Docker 20.10's built-in frontend differs: COPY/ADD
 * `--link`, `--exclude`, `--parents`, ADD `--keep-git-dir`/`--checksum` and RUN `--network`/
 * `--security` are known flags, and ARG takes several names.
 */
import { extractBuilderFlags, FlagError, parseFlags, splitFirstWord, type FlagKind } from "./builderFlags";
import { lineArgs, LineParseError } from "./lineParsers";

/** The instructions BuildKit knows (frontend/dockerfile/command/command.go); any other keyword is refused. */
export const KNOWN_INSTRUCTIONS: readonly string[] = [
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
];

/** An instruction BuildKit refuses; the message is BuildKit's. */
export class InstructionError extends Error {}

const STRING: FlagKind = "string";
const BOOL: FlagKind = "bool";
const STRINGS: FlagKind = "strings";

/** The flags each instruction defines (`req.flags.Add…` in parse.go and the RUN hooks). Absent: none. */
const FLAGS: Readonly<Record<string, Readonly<Record<string, FlagKind>>>> = {
    // parseAdd
    ADD: { chown: STRING, chmod: STRING, link: BOOL, "keep-git-dir": BOOL, checksum: STRING, exclude: STRINGS },
    // parseCopy
    COPY: { chown: STRING, from: STRING, chmod: STRING, link: BOOL, parents: BOOL, exclude: STRINGS },
    // parseFrom
    FROM: { platform: STRING },
    // parseRun with commands_runmount.go, commands_runnetwork.go, commands_runsecurity.go
    RUN: { mount: STRINGS, network: STRING, security: STRING },
    // parseHealthcheck (checked in healthcheck.ts, which knows NONE skips them)
    HEALTHCHECK: { interval: STRING, timeout: STRING, "start-period": STRING, "start-interval": STRING, retries: STRING },
};

/** commands_runnetwork.go `allowedNetwork`. */
const RUN_NETWORKS = ["default", "none", "host"];
/** commands_runsecurity.go `allowedSecurity`. */
const RUN_SECURITY = ["sandbox", "insecure"];

/** parse.go `validStageName`, matched against the lower-cased name. */
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

const atLeastOne = (keyword: string) => new InstructionError(`${keyword} requires at least one argument`);
const exactlyOne = (keyword: string) => new InstructionError(`${keyword} requires exactly one argument`);
const noDestination = (keyword: string) => new InstructionError(`${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);

function checkFlags(keyword: string, words: readonly string[]): Map<string, string[]> {
    try {
        return parseFlags(words, FLAGS[keyword] ?? {});
    } catch (error) {
        if (error instanceof FlagError) throw new InstructionError(error.message);
        throw error;
    }
}

/** `parseKvps` (ENV, LABEL): at least one pair, no blank name. */
function checkKeyValues(keyword: string, args: readonly string[]): void {
    if (args.length === 0) throw atLeastOne(keyword);
    for (let i = 0; i < args.length; i += 3) if (args[i] === "") throw new InstructionError(`${keyword} names can not be blank`);
}

/** ONBUILD's trigger line as the parser reads it: its keyword (lower case, as `node.Value`) and its own arguments. */
function onbuildTrigger(line: string, escapeChar: string): string[] {
    const { first, rest } = splitFirstWord(line.trim());
    const { rest: args } = extractBuilderFlags(rest);
    return [first.toLowerCase(), ...lineArgs(first.toUpperCase(), args, escapeChar, (l) => onbuildTrigger(l, escapeChar)).args];
}

/**
 * Check one instruction as `ParseInstruction` would.
 *
 * @param keyword upper case, a known instruction
 * @param text the text after the keyword, continuations joined (no heredoc bodies)
 * @param escapeChar `\` or `` ` ``
 * @throws InstructionError with BuildKit's message
 */
export function checkInstruction(keyword: string, text: string, escapeChar: string): void {
    const { flags: flagWords, rest } = extractBuilderFlags(text);
    let args: string[];
    try {
        args = lineArgs(keyword, rest, escapeChar, (line) => onbuildTrigger(line, escapeChar)).args;
    } catch (error) {
        if (error instanceof LineParseError) throw new InstructionError(error.message);
        throw error;
    }
    switch (keyword) {
        case "ADD":
        case "COPY":
            // parseAdd / parseCopy: the count first, then the flags
            if (args.length < 2) throw noDestination(keyword);
            checkFlags(keyword, flagWords);
            return;
        case "ENV":
        case "LABEL":
            checkFlags(keyword, flagWords);
            checkKeyValues(keyword, args);
            return;
        case "FROM": {
            // parseFrom → parseBuildStageName, then the flags
            if (args.length === 3 && args[1].toLowerCase() === "as") {
                if (!STAGE_NAME.test(args[2].toLowerCase())) {
                    throw new InstructionError(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`);
                }
            } else if (args.length !== 1) throw new InstructionError("FROM requires either one or three arguments");
            checkFlags(keyword, flagWords);
            return;
        }
        case "MAINTAINER":
        case "USER":
        case "WORKDIR":
            if (args.length !== 1) throw exactlyOne(keyword);
            checkFlags(keyword, flagWords);
            return;
        case "STOPSIGNAL":
            // parseStopSignal never parses its flags
            if (args.length !== 1) throw exactlyOne(keyword);
            return;
        case "EXPOSE":
            if (args.length === 0) throw atLeastOne(keyword);
            checkFlags(keyword, flagWords);
            return;
        case "VOLUME":
            if (args.length === 0) throw atLeastOne(keyword);
            checkFlags(keyword, flagWords);
            if (args.some((v) => v.trim() === "")) throw new InstructionError("VOLUME specified can not be an empty string");
            return;
        case "ARG":
            // parseArg never parses its flags
            if (args.length === 0) throw atLeastOne(keyword);
            if (args.some((a) => a.startsWith("="))) throw new InstructionError("ARG names can not be blank");
            return;
        case "ONBUILD": {
            if (args.length === 0) throw atLeastOne(keyword);
            checkFlags(keyword, flagWords);
            const trigger = args[0].trim().toUpperCase();
            if (trigger === "ONBUILD") throw new InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            if (trigger === "MAINTAINER" || trigger === "FROM") throw new InstructionError(`${trigger} isn't allowed as an ONBUILD trigger`);
            return;
        }
        case "RUN": {
            const flags = checkFlags(keyword, flagWords);
            const network = flags.get("network")?.[0] ?? "default";
            if (!RUN_NETWORKS.includes(network)) throw new InstructionError(`network mode ${JSON.stringify(network)} not supported`);
            const security = flags.get("security")?.[0] ?? "sandbox";
            if (!RUN_SECURITY.includes(security)) throw new InstructionError(`security ${JSON.stringify(security)} is not valid`);
            return;
        }
        case "HEALTHCHECK":
            // Read in healthcheck.ts: NONE leaves the flags unchecked, so they are not checked here.
            return;
        default:
            // CMD, ENTRYPOINT, SHELL: no flags
            checkFlags(keyword, flagWords);
    }
}
