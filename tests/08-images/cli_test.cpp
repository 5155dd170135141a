// berth-ch08 as its users see it: import, images, run, tag, rmi, inspect,
// gc and verify on a store of the test's own.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/fd.h"
#include "image/store.h"
#include "support/support.h"

using namespace berth::test;
using nlohmann::json;

namespace {

// A data root, a state root and a cgroup parent of the test's own, and the
// busybox rootfs as a tarball to import.
class Ch08 {
 public:
  Ch08() {
    const CommandResult tar =
        run({"tar", "-C", busybox_rootfs().string(), "-cf", tarball().string(), "."});
    REQUIRE(tar.exit_code == 0);
  }

  fs::path root() const { return dir_ / "root"; }
  fs::path store() const { return root() / "images"; }
  fs::path tarball() const { return dir_ / "busybox.tar"; }

  // berth-ch08 --root ROOT --state STATE ARGS...; `run` gets our cgroup parent.
  std::vector<std::string> argv(std::vector<std::string> args) const {
    if (!args.empty() && args.front() == "run") {
      args.insert(args.begin() + 1, {"--cgroup-parent", cgroups_.path()});
    }
    args.insert(args.begin(), {bin("berth-ch08").string(), "--root", root().string(), "--state",
                               (dir_ / "state").string()});
    return args;
  }

  // Runs berth-ch08 ARGS and records what it printed with the test.
  CommandResult operator()(const std::vector<std::string>& args) const {
    CommandResult result = run(argv(args));
    UNSCOPED_INFO("berth-ch08 " << args.front() << " -> " << result.exit_code << "\n"
                                << result.out << result.err);
    return result;
  }

  void import_busybox(const std::string& name = "busybox") const {
    REQUIRE((*this)({"import", tarball().string(), name}).exit_code == 0);
  }

 private:
  TempDir dir_;
  CgroupParent cgroups_{"ch08"};
};

// An image whose config says how to run it, written into the store the way
// any builder would: the layer, the config, the manifest, then the name.
void add_configured_image(const Ch08& ch08, const std::string& name, const json& run_config) {
  berth::image::Store store(ch08.store());
  const berth::UniqueFd tar{::open(ch08.tarball().c_str(), O_RDONLY | O_CLOEXEC)};
  const berth::image::HashedSize layer = store.write_blob(tar.get());
  const json config = {{"architecture", "amd64"},
                       {"os", "linux"},
                       {"created", "2026-01-01T00:00:00Z"},
                       {"config", run_config},
                       {"rootfs", {{"type", "layers"}, {"diff_ids", {layer.digest.str()}}}}};
  const std::string config_text = config.dump();
  berth::image::Manifest manifest;
  manifest.media_type = berth::image::media_type::kOciManifest;
  manifest.config = berth::image::describe(berth::image::media_type::kOciConfig,
                                           store.write_blob(config_text), config_text.size());
  manifest.layers.push_back(
      berth::image::describe(berth::image::media_type::kOciLayer, layer.digest, layer.size));
  const std::string manifest_text = berth::image::to_json(manifest);
  store.add(berth::image::Reference::parse(name),
            berth::image::describe(berth::image::media_type::kOciManifest,
                                   store.write_blob(manifest_text), manifest_text.size()));
}

// The (REPOSITORY, TAG) pairs of `berth-ch08 images`.
std::set<std::pair<std::string, std::string>> listed(const std::string& images) {
  std::set<std::pair<std::string, std::string>> names;
  std::istringstream lines(images);
  std::string line;
  std::getline(lines, line);  // the header
  for (std::string repository, tag; std::getline(lines, line);) {
    std::istringstream(line) >> repository >> tag;
    names.emplace(repository, tag);
  }
  return names;
}

std::size_t entries_in(const fs::path& dir) {
  if (!fs::exists(dir)) return 0;
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
}

}  // namespace

TEST_CASE("cli: an imported tarball is listed and runs") {
  Ch08 ch08;
  const CommandResult imported = ch08({"import", ch08.tarball().string(), "busybox"});
  REQUIRE(imported.exit_code == 0);
  CHECK(imported.out.starts_with("sha256:"));

  const CommandResult images = ch08({"images"});
  REQUIRE(images.exit_code == 0);
  CHECK(images.out.starts_with("REPOSITORY"));
  CHECK(listed(images.out) == std::set<std::pair<std::string, std::string>>{{"busybox", "latest"}});

  const CommandResult ran = ch08({"run", "busybox", "echo", "-n", "hello from an image"});
  CHECK(ran.exit_code == 0);
  CHECK(ran.out == "hello from an image");
}

