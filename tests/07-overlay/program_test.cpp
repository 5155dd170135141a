// berth-ch07 as a user runs it: a container on two layers (a busybox base
// and an app layer on top), what it changed (diff), its changes as a layer
// tarball (commit), and that tarball unpacked again (apply).
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "overlay/overlay.h"
#include "support/support.h"

using namespace berth;
using namespace berth::test;

namespace {

CommandResult ch07(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {bin("berth-ch07")};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = run(argv);
  UNSCOPED_INFO("berth-ch07 exit code " << result.exit_code << "\nstdout:\n"
                                        << result.out << "\nstderr:\n"
                                        << result.err);
  return result;
}

// Every file of a tree, a line each: its path, type, mode and size, a
// regular file's contents, a symlink's target, a device's numbers, and
// whether a directory is opaque. Two trees that list the same are the same
// to whoever reads them.
std::string listing(const fs::path& root) {
  std::vector<std::string> lines;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path& path = it->path();
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    std::ostringstream line;
    line << fs::relative(path, root).string() << " mode=" << std::oct << info.st_mode << std::dec;
    if (S_ISREG(info.st_mode)) {
      line << " size=" << info.st_size << " hash=" << std::hash<std::string>{}(read_file(path));
    } else if (S_ISLNK(info.st_mode)) {
      line << " -> " << fs::read_symlink(path).string();
    } else if (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) {
      line << " dev=" << info.st_rdev;
    } else if (S_ISDIR(info.st_mode) && overlay::is_opaque(path)) {
      line << " opaque";
    }
    lines.push_back(line.str());
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& line : lines) {
    text += line + "\n";
  }
  return text;
}

// Two layers in a temporary directory: base, a busybox root, and app on
// top of it, which adds /srv/hello and changes /etc/motd; and the path of a
// container's upper directory, c1, made by `run`.
struct Layers {
  TempDir tmp;
  fs::path base = copy_busybox_rootfs(tmp / "base");
  fs::path app = tmp / "app";
  fs::path upper = tmp / "c1";

  Layers() {
    write_file(base / "etc" / "motd", "from the base\n");
    write_file(base / "srv" / "old", "to be deleted\n");
    write_file(app / "srv" / "hello", "hello from the app layer\n");
    write_file(app / "etc" / "motd", "from the app\n");
  }

  // berth-ch07 run --layer app --layer base --upper UPPER -- sh -c SCRIPT
  CommandResult run_sh(const std::string& script, const fs::path& into) const {
    return ch07(
        {"run", "--layer", app, "--layer", base, "--upper", into, "--", "sh", "-c", script});
  }
  CommandResult run_sh(const std::string& script) const { return run_sh(script, upper); }
};

// What the test container does: add, change and delete a file, make a
// directory, and replace one (rm -rf, then mkdir: an opaque directory).
constexpr const char* kChanges =
    "echo new > /srv/new && echo changed >> /etc/motd && rm /srv/old && rm /bin/vi && "
    "mkdir /data && echo x > /data/f && rm -rf /var && mkdir /var && echo y > /var/only";

}  // namespace

TEST_CASE("run: the container sees the layers merged, the topmost first") {
  Layers layers;
  const auto result = layers.run_sh("cat /srv/hello /etc/motd /srv/old; ls /bin/busybox");
  REQUIRE(result.exit_code == 0);
  CHECK(result.out == "hello from the app layer\nfrom the app\nto be deleted\n/bin/busybox\n");
}

TEST_CASE("run: changes go to the upper directory, the layers stay as they were") {
  Layers layers;
  const std::string base_before = listing(layers.base);
  const std::string app_before = listing(layers.app);
  REQUIRE(layers.run_sh(kChanges).exit_code == 0);

  CHECK(read_file(layers.upper / "srv" / "new") == "new\n");
  CHECK(read_file(layers.upper / "etc" / "motd") == "from the app\nchanged\n");  // copied up
  CHECK(overlay::is_whiteout(layers.upper / "srv" / "old"));
  CHECK(overlay::is_whiteout(layers.upper / "bin" / "vi"));
  CHECK(overlay::is_opaque(layers.upper / "var"));
  CHECK(listing(layers.base) == base_before);
  CHECK(listing(layers.app) == app_before);

  // The next container on the same upper directory starts from there.
  const auto again = layers.run_sh("cat /srv/new /etc/motd; ls /var; ls /srv/old; ls /bin/vi");
  CHECK(again.out == "new\nfrom the app\nchanged\nonly\n");
  CHECK(again.err.find("/srv/old") != std::string::npos);
  CHECK(again.err.find("/bin/vi") != std::string::npos);
}

TEST_CASE("run: nothing stays mounted, and the scratch directory is removed") {
  Layers layers;
  REQUIRE(layers.run_sh("grep -c ' - overlay ' /proc/self/mountinfo").out == "1\n");
  CHECK(mounts_under(layers.tmp.path()).empty());
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(layers.tmp.path())) {
    left.push_back(entry.path().filename());
  }
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"app", "base", "c1"});
}

