// Diff and apply: a container's changes as a layer tarball, and back.
// The changes are made through a real overlay mount (in the test process's
// private mount namespace), so the upper directory holds exactly what
// overlayfs writes: copied-up files, whiteouts, opaque directories.
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "overlay/apply.h"
#include "overlay/archive.h"
#include "overlay/diff.h"
#include "overlay/overlay.h"
#include "support/support.h"

using namespace berth;
using namespace berth::test;

namespace {

// Every path under `root` (not `root` itself), a line each: type, mode,
// owner, contents or link target, the other paths of a file linked more
// than once, and (when `times`) the mtime in seconds. Two trees are the same
// tree when their descriptions are equal; Catch prints both when they differ.
std::string describe(const fs::path& root, bool times) {
  std::map<std::string, std::string> lines;
  std::map<ino_t, std::vector<std::string>> links;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string name = fs::relative(entry.path(), root).string();
    struct stat info {};
    REQUIRE(::lstat(entry.path().c_str(), &info) == 0);
    std::ostringstream line;
    line << std::oct << info.st_mode << std::dec << " " << info.st_uid << ":" << info.st_gid;
    if (S_ISREG(info.st_mode)) line << " '" << read_file(entry.path()) << "'";
    if (S_ISLNK(info.st_mode)) line << " -> " << fs::read_symlink(entry.path()).string();
    if (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) line << " dev " << info.st_rdev;
    if (times) line << " t=" << info.st_mtime;
    lines[name] = line.str();
    if (S_ISREG(info.st_mode) && info.st_nlink > 1) links[info.st_ino].push_back(name);
  }
  for (auto& [inode, names] : links) {
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      lines[name] += " linked with ";
      lines[name] += names.front();
    }
  }
  std::string text;
  for (const auto& [name, line] : lines) {
    text += name;
    text += " ";
    text += line;
    text += "\n";
  }
  return text;
}

// Two read-only layers, bottom and top (which shadows some of bottom), an
// upper and a work directory, and the merged mount, unmounted at the end.
class Container {
 public:
  Container() {
    write_file(bottom() / "etc" / "hosts", "127.0.0.1 localhost\n");
    write_file(bottom() / "etc" / "passwd", "root:x:0:0::/root:/bin/sh\n");
    write_file(bottom() / "bin" / "tool", "#!/bin/sh\necho bottom\n");
    write_file(bottom() / "dir" / "a", "a from the bottom");
    write_file(bottom() / "dir" / "sub" / "b", "b from the bottom");
    write_file(bottom() / "old", "to be deleted");
    write_file(top() / "bin" / "tool", "#!/bin/sh\necho top\n");
    write_file(top() / "dir" / "c", "c from the top");
    fs::permissions(bottom() / "bin" / "tool", fs::perms(0755));
    fs::permissions(top() / "bin" / "tool", fs::perms(0755));
    stack.lowers = {top(), bottom()};
    stack.upper = dir_ / "upper";
    stack.work = dir_ / "work";
    for (const auto& d : {stack.upper, stack.work, merged()}) {
      fs::create_directories(d);
    }
  }
  ~Container() { unmount_all(); }
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  fs::path bottom() const { return dir_ / "bottom"; }
  fs::path top() const { return dir_ / "top"; }
  fs::path merged() const { return dir_ / "merged"; }
  fs::path operator/(const fs::path& child) const { return dir_ / child; }

  void mount(const overlay::Stack& s, const fs::path& target) {
    overlay::mount(s, target);
    mounted_.push_back(target);
  }
  void mount() { mount(stack, merged()); }

  // What a container might do: add, modify, delete, replace a directory,
  // chmod, chown, symlink, hardlink, mkfifo.
  void change(bool reversed = false) {
    std::vector<std::function<void()>> steps = {
        [&] { write_file(merged() / "new.txt", "brand new"); },
        [&] { write_file(merged() / "etc" / "hosts", "10.0.0.1 db\n"); },
        [&] { fs::remove(merged() / "old"); },
        [&] {
          fs::remove_all(merged() / "dir");
          write_file(merged() / "dir" / "fresh", "in a directory made again");
        },
        [&] { fs::permissions(merged() / "bin" / "tool", fs::perms(0700)); },
        [&] { REQUIRE(::chown((merged() / "new.txt").c_str(), 1000, 1000) == 0); },
        [&] { fs::create_symlink("etc/hosts", merged() / "link"); },
        [&] {
          write_file(merged() / "etc" / "new.conf", "linked twice");
          fs::create_hard_link(merged() / "etc" / "new.conf", merged() / "hard");
        },
        [&] { REQUIRE(::mkfifo((merged() / "pipe").c_str(), 0640) == 0); },
    };
    if (!reversed) {
      for (auto& step : steps) {
        step();
      }
    } else {
      // new.txt's chown needs new.txt: keep those two in order.
      std::swap(steps[0], steps[5]);
      std::reverse(steps.begin(), steps.end());
      for (auto& step : steps) {
        step();
      }
    }
  }

