"""Shared code of Berth's lab tools: labs/generate, labs/grade, labs/selftest.

A lab is made from the reference source by cutting out the regions its chapter
marks, so a student writes them again (labs/README.md explains the markers):

    // #lab 01 exit-code: Turn a wait status into the exit code a shell reports.
    // #hint WIFEXITED and WEXITSTATUS give N for exit(N).
    ...reference code...
    // #endlab

This module reads those markers, writes starter trees, and grades trees by
building them and running their chapter's tests. Python 3 standard library only.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

# The repository these tools belong to: labs/..
REPO_ROOT = Path(__file__).resolve().parent.parent

# Which chapter each engine module belongs to (DESIGN.md, "The chapters").
# Lab markers in src/<module>/ must carry this chapter's number. Add a line
# here when a chapter gets its module.
CHAPTER_OF_MODULE = {
    "process": "01",
    "rootfs": "02",
    "ns": "03",
    "cgroup": "04",
    "security": "05",
    "runtime": "06",
    "overlay": "07",
    "image": "08",
    "build": "09",
    "network": "10",
    "engine": "11",
    "registry": "12",
}

# The folders whose files may hold lab regions.
MARKED_DIRS = ("src", "chapters")

# Marker grammar. A marker is a whole-line `//` comment.
LAB_RE = re.compile(
    r"^(?P<indent>[ \t]*)//[ \t]*#lab[ \t]+(?P<lab>\d{1,2})[ \t]+"
    r"(?P<task>[a-z0-9][a-z0-9-]*)[ \t]*:[ \t]*(?P<desc>\S.*?)[ \t]*$")
HINT_RE = re.compile(r"^[ \t]*//[ \t]*#hint(?:[ \t]+(?P<text>\S.*?))?[ \t]*$")
END_RE = re.compile(
    r"^[ \t]*//[ \t]*#endlab(?:[ \t]+(?P<lab>\d{1,2})(?:[ \t]+(?P<task>[a-z0-9-]+))?)?[ \t]*$")
# A comment line that starts like a lab marker; one that matches this but none
# of the exact forms above is a typo, and a typo could leak reference code.
ANY_MARKER_RE = re.compile(r"^[ \t]*//[ \t]*#[ \t]*(?:lab|hint|endlab)", re.I)
BOOK_MARKER_RE = re.compile(r"^[ \t]*//[ \t]*#(?P<kind>region|endregion)[ \t]+(?P<name>\S+)")
INCLUDE_RE = re.compile(r"^[ \t]*#[ \t]*include\b")
LAB_INCLUDE = '#include "common/lab.h"'

# Seconds a test may run when it does not set its own TIMEOUT.
TEST_TIMEOUT = 300

# Files the generator writes into a starter: which lab it is and its tasks.
# labs/grade run inside a starter grades that starter by default.
STARTER_INFO = ".lab.json"


class LabError(Exception):
    """A problem the user must fix (bad markers, no such lab...): print and exit."""


@dataclasses.dataclass
class Region:
    """One `#lab` ... `#endlab` region of a source file."""

    path: str          # relative to the tree's root, with / separators
    lab: str           # two digits, "01"
    task: str          # "exit-code"
    description: str   # the text after "TASK:"
    hints: list[str]
    start: int         # 0-based index of the `#lab` line
    end: int           # 0-based index of the `#endlab` line
    indent: str        # the `#lab` line's indentation
    body: list[str]    # the reference code between the header and `#endlab`

    @property
    def name(self) -> str:
        """ "lab 01 exit-code", the name the TODO and the runtime error use."""
        return f"lab {self.lab} {self.task}"

    def where(self) -> str:
        return f"{self.path}:{self.start + 1}"


# --------------------------------------------------------------------------
# Small helpers


def lab_number(text: str) -> str:
    """Normalises a lab number given by a user ("1", "01") to two digits."""
    if not re.fullmatch(r"\d{1,2}", text or "") or int(text) == 0:
        raise LabError(f"not a lab number: {text!r} (expected 1..99, like 1 or 01)")
    return f"{int(text):02d}"


def chapter_of(path: str) -> str | None:
    """The chapter a file belongs to, from its place: src/MODULE/... or
    chapters/NN-name/...; None for files of no chapter (src/common, tests...)."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "src":
        return CHAPTER_OF_MODULE.get(parts[1])
    if len(parts) >= 3 and parts[0] == "chapters":
        m = re.match(r"(\d{2})-", parts[1])
        return m.group(1) if m else None
    return None


