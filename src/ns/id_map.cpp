// Writing a user namespace's uid_map and gid_map; the default mappings.
#include "ns/id_map.h"

#include <fcntl.h>
#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.h"
#include "common/fd.h"
#include "ns/subid.h"

namespace berth::ns {
namespace {

// Writes `text` to `path` in one write(2), which is how the kernel wants a
// map: it parses the whole of the first write and refuses any later one.
void write_file(const std::string& path, const std::string& text) {
  const UniqueFd fd{
      static_cast<int>(check(::open(path.c_str(), O_WRONLY | O_CLOEXEC), "open", path))};
  const ssize_t written = ::write(fd.get(), text.data(), text.size());
  check(written, "write", path);
  if (static_cast<std::size_t>(written) != text.size()) throw Error("write", path, "short write");
}

// "CONTAINER-ID HOST-ID SIZE" a line, the format user_namespaces(7)
// gives under "User and group ID mappings".
std::string map_text(const std::vector<IdMapping>& map) {
  std::string text;
  for (const auto& line : map) {
    text += std::to_string(line.container_id) + " " + std::to_string(line.host_id) + " " +
            std::to_string(line.size) + "\n";
  }
  return text;
}

std::string read_text(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void write_id_maps(pid_t pid, const std::vector<IdMapping>& uid_map,
                   const std::vector<IdMapping>& gid_map) {
  const std::string proc = "/proc/" + std::to_string(pid);
  // #lab 03 id-maps: Write the child's gid_map and uid_map, denying setgroups first if rootless.
  // #hint map_text() turns a mapping into the lines the kernel reads: "0 100000 65536\n".
  // #hint write_file() writes a file in the one write(2) the kernel accepts.
  // #hint Without root (geteuid() != 0), write "deny" to PROC/setgroups before gid_map.
  // #region id-maps
  // An unprivileged user may map its own gid only once setgroups(2) is
  // off in the namespace: otherwise the container could drop a group
  // that the host uses to deny it access ("negative" permissions).
  if (::geteuid() != 0) write_file(proc + "/setgroups", "deny");
  write_file(proc + "/gid_map", map_text(gid_map));
  write_file(proc + "/uid_map", map_text(uid_map));
  // #endregion id-maps
  // #endlab
}

void become_root() {
  check(::setresgid(0, 0, 0), "setresgid", "0");
  // Our supplementary groups are the host's, unmapped here. Dropping them
  // fails where setgroups is denied (rootless), but there we have none that
  // the namespace could show anyway.
  if (::setgroups(0, nullptr) == -1 && errno != EPERM) throw Error("setgroups", "none", errno);
  check(::setresuid(0, 0, 0), "setresuid", "0");
}

std::vector<IdMapping> default_id_map(bool uids) {
  if (::geteuid() != 0) {
    return {{.container_id = 0, .host_id = uids ? ::geteuid() : ::getegid(), .size = 1}};
  }
  const std::string text = read_text(uids ? "/etc/subuid" : "/etc/subgid");
  if (const auto range = find_subordinate_range(text, "root", 0)) return {*range};
  return {{.container_id = 0, .host_id = 100000, .size = 65536}};
}

}  // namespace berth::ns
