// berth-ch08 — images: a store of them, and containers run from them.
//
//   berth-ch08 [--root DIR] [--state DIR] COMMAND
//
//   import TAR NAME[:TAG]        a root filesystem tarball becomes an image
//   load [-i FILE] [-n NAME]     images from a `docker save` or OCI archive
//   save [-o FILE] IMAGE...      an archive docker and OCI tools both read
//   images [-q]                  the images in the store
//   tag SOURCE TARGET            another name for an image
//   rmi IMAGE...                 remove names (the data stays until gc)
//   inspect IMAGE...             an image's config, as JSON
//   gc                           remove what no image uses
//   verify                       check every blob against its digest
//   run [-t] [-e K=V] [-u USER] [-w DIR] [--runtime PROG] IMAGE [CMD...]
//
// Chapter 08. The store is an OCI image layout under ROOT/images (default
// /var/lib/berth/images); `run` writes a bundle and runs it with the chapter
// 06 runtime on an overlay of the image's layers (chapter 07).
//
// Exit codes as docker's: 125 when berth-ch08 fails ("berth-ch08: <what>:
// <why>"), otherwise `run` ends with the container's own code.
#include <fmt/core.h>

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "common/error.h"
#include "process/process.h"
#include "process/program.h"
#include "run.h"

namespace {

using namespace berth;
namespace fs = std::filesystem;

struct Options {
  std::string root = "/var/lib/berth";
  std::string state = "/run/berth";
  chapter08::RunOptions run;
  std::vector<std::string> images;
  std::string file;
  std::string source;
  std::string target;
  bool quiet = false;
};

void add_run(CLI::App& app, Options& o) {
  CLI::App* cmd = app.add_subcommand("run", "run a container from an image (removed at its end)");
  cmd->add_flag("-t,--tty", o.run.request.terminal, "give the container a terminal");
  cmd->add_option("-e,--env", o.run.request.env, "set an environment variable")
      ->type_name("KEY=VALUE");
  cmd->add_option("-u,--user", o.run.request.user, "the user to run as")->type_name("USER[:GROUP]");
  cmd->add_option("-w,--workdir", o.run.request.working_dir, "the working directory")
      ->type_name("DIR");
  cmd->add_option("--runtime", o.run.runtime, "the OCI runtime (default: berth-runtime)")
      ->type_name("PROGRAM");
  cmd->add_option("--cgroup-parent", o.run.cgroup_parent, "the parent of its cgroup")
      ->type_name("PATH")
      ->capture_default_str();
  cmd->add_option("image", o.run.image, "the image")->required();
  cmd->add_option("command", o.run.request.command, "the command (default: the image's)")
      ->type_name("CMD");
  // Everything after IMAGE is the container's command, its flags included.
  cmd->positionals_at_end();
}

void add_commands(CLI::App& app, Options& o) {
  CLI::App* import = app.add_subcommand("import", "make an image of a root filesystem tarball");
  import->add_option("tarball", o.file, "the tarball (plain, gzip or zstd)")->required();
  import->add_option("name", o.target, "the image's name, NAME[:TAG]")->required();
  CLI::App* load = app.add_subcommand("load", "load images from an archive (docker save or OCI)");
  load->add_option("-i,--input", o.file, "the archive (default: stdin)");
  load->add_option("-n,--name", o.target, "a name for an image the archive leaves unnamed")
      ->type_name("NAME[:TAG]");
  CLI::App* save = app.add_subcommand("save", "write images to an archive (docker and OCI)");
  save->add_option("-o,--output", o.file, "the archive to write (default: stdout)");
  save->add_option("images", o.images, "the images")->required();
  app.add_subcommand("images", "list the images")->add_flag("-q,--quiet", o.quiet, "IDs only");
  CLI::App* tag = app.add_subcommand("tag", "give an image another name");
  tag->add_option("source", o.source, "the image")->required();
  tag->add_option("target", o.target, "its new name, NAME[:TAG]")->required();
  app.add_subcommand("rmi", "remove images' names")->add_option("images", o.images)->required();
  app.add_subcommand("inspect", "show images' configs")->add_option("images", o.images)->required();
  app.add_subcommand("gc", "remove blobs and layers no image uses");
  app.add_subcommand("verify", "check the store: every blob against its digest");
  add_run(app, o);
}

// #region dispatch
int dispatch(const std::string& command, Options& o) {
  // gc needs the store to itself: it waits for every other command.
  const auto access =
      command == "gc" ? image::Store::Access::exclusive : image::Store::Access::shared;
  image::Store store(fs::path(o.root) / "images", access);
  if (command == "images") return chapter08::list_images(store, o.quiet);
  if (command == "tag") return chapter08::tag_image(store, o.source, o.target);
  if (command == "rmi") return chapter08::remove_images(store, o.images);
  if (command == "inspect") return chapter08::inspect_images(store, o.images);
  if (command == "gc") return chapter08::collect_garbage(store);
  if (command == "verify") return chapter08::verify_store(store);
  if (command == "import") return chapter08::import_tarball(store, o.file, o.target);
  if (command == "load") return chapter08::load_archive(store, o.file, o.target);
  if (command == "save") return chapter08::save_archive(store, o.images, o.file);
  o.run.containers = fs::path(o.root) / "containers";
  o.run.state = fs::path(o.state) / "runtime";
  if (o.run.runtime.empty()) o.run.runtime = chapter08::default_runtime();
  return chapter08::run_image(store, o.run);
}
// #endregion dispatch

}  // namespace

int main(int argc, char** argv) {
  return process::run_reporting_errors([&] {
    CLI::App app{"berth-ch08: a store of images, and containers run from them"};
    app.require_subcommand(1);
    Options o;
    app.add_option("--root", o.root, "where images and containers live")->default_str(o.root);
    app.add_option("--state", o.state, "the runtime's state directory")->default_str(o.state);
    add_commands(app, o);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
      return app.exit(error) == 0 ? 0 : process::kExitEngineError;
    }
    return dispatch(app.get_subcommands().front()->get_name(), o);
  });
}
