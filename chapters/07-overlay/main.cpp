// berth-ch07 — run a container on a stack of layers, and turn what it
// changed into a layer of its own.
//
//   berth-ch07 run --layer DIR [--layer DIR]... --upper DIR
//                  [--ns LIST] [--hostname H] [--chroot | --pivot] -- CMD...
//   berth-ch07 diff --layer DIR [--layer DIR]... --upper DIR
//   berth-ch07 commit --upper DIR -o LAYER.tar
//   berth-ch07 apply [--flatten] LAYER.tar DIR
//
// `run` mounts the layers (the first --layer is the topmost, as in
// overlayfs's lowerdir; an image manifest lists them the other way round)
// under the writable --upper directory, and runs a chapter 03 container
// whose root is the merged view. The layers never change: every change the
// container makes lands in --upper. `diff` lists those changes as `docker
// diff` does; `commit` writes them as an OCI layer tarball; `apply` unpacks
// a layer tarball onto a directory.
//
// Exit code: the command's own; 127 when it is not found, 126 when it cannot
// be run, 125 when berth-ch07 itself fails ("berth-ch07: <what>: <why>").
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "container_command.h"
#include "ns/container.h"
#include "overlay/apply.h"
#include "overlay/diff.h"
#include "overlay/overlay.h"
#include "process/process.h"
#include "process/program.h"
#include "rootfs/mounts.h"

namespace {

using namespace berth;
namespace fs = std::filesystem;

struct Request {
  std::vector<std::string> layers;  // topmost first
  std::string upper;
  chapters::ContainerCommand container;  // run
  std::string output;                    // commit
  std::string layer;                     // apply
  std::string target;                    // apply
  bool flatten = false;                  // apply
};

// A directory given on the command line, checked before anything is
// mounted or written: an empty layer is a valid one, a missing one is a
// typing error. Returns its absolute, symlink-free path.
fs::path existing_directory(const std::string& what, const std::string& path) {
  struct stat info {};
  check(::stat(path.c_str(), &info), what, path);
  if (!S_ISDIR(info.st_mode)) throw Error(what, path, "not a directory");
  return fs::canonical(path);
}

// The stack of the command line. `run` makes a missing upper directory: a
// new container starts with no changes.
overlay::Stack layer_stack(const Request& request, bool make_upper) {
  overlay::Stack stack;
  for (const auto& layer : request.layers) {
    stack.lowers.push_back(existing_directory("layer", layer));
  }
  if (make_upper && ::mkdir(request.upper.c_str(), 0755) == -1 && errno != EEXIST) {
    throw Error("mkdir", request.upper, errno);
  }
  stack.upper = existing_directory("upper directory", request.upper);
  return stack;
}

// The program's own scratch space, UPPER.work.XXXXXX next to the upper
// directory: overlayfs's work directory must be on the upper's filesystem.
// It holds work/ (overlayfs's), merged/ (the mount point) and, for a stack
// too long for one page of options, l/ (the short links). Removed at the
// end, never recursively through merged/: were it still mounted, a
// recursive removal would delete the container's files.
class Scratch {
 public:
  explicit Scratch(const fs::path& upper) {
    std::string name = upper.string() + ".work.XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) throw Error("mkdtemp", name, errno);
    dir_ = name;
    try {
      check(::mkdir(work().c_str(), 0700), "mkdir", work().string());
      check(::mkdir(merged().c_str(), 0755), "mkdir", merged().string());
    } catch (...) {
      remove();  // no destructor runs for a constructor that throws
      throw;
    }
  }
  ~Scratch() { remove(); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  fs::path work() const { return dir_ / "work"; }
  fs::path merged() const { return dir_ / "merged"; }

 private:
  void remove() const {
    std::error_code ignored;
    fs::remove_all(work(), ignored);
    fs::remove_all(dir_ / "l", ignored);  // symlinks only: not followed
    fs::remove(merged(), ignored);        // rmdir: fails if still mounted
    fs::remove(dir_, ignored);
  }

  fs::path dir_;
};

// The overlay mounted on `target` for as long as it lives.
class OverlayMount {
 public:
  OverlayMount(const overlay::Stack& stack, const fs::path& target) : target_(target) {
    overlay::mount(stack, target);
  }
  ~OverlayMount() { ::umount2(target_.c_str(), MNT_DETACH); }
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;

