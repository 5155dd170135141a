// images, tag, rmi, inspect, gc, verify.
#include "commands.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fd.h"
#include "image/archive.h"
#include "image/import.h"

namespace berth::chapter08 {
namespace {

using Json = nlohmann::json;

struct Row {
  std::string repository, tag, id, created, size;
  std::string created_at;  // for sorting
};

std::uint64_t image_size(const image::Manifest& manifest) {
  std::uint64_t size = static_cast<std::uint64_t>(manifest.config.size);
  for (const auto& layer : manifest.layers) {
    size += static_cast<std::uint64_t>(layer.size);
  }
  return size;
}

Json run_config_json(const image::RunConfig& c) {
  Json ports = Json::object();
  for (const auto& port : c.exposed_ports) {
    ports[port] = Json::object();
  }
  return {{"User", c.user},
          {"Env", c.env},
          {"Entrypoint", c.entrypoint.empty() ? Json(nullptr) : Json(c.entrypoint)},
          {"Cmd", c.cmd},
          {"WorkingDir", c.working_dir},
          {"ExposedPorts", ports},
          {"Labels", c.labels},
          {"StopSignal", c.stop_signal}};
}

}  // namespace

std::string human_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  return fmt::format("{:.3g}{}", value, kUnits[unit]);
}

std::string human_age(const std::string& rfc3339) {
  std::tm tm{};
  if (rfc3339.size() < 19 ||
      strptime(rfc3339.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return "N/A";
  }
  const auto seconds = std::time(nullptr) - timegm(&tm);
  const std::pair<long, const char*> units[] = {{365L * 86400, "year"}, {30L * 86400, "month"},
                                                {7L * 86400, "week"},   {86400, "day"},
                                                {3600, "hour"},         {60, "minute"}};
  for (const auto& [length, name] : units) {
    if (seconds >= length) {
      const long n = seconds / length;
      return fmt::format("{} {}{} ago", n, name, n == 1 ? "" : "s");
    }
  }
  return "Less than a minute ago";
}

int import_tarball(image::Store& store, const std::string& tarball, const std::string& name) {
  const image::Image image = image::import_tarball(store, tarball, name);
  fmt::print("{}\n", image.manifest.digest.str());
  return 0;
}

int load_archive(image::Store& store, const std::string& archive, const std::string& name) {
  image::LoadOptions options;
  if (!name.empty()) options.name = name;
  const std::vector<image::Image> loaded = archive.empty()
                                               ? image::load(store, STDIN_FILENO, "stdin", options)
                                               : image::load(store, archive, options);
  for (const image::Image& image : loaded) {
    fmt::print("Loaded image: {}:{}\n", image.reference.familiar_name(), image.reference.tag);
  }
  return 0;
}

int save_archive(const image::Store& store, const std::vector<std::string>& names,
                 const std::string& archive) {
  std::vector<image::Image> images;
  images.reserve(names.size());
  for (const std::string& name : names) {
    images.push_back(store.get(name));
  }
  if (archive.empty()) {
    if (::isatty(STDOUT_FILENO) == 1) {
      throw Error("save", "stdout", "refusing to write an archive to a terminal (use -o FILE)");
    }
    image::save(store, images, STDOUT_FILENO);
    return 0;
  }
  // Written next to its destination and renamed: a failed save leaves no
  // half an archive under the name asked for.
  const std::string partial = archive + ".partial";
  const UniqueFd out{static_cast<int>(check(
      ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), "create", partial))};
  try {
    image::save(store, images, out.get());
    check(::rename(partial.c_str(), archive.c_str()), "rename", archive);
  } catch (...) {
    ::unlink(partial.c_str());
    throw;
  }
  return 0;
}