def tree_files(root: Path) -> list[str]:
    """The files of a source tree, relative to root: what git lists as tracked
    or untracked-but-not-ignored (so no build dirs, .git, node_modules). Files
    that the index lists but that were deleted are skipped. Without git (a
    tree unpacked from a tarball) the tree is walked, skipping build*/ dirs,
    .git and node_modules."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"],
            check=True, capture_output=True).stdout
        names = sorted({n for n in out.decode().split("\0") if n})
        # Only a git work tree whose top is root: not a folder inside another repo.
        top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                             check=True, capture_output=True, text=True).stdout.strip()
        if Path(top).resolve() == root.resolve():
            return [n for n in names if os.path.lexists(root / n)]
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in (".git", "node_modules", "__pycache__")
            and not (rel == Path(".") and (d == "build" or d.startswith("build-"))))
        files.extend((rel / f).as_posix() for f in sorted(filenames))
    return sorted(files)


def read_text(path: Path) -> str | None:
    """The file's text, or None when it is binary (not UTF-8) or a symlink."""
    if path.is_symlink():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, IsADirectoryError):
        return None


def normalised_lines(lines: list[str]) -> list[str]:
    """Lines with indentation and blank lines removed: the form in which code
    is compared, so a copy is found even when it is re-indented."""
    return [line.strip() for line in lines if line.strip()]


def is_trivial(line: str) -> bool:
    """A line too common to tell anything about the reference code: short
    ones (`}`, `return 0;`, `break;`) and comments."""
    s = line.strip()
    return len(s) < 12 or s.startswith("//")


# --------------------------------------------------------------------------
# Markers


def scan_regions(path: str, text: str) -> list[Region]:
    """Finds the lab regions of one file and checks its markers.

    Raises LabError (with file:line) for a malformed marker, a `#hint` that
    does not follow its `#lab` line, nested or unbalanced `#lab`/`#endlab`, an
    empty region, a region that cuts a book region in two, a marker in a file
    of no chapter, and a marker whose lab number is not the file's chapter.
    """
    lines = text.split("\n")
    regions: list[Region] = []
    current: Region | None = None
    in_header = False  # just after a `#lab` line, where hints may follow
    book_depth: list[str] = []
    chapter = chapter_of(path)

    def fail(i: int, message: str) -> LabError:
        return LabError(f"{path}:{i + 1}: {message}")

    for i, line in enumerate(lines):
        lab_m, hint_m, end_m = LAB_RE.match(line), HINT_RE.match(line), END_RE.match(line)
        if lab_m:
            number = f"{int(lab_m['lab']):02d}"
            if current:
                raise fail(i, f"#lab {number} {lab_m['task']} starts inside "
                              f"{current.name} (opened at line {current.start + 1}); "
                              "lab regions cannot nest")
            if chapter is None:
                raise fail(i, "lab markers belong in a chapter's files "
                              "(src/MODULE/ of a chapter, or chapters/NN-name/)")
            if number != chapter:
                raise fail(i, f"#lab {number} in a file of chapter {chapter}: a "
                              "region's lab number must be its file's chapter")
            current = Region(path, number, lab_m["task"], lab_m["desc"], [], i, -1,
                             lab_m["indent"], [])
            in_header = True
            book_depth = []
        elif hint_m:
            if not (current and in_header):
                raise fail(i, "#hint must directly follow its #lab line (or another #hint)")
            if not hint_m["text"]:
                raise fail(i, "#hint has no text")
            current.hints.append(hint_m["text"])
        elif end_m:
            if not current:
                raise fail(i, "#endlab without a #lab before it")
            if end_m["lab"] and (f"{int(end_m['lab']):02d}" != current.lab or
                                 (end_m["task"] and end_m["task"] != current.task)):
                raise fail(i, f"#endlab names another region than {current.name}")
            if not normalised_lines(current.body):
                raise fail(i, f"{current.name} has no code between its markers")
            if book_depth:
                raise fail(i, f"{current.name} ends inside book region "
                              f"{book_depth[-1]!r} that it opened; a lab region must "
                              "hold whole book regions or sit inside one")
            current.end = i
            regions.append(current)
            current = None
        elif ANY_MARKER_RE.match(line):
            raise fail(i, "malformed lab marker; the forms are `// #lab NN task: "
                          "description`, `// #hint text` and `// #endlab`")
        else:
            if current:
                in_header = False
                current.body.append(line)
                book = BOOK_MARKER_RE.match(line)
                if book and book["kind"] == "region":
                    book_depth.append(book["name"])
                elif book:
                    if not book_depth:
                        raise fail(i, f"{current.name} holds the end of book region "
                                      f"{book['name']!r} but not its start")
                    book_depth.pop()
    if current:
        raise fail(current.start, f"{current.name} has no #endlab")
    return regions