 private:
  fs::path target_;
};

// Everything this program mounts lives in a mount namespace of its own,
// with propagation cut, so that no mount can reach the host's namespace,
// and all of them vanish with the program, whatever way it ends.
void enter_private_mount_namespace() {
  check(::unshare(CLONE_NEWNS), "unshare", "mount namespace");
  rootfs::make_mounts_private();
}

// #region run-on-overlay
int run(Request request) {
  overlay::Stack stack = layer_stack(request, true);
  enter_private_mount_namespace();
  const Scratch scratch(stack.upper);
  stack.work = scratch.work();
  const OverlayMount merged(stack, scratch.merged());
  // The container's root is the merged view: a chapter 03 container, which
  // bind-mounts it onto itself and pivots into it as into any directory.
  request.container.rootfs = scratch.merged();
  return ns::run(chapters::container_spec(request.container));
}
// #endregion run-on-overlay

// docker diff: a line for each path the container added (A), changed (C)
// or deleted (D). Nothing is mounted: the upper directory and the layers
// below it say it all.
int diff(const Request& request) {
  for (const auto& change : overlay::changes(layer_stack(request, false))) {
    std::printf("%c %s\n", static_cast<char>(change.kind), change.path.c_str());
  }
  return 0;
}

// docker commit: the upper directory as a layer tarball. It is written to a
// temporary file renamed into place at the end, so that LAYER.tar is never
// half an archive, whatever stops us.
int commit(const Request& request) {
  const fs::path upper = existing_directory("upper directory", request.upper);
  if (request.output == "-") {
    overlay::write_layer(upper, STDOUT_FILENO);
    return 0;
  }
  std::string temporary = request.output + ".XXXXXX";
  const UniqueFd out(
      static_cast<int>(check(::mkostemp(temporary.data(), O_CLOEXEC), "mkstemp", temporary)));
  try {
    overlay::write_layer(upper, out.get());
    check(::fchmod(out.get(), 0644), "chmod", temporary);
    check(::fsync(out.get()), "fsync", temporary);
    check(::rename(temporary.c_str(), request.output.c_str()), "rename", request.output);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  return 0;
}

// Unpacks a layer tarball onto a directory: as one more layer of a stack
// (whiteouts stay whiteouts, in overlayfs's form), or, with --flatten,
// onto the tree below it (whiteouts delete what they name).
int apply(const Request& request) {
  const fs::path target = existing_directory("apply to", request.target);
  overlay::ApplyOptions options;
  options.whiteouts = request.flatten ? overlay::Whiteouts::remove : overlay::Whiteouts::overlay;
  options.rootless = ::geteuid() != 0;
  if (request.layer == "-") {
    overlay::apply_layer(STDIN_FILENO, target, options);
    return 0;
  }
  const UniqueFd in(static_cast<int>(
      check(::open(request.layer.c_str(), O_RDONLY | O_CLOEXEC), "open", request.layer)));
  try {
    overlay::apply_layer(in.get(), target, options);
  } catch (const Error& error) {
    // apply_layer knows a descriptor, not a file name: say which file.
    throw Error("apply", request.layer, error.what());
  }
  return 0;
}

void add_stack_options(CLI::App& command, Request& request) {
  command
      .add_option("--layer", request.layers,
                  "a read-only layer (a directory); repeat it, the topmost first")
      ->type_name("DIR")
      ->allow_extra_args(false)
      ->required();
  command.add_option("--upper", request.upper, "the writable layer: the container's changes")
      ->type_name("DIR")
      ->required();
}

// Parses the command line and runs the subcommand. Returns the exit code.
int run_command_line(int argc, char** argv) {
  CLI::App app{"berth-ch07: run a container on a stack of layers, and commit its changes"};
  app.require_subcommand(1);
  Request request;

  CLI::App* run_command =
      app.add_subcommand("run", "run CMD on the overlay of the layers, its changes in --upper");
  chapters::add_container_options(*run_command, request.container);
  // The root is the overlay's merged view, not a directory given.
  run_command->remove_option(run_command->get_option("--rootfs"));
  add_stack_options(*run_command, request);

  CLI::App* diff_command = app.add_subcommand(
      "diff", "list what the upper directory changed: A added, C changed, D deleted");
  add_stack_options(*diff_command, request);

  CLI::App* commit_command =
      app.add_subcommand("commit", "write the upper directory as an OCI layer tarball");
  commit_command->add_option("--upper", request.upper, "the upper directory of a container")
      ->type_name("DIR")
      ->required();
  commit_command
      ->add_option("-o,--output", request.output, "the layer tarball to write (- for stdout)")
      ->type_name("LAYER.tar")
      ->required();

  CLI::App* apply_command = app.add_subcommand("apply", "unpack a layer tarball onto a directory");
  apply_command->add_option("layer", request.layer, "the layer tarball (- for stdin)")
      ->type_name("LAYER.tar")
      ->required();
  apply_command->add_option("dir", request.target, "the directory to unpack it onto")
      ->type_name("DIR")
      ->required();
  apply_command->add_flag("--flatten", request.flatten,
                          "delete what whiteouts name, instead of keeping them as whiteouts");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : process::kExitEngineError;
  }
  if (*diff_command) return diff(request);
  if (*commit_command) return commit(request);
  if (*apply_command) return apply(request);
  return run(request);
}

}  // namespace

int main(int argc, char** argv) {
  return process::run_reporting_errors([&] { return run_command_line(argc, argv); });
}