  overlay::Stack stack;

 private:
  void unmount_all() {
    const std::vector<fs::path> last_first(mounted_.rbegin(), mounted_.rend());
    for (const auto& target : last_first) {
      ::umount2(target.c_str(), MNT_DETACH);
    }
    mounted_.clear();
  }

  TempDir dir_;
  std::vector<fs::path> mounted_;
};

UniqueFd create_file(const fs::path& path) {
  return UniqueFd{static_cast<int>(check(
      ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), "open", path.string()))};
}

// The upper directory as a layer tarball in `path`; returns it open, at 0.
UniqueFd diff_to(const fs::path& upper, const fs::path& path, const overlay::DiffOptions& options) {
  UniqueFd fd = create_file(path);
  overlay::write_layer(upper, fd.get(), options);
  REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
  return fd;
}

std::vector<std::string> entry_names(const fs::path& tarball) {
  overlay::ArchiveReader reader(tarball);
  std::vector<std::string> names;
  while (reader.next() != nullptr) {
    names.push_back(reader.path());
  }
  return names;
}

}  // namespace

TEST_CASE("diff: changes() lists what was added and changed and deleted like docker diff") {
  Container c;
  c.mount();
  c.change();
  using K = overlay::Change::Kind;
  const std::vector<overlay::Change> expected = {
      {K::changed, "/bin"},        {K::changed, "/bin/tool"}, {K::changed, "/dir"},
      {K::deleted, "/dir/a"},      {K::deleted, "/dir/c"},    {K::added, "/dir/fresh"},
      {K::deleted, "/dir/sub"},    {K::changed, "/etc"},      {K::changed, "/etc/hosts"},
      {K::added, "/etc/new.conf"}, {K::added, "/hard"},       {K::added, "/link"},
      {K::added, "/new.txt"},      {K::deleted, "/old"},      {K::added, "/pipe"},
  };
  const auto actual = overlay::changes(c.stack);
  std::string text;
  for (const auto& change : actual) {
    text += static_cast<char>(change.kind);
    text += " " + change.path + "\n";
  }
  INFO(text);
  CHECK(actual == expected);
}

TEST_CASE("diff: whiteouts become .wh. files and the opaque marker follows its directory") {
  Container c;
  c.mount();
  c.change();
  TempDir out;
  diff_to(c.stack.upper, out / "layer.tar", {});
  // In each directory: the opaque marker first, then the names' bytes
  // ('.' sorts before letters).
  const std::vector<std::string> expected = {
      ".wh.old",   "bin/",         "bin/tool", "dir/", "dir/.wh..wh..opq", "dir/fresh", "etc/",
      "etc/hosts", "etc/new.conf", "hard",     "link", "new.txt",          "pipe",
  };
  CHECK(entry_names(out / "layer.tar") == expected);
}

TEST_CASE("diff then apply with Whiteouts::remove reproduces the tree the overlay showed") {
  Container c;
  // The lowers flattened onto one tree, copied before anything changes.
  const fs::path flat = c / "flat";
  REQUIRE(run({"cp", "-a", c.bottom().string(), flat.string()}).exit_code == 0);
  REQUIRE(run({"cp", "-a", c.top().string() + "/.", flat.string()}).exit_code == 0);
  c.mount();
  c.change();
  const UniqueFd layer = diff_to(c.stack.upper, c / "layer.tar", {.timestamp = std::nullopt});
  overlay::ApplyOptions flatten;
  flatten.whiteouts = overlay::Whiteouts::remove;
  const auto result = overlay::apply_layer(layer.get(), flat, flatten);
  CHECK(result.entries == 13);
  CHECK(describe(flat, true) == describe(c.merged(), true));
}