def scan_tree(root: Path, files: list[str]) -> dict[str, list[Region]]:
    """All lab regions of a tree, by file. Only src/ and chapters/ may have them."""
    found: dict[str, list[Region]] = {}
    for rel in files:
        if rel.split("/")[0] not in MARKED_DIRS:
            continue
        text = read_text(root / rel)
        if text is None:
            continue
        regions = scan_regions(rel, text)
        if regions:
            found[rel] = regions
    return found


# --------------------------------------------------------------------------
# Generating a starter


def starter_text(text: str, regions: list[Region], lab: str) -> str:
    """The starter version of one file: lab `lab`'s regions replaced by a TODO,
    its hints and a lab_not_implemented() call; every other lab's markers
    removed (their code kept); common/lab.h included when a region was replaced."""
    lines = text.split("\n")
    by_start = {r.start: r for r in regions}
    out: list[str] = []
    i = 0
    replaced = False
    while i < len(lines):
        region = by_start.get(i)
        if region and region.lab == lab:
            ind = region.indent
            out.append(f"{ind}// TODO({region.name}): {region.description}")
            out.extend(f"{ind}// Hint: {h}" for h in region.hints)
            out.append(f'{ind}berth::lab_not_implemented("{region.name}");')
            replaced = True
            i = region.end + 1
            continue
        if region:  # another lab: drop the #lab and #hint lines, keep the code
            i = region.start + 1 + len(region.hints)
            continue
        if any(r.end == i for r in regions):  # the #endlab of another lab
            i += 1
            continue
        out.append(lines[i])
        i += 1
    if replaced and not any(line.strip() == LAB_INCLUDE for line in out):
        includes = [n for n, line in enumerate(out) if INCLUDE_RE.match(line)]
        if includes:
            out.insert(includes[-1] + 1, LAB_INCLUDE)
        else:
            pragma = [n for n, line in enumerate(out) if line.strip() == "#pragma once"]
            at = pragma[0] + 1 if pragma else 0
            out[at:at] = ([""] if pragma else []) + [LAB_INCLUDE, ""]
    return "\n".join(out)


def is_book_page_of(rel: str, lab: str) -> bool:
    """True for the book's pages of chapter `lab`: book/NN-name.md, and
    anything in a folder book/NN-name/, at any depth under book/. (Pictures
    like book/public/diagrams/NN-x.svg stay: they hold no code.)"""
    parts = rel.split("/")
    if parts[0] != "book":
        return False
    if any(p.startswith(f"{lab}-") for p in parts[1:-1]):
        return True
    return parts[-1].startswith(f"{lab}-") and parts[-1].endswith(".md")


