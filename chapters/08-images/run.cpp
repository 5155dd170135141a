// berth-ch08 run: an image's container through the chapter 06 runtime.
#include "run.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>

#include "common/error.h"
#include "common/fd.h"
#include "overlay/overlay.h"
#include "process/process.h"
#include "rootfs/mounts.h"

namespace berth::chapter08 {
namespace {

namespace fs = std::filesystem;

// A container ID as Docker makes them: 64 random hex digits.
std::string new_container_id() {
  std::random_device random;
  std::ostringstream id;
  for (int i = 0; i < 8; ++i) {
    id << std::hex << std::setw(8) << std::setfill('0') << random();
  }
  return id.str();
}

std::string read_whole(const fs::path& path) {
  std::ifstream file(path);
  if (!file) throw Error("read", path.string(), errno);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void write_whole(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
  if (!file.flush()) throw Error("write", path.string(), errno);
}

// The container's scratch: its writable layer, overlayfs's work directory
// and the bundle whose rootfs is the overlay. Removed, overlay unmounted
// first, when the container is done.
class Scratch {
 public:
  explicit Scratch(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(bundle() / "rootfs");
    fs::create_directories(dir_ / "upper");
    fs::create_directories(dir_ / "work");
  }
  ~Scratch() {
    ::umount2(rootfs().c_str(), MNT_DETACH);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  fs::path bundle() const { return dir_ / "bundle"; }
  fs::path rootfs() const { return bundle() / "rootfs"; }
  overlay::Stack stack(std::vector<fs::path> lowers) const {
    return {.lowers = std::move(lowers), .upper = dir_ / "upper", .work = dir_ / "work"};
  }

 private:
  fs::path dir_;
};

int run_program(const std::vector<std::string>& argv) {
  const process::BlockedSignals signals;
  process::SpawnOptions program;
  program.argv = argv;
  process::Child child = process::spawn(program);
  return process::wait_forwarding_signals(child);
}

}  // namespace

std::string default_runtime() {
  const fs::path beside = fs::read_symlink("/proc/self/exe").parent_path() / "berth-runtime";
  return fs::exists(beside) ? beside.string() : "berth-runtime";
}

// #region run-image
int run_image(image::Store& store, const RunOptions& options) {
  const image::Image image = store.get(options.image);
  const image::ImageConfig config = store.config(store.manifest(image));
  const std::vector<fs::path> layers = store.unpack(image);

  // The overlay is mounted in a mount namespace of our own: the runtime
  // (our child) sees it, and it goes away with us whatever happens.
  check(::unshare(CLONE_NEWNS), "unshare", "a mount namespace for the container's root");
  rootfs::make_mounts_private();

  const std::string id = new_container_id();
  const Scratch scratch(options.containers / id);
  overlay::mount(scratch.stack(layers), scratch.rootfs());

  // The runtime's own starting spec, with the image's config filled in.
  if (run_program({options.runtime, "spec", "-b", scratch.bundle().string()}) != 0) {
    throw Error("run " + options.runtime + " spec", scratch.bundle().string(), "it failed");
  }
  const fs::path config_json = scratch.bundle() / "config.json";
  const UniqueFd root{
      static_cast<int>(check(::open(scratch.rootfs().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC),
                             "open", scratch.rootfs().string()))};
  image::RunRequest request = options.request;
  request.hostname = id.substr(0, 12);
  request.image_name = image.reference.str();
  request.cgroups_path = options.cgroup_parent + "/" + id;
  write_whole(config_json,
              image::runtime_config(read_whole(config_json), config, request, root.get()));

  return run_program({options.runtime, "--root", options.state.string(), "run", "-b",
                      scratch.bundle().string(), id});
}
// #endregion run-image

}  // namespace berth::chapter08