TEST_CASE("diff then apply with Whiteouts::overlay gives a layer that stacks to the same tree") {
  Container c;
  c.mount();
  c.change();
  const UniqueFd layer = diff_to(c.stack.upper, c / "layer.tar", {});
  const fs::path applied = c / "applied";
  fs::create_directories(applied);
  overlay::apply_layer(layer.get(), applied);
  CHECK(overlay::is_whiteout(applied / "old"));
  CHECK(overlay::is_opaque(applied / "dir"));
  CHECK_FALSE(fs::exists(applied / ".wh.old"));
  CHECK_FALSE(fs::exists(applied / "dir" / ".wh..wh..opq"));

  const fs::path merged2 = c / "merged2";
  fs::create_directories(merged2);
  c.mount({.lowers = {applied, c.top(), c.bottom()}, .upper = {}, .work = {}}, merged2);
  CHECK(describe(merged2, false) == describe(c.merged(), false));
}

TEST_CASE("diff: the same changes made at different times give byte-identical tarballs") {
  Container first;
  Container second;
  first.mount();
  second.mount();
  first.change();
  second.change(true);  // the other way round: other inodes, other readdir order
  // And other times: a day later.
  for (const auto& entry : fs::recursive_directory_iterator(second.stack.upper)) {
    if (!entry.is_symlink()) {
      fs::last_write_time(entry.path(), fs::last_write_time(entry.path()) + std::chrono::hours(24));
    }
  }
  TempDir out;
  diff_to(first.stack.upper, out / "first.tar", {});
  diff_to(second.stack.upper, out / "second.tar", {});
  CHECK(read_file(out / "first.tar") == read_file(out / "second.tar"));
  CHECK(read_file(out / "first.tar").size() % 512 == 0);

  // Written to a pipe, the same bytes as to a file (the layer fits in the
  // pipe's buffer).
  Pipe pipe = make_pipe();
  overlay::write_layer(first.stack.upper, pipe.write_end.get());
  pipe.write_end.reset();
  std::string piped;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(pipe.read_end.get(), buffer, sizeof buffer)) > 0) {
    piped.append(buffer, static_cast<std::size_t>(n));
  }
  CHECK(piped == read_file(out / "first.tar"));

  // Keeping the files' own times, they differ: the test can see a difference.
  diff_to(first.stack.upper, out / "first-times.tar", {.timestamp = std::nullopt});
  diff_to(second.stack.upper, out / "second-times.tar", {.timestamp = std::nullopt});
  CHECK(read_file(out / "first-times.tar") != read_file(out / "second-times.tar"));
}

TEST_CASE("apply: reads gzip and zstd layers") {
  Container c;
  c.mount();
  c.change();
  diff_to(c.stack.upper, c / "layer.tar", {});
  for (const std::string tool : {"gzip", "zstd"}) {
    INFO(tool);
    REQUIRE(run({tool, "-q", "-k", "-f", (c / "layer.tar").string()}).exit_code == 0);
    const std::string suffix = tool == "gzip" ? ".gz" : ".zst";
    const UniqueFd fd{::open((c / ("layer.tar" + suffix)).c_str(), O_RDONLY | O_CLOEXEC)};
    const fs::path applied = c / ("applied-" + tool);
    fs::create_directories(applied);
    CHECK(overlay::apply_layer(fd.get(), applied).entries == 13);
    CHECK(read_file(applied / "etc" / "hosts") == "10.0.0.1 db\n");
  }
}

TEST_CASE("apply: a later entry replaces an earlier one of another type") {
  TempDir dir;
  const fs::path target = dir / "target";
  fs::create_directories(target / "x" / "deep");
  write_file(target / "x" / "deep" / "file", "old");
  fs::create_symlink("x", target / "y");
  // x, a directory with contents, becomes a file; y, a symlink, a directory.
  {
    const UniqueFd fd = create_file(dir / "layer.tar");
    overlay::ArchiveWriter writer(fd.get(), "layer.tar");
    for (const auto& [name, type] : {std::pair{"x", AE_IFREG}, std::pair{"y", AE_IFDIR}}) {
      overlay::Entry entry = overlay::make_entry();
      archive_entry_set_pathname(entry.get(), name);
      archive_entry_set_filetype(entry.get(), static_cast<unsigned>(type));
      archive_entry_set_perm(entry.get(), 0644);
      writer.write_header(entry.get());
    }
    writer.close();
  }
  const UniqueFd fd{::open((dir / "layer.tar").c_str(), O_RDONLY | O_CLOEXEC)};
  overlay::apply_layer(fd.get(), target);
  CHECK(fs::is_regular_file(fs::symlink_status(target / "x")));
  CHECK(fs::is_directory(fs::symlink_status(target / "y")));
}
