"""Getting a trustworthy, patched CPython 3.6 source tree.

Download, checksum before anything is extracted, safe extraction, and the patches (posixmodule
for Big Sur, the bpo-27987 alignment backport) applied with fuzz 0 (the guide's "it's possible the location will need to be fuzzed" is how a
wrong tree gets silently patched). Standard library only: a user's Mac has just the package.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path

# From python.org's release pages.
SHA256 = {
    "Python-3.6.13.tgz": "614950d3d54f6e78dac651b49c64cfe2ceefea5af3aff3371a9e4b27a53b2669",
    "Python-3.6.13.tar.xz": "a47a43a53abb42286a2c11965343ff56711b9e64e8d11bf2c6701a4fb8ce1a0f",
    "Python-3.6.15.tgz": "54570b7e339e2cfd72b29c7e2fdb47c0b7b18b7412e61de5b463fc087c13b043",
    "Python-3.6.15.tar.xz": "6e28d7cdd6dd513dd190e49bca3972e20fcf455090ccf2ef3f1a227614135d91",
}


class SourceError(RuntimeError):
    """The source cannot be trusted or used; the message says what to do."""


def expected_sha256(name: str, given: str | None = None) -> str | None:
    """The published checksum for an official file name, else --sha256, else None.

    A known name with a different --sha256 is refused: the published value wins.
    """
    known = SHA256.get(name)
    if known and given and given.lower() != known:
        raise SourceError(f"--sha256 {given} differs from the published sha256 of {name} "
                          f"({known}); drop --sha256 or rename the file")
    return known or (given.lower() if given else None)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, want: str | None, downloaded: bool) -> str:
    """Raise SourceError on a mismatch (deleting a download, never the user's own file)."""
    got = sha256_of(path)
    if want and got != want:
        if downloaded:
            path.unlink()
        raise SourceError(
            f"sha256 mismatch for {path.name}: expected {want}, got {got}. "
            + ("The download was deleted; nothing was extracted. Re-run to download again."
               if downloaded else "Nothing was extracted; check where the file came from."))
    return got


def fetch(url: str, dest: Path, want: str | None, log) -> str:
    """Download into the cache (reusing a cached copy that verifies); return the sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        try:
            got = verify(dest, want, downloaded=True)
            log(f"cached {dest} verifies: sha256 {got}")
            return got
        except SourceError as exc:
            log(f"cached copy rejected: {exc}")
    part = dest.with_name(dest.name + ".part")
    curl = shutil.which("curl")
    log(f"downloading {url}")
    if curl:  # curl uses the system's certificates; python.org installers may have none
        done = subprocess.run([curl, "-fsSL", "--retry", "3", "-o", str(part), url],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            part.unlink(missing_ok=True)
            raise SourceError(f"download of {url} failed: {done.stderr.strip()}")
    else:
        try:
            with urllib.request.urlopen(url, timeout=120) as response, open(part, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise SourceError(f"download of {url} failed: {exc}") from exc
    part.replace(dest)
    got = verify(dest, want, downloaded=True)
    log(f"sha256 {got} verified" if want else f"sha256 {got} (nothing to compare with)")
    return got


def extract(tarball: Path, into: Path, log) -> Path:
    """Unpack into a fresh folder and return the source tree (the archive's one top folder)."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        archive = tarfile.open(tarball)
    except (tarfile.TarError, OSError) as exc:
        raise SourceError(f"{tarball} is not a readable tar archive: {exc}") from exc
    with archive:
        members = archive.getmembers()
        tops = {m.name.split("/", 1)[0] for m in members if m.name not in ("", ".")}
        if len(tops) != 1:
            raise SourceError(f"{tarball} should hold one top folder, holds {sorted(tops)}")
        for member in members:
            parts = Path(member.name).parts
            if member.name.startswith("/") or ".." in parts or member.isdev():
                raise SourceError(f"{tarball} holds an unsafe entry: {member.name}")
        tree = into / tops.pop()
        if tree.exists():
            log(f"removing the previous tree {tree}")
            shutil.rmtree(tree)
        if hasattr(tarfile, "data_filter"):
            archive.extractall(into, filter="data")
        else:  # Python < 3.9.17 without extraction filters: entries were checked above
            archive.extractall(into)
    if not (tree / "configure").exists():
        raise SourceError(f"{tree} has no configure script: is {tarball.name} a CPython source?")
    log(f"extracted {len(members)} entries into {tree}")
    return tree


def _patch(tree: Path, patch_file: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(["patch", "-p1", "--fuzz=0", *extra, "-i", str(patch_file)], cwd=tree,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def targets(patch_file: Path) -> list:
    """The files a patch changes, from its `+++ b/...` lines."""
    names = []
    for line in patch_file.read_text("utf-8").splitlines():
        if line.startswith("+++ "):
            name = line[4:].split("\t")[0].strip()
            names.append(name[2:] if name.startswith("b/") else name)
    return names


def apply_patch(tree: Path, patch_file: Path, log) -> str:
    """Apply with fuzz 0; return 'applied' or 'already applied'; raise SourceError otherwise."""
    for name in targets(patch_file):
        if not (tree / name).exists():
            raise SourceError(f"{tree / name} does not exist: is {tree} a CPython 3.6 source "
                              f"tree? ({patch_file.name} changes it)")
    # -f: never ask; a reverse dry run that succeeds means the patch is already in.
    reverse = _patch(tree, patch_file, "-R", "-f", "--dry-run")
    if reverse.returncode == 0:
        log(f"{patch_file.name} already applied; skipping")
        return "already applied"
    trial = _patch(tree, patch_file, "--forward", "--dry-run")
    log(trial.stdout + trial.stderr)
    if trial.returncode != 0:
        raise SourceError(
            f"{patch_file.name} does not apply with fuzz 0 to {tree} (is this CPython 3.6?). "
            f"patch said:\n{(trial.stdout + trial.stderr).strip()}")
    done = _patch(tree, patch_file, "--forward")
    log(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SourceError(f"{patch_file.name}: patch failed:\n{(done.stdout + done.stderr).strip()}")
    return "applied"
