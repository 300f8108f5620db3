/**
 * Read and write the image reference of a `Pulumi.<stack>.yaml`. The write changes the
 * bytes of that one scalar and nothing else: the `yaml` library's concrete syntax tree
 * (CST) keeps every other character, comment, blank line and line ending as it was.
 */
import { Composer, CST, isMap, isScalar, Parser, type Document } from "yaml";

import { ConfigError } from "../errors";

const IMAGE_KEY = "ragstar:image";

interface Parsed {
    tokens: CST.Token[];
    document: Document;
}

function parse(text: string, file: string): Parsed {
    const tokens = [...new Parser().parse(text)];
    const documents = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
    const document = documents[0];
    const errors = documents.flatMap((d) => d.errors);
    if (!document || errors.length > 0) {
        throw new ConfigError(file, errors.length > 0 ? errors.map((e) => `${file}: ${e.message.split("\n")[0]}`) : [`${file}: empty file`]);
    }
    return { tokens, document };
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
 * @throws ConfigError on YAML errors
 */
export function readStackImage(text: string, file: string): StackImage {
    const image = parse(text, file).document.getIn(["config", IMAGE_KEY]);
    if (!isMap(image)) return {};
    const get = (key: string) => {
        const value = image.get(key);
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
    CST.setScalarValue(node.srcToken, ref);
    return { text: tokens.map((token) => CST.stringify(token)).join(""), previous: node.value };
}
