/**
 * Read and write the image reference of a `Pulumi.<stack>.yaml`. The write changes the
 * bytes of that one scalar and nothing else: the `yaml` library's concrete syntax tree
 * (CST) keeps every other character, comment, blank line and line ending as it was.
 */
import { Composer, CST, isScalar, LineCounter, Parser, type Document } from "yaml";
import type { z } from "zod";

import { ConfigError } from "../../errors";
import { allowedMessage, describeConfigValue } from "../../config/stackConfig";
import { promotionSchema, supplyChainSchema, type PromotionConfig, type SupplyChainConfig } from "../../config/supplyChain";
import { documentValue } from "../../yamlText";

const IMAGE_KEY = "ragstar:image";

/** Why a stack file's value is not a mapping, or undefined when it is (an empty file is refused elsewhere). */
export function mappingProblem(value: unknown): string | undefined {
    if (value === null || (typeof value === "object" && !Array.isArray(value))) return undefined;
    return `a stack file is a YAML mapping (config: ...), not ${Array.isArray(value) ? "a list" : `a ${typeof value}`}`;
}

interface Parsed {
    tokens: CST.Token[];
    document: Document;
    value: unknown;
}

/** @throws ConfigError with problems `line N: …` (syntax, undefined alias, alias bomb, more than one document) */
function parse(text: string, file: string): Parsed {
    const lines = new LineCounter();
    const tokens = [...new Parser(lines.addNewLine).parse(text)];
    const documents = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
    const document = documents[0];
    if (!document) throw new ConfigError(file, ["empty file"]);
    if (documents.length > 1) throw new ConfigError(file, [`line ${lines.linePos(documents[1].range[0]).line}: a stack file holds one YAML document`]);
    const parsed = documentValue(document, lines);
    if ("problems" in parsed) throw new ConfigError(file, parsed.problems);
    const notMapping = mappingProblem(parsed.value);
    if (notMapping) throw new ConfigError(file, [`line ${lines.linePos(document.contents?.range?.[0] ?? 0).line}: ${notMapping}`]);
    return { tokens, document, value: parsed.value };
}

/** What a stack file says about its image. */
export interface StackImage {
    ref?: string;
    registry?: string;
    fromStack?: string;
}

/**
 * The `ragstar:image` settings of a stack file.
 *
 * @throws ConfigError on YAML errors, naming the line
 */
export function readStackImage(text: string, file: string): StackImage {
    const root = parse(text, file).value as { config?: Record<string, unknown> } | null;
    const image = root?.config?.[IMAGE_KEY];
    if (image === null || typeof image !== "object" || Array.isArray(image)) return {};
    const get = (key: string) => {
        const value = (image as Record<string, unknown>)[key];
        return typeof value === "string" ? value : undefined;
    };
    return { ref: get("ref"), registry: get("registry"), fromStack: get("fromStack") };
}

/** The stack file with a new image reference, and the old one. */
export interface ImageRefEdit {
    text: string;
    previous: string;
}

/**
 * Set `ragstar:image.ref` and change nothing else.
 *
 * A block scalar (`ref: >-` and the value on the next line) becomes a plain scalar on the key's
 * line; the result is parsed again and must hold `ref`, so a broken file is never returned.
 *
 * @throws ConfigError when the target stack builds its image, follows another stack, or has
 *   no `ragstar:image.ref` to replace: a promotion target deploys a promoted digest and nothing else
 */
export function setImageRef(text: string, file: string, ref: string): ImageRefEdit {
    const { tokens, document } = parse(text, file);
    const current = readStackImage(text, file);
    if (current.registry !== undefined) {
        throw new ConfigError(file, [`${IMAGE_KEY}.registry is set: this stack builds its own image, so it is not a promotion target; remove the build settings and keep only ${IMAGE_KEY}.ref`]);
    }
    if (current.fromStack !== undefined) {
        throw new ConfigError(file, [`${IMAGE_KEY}.fromStack is set: this stack follows ${current.fromStack} through a StackReference; promote into that stack instead, or remove fromStack`]);
    }
    const node = document.getIn(["config", IMAGE_KEY, "ref"], true);
    if (!isScalar(node) || typeof node.value !== "string" || !node.srcToken) {
        throw new ConfigError(file, [`no ${IMAGE_KEY}.ref to replace; a promotion target names its image as "${IMAGE_KEY}:\\n    ref: REGISTRY/REPOSITORY@sha256:…"`]);
    }
    CST.setScalarValue(node.srcToken, ref, { type: "PLAIN" });
    const edited = tokens.map((token) => CST.stringify(token)).join("");
    const check = readStackImage(edited, file);
    if (check.ref !== ref) throw new ConfigError(file, [`replacing ${IMAGE_KEY}.ref would not yield ${ref} (got ${JSON.stringify(check.ref)}); edit it by hand`]);
    return { text: edited, previous: node.value };
}

/** What a target stack file says about verification and where promotion copies to. */
export interface StackSupplyChain {
    supplyChain: SupplyChainConfig;
    promotion?: PromotionConfig;
}

/**
 * The `ragstar:supplyChain` and `ragstar:promotion` settings of a stack file, validated with the
 * stack config's own schemas (config/supplyChain.ts).
 *
 * @throws ConfigError naming the key, the value (a private key is never repeated) and what is allowed
 */
export function readStackSupplyChain(text: string, file: string): StackSupplyChain {
    const root = parse(text, file).value as { config?: Record<string, unknown> } | null;
    const problems: string[] = [];
    const read = <T>(key: string, schema: z.ZodType<T>, fallback: unknown): T | undefined => {
        const value = root?.config?.[key] ?? fallback;
        if (value === undefined) return undefined;
        const result = schema.safeParse(value, { error: allowedMessage });
        if (result.success) return result.data;
        for (const issue of result.error.issues) {
            const at = [key, ...issue.path.map(String)].join(".");
            const shown = issue.path.length === 0 ? value : issue.path.reduce<unknown>((v, p) => (v as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey], value);
            // The stack config's own masking: a private key or a password pasted anywhere inside is not repeated.
            problems.push(`${at}: ${describeConfigValue(shown)}: ${issue.message}`);
        }
        return undefined;
    };
    const supplyChain = read("ragstar:supplyChain", supplyChainSchema, {});
    const promotion = read("ragstar:promotion", promotionSchema, undefined);
    if (problems.length > 0 || supplyChain === undefined) throw new ConfigError(file, problems);
    return { supplyChain, promotion };
}
