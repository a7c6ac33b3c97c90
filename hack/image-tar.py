#!/usr/bin/env python3
"""Writes a docker-archive image tarball (what `ctr images import` and `docker load` read) from
layer tarballs, without a Docker daemon or a registry.

  image-tar.py --tag docker.io/x/y:1 --layer base.tar --layer app.tar \
      --entrypoint '["/usr/bin/java", "-jar", "..."]' --env K=V --user 1000 --workdir /app OUT.tar
"""
import argparse, hashlib, json, os, shutil, tarfile, tempfile


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", action="append", required=True)
    ap.add_argument("--layer", action="append", required=True, help="uncompressed tar, bottom first")
    ap.add_argument("--entrypoint", default="[]", help="JSON list")
    ap.add_argument("--cmd", default="[]", help="JSON list")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--user", default="")
    ap.add_argument("--workdir", default="/")
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("out")
    a = ap.parse_args()

    diff_ids, layer_paths = [], []
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(a.out + ".part", "w") as out:
            for layer in a.layer:
                digest = sha256_file(layer)
                diff_ids.append("sha256:" + digest)
                name = digest + "/layer.tar"
                out.add(layer, arcname=name)
                layer_paths.append(name)
            env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + a.env
            config = {
                "architecture": "amd64", "os": "linux",
                "config": {"Entrypoint": json.loads(a.entrypoint) or None, "Cmd": json.loads(a.cmd) or None, "Env": env,
                           "User": a.user, "WorkingDir": a.workdir,
                           "Labels": dict(l.split("=", 1) for l in a.label) or None},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "history": [{"created_by": "hack/image-tar.py"} for _ in diff_ids],
            }
            cfg = json.dumps(config, sort_keys=True).encode()
            cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
            manifest = json.dumps([{"Config": cfg_name, "RepoTags": a.tag, "Layers": layer_paths}]).encode()
            for name, data in ((cfg_name, cfg), ("manifest.json", manifest)):
                p = os.path.join(tmp, name)
                with open(p, "wb") as f:
                    f.write(data)
                out.add(p, arcname=name)
    shutil.move(a.out + ".part", a.out)


if __name__ == "__main__":
    main()