TEST_CASE("cli: run ends with the container's exit code and a missing image with 125") {
  Ch08 ch08;
  ch08.import_busybox();
  CHECK(ch08({"run", "busybox", "sh", "-c", "exit 3"}).exit_code == 3);
  CHECK(ch08({"run", "busybox", "nosuchcommand"}).exit_code != 0);

  const CommandResult missing = ch08({"run", "nosuch", "true"});
  CHECK(missing.exit_code == 125);
  CHECK(missing.err.find("berth-ch08: ") == 0);
  CHECK(missing.err.find("no such image: nosuch") != std::string::npos);
}

TEST_CASE("cli: a container's changes stay in the container") {
  Ch08 ch08;
  ch08.import_busybox();
  REQUIRE(ch08({"run", "busybox", "sh", "-c", "rm /bin/ls && echo x > /etc/new"}).exit_code == 0);
  const CommandResult again = ch08({"run", "busybox", "sh", "-c", "ls /bin/ls; ls /etc/new"});
  CHECK(again.out.find("/bin/ls") != std::string::npos);
  CHECK(again.err.find("/etc/new") != std::string::npos);  // no such file
  // Each container's scratch (upper, work, bundle) is gone once it ends;
  // the unpacked layer stays, shared by the next container.
  CHECK(entries_in(ch08.root() / "containers") == 0);
  CHECK(entries_in(ch08.store() / "layers") == 1);
}

TEST_CASE("cli: run applies the image config as docker does") {
  Ch08 ch08;
  add_configured_image(ch08, "configured:1",
                       {{"Env", {"PATH=/bin:/sbin", "GREETING=hello", "WHO=image"}},
                        {"Entrypoint", {"sh", "-c"}},
                        {"Cmd", {"echo $GREETING $WHO; pwd; id -u; id -g; hostname"}},
                        {"WorkingDir", "/srv/app"},
                        {"User", "daemon"}});

  const CommandResult defaults = ch08({"run", "configured:1"});
  REQUIRE(defaults.exit_code == 0);
  std::istringstream lines(defaults.out);
  std::string greeting, cwd, uid, gid, hostname;
  std::getline(lines, greeting);
  std::getline(lines, cwd);
  std::getline(lines, uid);
  std::getline(lines, gid);
  std::getline(lines, hostname);
  CHECK(greeting == "hello image");
  CHECK(cwd == "/srv/app");  // made, as docker makes a missing WorkingDir
  CHECK(uid == "1");         // daemon, from the image's /etc/passwd
  CHECK(gid == "1");
  CHECK(hostname.size() == 12);  // the container ID's first 12 digits

  // The command replaces Cmd (the entrypoint stays); -e, -u, -w override.
  const CommandResult overridden = ch08({"run", "-e", "WHO=caller", "-u", "nobody:root", "-w",
                                         "/tmp", "configured:1", "echo $WHO; pwd; id -u; id -g"});
  REQUIRE(overridden.exit_code == 0);
  CHECK(overridden.out == "caller\n/tmp\n65534\n0\n");

  const CommandResult bad_user = ch08({"run", "-u", "nosuchuser", "configured:1"});
  CHECK(bad_user.exit_code == 125);
  CHECK(bad_user.err.find("nosuchuser") != std::string::npos);
}

TEST_CASE("cli: tag and rmi name images and gc removes what no name uses") {
  Ch08 ch08;
  ch08.import_busybox();
  REQUIRE(ch08({"tag", "busybox", "localhost:5000/team/tools:1.0"}).exit_code == 0);
  CHECK(listed(ch08({"images"}).out) ==
        std::set<std::pair<std::string, std::string>>{{"busybox", "latest"},
                                                      {"localhost:5000/team/tools", "1.0"}});

  const CommandResult ids = ch08({"images", "-q"});
  CHECK(ids.out.size() == 2 * 13);  // two names, one ID each (12 digits)
  CHECK(ids.out.substr(0, 13) == ids.out.substr(13));

  const CommandResult untagged = ch08({"rmi", "busybox"});
  CHECK(untagged.out == "Untagged: busybox:latest\n");
  CHECK(ch08({"run", "localhost:5000/team/tools:1.0", "true"}).exit_code == 0);

  // gc keeps what the remaining name uses...
  REQUIRE(ch08({"gc"}).exit_code == 0);
  CHECK(entries_in(ch08.store() / "blobs" / "sha256") == 3);  // manifest, config, layer
  CHECK(entries_in(ch08.store() / "layers") == 1);
  // ...and removes everything once no name is left.
  REQUIRE(ch08({"rmi", "localhost:5000/team/tools:1.0"}).exit_code == 0);
  const CommandResult gc = ch08({"gc"});
  CHECK(gc.out.find("Removed 3 blobs, 1 unpacked layers") == 0);
  CHECK(entries_in(ch08.store() / "blobs" / "sha256") == 0);
  CHECK(entries_in(ch08.store() / "layers") == 0);
  CHECK(ch08({"verify"}).exit_code == 0);
}