int list_images(const image::Store& store, bool quiet) {
  // Many tags name one image: read (and check) its documents once.
  struct Facts {
    std::string created, size;
  };
  std::map<image::Digest, Facts> facts;
  std::vector<Row> rows;
  for (const image::Image& image : store.images()) {
    auto known = facts.find(image.manifest.digest);
    if (known == facts.end()) {
      const image::Manifest manifest = store.manifest(image);
      known = facts
                  .emplace(image.manifest.digest,
                           Facts{store.config(manifest).created, human_size(image_size(manifest))})
                  .first;
    }
    const auto& [created, size] = known->second;
    rows.push_back({image.reference.familiar_name(), image.reference.tag,
                    image.manifest.digest.short_id(), human_age(created), size, created});
  }
  std::ranges::stable_sort(rows, std::greater{}, &Row::created_at);
  if (quiet) {
    for (const Row& row : rows) {
      fmt::print("{}\n", row.id);
    }
    return 0;
  }
  std::size_t repository = 10, tag = 3, created = 7;
  for (const Row& row : rows) {
    repository = std::max(repository, row.repository.size());
    tag = std::max(tag, row.tag.size());
    created = std::max(created, row.created.size());
  }
  const auto line = [&](const Row& r) {
    fmt::print("{:<{}}   {:<{}}   {:<12}   {:<{}}   {}\n", r.repository, repository, r.tag, tag,
               r.id, r.created, created, r.size);
  };
  line({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", ""});
  std::ranges::for_each(rows, line);
  return 0;
}

int tag_image(image::Store& store, const std::string& source, const std::string& target) {
  const image::Image image = store.get(source);
  store.add(image::Reference::parse(target), image.manifest);
  return 0;
}

int remove_images(image::Store& store, const std::vector<std::string>& images) {
  for (const std::string& text : images) {
    const image::Image image = store.get(text);
    // A name removes that name; an ID (what `images -q` prints) every name of it.
    const bool by_name = image.reference.str() == image::Reference::parse(text).str();
    for (const image::Image& other : store.images()) {
      if (by_name ? other.reference == image.reference
                  : other.manifest.digest == image.manifest.digest) {
        store.remove(other.reference);
        fmt::print("Untagged: {}\n", other.reference.familiar_name() + ":" + other.reference.tag);
      }
    }
  }
  return 0;
}

int inspect_images(const image::Store& store, const std::vector<std::string>& images) {
  Json all = Json::array();
  for (const std::string& text : images) {
    const image::Image image = store.get(text);
    const image::Manifest manifest = store.manifest(image);
    const image::ImageConfig config = store.config(manifest);
    Json tags = Json::array();
    for (const image::Image& other : store.images()) {
      if (other.manifest.digest == image.manifest.digest) tags.push_back(other.reference.str());
    }
    Json layers = Json::array();
    for (const auto& diff_id : config.diff_ids) {
      layers.push_back(diff_id.str());
    }
    all.push_back(
        {{"Id", image.manifest.digest.str()},
         {"RepoTags", tags},
         {"Created", config.created},
         {"Architecture", config.architecture},
         {"Os", config.os},
         {"Size", image_size(manifest)},
         {"Config", run_config_json(config.config)},
         {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
         {"Manifest",
          {{"MediaType", manifest.media_type}, {"Config", manifest.config.digest.str()}}}});
  }
  fmt::print("{}\n", all.dump(4));
  return 0;
}

int collect_garbage(image::Store& store) {
  const image::GcReport report = store.gc();
  fmt::print("Removed {} blobs, {} unpacked layers and {} temporary files: {} freed\n",
             report.blobs_removed, report.layers_removed, report.temporaries_removed,
             human_size(report.bytes_freed));
  return 0;
}

int verify_store(const image::Store& store) {
  const image::VerifyReport report = store.verify();
  for (const std::string& problem : report.problems) {
    fmt::print("{}\n", problem);
  }
  fmt::print("{} images and {} blobs checked: {}\n", report.images_checked, report.blobs_checked,
             report.problems.empty()       ? "no problems"
             : report.problems.size() == 1 ? "1 problem"
                                           : fmt::format("{} problems", report.problems.size()));
  return report.problems.empty() ? 0 : 1;
}

}  // namespace berth::chapter08
