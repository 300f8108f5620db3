/**
 * Read and write the image reference of a `Pulumi.<stack>.yaml`, keeping every other
 * line and comment as it was (the `yaml` library's Document API edits the parsed tree,
 * not the text).
 */
import { isMap, parseDocument, type Document } from "yaml";

import { ConfigError } from "../errors";

const IMAGE_KEY = "ragstar:image";

function load(text: string, file: string): Document {
    const document = parseDocument(text, { keepSourceTokens: true });
    if (document.errors.length > 0) {
        throw new ConfigError(file, document.errors.map((e) => `${file}:${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`));
    }
    return document;
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
 * @throws ConfigError on YAML errors (file and line)
 */
export function readStackImage(text: string, file: string): StackImage {
    const image = load(text, file).getIn(["config", IMAGE_KEY]);
    if (!isMap(image)) return {};
    const get = (key: string) => {
        const value = image.get(key);
        return typeof value === "string" ? value : undefined;
    };
    return { ref: get("ref"), registry: get("registry"), fromStack: get("fromStack") };
}

/** The stack file with a new image reference, and the old one (if any). */
export interface ImageRefEdit {
    text: string;
    previous?: string;
}

/**
 * Set `ragstar:image.ref` and change nothing else.
 *
 * @throws ConfigError when the target stack builds its image or follows another stack: a
 *   promotion target deploys a promoted digest and nothing else
 */
export function setImageRef(text: string, file: string, ref: string): ImageRefEdit {
    const document = load(text, file);
    const current = readStackImage(text, file);
    if (current.registry !== undefined) {
        throw new ConfigError(file, [`${IMAGE_KEY}.registry is set: this stack builds its own image, so it is not a promotion target; remove the build settings and keep only ${IMAGE_KEY}.ref`]);
    }
    if (current.fromStack !== undefined) {
        throw new ConfigError(file, [`${IMAGE_KEY}.fromStack is set: this stack follows ${current.fromStack} through a StackReference; promote into that stack instead, or remove fromStack`]);
    }
    document.setIn(["config", IMAGE_KEY, "ref"], ref);
    return { text: document.toString({ lineWidth: 0 }), previous: current.ref };
}