TEST_CASE("cli: inspect shows the image as docker image inspect does") {
  Ch08 ch08;
  add_configured_image(ch08, "configured:1",
                       {{"Cmd", {"sh"}}, {"ExposedPorts", {{"80/tcp", json::object()}}}});
  const CommandResult inspected = ch08({"inspect", "configured:1"});
  REQUIRE(inspected.exit_code == 0);
  const json all = json::parse(inspected.out);
  REQUIRE(all.size() == 1);
  CHECK(all[0]["RepoTags"] == json::array({"docker.io/library/configured:1"}));
  CHECK(all[0]["Config"]["Cmd"] == json::array({"sh"}));
  CHECK(all[0]["Config"]["ExposedPorts"].contains("80/tcp"));
  CHECK(all[0]["RootFS"]["Layers"].size() == 1);
  CHECK(all[0]["Id"].get<std::string>().starts_with("sha256:"));
}

TEST_CASE("cli: verify finds a corrupted blob and run refuses it") {
  Ch08 ch08;
  ch08.import_busybox();
  REQUIRE(ch08({"verify"}).exit_code == 0);

  // Flip one byte in the biggest blob: the layer.
  fs::path layer;
  for (const auto& blob : fs::directory_iterator(ch08.store() / "blobs" / "sha256")) {
    if (layer.empty() || blob.file_size() > fs::file_size(layer)) layer = blob.path();
  }
  {
    std::fstream file(layer, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x7f');
  }
  const CommandResult verify = ch08({"verify"});
  CHECK(verify.exit_code == 1);
  CHECK(verify.out.find(layer.filename().string()) != std::string::npos);
  CHECK(verify.out.find("digest mismatch") != std::string::npos);

  const CommandResult ran = ch08({"run", "busybox", "true"});
  CHECK(ran.exit_code == 125);
  CHECK(ran.err.find("digest mismatch") != std::string::npos);
  CHECK(entries_in(ch08.store() / "layers") == 0);
}

TEST_CASE("cli: a bad tarball or name leaves the store unchanged") {
  Ch08 ch08;
  ch08.import_busybox();
  const std::string index = read_file(ch08.store() / "index.json");
  const std::size_t blobs = entries_in(ch08.store() / "blobs" / "sha256");

  const TempDir junk;
  std::ofstream(junk / "truncated.tar") << read_file(ch08.tarball()).substr(0, 5000);
  const CommandResult truncated = ch08({"import", (junk / "truncated.tar").string(), "broken"});
  CHECK(truncated.exit_code == 125);
  CHECK(truncated.err.find("truncated.tar") != std::string::npos);

  const CommandResult bad_name = ch08({"import", ch08.tarball().string(), "Bad/Name"});
  CHECK(bad_name.exit_code == 125);
  CHECK(bad_name.err.find("Bad/Name") != std::string::npos);

  CHECK(read_file(ch08.store() / "index.json") == index);
  CHECK(entries_in(ch08.store() / "blobs" / "sha256") == blobs);
  CHECK(ch08({"verify"}).exit_code == 0);
}

TEST_CASE("cli: commands at the same time on one store all take effect") {
  Ch08 ch08;
  ch08.import_busybox();
  std::vector<std::future<int>> tags;
  for (int i = 0; i < 8; ++i) {
    tags.push_back(std::async(std::launch::async, [&ch08, i] {
      return run(ch08.argv({"tag", "busybox", "copy:" + std::to_string(i)})).exit_code;
    }));
  }
  for (auto& tag : tags)
    CHECK(tag.get() == 0);
  const auto names = listed(ch08({"images"}).out);
  CHECK(names.size() == 9);
  for (int i = 0; i < 8; ++i)
    CHECK(names.contains({"copy", std::to_string(i)}));
}