def contains_block(haystack: list[str], block: list[str]) -> bool:
    """True when the normalised lines `block` appear, in order and together,
    in the normalised lines `haystack`."""
    n = len(block)
    if n == 0:
        return False
    first = block[0]
    return any(haystack[k] == first and haystack[k:k + n] == block
               for k in range(len(haystack) - n + 1))


def searchable(region: Region) -> list[str] | None:
    """The region's code in the form searched for elsewhere, or None when it
    is too short to mean anything on its own (a one-line `return x;`)."""
    block = normalised_lines(region.body)
    if sum(not is_trivial(line) for line in block) < 1 or len("".join(block)) < 40:
        return None
    return block


@dataclasses.dataclass
class Starter:
    """What generate() made."""

    path: Path
    lab: str
    regions: list[Region]          # the regions of this lab, now TODOs
    dropped: dict[str, str]        # file -> why it was left out
    warnings: list[str]
    todos: dict[int, str]          # id(region) -> "path:line" of its TODO in the starter

    def todo_where(self, region: Region) -> str:
        return self.todos.get(id(region), region.where())


def generate(root: Path, lab: str, dest: Path) -> Starter:
    """Writes the starter tree of lab `lab` from the tree at `root` to `dest`
    (replacing it) and verifies that no reference code of the lab survives.

    Raises LabError if the lab has no regions, if any marker in the tree is
    malformed, and if the verification finds reference code in the starter.
    """
    lab = lab_number(lab)
    files = tree_files(root)
    all_regions = scan_tree(root, files)
    mine = [r for rs in all_regions.values() for r in rs if r.lab == lab]
    if not mine:
        raise LabError(f"chapter {lab} has no lab regions (no `// #lab {lab} ...` "
                       f"marker in {' or '.join(d + '/' for d in MARKED_DIRS)})")

    # Which files leak the reference code: the chapter's book pages, and any
    # file (other than the marked ones) with a region's code in it verbatim.
    dropped: dict[str, str] = {}
    blocks = [(r, b) for r in mine if (b := searchable(r)) is not None]
    for rel in files:
        if is_book_page_of(rel, lab):
            dropped[rel] = f"book page of chapter {lab}"
            continue
        if rel in all_regions:
            continue
        text = read_text(root / rel)
        if text is None:
            continue
        hay = normalised_lines(text.split("\n"))
        for region, block in blocks:
            if contains_block(hay, block):
                dropped[rel] = f"holds the code of {region.name} ({region.where()})"
                break

    tmp = dest.with_name(dest.name + f".tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        todos = write_starter(root, tmp, lab, files, dropped, all_regions)
        starter = Starter(dest, lab, mine, dropped, [], todos)
        info = {"lab": lab, "tasks": [
            {"name": r.name, "where": starter.todo_where(r), "description": r.description,
             "hints": r.hints} for r in mine]}
        (tmp / STARTER_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        starter.warnings = verify_starter(root, tmp, lab, all_regions, mine)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if dest.exists() or dest.is_symlink():
        shutil.rmtree(dest)
    tmp.rename(dest)
    return starter


def write_starter(root: Path, out: Path, lab: str, files: list[str], dropped: dict[str, str],
                  all_regions: dict[str, list[Region]]) -> dict[int, str]:
    """Copies the tree's files to `out`, marked files in their starter version.
    Returns where each of lab `lab`'s TODOs landed: id(region) -> "path:line"."""
    todos: dict[int, str] = {}
    for rel in files:
        if rel in dropped:
            continue
        src, dst = root / rel, out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif rel in all_regions:
            text = starter_text(src.read_text(encoding="utf-8"), all_regions[rel], lab)
            dst.write_text(text, encoding="utf-8")
            shutil.copymode(src, dst)
            # The TODOs come in the order of their regions.
            lines = iter(enumerate(text.split("\n"), 1))
            for r in all_regions[rel]:
                if r.lab == lab:
                    todos[id(r)] = next(f"{rel}:{n}" for n, line in lines
                                        if line.strip().startswith(f"// TODO({r.name}):"))
        else:
            # A fresh copy (new mtime), so a build never trusts an old object.
            shutil.copyfile(src, dst)
            shutil.copymode(src, dst)
    return todos


def verify_starter(root: Path, starter: Path, lab: str,
                   all_regions: dict[str, list[Region]], mine: list[Region]) -> list[str]:
    """Reads the written starter back and checks that lab `lab` left nothing
    behind. Raises LabError on a leak; returns warnings worth showing.

    Checked: no lab marker at all remains in src/ or chapters/, and no `#lab NN`
    marker anywhere outside the lab tools and the Markdown docs; each marked
    file has no non-trivial line of a removed region more often than the
    reference file has it outside the regions; no file holds a removed
    region's code verbatim. Warned: long lines of removed code that also
    appear in other files (often just common code, so not an error).
    """
    problems: list[str] = []
    warnings: list[str] = []
    own_marker = re.compile(rf"//[ \t]*#lab[ \t]+0?{int(lab)}\b")
    starter_files = tree_files(starter)
    texts = {rel: read_text(starter / rel) for rel in starter_files}
    texts = {rel: t for rel, t in texts.items() if t is not None}

    for rel, text in texts.items():
        top = rel.split("/")[0]
        for n, line in enumerate(text.split("\n")):
            if top in MARKED_DIRS and ANY_MARKER_RE.match(line):
                problems.append(f"{rel}:{n + 1}: a lab marker is left: {line.strip()}")
            elif (own_marker.search(line) and not rel.endswith(".md")
                  and top != "labs" and not rel.startswith("tests/labs/")):
                problems.append(f"{rel}:{n + 1}: a #lab {lab} marker is left: {line.strip()}")

    removed_from: dict[str, list[Region]] = {}
    for r in mine:
        removed_from.setdefault(r.path, []).append(r)
    for rel, regions in removed_from.items():
        reference = (root / rel).read_text(encoding="utf-8").split("\n")
        inside = {n for r in regions for n in range(r.start, r.end + 1)}
        outside = [line.strip() for n, line in enumerate(reference) if n not in inside]
        now = [line.strip() for line in texts.get(rel, "").split("\n")]
        for r in regions:
            for line in normalised_lines(r.body):
                if not is_trivial(line) and now.count(line) > outside.count(line):
                    problems.append(f"{rel}: code of {r.name} is left: {line}")

    blocks = [(r, b) for r in mine if (b := searchable(r)) is not None]
    for rel, text in texts.items():
        hay = normalised_lines(text.split("\n"))
        for r, block in blocks:
            if contains_block(hay, block):
                problems.append(f"{rel}: holds the code of {r.name} ({r.where()}) verbatim")

    long_lines = {line: r for r in mine for line in normalised_lines(r.body)
                  if len(line) >= 40 and not line.startswith("//")}
    for rel, text in texts.items():
        if rel in removed_from or rel.endswith(".md"):
            continue
        for n, line in enumerate(text.split("\n")):
            r = long_lines.get(line.strip())
            if r:
                warnings.append(f"{rel}:{n + 1}: a line of {r.name} also appears here: "
                                f"{line.strip()}")
    if problems:
        raise LabError("the starter would leak reference code of lab " + lab + ":\n  "
                       + "\n  ".join(problems))
    return warnings


def lab_page(root: Path, lab: str) -> Path | None:
    """The lab's page labs/NN-name.md, if it exists."""
    pages = sorted((root / "labs").glob(f"{lab}-*.md"))
    return pages[0] if pages else None


# --------------------------------------------------------------------------
# Grading


@dataclasses.dataclass
class TestResult:
    name: str
    passed: bool
    output: str = ""


@dataclasses.dataclass
class Grade:
    """What grade() found; as_json() is the result file's content."""

    lab: str
    tree: Path
    build_ok: bool
    tests: list[TestResult]
    max_points: int
    leak_check: str = "not run"   # "passed", "failed" or "not run"
    fixtures_failed: list[str] = dataclasses.field(default_factory=list)
    build_log: str = ""
    failed_step: str = ""         # "configure" or "build" when build_ok is False

    @property
    def score(self) -> int:
        return sum(t.passed for t in self.tests) if self.build_ok else 0

    def as_json(self) -> dict:
        return {
            "lab": self.lab,
            "score": self.score,
            "max": self.max_points,
            "build_ok": self.build_ok,
            "tests": [{"name": t.name, "passed": t.passed} for t in self.tests],
            "leak_check": self.leak_check,
        }


def ccache_env(tree: Path) -> dict[str, str]:
    """The environment of the build: ccache keys paths relative to the repo
    root, so the same source compiled in a starter (build/labs/NN/starter/
    build-grade) and in the reference (build-grade) shares cache entries."""
    env = dict(os.environ)
    env["CCACHE_BASEDIR"] = str(REPO_ROOT)
    env["CCACHE_NOHASHDIR"] = "1"
    return env


def count_test_cases(tree: Path, lab: str) -> int:
    """The number of TEST_CASEs in the chapter's test sources: the maximum
    score when the tree does not build (so ctest cannot list its tests)."""
    count = 0
    for d in sorted((tree / "tests").glob(f"{lab}-*")):
        for f in sorted(d.rglob("*.cpp")):
            text = read_text(f) or ""
            count += len(re.findall(r"^[ \t]*(?:TEST_CASE|SCENARIO)[ \t]*\(", text, re.M))
    return count


def run_logged(argv: list[str], env: dict[str, str], log: Path) -> tuple[int, str]:
    """Runs a command with its output (stdout and stderr) captured and also
    saved to `log`; returns the exit code and the output."""
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace")
    log.write_text(proc.stdout, encoding="utf-8")
    return proc.returncode, proc.stdout


def scored_tests(build: Path, lab: str, env: dict[str, str]) -> list[str]:
    """The names of the ctest tests labelled chNN (the scored ones), in order."""
    proc = subprocess.run(["ctest", "--test-dir", str(build), "-N", "-L", f"^ch{lab}$",
                           "--show-only=json-v1"],
                          env=env, capture_output=True, text=True, check=True)
    names = []
    for test in json.loads(proc.stdout).get("tests", []):
        labels = next((p["value"] for p in test.get("properties", [])
                       if p["name"] == "LABELS"), [])
        if f"ch{lab}" in labels:
            names.append(test["name"])
    return names


def parse_junit(path: Path) -> dict[str, TestResult]:
    """ctest's JUnit file: test name -> result. A test passed when ctest ran
    it and it has neither a failure nor a skipped element."""
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        out = "".join(e.text or "" for e in case.iter("system-out"))
        passed = case.get("status", "run") == "run" and not failed and not skipped
        results[name] = TestResult(name, passed, out)
    return results


def grade(tree: Path, lab: str, build: Path, jobs: int, log=print) -> Grade:
    """Builds `tree` in `build` (only berth-tests-chNN and what it needs) and
    runs the chapter's tests with ctest. A tree that does not configure or
    build scores 0; its compiler errors are in Grade.build_log."""
    env = ccache_env(tree)
    build.mkdir(parents=True, exist_ok=True)
    cache = build / "CMakeCache.txt"
    if cache.exists():  # a build dir of another tree (moved, or copied) is useless
        home = re.search(r"^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$", cache.read_text(), re.M)
        if not home or Path(home.group(1)).resolve() != tree.resolve():
            for entry in build.iterdir():
                if entry.name == BuildLock.NAME:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()

    target = f"berth-tests-ch{lab}"
    log(f"configure: cmake -S {tree} -B {build}")
    rc, out = run_logged(
        ["cmake", "-S", str(tree), "-B", str(build), "-G", "Ninja", "-DBERTH_WERROR=OFF",
         "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"], env, build / f"lab-{lab}-configure.log")
    if rc != 0:
        return Grade(lab, tree, False, [], count_test_cases(tree, lab), build_log=out,
                     failed_step="configure")
    log(f"build: {target} (and what it needs)")
    rc, out = run_logged(["cmake", "--build", str(build), "-j", str(jobs), "--target", target],
                         env, build / f"lab-{lab}-build.log")
    if rc != 0:
        if f"unknown target '{target}'" in out:
            raise LabError(f"the tree has no target {target}: chapter {lab} has no tests")
        return Grade(lab, tree, False, [], count_test_cases(tree, lab), build_log=out,
                     failed_step="build")

    scored = scored_tests(build, lab, env)
    if not scored:
        raise LabError(f"ctest lists no test labelled ch{lab} in {build}")
    junit = build / f"lab-{lab}-junit.xml"
    if junit.exists():
        junit.unlink()
    log(f"test: ctest -L ^ch{lab}$ ({len(scored)} tests)")
    # --timeout only applies to tests without a TIMEOUT of their own: a
    # student's code that hangs costs minutes, not ctest's default 25.
    rc, out = run_logged(["ctest", "--test-dir", str(build), "-L", f"^ch{lab}$",
                          "-j", str(jobs), "--timeout", str(TEST_TIMEOUT),
                          "--output-junit", str(junit)], env, build / f"lab-{lab}-ctest.log")
    if not junit.exists():
        raise LabError(f"ctest wrote no results (exit {rc}):\n{out}")
    results = parse_junit(junit)
    tests = [results.get(name, TestResult(name, False, "not run")) for name in scored]
    fixtures = [r for name, r in results.items() if name not in scored]
    leak = next((r for r in fixtures if r.name == "leak-check"), None)
    return Grade(lab, tree, True, tests, len(scored),
                 leak_check="not run" if leak is None else ("passed" if leak.passed else "failed"),
                 fixtures_failed=[r.name for r in fixtures if not r.passed])


def failure_reason(output: str, width: int = 200) -> str:
    """One line that says why a test failed, from Catch2's output: its first
    failed assertion, preferring one that names a task not implemented."""
    failures = []
    # Catch2 separates assertions by an empty line; a message's own blank
    # lines are indented, so they do not split it.
    for block in re.split(r"\n\n+", output):
        if "FAILED" in block or "due to unexpected exception" in block:
            text = " ".join(block.split())
            # "../tests/01-process/run_test.cpp:158: FAILED: ..." -> "run_test.cpp:158: ..."
            text = re.sub(r"^\S*/([^/\s]+:\d+:) FAILED:", r"\1", text)
            failures.append(text)
    def rank(text: str) -> int:
        if "not implemented" in text:
            return 0
        return 2 if "Exception translation was disabled" in text else 1
    if failures:
        reason = min(failures, key=rank)
    else:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        reason = lines[-1] if lines else "no output (crashed or killed?)"
    # Say first which task it waits for: "lab 01 exit-code: not implemented".
    todo = re.search(r"lab \d\d [a-z0-9-]+: not implemented", reason)
    if todo:
        reason = f"{todo.group(0)} -- {reason}"
    return reason if len(reason) <= width else reason[:width - 3] + "..."


class BuildLock:
    """An exclusive lock on a build directory, so two graders never build in
    the same place at once (a second one waits)."""

    NAME = "lab-grade.lock"

    def __init__(self, build: Path):
        build.mkdir(parents=True, exist_ok=True)
        self.path = build / self.NAME

    def __enter__(self):
        self.file = open(self.path, "w")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another grader building in {self.path.parent} ...", file=sys.stderr)
            fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.file.close()


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:.1f}s"
