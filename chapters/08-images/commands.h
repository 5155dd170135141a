// berth-ch08's commands on the store, other than run. Each prints what
// docker's command of the same name prints, and returns an exit code.
#pragma once

#include <string>
#include <vector>

#include "image/store.h"

namespace berth::chapter08 {

// "sha256:…" of the new image; its name is NAME[:TAG].
int import_tarball(image::Store& store, const std::string& tarball, const std::string& name);
// "Loaded image: busybox:latest" per image; an empty `archive`: stdin. `name`
// (if not empty) names an image the archive leaves unnamed.
int load_archive(image::Store& store, const std::string& archive, const std::string& name);
// An empty `archive`: stdout (not a terminal).
int save_archive(const image::Store& store, const std::vector<std::string>& names,
                 const std::string& archive);
// REPOSITORY TAG IMAGE ID CREATED SIZE, newest first; -q: the IDs alone.
int list_images(const image::Store& store, bool quiet);
// Gives the image SOURCE the name TARGET too.
int tag_image(image::Store& store, const std::string& source, const std::string& target);
// Removes names ("Untagged: busybox:latest"); an ID removes every name of it.
int remove_images(image::Store& store, const std::vector<std::string>& images);
// A JSON array with one object per image, shaped like `docker image inspect`'s.
int inspect_images(const image::Store& store, const std::vector<std::string>& images);
int collect_garbage(image::Store& store);
// Prints each problem; exit code 1 if there is any.
int verify_store(const image::Store& store);

// "4.2MB", "12.5kB" (docker's decimal units, three significant digits).
std::string human_size(std::uint64_t bytes);
// "3 hours ago", from an RFC 3339 time; "N/A" if it does not parse.
std::string human_age(const std::string& rfc3339);

}  // namespace berth::chapter08
