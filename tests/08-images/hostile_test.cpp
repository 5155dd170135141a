// Hostile layer tarballs: each is made by hand here (libarchive writes any
// name it is given, "../x" and "/x" included) and applied to `target` inside
// a temporary directory that also holds `outside/`, a sentinel tree. Each
// test checks that nothing outside `target` changed, and that a refusal
// names the entry.
//
// An extractor that failed one of these tests would write into `outside/`,
// never anywhere on the host: every escape aims at the sentinel (a symlink
// "etc -> /" would aim at the host's /etc, so "etc -> <dir>/outside" stands
// in for it).
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "overlay/apply.h"
#include "overlay/archive.h"
#include "support/support.h"

using namespace berth;
using namespace berth::test;

namespace {

// One tar entry, as a hostile author would write it.
struct Item {
  std::string path;
  unsigned type = AE_IFREG;
  std::string data;
  std::string symlink;   // for AE_IFLNK
  std::string hardlink;  // when set, a hardlink entry to this path
  dev_t rdev = 0;
};

Item file(const std::string& path, const std::string& data) {
  Item item;
  item.path = path;
  item.data = data;
  return item;
}
Item directory(const std::string& path) {
  Item item;
  item.path = path;
  item.type = AE_IFDIR;
  return item;
}
Item soft_link(const std::string& path, const std::string& target) {
  Item item;
  item.path = path;
  item.type = AE_IFLNK;
  item.symlink = target;
  return item;
}
Item hard_link(const std::string& path, const std::string& target) {
  Item item;
  item.path = path;
  item.hardlink = target;
  return item;
}
Item node(const std::string& path, unsigned type, dev_t rdev) {
  Item item;
  item.path = path;
  item.type = type;
  item.rdev = rdev;
  return item;
}

void write_tar(const fs::path& file, const std::vector<Item>& items) {
  const UniqueFd fd{::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  REQUIRE(fd.valid());
  overlay::ArchiveWriter writer(fd.get(), file.string());
  for (const Item& item : items) {
    overlay::Entry entry = overlay::make_entry();
    archive_entry_set_pathname(entry.get(), item.path.c_str());
    archive_entry_set_filetype(entry.get(), item.type);
    archive_entry_set_perm(entry.get(), item.type == AE_IFDIR ? 0755 : 0644);
    if (!item.symlink.empty()) archive_entry_set_symlink(entry.get(), item.symlink.c_str());
    if (!item.hardlink.empty()) archive_entry_set_hardlink(entry.get(), item.hardlink.c_str());
    if (item.rdev != 0) archive_entry_set_rdev(entry.get(), item.rdev);
    if (item.type == AE_IFREG && item.hardlink.empty()) {
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(item.data.size()));
    }
    writer.write_header(entry.get());
    writer.write_data(std::as_bytes(std::span{item.data}));
  }
  writer.close();
}

// Every path under `root` but `root/skip`, with type, size and contents:
// enough to see any write.
std::string describe_except(const fs::path& root, const fs::path& skip) {
  std::map<std::string, std::string> lines;
  auto it = fs::recursive_directory_iterator(root);
  for (; it != fs::recursive_directory_iterator(); ++it) {
    if (it->path() == skip) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat info {};
    REQUIRE(::lstat(it->path().c_str(), &info) == 0);
    std::ostringstream line;
    line << std::oct << info.st_mode << std::dec << " nlink " << info.st_nlink << " mtime "
         << info.st_mtim.tv_sec << "." << info.st_mtim.tv_nsec;
    if (S_ISREG(info.st_mode)) line << " '" << read_file(it->path()) << "'";
    lines[fs::relative(it->path(), root).string()] = line.str();
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

// A temporary directory with the target of the extraction and a sentinel
// tree next to it.
class Scene {
 public:
  Scene() {
    fs::create_directories(target());
    fs::create_directories(outside() / "etc");
    std::ofstream(outside() / "secret") << "must not change";
    std::ofstream(outside() / "etc" / "passwd") << "root:x:0:0::/root:/bin/sh\n";
  }

  fs::path target() const { return dir_ / "target"; }
  fs::path outside() const { return dir_ / "outside"; }
  // `outside` as an absolute path without its leading "/", i.e. where an
  // absolute name aimed at it lands inside the target.
  fs::path outside_in_target() const { return target() / outside().relative_path(); }

  // Applies `items` as a layer; the error's text when it is refused. Checks
  // that nothing but the target changed either way.
  std::optional<std::string> apply(const std::vector<Item>& items,
                                   const overlay::ApplyOptions& options = {}) {
    write_tar(dir_ / "layer.tar", items);
    return apply_file(dir_ / "layer.tar", options);
  }

  std::optional<std::string> apply_file(const fs::path& layer,
                                        const overlay::ApplyOptions& options = {}) {
    const std::string before = describe_except(dir_.path(), target());
    std::optional<std::string> error;
    {
      const UniqueFd fd{::open(layer.c_str(), O_RDONLY | O_CLOEXEC)};
      REQUIRE(fd.valid());
      try {
        overlay::apply_layer(fd.get(), target(), options);
      } catch (const Error& e) {
        error = e.what();
      }
    }
    CHECK(describe_except(dir_.path(), target()) == before);
    return error;
  }

  fs::path operator/(const fs::path& child) const { return dir_ / child; }

 private:
  TempDir dir_;
};

}  // namespace

TEST_CASE("hostile layer: an absolute path lands inside the target") {
  Scene scene;
  CHECK_FALSE(
      scene.apply({file((scene.outside() / "secret").string(), "pwned"), file("/abs", "inside")}));
  CHECK(read_file(scene.outside_in_target() / "secret") == "pwned");
  CHECK(read_file(scene.target() / "abs") == "inside");
}

TEST_CASE("hostile layer: a path with .. is refused naming the entry") {
  for (const std::string path : {"../outside/secret", "a/../../outside/secret", "./../x", ".."}) {
    Scene scene;
    INFO(path);
    const auto error = scene.apply({directory("a"), file(path, "x")});
    REQUIRE(error);
    CHECK_THAT(*error, Catch::Contains("entry " + path) && Catch::Contains("\"..\""));
  }
}

TEST_CASE("hostile layer: a symlink to outside then a file through it stays inside") {
  Scene scene;
  // "etc -> /" in spirit: an absolute symlink, then etc/passwd through it.
  CHECK_FALSE(
      scene.apply({soft_link("etc", scene.outside() / "etc"), file("etc/passwd", "pwned")}));
  CHECK(read_file(scene.outside_in_target() / "etc" / "passwd") == "pwned");
  // The symlink itself is kept as written.
  CHECK(fs::read_symlink(scene.target() / "etc") == scene.outside() / "etc");
}

TEST_CASE("hostile layer: a relative symlink climbing out stops at the target's root") {
  Scene scene;
  CHECK_FALSE(scene.apply({soft_link("link", "../../../outside"), file("link/secret", "pwned"),
                           soft_link("up", "../../.."), file("up/outside/secret", "pwned too")}));
  CHECK(read_file(scene.target() / "outside" / "secret") == "pwned too");
}

TEST_CASE("hostile layer: a file entry over a symlink replaces the symlink") {
  Scene scene;
  CHECK_FALSE(scene.apply({soft_link("s", scene.outside() / "secret"), file("s", "pwned")}));
  CHECK(fs::is_regular_file(fs::symlink_status(scene.target() / "s")));
  CHECK(read_file(scene.target() / "s") == "pwned");
}

TEST_CASE("hostile layer: a path through a symlink to a file is refused naming the entry") {
  Scene scene;
  const auto error =
      scene.apply({file("file", "a file"), soft_link("s", "file"), file("s/x", "pwned")});
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry s/x") && Catch::Contains("not a directory"));
}

TEST_CASE("hostile layer: a hardlink to a file outside is resolved inside or refused") {
  Scene scene;
  const std::string absolute = (scene.outside() / "secret").string();
  // Absolute: looked up inside the target, where there is no such file.
  auto error = scene.apply({hard_link("pw", absolute)});
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry pw") && Catch::Contains("hardlink to " + absolute));
  error = scene.apply({hard_link("pw", "../outside/secret")});
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("\"..\""));
  // Through a symlink to outside: the link is followed inside the target.
  error = scene.apply({soft_link("s", scene.outside()), hard_link("pw", "s/secret")});
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry pw"));
  CHECK_FALSE(fs::exists(fs::symlink_status(scene.target() / "pw")));
  // And a hardlink inside the target is made.
  CHECK_FALSE(scene.apply({file("a", "shared"), hard_link("b", "/a")}));
  CHECK(fs::hard_link_count(scene.target() / "a") == 2);
}

TEST_CASE("hostile layer: whiteouts through a symlink to outside delete nothing there") {
  for (const auto mode : {overlay::Whiteouts::remove, overlay::Whiteouts::overlay}) {
    Scene scene;
    overlay::ApplyOptions options;
    options.whiteouts = mode;
    // Flattening deletes for real: a whiteout or an opaque marker followed
    // out of the target would delete the sentinel files.
    CHECK_FALSE(scene.apply({soft_link("abs", scene.outside()), soft_link("rel", "../outside"),
                             file("abs/.wh.secret", ""), file("rel/.wh.secret", ""),
                             file("abs/etc/.wh..wh..opq", ""), file("rel/etc/.wh..wh..opq", "")},
                            options));
    CHECK(fs::is_symlink(scene.target() / "abs"));
  }
}

TEST_CASE("hostile layer: a symlink with an empty target is refused naming the entry") {
  // Found by the layer_apply fuzzer: symlinkat(2) was given a null target.
  Scene scene;
  const auto error = scene.apply({file("first", "fine"), soft_link("nowhere", "")});
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry nowhere") && Catch::Contains("empty target"));
  CHECK(read_file(scene.target() / "first") == "fine");
  CHECK_FALSE(fs::exists(fs::symlink_status(scene.target() / "nowhere")));
}

TEST_CASE("hostile layer: device nodes are refused in rootless mode") {
  Scene scene;
  overlay::ApplyOptions rootless;
  rootless.rootless = true;
  const auto error =
      scene.apply({node("null", AE_IFCHR, ::makedev(1, 3)), file("after", "x")}, rootless);
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry null") && Catch::Contains("rootless"));
  CHECK_FALSE(fs::exists(fs::symlink_status(scene.target() / "null")));
  // A FIFO is no device: fine rootless.
  CHECK_FALSE(scene.apply({node("fifo", AE_IFIFO, 0)}, rootless));
  CHECK(fs::is_fifo(scene.target() / "fifo"));
}

TEST_CASE("hostile layer: too many entries are refused at the first one over the limit") {
  Scene scene;
  overlay::ApplyOptions options;
  options.limits.max_entries = 3;
  std::vector<Item> items;
  items.reserve(6);
  for (int i = 0; i < 6; ++i) {
    items.push_back(file("f" + std::to_string(i), "x"));
  }
  const auto error = scene.apply(items, options);
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry f3") && Catch::Contains("more than 3 entries"));
  CHECK_FALSE(fs::exists(scene.target() / "f3"));
}

TEST_CASE("hostile layer: a file over the size limits is refused before it is written") {
  Scene scene;
  overlay::ApplyOptions options;
  options.limits.max_file_size = 100;
  options.limits.max_total_size = 150;
  auto error = scene.apply({file("big", std::string(101, 'x'))}, options);
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry big") && Catch::Contains("101 bytes"));
  CHECK_FALSE(fs::exists(scene.target() / "big"));
  error = scene.apply({file("one", std::string(100, 'x')), file("two", std::string(100, 'y'))},
                      options);
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry two") && Catch::Contains("150 bytes"));
  CHECK_FALSE(fs::exists(scene.target() / "two"));
}

TEST_CASE("hostile layer: a truncated archive is an error naming the entry and the offset") {
  Scene scene;
  write_tar(scene / "whole.tar", {file("first", "fine"), file("big", std::string(100'000, 'x'))});
  fs::copy_file(scene / "whole.tar", scene / "cut.tar");
  fs::resize_file(scene / "cut.tar", 5000);
  const auto error = scene.apply_file(scene / "cut.tar");
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("entry big") && Catch::Contains("at offset") &&
                         Catch::Contains("truncated"));
  CHECK(read_file(scene.target() / "first") == "fine");
}

TEST_CASE("hostile layer: input that is no tar archive is an error at offset 0") {
  Scene scene;
  std::string garbage;
  for (int i = 0; i < 100; ++i) {
    garbage += "this is not a tar archive\n";
  }
  std::ofstream(scene / "garbage") << garbage;
  auto error = scene.apply_file(scene / "garbage");
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("read layer") && Catch::Contains("offset 0") &&
                         Catch::Contains("unrecognized archive format"));
  // Gzip's magic, then garbage: the decompressor's error.
  std::ofstream(scene / "bad.gz") << std::string("\x1f\x8b\x08\x00", 4) + garbage;
  error = scene.apply_file(scene / "bad.gz");
  REQUIRE(error);
  CHECK_THAT(*error, Catch::Contains("read layer"));
  CHECK(fs::is_empty(scene.target()));
}
