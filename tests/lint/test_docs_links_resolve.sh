#!/bin/bash
# Every relative link of README.md and docs/**/*.md resolves: the file or
# directory it names exists inside the repository, and a #fragment names a
# heading of the target page (GitHub's anchors: lower case, punctuation
# dropped, spaces to hyphens, -1, -2... for repeats). Links to http(s) and
# mailto are not followed; links inside code (fenced or `inline`) are not
# links. The checker is also shown to catch what it is for, on a copy of the
# pages: a missing file, a missing anchor and a link out of the repository
# each fail it, naming the page and line.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/check.py" <<'PY'
import os, re, shutil, sys

root = os.path.realpath(sys.argv[1])

def pages(root):
    yield os.path.join(root, "README.md")
    for d, _, files in os.walk(os.path.join(root, "docs")):
        for f in sorted(files):
            if f.endswith(".md"):
                yield os.path.join(d, f)

def prose(path):
    """(line number, text) outside fenced code, inline code removed."""
    fence = None
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1).startswith(fence):
                fence = None
            continue
        if fence is None:
            yield n, re.sub(r"(`+).*?\1", "", line)

anchor_cache = {}
def anchors(path):
    if path not in anchor_cache:
        # Headings with their code spans' text, which prose() drops.
        seen, found, fence = {}, set(), None
        for line in open(path, encoding="utf-8"):
            m = re.match(r"^\s*(```+|~~~+)", line)
            if m:
                fence = m.group(1) if fence is None else (None if m.group(1).startswith(fence) else fence)
                continue
            if fence is not None:
                continue
            m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))
            slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            found.add(slug if n == 0 else f"{slug}-{n}")
        anchor_cache[path] = found
    return anchor_cache[path]

def check(root):
    """The findings, one line each, for README.md and docs/ under root."""
    findings = []
    for page in pages(root):
        rel = os.path.relpath(page, root)
        for n, line in prose(page):
            for target in re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", line):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                    continue  # http:, https:, mailto:
                problem = resolve(root, page, target)
                if problem:
                    findings.append(f"{rel}:{n}: {target}: {problem}")
    return findings

def resolve(root, page, target):
    path, _, frag = target.partition("#")
    dest = os.path.realpath(os.path.join(os.path.dirname(page), path)) if path else page
    if dest != root and not dest.startswith(root + os.sep):
        return "points outside the repository"
    if not os.path.exists(dest):
        return "no such file"
    if frag and (not dest.endswith(".md") or os.path.isdir(dest)):
        return "an anchor into a file that is not markdown"
    if frag and frag not in anchors(dest):
        return f"no heading #{frag} in {os.path.relpath(dest, root)}"
    return None

findings = check(root)
if findings:
    print("FAIL: broken links in README.md or docs/:")
    print("\n".join(findings))
    sys.exit(1)
print("ok: every relative link of README.md and docs/ resolves")

# The checker catches what it is for: each line planted at the end of a copy
# of docs/records.md gives a finding that names it.
plants = [
    ("a missing file", "See [the gone page](nowhere.md).", "nowhere.md: no such file"),
    ("a missing anchor", "See [spool](kafka.md#no-such-heading).",
     "no heading #no-such-heading in docs/kafka.md"),
    ("a missing anchor on the same page", "See [above](#not-a-heading-here).",
     "no heading #not-a-heading-here in docs/records.md"),
    ("a link out of the repository", "See [notes](../../elsewhere/NOTES.md).",
     "points outside the repository"),
]
copy = os.path.join(sys.argv[2], "repo")
for name, line, expect in plants:
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True,
                    ignore=lambda d, names: [x for x in names if d == root and (x == ".git" or x.startswith("build"))])
    with open(os.path.join(copy, "docs", "records.md"), "a", encoding="utf-8") as f:
        f.write("\n" + line + "\n")
    anchor_cache.clear()
    hits = [x for x in check(os.path.realpath(copy)) if expect in x]
    if not hits:
        print(f"FAIL: {name} ({line!r} in docs/records.md) was not reported")
        sys.exit(1)
    print(f"ok: {name} caught: {hits[0]}")
PY

python3 "$tmp/check.py" "$root" "$tmp"
