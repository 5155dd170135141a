#!/usr/bin/env python3
"""Unit tests of the lab generator (labs/lablib.py and labs/generate), on small
sample trees in a temporary directory, and of the grader's parsing of ctest's
and Catch2's output. Fast: no compiler needed.

    python3 tests/labs/test_generator.py [-v]
"""

import json
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.dont_write_bytecode = True
LABS = Path(__file__).resolve().parents[2] / "labs"
sys.path.insert(0, str(LABS))
import lablib  # noqa: E402

WAIT_CPP = """\
#include "process/process.h"

#include <sys/wait.h>

namespace berth::process {

// #region exit-code
int exit_code(int sample_status) {
  // #lab 01 exit-code: Turn a wait status into the exit code a shell reports.
  // #hint WIFEXITED and WEXITSTATUS give N for exit(N).
  // #hint WIFSIGNALED and WTERMSIG give the signal S; a shell reports 128 + S.
  if (WIFEXITED(sample_status)) return WEXITSTATUS(sample_status);
  if (WIFSIGNALED(sample_status)) return 128 + WTERMSIG(sample_status);
  return -1;
  // #endlab
}
// #endregion exit-code

int unchanged() { return 42; }

}  // namespace berth::process
"""

ROOTFS_CPP = """\
#include "rootfs/rootfs.h"

#include <unistd.h>

namespace berth::rootfs {

void enter(const char* root) {
    // #lab 02 chroot: Make root the process's root directory.
    // #hint chroot(2), then chdir("/").
    if (::chroot(root) != 0) throw_errno("chroot");
    if (::chdir("/") != 0) throw_errno("chdir /");
    // #endlab
}

}  // namespace berth::rootfs
"""

HEADER_H = """\
// A header with no includes.
#pragma once

namespace berth::process {
inline int twice(int x) {
  // #lab 01 twice: Double x.
  return x * 2 + 0 * 1234567890123;
  // #endlab
}
}  // namespace berth::process
"""

CHAPTER_MAIN = """\
#include "process/process.h"
#include "common/lab.h"

int main() {
  // #lab 01 main-exit: Exit with the code of the child.
  return berth::process::exit_code(run_child_and_wait_for_it());
  // #endlab
}
"""

# A page that pastes the reference code of exit-code: it must not reach students.
PASTED_MD = """\
Here is the answer:

    if (WIFEXITED(sample_status)) return WEXITSTATUS(sample_status);
    if (WIFSIGNALED(sample_status)) return 128 + WTERMSIG(sample_status);
    return -1;
"""


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def sample_tree(root: Path) -> None:
    write_tree(root, {
        "CMakeLists.txt": "project(sample)\n",
        "src/process/wait.cpp": WAIT_CPP,
        "src/process/twice.h": HEADER_H,
        "src/rootfs/enter.cpp": ROOTFS_CPP,
        "chapters/01-process/main.cpp": CHAPTER_MAIN,
        "book/01-process.md": "# Chapter 1\n<<< @/src/process/wait.cpp#exit-code\n",
        "book/02-rootfs.md": "# Chapter 2\n",
        "notes/answers.md": PASTED_MD,
        "tests/01-process/exit_code_test.cpp": "TEST_CASE(\"exit code\") {}\n",
        "build/stale.txt": "a build dir: never copied\n",
    })


class GenerateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="berth-labs-test-")
        self.root = Path(self.tmp.name) / "repo"
        self.out = Path(self.tmp.name) / "starter"
        sample_tree(self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def generate(self, lab="01"):
        return lablib.generate(self.root, lab, self.out)

    def starter(self, rel):
        return (self.out / rel).read_text()

    def test_replaces_the_region_with_todo_hints_and_call(self):
        self.generate()
        text = self.starter("src/process/wait.cpp")
        self.assertIn(textwrap.dedent("""\
            int exit_code(int sample_status) {
              // TODO(lab 01 exit-code): Turn a wait status into the exit code a shell reports.
              // Hint: WIFEXITED and WEXITSTATUS give N for exit(N).
              // Hint: WIFSIGNALED and WTERMSIG give the signal S; a shell reports 128 + S.
              berth::lab_not_implemented("lab 01 exit-code");
            }
            """), text)
        self.assertNotIn("WEXITSTATUS(sample_status)", text)
        self.assertNotIn("#lab", text)
        self.assertNotIn("#endlab", text)
        self.assertIn("int unchanged() { return 42; }", text)

    def test_keeps_book_region_markers(self):
        self.generate()
        text = self.starter("src/process/wait.cpp")
        self.assertIn("// #region exit-code", text)
        self.assertIn("// #endregion exit-code", text)

    def test_inserts_the_include_after_the_last_include(self):
        self.generate()
        lines = self.starter("src/process/wait.cpp").splitlines()
        self.assertEqual(lines[2:4], ["#include <sys/wait.h>", '#include "common/lab.h"'])
        self.assertEqual(lines.count('#include "common/lab.h"'), 1)

    def test_does_not_include_twice(self):
        self.generate()
        text = self.starter("chapters/01-process/main.cpp")
        self.assertEqual(text.count('#include "common/lab.h"'), 1)
        self.assertIn('berth::lab_not_implemented("lab 01 main-exit");', text)

    def test_header_without_includes_gets_it_after_pragma_once(self):
        self.generate()
        lines = self.starter("src/process/twice.h").splitlines()
        self.assertEqual(lines[1], "#pragma once")
        self.assertIn('#include "common/lab.h"', lines[2:4])
        self.assertNotIn("1234567890123", "\n".join(lines))

    def test_other_labs_keep_their_code_without_markers(self):
        self.generate()
        text = self.starter("src/rootfs/enter.cpp")
        self.assertIn('    if (::chroot(root) != 0) throw_errno("chroot");', text)
        self.assertNotIn("#lab", text)
        self.assertNotIn("#hint", text)
        self.assertNotIn("#endlab", text)
        self.assertNotIn("TODO", text)
        self.assertNotIn("common/lab.h", text)
        # Nothing else changed: the file is the reference minus three marker lines.
        self.assertEqual(len(text.splitlines()), len(ROOTFS_CPP.splitlines()) - 3)

    def test_the_other_lab_gets_its_own_replacement(self):
        self.generate("2")
        self.assertIn('    berth::lab_not_implemented("lab 02 chroot");',
                      self.starter("src/rootfs/enter.cpp"))
        self.assertIn("if (WIFEXITED(sample_status)) return WEXITSTATUS(sample_status);",
                      self.starter("src/process/wait.cpp"))
        self.assertTrue((self.out / "book/01-process.md").exists())
        self.assertFalse((self.out / "book/02-rootfs.md").exists())

    def test_drops_book_pages_and_files_with_pasted_code(self):
        starter = self.generate()
        self.assertFalse((self.out / "book/01-process.md").exists())
        self.assertTrue((self.out / "book/02-rootfs.md").exists())
        self.assertFalse((self.out / "notes/answers.md").exists())
        self.assertIn("notes/answers.md", starter.dropped)
        self.assertTrue((self.out / "tests/01-process/exit_code_test.cpp").exists())

    def test_skips_build_dirs_and_writes_the_task_list(self):
        self.generate()
        self.assertFalse((self.out / "build").exists())
        info = json.loads((self.out / lablib.STARTER_INFO).read_text())
        self.assertEqual(info["lab"], "01")
        self.assertEqual(sorted(t["name"] for t in info["tasks"]),
                         ["lab 01 exit-code", "lab 01 main-exit", "lab 01 twice"])
        for task in info["tasks"]:
            path, line = task["where"].split(":")
            todo = self.starter(path).splitlines()[int(line) - 1]
            self.assertEqual(todo.strip(), f"// TODO({task['name']}): {task['description']}")

    def test_replaces_an_old_starter(self):
        write_tree(self.out, {"old-file": "from an earlier run\n"})
        self.generate()
        self.assertFalse((self.out / "old-file").exists())

    def test_lists_the_tree_with_git_when_it_is_a_repository(self):
        git = ["git", "-C", str(self.root)]
        subprocess.run(git + ["init", "-q"], check=True)
        (self.root / ".gitignore").write_text("/build/\n/ignored.txt\n")
        (self.root / "ignored.txt").write_text("ignored\n")
        subprocess.run(git + ["add", "CMakeLists.txt"], check=True)
        files = lablib.tree_files(self.root)
        self.assertIn("CMakeLists.txt", files)           # tracked
        self.assertIn("src/process/wait.cpp", files)     # untracked, not ignored
        self.assertNotIn("ignored.txt", files)
        self.assertNotIn("build/stale.txt", files)

    def test_refuses_a_starter_that_would_leak(self):
        # A copy of exit-code's code in another chapter's marked file is not
        # dropped (the file is needed); the check of the written starter catches it.
        enter = self.root / "src/rootfs/enter.cpp"
        enter.write_text(enter.read_text() + PASTED_MD.split("\n", 2)[2])
        with self.assertRaisesRegex(lablib.LabError, r"(?s)would leak.*src/rootfs/enter.cpp"):
            self.generate()
        self.assertEqual(list(self.out.parent.glob("starter*")), [])

    def test_no_regions_is_an_error(self):
        with self.assertRaisesRegex(lablib.LabError, "chapter 03 has no lab regions"):
            self.generate("3")


class MarkerErrorTest(unittest.TestCase):
    def check_error(self, path, text, pattern):
        with self.assertRaisesRegex(lablib.LabError, pattern):
            lablib.scan_regions(path, textwrap.dedent(text))

    def test_missing_endlab(self):
        self.check_error("src/process/a.cpp", """\
            void f() {
              // #lab 01 f: Do f.
              g();
            }
            """, r"a.cpp:2: lab 01 f has no #endlab")

    def test_endlab_without_lab(self):
        self.check_error("src/process/a.cpp", """\
            void f() {
              g();
              // #endlab
            }
            """, r"a.cpp:3: #endlab without a #lab")

    def test_nested_regions(self):
        self.check_error("src/process/a.cpp", """\
            // #lab 01 outer: Outer.
            g();
            // #lab 01 inner: Inner.
            h();
            // #endlab
            // #endlab
            """, r"a.cpp:3: .*cannot nest")

    def test_lab_number_must_be_the_files_chapter(self):
        self.check_error("src/rootfs/a.cpp", """\
            // #lab 01 wrong: In the wrong chapter.
            g();
            // #endlab
            """, r"#lab 01 in a file of chapter 02")
        self.check_error("chapters/02-rootfs/main.cpp", """\
            // #lab 03 wrong: In the wrong chapter.
            g();
            // #endlab
            """, r"#lab 03 in a file of chapter 02")

    def test_markers_only_in_chapter_files(self):
        self.check_error("src/common/error.cpp", """\
            // #lab 01 common: Not a chapter's file.
            g();
            // #endlab
            """, r"belong in a chapter's files")

    def test_hint_must_follow_its_lab_line(self):
        self.check_error("src/process/a.cpp", """\
            // #lab 01 f: Do f.
            g();
            // #hint too late
            // #endlab
            """, r"a.cpp:3: #hint must directly follow")

    def test_malformed_marker(self):
        self.check_error("src/process/a.cpp", """\
            // #lab 01 Missing the colon
            g();
            // #endlab
            """, r"a.cpp:1: malformed lab marker")

    def test_empty_region(self):
        self.check_error("src/process/a.cpp", """\
            // #lab 01 f: Nothing inside.
            // #endlab
            """, r"has no code")

    def test_region_must_not_cut_a_book_region(self):
        self.check_error("src/process/a.cpp", """\
            // #lab 01 f: Do f.
            // #region half
            g();
            // #endlab
            // #endregion half
            """, r"ends inside book region 'half'")

    def test_endlab_may_name_its_region(self):
        regions = lablib.scan_regions("src/process/a.cpp", textwrap.dedent("""\
            // #lab 1 f: Do f.
            g();
            // #endlab 01 f
            """))
        self.assertEqual([(r.lab, r.task, r.start, r.end) for r in regions],
                         [("01", "f", 0, 2)])


CATCH_OUTPUT = """\
Filters: run exits with the command's exit code

-------------------------------------------------------------------------------
run exits with the command's exit code
-------------------------------------------------------------------------------
../tests/01-process/run_test.cpp:180
...............................................................................

../tests/01-process/run_test.cpp:189: FAILED:
  CHECK( result.exit_code == code )
with expansion:
  125 == 0
with message:
  stdout:
  
stderr:
  berth-ch01: lab 01 forward-signals: not
  implemented

===============================================================================
test cases: 1 | 1 failed
"""

JUNIT = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)" tests="4" failures="2">
  <testcase name="fixture.leak-baseline" status="run"><system-out></system-out></testcase>
  <testcase name="ch01: passes" status="run"><system-out>All tests passed</system-out></testcase>
  <testcase name="ch01: fails" status="fail"><failure message="Failed"/>
    <system-out>boom</system-out></testcase>
  <testcase name="ch01: not run" status="notrun"><skipped message="Disabled"/></testcase>
