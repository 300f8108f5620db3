/**
 * Image references (`REGISTRY/REPOSITORY[:tag]@sha256:<64 hex>`): the patterns this package
 * accepts, and how it tells the registry host from the repository. Pure, no imports: the
 * stack config, the program, the review rules, the pull Secret and the promotion tools share it.
 *
 * Source of the grammar: distribution/reference (the parser of Docker, containerd and the
 * registry), regexp.go and the grammar in the package comment of reference.go:
 *
 *     reference      := name [ ":" tag ] [ "@" digest ]
 *     name           := [domain '/'] path-component ['/' path-component]*
 *     domain         := host [':' port-number]
 *     path-component := alpha-numeric [separator alpha-numeric]*   alpha-numeric := /[a-z0-9]+/
 *     tag            := /[\w][\w.-]{0,127}/
 *
 * and, for which first component is a registry host, `splitDockerDomain` in its normalize.go.
 * This package's patterns are that grammar with these differences (kept: tests pin what is
 * accepted, and changing it would change which stack files are valid):
 *
 * - stricter: the separator inside a path component is one of `.`, `_`, `-` (distribution:
 *   `[_.]|__|[-]+`, so also `a__b` and `a--b`); a name has at least two components
 *   (REGISTRY/REPOSITORY: no familiar `ubuntu@…`); the digest is sha256 with 64 lower-case hex
 *   (distribution: any registered algorithm, `[[:xdigit:]]{32,}`); a port has at most 5 digits;
 *   the first component allows no `_` and no bracketed IPv6 host (`[::1]:5000`);
 * - looser: the first component is `[a-zA-Z0-9][a-zA-Z0-9.-]*`, so empty or hyphen-edged
 *   labels (`a..b`, `a-.b`, `host-`) pass where distribution's domain-component refuses them;
 *   the 255-character limit on the repository path (RepositoryNameTotalLengthMax) is not checked;
 * - `isRegistryHost` follows splitDockerDomain except that an upper-case first component
 *   (a host for distribution, since paths are lower case) counts as a Docker Hub namespace.
 */

/** A path component: lower-case alphanumerics joined by single `.`, `_` or `-` (regexp.go pathComponent, see above). */
const PATH_COMPONENT = "[a-z0-9]+([._-][a-z0-9]+)*";
/** An optional `:port` (regexp.go optionalPort, at most 5 digits here). */
const OPTIONAL_PORT = "(:[0-9]{1,5})?";
/** A tag (regexp.go tag). */
const TAG = "[\\w][\\w.-]{0,127}";
/** The only digest this package deploys: sha256, 64 lower-case hex. */
/** A sha256 digest as the registry API writes it: `sha256:` and 64 lower-case hex digits (regular-expression source). */
export const SHA256_DIGEST = "sha256:[a-f0-9]{64}";

/** `REGISTRY/REPO[:tag]@sha256:<64 hex>`: an image reference pinned by digest. */
export const DIGEST_PINNED_REFERENCE = new RegExp(`^[a-zA-Z0-9][a-zA-Z0-9.-]*${OPTIONAL_PORT}(\\/${PATH_COMPONENT})+(:${TAG})?@${SHA256_DIGEST}$`);

/** Registry host[:port] with an optional path prefix, e.g. `registry.example.com/team` (`ragstar:image.registry`). */
export const REGISTRY_PREFIX = new RegExp(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?${OPTIONAL_PORT}(\\/${PATH_COMPONENT})*$`);

/** Repository path components (OCI distribution spec), e.g. `ragstar` or `team/ragstar` (`ragstar:image.repository`). */
export const REPOSITORY_PATH = new RegExp(`^${PATH_COMPONENT}(\\/${PATH_COMPONENT})*$`);

/** Ends in `@sha256:<64 hex>`: what the review rule and the base-image warning ask of any image string. */
const DIGEST_SUFFIX = new RegExp(`@${SHA256_DIGEST}$`);

/** Whether `image` ends in `@sha256:<64 hex>`, whatever comes before (a looser test than `DIGEST_PINNED_REFERENCE`). */
export function endsWithDigest(image: string): boolean {
    return DIGEST_SUFFIX.test(image);
}

/**
 * Docker's rule (distribution/reference normalize.go, splitDockerDomain): the first `/`-separated
 * component of a reference is a registry host only if it has a `.` or a `:` (a domain, an IP
 * address, a port) or is `localhost`; otherwise the image lives on Docker Hub.
 *
 * @param component the text before the first `/`
 */
export function isRegistryHost(component: string): boolean {
    return /[.:]/.test(component) || component === "localhost";
}

/**
 * The first `/`-separated component of a reference or a `host[:port][/path]` registry setting:
 * the registry host when `isRegistryHost` says so.
 */
export function firstComponent(text: string): string {
    return text.split("/")[0];
}

/** Docker Hub's registry API host, where a reference without a registry host is pulled from. */
export const DOCKER_HUB_REGISTRY = "registry-1.docker.io";

/** The parts of `REGISTRY/REPOSITORY[:tag]@sha256:…`. */
export interface ImageReference {
    /** `host[:port]`, or `registry-1.docker.io` for Docker Hub. */
    registry: string;
    /** The repository path on that registry, without tag, e.g. `platform/ragstar` or `library/python`. */
    repository: string;
    /** `sha256:<64 hex>`. */
    digest: string;
}

/**
 * Split a digest-pinned reference.
 *
 * @throws Error when the reference is not pinned by digest
 */
export function parseImageReference(reference: string): ImageReference {
    if (!DIGEST_PINNED_REFERENCE.test(reference)) {
        throw new Error(`${JSON.stringify(reference)} is not pinned by digest; expected REGISTRY/REPOSITORY@sha256:<64 hex> (a tag alone can change under you)`);
    }
    const [name, digest] = reference.split("@");
    const slash = name.indexOf("/");
    const first = firstComponent(name);
    const isHost = isRegistryHost(first);
    const path = (isHost ? name.slice(slash + 1) : name).replace(/:[\w][\w.-]*$/, "");
    return { registry: isHost ? first : DOCKER_HUB_REGISTRY, repository: path, digest };
}
