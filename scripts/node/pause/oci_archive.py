"""Write the embedded node's sandbox image as an OCI image archive that `ctr images import` reads.

Usage: python3 oci_archive.py PAUSE_BINARY IMAGE_NAME OUT_TAR

The image registry.k8s.io/pause cannot be pulled here and Docker is not needed for this: the
archive is one layer (the static `pause` binary at /pause, mode 0755, owner 0:0, mtime 0, so the
same binary gives the same digests), a config that runs it as 65535:65535, a manifest and an
index whose `io.containerd.image.name` annotation names the image for containerd.
Layout: OCI image-layout 1.0.0 (github.com/opencontainers/image-spec, image-layout.md).
Raises OSError when a file cannot be read or written; writes OUT_TAR through a temporary file.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(data: bytes) -> tuple[str, bytes]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def main(binary: str, name: str, out: str) -> None:
    with open(binary, "rb") as f:
        payload = f.read()
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("pause")
        info.size, info.mode, info.mtime = len(payload), 0o755, 0
        t.addfile(info, io.BytesIO(payload))
    diff_id = "sha256:" + hashlib.sha256(layer_tar.getvalue()).hexdigest()
    layer_digest, layer = blob(gzip.compress(layer_tar.getvalue(), mtime=0))
    config_digest, config = blob(json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }, sort_keys=True).encode())
    manifest_digest, manifest = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": len(layer)}],
    }, sort_keys=True).encode())
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": len(manifest),
                       "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}],
    }, sort_keys=True).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": index}
    for digest, data in ((layer_digest, layer), (config_digest, config), (manifest_digest, manifest)):
        files["blobs/sha256/" + digest.split(":", 1)[1]] = data
    partial = out + ".partial"
    with tarfile.open(partial, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            t.addfile(info, io.BytesIO(data))
    os.replace(partial, out)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python3 oci_archive.py PAUSE_BINARY IMAGE_NAME OUT_TAR")
    main(*sys.argv[1:])