</testsuite>
"""


class GraderParsingTest(unittest.TestCase):
    def test_failure_reason_names_the_task_first(self):
        reason = lablib.failure_reason(CATCH_OUTPUT)
        self.assertTrue(reason.startswith("lab 01 forward-signals: not implemented -- "
                                          "run_test.cpp:189: CHECK( result.exit_code == code )"),
                        reason)

    def test_failure_reason_without_assertions_is_the_last_line(self):
        self.assertEqual(lablib.failure_reason("Filters: x\nSegmentation fault\n"),
                         "Segmentation fault")
        self.assertIn("no output", lablib.failure_reason(""))

    def test_junit_passed_only_when_run_without_failure(self):
        with tempfile.TemporaryDirectory(prefix="berth-labs-test-") as tmp:
            path = Path(tmp) / "junit.xml"
            path.write_text(JUNIT)
            results = lablib.parse_junit(path)
        self.assertEqual({n: r.passed for n, r in results.items()},
                         {"fixture.leak-baseline": True, "ch01: passes": True,
                          "ch01: fails": False, "ch01: not run": False})
        self.assertIn("boom", results["ch01: fails"].output)

    def test_grade_scores_zero_when_the_build_fails(self):
        g = lablib.Grade("01", Path("."), False, [lablib.TestResult("t", True)], 5)
        self.assertEqual(g.as_json()["score"], 0)
        self.assertEqual(g.as_json()["max"], 5)


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="berth-labs-test-")
        self.root = Path(self.tmp.name) / "repo"
        sample_tree(self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def run_generate(self, *args):
        return subprocess.run([str(LABS / "generate"), *args, "--root", str(self.root)],
                              capture_output=True, text=True)

    def test_prints_the_starter_and_tasks(self):
        out = Path(self.tmp.name) / "out"
        proc = self.run_generate("1", "--out", str(out))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"Lab 01 starter: {out}", proc.stdout)
        # Where the TODO is in the starter: one line below the reference's
        # #lab line, for the #include added above it.
        self.assertIn("lab 01 exit-code  (src/process/wait.cpp:10)", proc.stdout)
        self.assertIn("left out book/01-process.md", proc.stdout)

    def test_default_output_is_build_labs_nn_starter(self):
        proc = self.run_generate("01")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue((self.root / "build/labs/01/starter/src/process/wait.cpp").exists())

    def test_errors_exit_2_with_a_message(self):
        write_tree(self.root, {"src/process/bad.cpp": "// #lab 01 x: X.\ng();\n"})
        proc = self.run_generate("1")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("src/process/bad.cpp:1: lab 01 x has no #endlab", proc.stderr)
        for bad in ("0", "abc", "123"):
            proc = self.run_generate(bad)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("not a lab number", proc.stderr)


if __name__ == "__main__":
    unittest.main()
