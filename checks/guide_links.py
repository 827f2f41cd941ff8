#!/usr/bin/env python3
"""Every relative link in the guide (guide/src/*.md) and the README resolves:
the file (or directory) exists, and an anchor (`page.md#heading`, `#heading`)
is a heading of that page, as mdBook and GitHub make their ids (lowercase;
letters, digits, `-` and `_` kept; spaces to `-`; the rest dropped). The
guide must also have at least 8 pages, each in its SUMMARY.md and each a
doc module of examples/downstream (so its Rust blocks compile as doctests).

Usage: checks/guide_links.py   (from anywhere; standard library only).
Exits 1 listing every broken link as FILE:LINE: LINK: why.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")


def heading_ids(path):
    """The anchor ids of a Markdown file's headings (outside code blocks)."""
    ids, fenced, seen = set(), False, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if FENCE.match(line):
                fenced = not fenced
                continue
            m = None if fenced else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(2))
            base = "".join(c for c in text.lower().replace(" ", "-")
                           if c.isalnum() or c in "-_")
            n = seen.get(base, 0)
            seen[base] = n + 1
            ids.add(base if n == 0 else f"{base}-{n}")
    return ids


def links(path):
    """(line number, target) of every inline link outside code blocks."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                fenced = not fenced
                continue
            if fenced:
                continue
            # Inline code is not a link.
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                yield number, target


def check(path):
    problems = []
    for number, target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        where = f"{os.path.relpath(path, ROOT)}:{number}: {target}"
        if not os.path.exists(resolved):
            problems.append(f"{where}: no such file")
        elif anchor and resolved.endswith(".md") and anchor not in heading_ids(resolved):
            problems.append(f"{where}: no heading #{anchor} in {os.path.relpath(resolved, ROOT)}")
    return problems


def main():
    guide = os.path.join(ROOT, "guide", "src")
    pages = sorted(os.path.join(guide, p) for p in os.listdir(guide) if p.endswith(".md"))
    problems = []
    for page in pages + [os.path.join(ROOT, "README.md")]:
        problems += check(page)
    with open(os.path.join(guide, "SUMMARY.md"), encoding="utf-8") as f:
        listed = [t for _, t in ((0, t) for t in LINK.findall(f.read()))]
    if len(listed) < 8:
        problems.append(f"guide/src/SUMMARY.md lists {len(listed)} pages; the guide has at least 8")
    unlisted = {os.path.basename(p) for p in pages} - set(listed) - {"SUMMARY.md"}
    if unlisted:
        problems.append(f"pages not in SUMMARY.md: {sorted(unlisted)}")
    # Every page's Rust blocks compile: each is a doc module of the
    # downstream crate, whose doctests `cargo xtask test` runs.
    with open(os.path.join(ROOT, "examples", "downstream", "src", "lib.rs"), encoding="utf-8") as f:
        downstream = f.read()
    for page in pages:
        name = os.path.basename(page)
        if name != "SUMMARY.md" and f'include_str!("../../../guide/src/{name}")' not in downstream:
            problems.append(f"guide/src/{name} is not a doc module of examples/downstream: its Rust blocks are not compiled")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"guide links: {len(pages) - 1} pages and the README, every relative link and anchor resolves")


if __name__ == "__main__":
    main()
