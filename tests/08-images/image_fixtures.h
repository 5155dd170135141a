// Images for chapter 08's archive tests, made with real tools and no
// network: umoci builds an OCI image layout holding the busybox rootfs, and
// skopeo turns layouts into archives. Both keep every file they write
// (policy, caches, HOME) inside a TempDir.
#pragma once

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/support.h"

namespace berth::test::images {

// The command line the test image runs, and what it prints.
inline const std::vector<std::string> kCmd = {"/bin/sh", "-c", "echo hello from busybox"};
inline const std::string kGreeting = "hello from busybox";

// Runs skopeo or umoci with HOME and the XDG directories in `home` (so
// nothing lands in the host's ~) and skopeo's signature policy off (these
// are local files, not a registry). Fails the test if the tool fails.
inline CommandResult tool(const fs::path& home, std::vector<std::string> argv) {
  if (argv.front() == "skopeo") {
    argv.insert(argv.begin() + 1, "--insecure-policy");
  }
  RunOptions options;
  options.env = {{"HOME", home.string()},
                 {"XDG_CONFIG_HOME", (home / "config").string()},
                 {"XDG_DATA_HOME", (home / "data").string()},
                 {"XDG_CACHE_HOME", (home / "cache").string()},
                 {"XDG_RUNTIME_DIR", (home / "run").string()},
                 {"TMPDIR", home.string()}};
  options.timeout = std::chrono::seconds{120};
  auto result = run(argv, options);
  INFO(argv[0] << " " << argv[1] << " " << argv[2] << ": " << result.err);
  REQUIRE(result.exit_code == 0);
  return result;
}

// An OCI image layout at DIR/layout with one image, tagged "latest": the
// busybox rootfs as one gzip layer, running kCmd. `extra` adds a file to
// the rootfs (path relative to it, text), to make a second, different image.
inline fs::path make_busybox_layout(const TempDir& dir, const std::string& extra_file = {},
                                    const std::string& extra_text = {}) {
  fs::path layout = dir / "layout";
  const fs::path bundle = dir / "bundle";
  const std::string image = layout.string() + ":latest";
  tool(dir.path(), {"umoci", "init", "--layout", layout.string()});
  tool(dir.path(), {"umoci", "new", "--image", image});
  tool(dir.path(), {"umoci", "unpack", "--image", image, bundle.string()});
  copy_busybox_rootfs(bundle / "rootfs");
  if (!extra_file.empty()) {
    std::ofstream(bundle / "rootfs" / extra_file) << extra_text;
  }
  tool(dir.path(), {"umoci", "repack", "--image", image, bundle.string()});
  std::vector<std::string> config = {"umoci", "config", "--image", image};
  for (const auto& word : kCmd) {
    config.insert(config.end(), {"--config.cmd", word});
  }
  tool(dir.path(), config);
  fs::remove_all(bundle);
  return layout;
}

// skopeo copy oci:LAYOUT:latest TRANSPORT:FILE[:NAME], e.g. transport
// "docker-archive" and name "busybox:latest".
inline fs::path skopeo_export(const TempDir& dir, const fs::path& layout,
                              const std::string& transport, const fs::path& file,
                              const std::string& name) {
  tool(dir.path(), {"skopeo", "copy", "oci:" + layout.string() + ":latest",
                    transport + ":" + file.string() + (name.empty() ? "" : ":" + name)});
  return file;
}

}  // namespace berth::test::images