TEST_CASE("run: the exit code is the command's, 127 when it is not found") {
  Layers layers;
  CHECK(layers.run_sh("exit 7").exit_code == 7);
  const auto missing =
      ch07({"run", "--layer", layers.base, "--upper", layers.upper, "--", "no-such-command"});
  CHECK(missing.exit_code == 127);
  CHECK(missing.err == "berth-ch07: exec no-such-command: no such file or directory\n");
}

TEST_CASE("run: a bad --layer is refused with exit code 125, naming it") {
  Layers layers;
  const fs::path missing = layers.tmp / "no-such-layer";
  const auto result = ch07(
      {"run", "--layer", missing, "--layer", layers.base, "--upper", layers.upper, "--", "true"});
  CHECK(result.exit_code == 125);
  CHECK(result.err == "berth-ch07: layer " + missing.string() + ": no such file or directory\n");

  const fs::path file = layers.base / "etc" / "motd";
  const auto not_dir = ch07({"run", "--layer", file, "--upper", layers.upper, "--", "true"});
  CHECK(not_dir.exit_code == 125);
  CHECK(not_dir.err == "berth-ch07: layer " + file.string() + ": not a directory\n");
  CHECK_FALSE(fs::exists(layers.upper));
}

TEST_CASE("run: a failed mount is named, and leaves nothing behind") {
  Layers layers;
  // overlayfs refuses a directory that is both a layer and the upper one.
  const auto result = ch07({"run", "--layer", layers.base, "--upper", layers.base, "--", "true"});
  CHECK(result.exit_code == 125);
  CHECK_THAT(result.err, Catch::StartsWith("berth-ch07: mount overlay on "));
  CHECK(mounts_under(layers.tmp.path()).empty());
  CHECK(std::distance(fs::directory_iterator(layers.tmp.path()), fs::directory_iterator()) == 2);
}

TEST_CASE("diff: lists exactly what the container changed, as docker diff does") {
  Layers layers;
  REQUIRE(layers.run_sh(kChanges).exit_code == 0);
  const auto result =
      ch07({"diff", "--layer", layers.app, "--layer", layers.base, "--upper", layers.upper});
  CHECK(result.exit_code == 0);
  CHECK(result.out ==
        "C /bin\n"
        "D /bin/vi\n"
        "A /data\n"
        "A /data/f\n"
        "C /etc\n"
        "C /etc/motd\n"
        "C /srv\n"
        "A /srv/new\n"
        "D /srv/old\n"
        "C /var\n"
        "A /var/only\n"
        "D /var/tmp\n");
}

TEST_CASE("diff: a container that changed nothing has nothing to list") {
  Layers layers;
  REQUIRE(layers.run_sh("cat /etc/motd > /dev/null").exit_code == 0);
  const auto result =
      ch07({"diff", "--layer", layers.app, "--layer", layers.base, "--upper", layers.upper});
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
}

TEST_CASE("commit: the layer tarball holds the changes, deletions as .wh. entries") {
  Layers layers;
  REQUIRE(layers.run_sh(kChanges).exit_code == 0);
  const fs::path tarball = layers.tmp / "c1.tar";
  REQUIRE(ch07({"commit", "--upper", layers.upper, "-o", tarball}).exit_code == 0);

  const auto names = run({"tar", "-tf", tarball});
  REQUIRE(names.exit_code == 0);
  CHECK(names.out ==
        "bin/\nbin/.wh.vi\ndata/\ndata/f\netc/\netc/motd\nsrv/\nsrv/.wh.old\nsrv/new\n"
        "var/\nvar/.wh..wh..opq\nvar/only\n");
  // What tar -tv shows: numeric owners, every time the epoch, whiteouts empty.
  const auto verbose = run({"tar", "--numeric-owner", "-tvf", tarball});
  CHECK_THAT(verbose.out, Catch::Contains("0/0               0 1970-01-01 00:00 srv/.wh.old"));
  CHECK_THAT(verbose.out, Catch::Contains("0/0              21 1970-01-01 00:00 etc/motd"));
  CHECK(read_file(layers.app / "etc" / "motd") == "from the app\n");
  CHECK(read_file(layers.base / "srv" / "old") == "to be deleted\n");
}

TEST_CASE("commit: the same changes made twice give byte-identical layers") {
  Layers layers;
  REQUIRE(layers.run_sh(kChanges).exit_code == 0);
  // Later, in another container: other times, other inode numbers.
  const fs::path second = layers.tmp / "c2";
  REQUIRE(layers.run_sh(kChanges, second).exit_code == 0);
  const fs::path one = layers.tmp / "one.tar";
  const fs::path two = layers.tmp / "two.tar";
  REQUIRE(ch07({"commit", "--upper", layers.upper, "-o", one}).exit_code == 0);
  REQUIRE(ch07({"commit", "--upper", second, "-o", two}).exit_code == 0);
  const auto compared = run({"cmp", one, two});
  CHECK(compared.exit_code == 0);
  CHECK(compared.out.empty());
}

