// An image config turned into a runtime's config.json.
#include "image/bundle.h"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "rootfs/in_root.h"

namespace berth::image {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The lines of /etc/passwd or /etc/group split at ':'. The file is read
// inside the image's root: an image whose /etc/passwd is a symlink to
// "/etc/shadow" gets its own shadow file, never the host's. A missing file
// is no entries, as for glibc.
std::vector<std::vector<std::string>> read_colon_file(int root_fd, const std::string& path) {
  std::vector<std::vector<std::string>> lines;
  UniqueFd found;
  try {
    found = rootfs::open_in_root(root_fd, path);
  } catch (const Error& error) {
    if (error.errno_value() == ENOENT) return lines;
    throw;
  }
  std::ifstream file(rootfs::fd_path(found));
  for (std::string line; std::getline(file, line);) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    for (std::string field; std::getline(stream, field, ':');) {
      fields.push_back(field);
    }
    if (line.ends_with(':')) fields.emplace_back();
    lines.push_back(std::move(fields));
  }
  return lines;
}

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return id;
}

// A line of /etc/passwd (name:password:UID:GID:...) or of /etc/group
// (name:password:GID:member,member); `gid` is the user's primary group.
struct Account {
  std::string name;
  std::uint32_t id = 0;
  std::uint32_t gid = 0;
  std::vector<std::string> members;
};

std::vector<Account> read_users(int root_fd) {
  std::vector<Account> users;
  for (const auto& fields : read_colon_file(root_fd, "/etc/passwd")) {
    const auto uid = fields.size() >= 4 ? parse_id(fields[2]) : std::nullopt;
    const auto gid = fields.size() >= 4 ? parse_id(fields[3]) : std::nullopt;
    if (uid && gid) users.push_back({.name = fields[0], .id = *uid, .gid = *gid, .members = {}});
  }
  return users;  // malformed lines skipped, as glibc does
}

std::vector<Account> read_groups(int root_fd) {
  std::vector<Account> groups;
  for (const auto& fields : read_colon_file(root_fd, "/etc/group")) {
    const auto gid = fields.size() >= 3 ? parse_id(fields[2]) : std::nullopt;
    if (!gid) continue;
    Account group{.name = fields[0], .id = *gid, .gid = *gid, .members = {}};
    std::stringstream members(fields.size() >= 4 ? fields[3] : "");
    for (std::string member; std::getline(members, member, ',');) {
      group.members.push_back(member);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

// The account named `key`, or with the id `key` if it is a number.
std::optional<Account> find_account(const std::vector<Account>& accounts, std::string_view key) {
  const auto id = parse_id(key);
  for (const Account& account : accounts) {
    if (id ? account.id == *id : account.name == key) return account;
  }
  return std::nullopt;
}

// "KEY=..." -> "KEY".
std::string_view env_key(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

// The image's Env with the caller's entries laid over it, key by key.
std::vector<std::string> merge_env(const ImageConfig& image, const RunRequest& request) {
  std::vector<std::string> env = image.config.env;
  for (const std::string& entry : request.env) {
    const auto same_key = [&](const std::string& e) { return env_key(e) == env_key(entry); };
    std::erase_if(env, same_key);
    env.push_back(entry);
  }
  const auto has = [&](std::string_view key) {
    return std::ranges::any_of(env, [&](const std::string& e) { return env_key(e) == key; });
  };
  if (!has("PATH")) env.insert(env.begin(), std::string(kDefaultPath));
  if (request.terminal && !has("TERM")) env.emplace_back("TERM=xterm");
  return env;
}

// Docker's rule: the entrypoint, then the command given or else the image's.
std::vector<std::string> process_args(const ImageConfig& image, const RunRequest& request) {
  std::vector<std::string> args = image.config.entrypoint;
  const auto& command = request.command.empty() ? image.config.cmd : request.command;
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

// What the runtime does not act on but whoever manages the container later
// needs (chapter 10 publishes the exposed ports): kept as annotations, the
// runtime spec's place for such notes.
void record_image(Json& config, const ImageConfig& image, const RunRequest& request) {
  Json& annotations = config["annotations"];
  if (!request.image_name.empty()) {
    annotations["org.opencontainers.image.ref.name"] = request.image_name;
  }
  std::string ports;
  for (const std::string& port : image.config.exposed_ports) {
    ports += (ports.empty() ? "" : ",") + port;
  }
  if (!ports.empty()) annotations["berth.image.exposed-ports"] = ports;
  if (!image.config.stop_signal.empty()) {
    annotations["org.opencontainers.image.stopSignal"] = image.config.stop_signal;
  }
}

}  // namespace

ResolvedUser resolve_user(int root_fd, std::string_view user) {
  const auto colon = user.find(':');
  const std::string_view user_part = user.substr(0, colon);
  const std::string_view user_or_root = user_part.empty() ? "root" : user_part;
  const auto passwd = read_users(root_fd);
  const auto groups = read_groups(root_fd);

  // A name must be in /etc/passwd; a number need not be (Docker's rule).
  ResolvedUser resolved;
  const std::optional<Account> account = find_account(passwd, user_or_root);
  if (account) {
    resolved.uid = account->id;
    resolved.gid = account->gid;
  } else if (const auto uid = parse_id(user_part)) {
    resolved.uid = *uid;
  } else if (!user_part.empty()) {
    throw Error("resolve user " + std::string(user), "the image's /etc/passwd", "no such user");
  }

  if (colon != std::string_view::npos) {
    const std::string_view group = user.substr(colon + 1);
    const std::optional<Account> found = find_account(groups, group);
    const auto gid = found ? std::optional(found->id) : parse_id(group);
    if (!gid) {
      throw Error("resolve user " + std::string(user), "the image's /etc/group", "no such group");
    }
    resolved.gid = *gid;
  }

  // Supplementary groups: every group that lists the user as a member.
  const std::string name = account ? account->name : std::string(user_or_root);
  for (const Account& group : groups) {
    if (group.id != resolved.gid && std::ranges::find(group.members, name) != group.members.end()) {
      resolved.additional_gids.push_back(group.id);
    }
  }
  return resolved;
}

// #region runtime-config
std::string runtime_config(std::string_view spec_json, const ImageConfig& image,
                           const RunRequest& request, int root_fd) {
  Json config = Json::parse(spec_json);
  const std::vector<std::string> args = process_args(image, request);
  if (args.empty()) {
    throw Error("run", request.image_name, "no command specified (the image has no Cmd)");
  }
  const ResolvedUser user =
      resolve_user(root_fd, request.user.empty() ? image.config.user : request.user);
  const std::string& cwd =
      request.working_dir.empty() ? image.config.working_dir : request.working_dir;

  // Docker makes the working directory when the image lacks it, as root,
  // before the process starts (and so does runc for process.cwd).
  if (!cwd.empty()) rootfs::make_mount_point(root_fd, cwd, false);

  Json& process = config["process"];
  process["args"] = args;
  process["env"] = merge_env(image, request);
  process["cwd"] = cwd.empty() ? "/" : cwd;
  process["terminal"] = request.terminal;
  process["user"] = {{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional_gids.empty()) process["user"]["additionalGids"] = user.additional_gids;
  config["root"] = {{"path", "rootfs"}, {"readonly", false}};
  if (!request.hostname.empty()) config["hostname"] = request.hostname;
  if (!request.cgroups_path.empty()) config["linux"]["cgroupsPath"] = request.cgroups_path;
  record_image(config, image, request);
  return config.dump(2);
}
// #endregion runtime-config

}  // namespace berth::image