TEST_CASE("commit: -o - writes the same bytes to a pipe") {
  Layers layers;
  REQUIRE(layers.run_sh(kChanges).exit_code == 0);
  const fs::path file = layers.tmp / "c1.tar";
  REQUIRE(ch07({"commit", "--upper", layers.upper, "-o", file}).exit_code == 0);
  const auto piped = ch07({"commit", "--upper", layers.upper, "-o", "-"});
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.out.size() == fs::file_size(file));
  CHECK(piped.out == read_file(file));
}

TEST_CASE("commit: a missing upper directory is named, and nothing is written") {
  Layers layers;
  const fs::path tarball = layers.tmp / "c1.tar";
  const auto result = ch07({"commit", "--upper", layers.upper, "-o", tarball});
  CHECK(result.exit_code == 125);
  CHECK(result.err ==
        "berth-ch07: upper directory " + layers.upper.string() + ": no such file or directory\n");
  CHECK(std::distance(fs::directory_iterator(layers.tmp.path()), fs::directory_iterator()) == 2);
}

namespace {

// The stack's merged view, mounted read-only in the test's own mount
// namespace for as long as it lives.
class MergedView {
 public:
  MergedView(const overlay::Stack& stack, const fs::path& target) : target_(target) {
    fs::create_directories(target);
    overlay::mount(stack, target);
  }
  ~MergedView() { ::umount2(target_.c_str(), MNT_DETACH); }
  MergedView(const MergedView&) = delete;
  MergedView& operator=(const MergedView&) = delete;

 private:
  fs::path target_;
};

}  // namespace

TEST_CASE("apply --flatten: the layers committed and unpacked in order are the container's tree") {
  Layers layers;
  REQUIRE(layers.run_sh(kChanges).exit_code == 0);
  const fs::path flat = layers.tmp / "flat";
  fs::create_directory(flat);
  for (const auto& [layer, name] :
       {std::pair{layers.base, "base.tar"}, std::pair{layers.app, "app.tar"},
        std::pair{layers.upper, "c1.tar"}}) {
    const fs::path tarball = layers.tmp / name;
    REQUIRE(ch07({"commit", "--upper", layer, "-o", tarball}).exit_code == 0);
    REQUIRE(ch07({"apply", "--flatten", tarball, flat}).exit_code == 0);
  }
  CHECK_FALSE(fs::exists(flat / "srv" / "old"));
  CHECK_FALSE(fs::exists(flat / "var" / "tmp"));
  CHECK(read_file(flat / "var" / "only") == "y\n");

  const std::string flattened = listing(flat);
  overlay::Stack stack;
  stack.lowers = {layers.upper, layers.app, layers.base};  // read-only: no upper of its own
  const MergedView merged(stack, layers.tmp / "merged");
  CHECK(listing(layers.tmp / "merged") == flattened);
}

TEST_CASE("apply: a committed layer, unpacked as overlayfs's, stacks like the container's upper") {
  Layers layers;
  REQUIRE(layers.run_sh(kChanges).exit_code == 0);
  const fs::path tarball = layers.tmp / "c1.tar";
  REQUIRE(ch07({"commit", "--upper", layers.upper, "-o", tarball}).exit_code == 0);
  const fs::path layer = layers.tmp / "c1-layer";
  fs::create_directory(layer);
  REQUIRE(ch07({"apply", tarball, layer}).exit_code == 0);
  CHECK(overlay::is_whiteout(layer / "srv" / "old"));
  CHECK(overlay::is_whiteout(layer / "bin" / "vi"));
  CHECK(overlay::is_opaque(layer / "var"));
  CHECK_FALSE(fs::exists(layer / "var" / ".wh..wh..opq"));

  // A new container on the three layers sees what the first one left.
  const auto result = ch07({"run", "--layer", layer, "--layer", layers.app, "--layer", layers.base,
                            "--upper", layers.tmp / "c2", "--", "sh", "-c",
                            "cat /srv/new /etc/motd; ls /var; ls /srv; ls /bin/vi"});
  CHECK(result.out == "new\nfrom the app\nchanged\nonly\nhello\nnew\n");
  CHECK_THAT(result.err, Catch::Contains("/bin/vi"));
}

TEST_CASE("apply: a file that is no tar archive is refused with exit code 125") {
  Layers layers;
  const fs::path bogus = layers.tmp / "bogus.tar";
  write_file(bogus, std::string(2048, 'x'));
  const fs::path target = layers.tmp / "target";
  fs::create_directory(target);
  const auto result = ch07({"apply", bogus, target});
  CHECK(result.exit_code == 125);
  CHECK_THAT(result.err, Catch::StartsWith("berth-ch07: apply " + bogus.string() + ": ") &&
                             Catch::Contains("archive"));
  CHECK(fs::is_empty(target));

  const auto missing = ch07({"apply", bogus, layers.tmp / "nowhere"});
  CHECK(missing.exit_code == 125);
  CHECK(missing.err == "berth-ch07: apply to " + (layers.tmp / "nowhere").string() +
                           ": no such file or directory\n");
}
