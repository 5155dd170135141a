// The container's state directory: naming, locking, reading and writing.
#include "runtime/state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// runc's rule for ids: a name that is safe as a directory and in messages.
void validate_id(const std::string& id) {
  const bool valid = !id.empty() && id != "." && id != ".." && id.size() <= 1024 &&
                     std::ranges::all_of(id, [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' ||
                              c == '_' || c == '+' || c == '-';
                     });
  if (!valid) {
    throw Error("container id", "\"" + id + "\"", "use only letters, digits, and . _ + -");
  }
}

UniqueFd lock_directory(const fs::path& dir, const std::string& id) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd == -1 && errno == ENOENT) throw Error("container", id, "does not exist");
  UniqueFd lock{static_cast<int>(check(fd, "open", dir.string()))};
  // Waits while another command holds the container.
  int result = 0;
  do {
    result = ::flock(lock.get(), LOCK_EX);
  } while (result == -1 && errno == EINTR);
  check(result, "flock", dir.string());
  return lock;
}

// In runc's order of fields (ordered_json keeps insertion order).
nlohmann::ordered_json state_fields(const State& state, Status status) {
  // A stopped container has no process: its pid is 0 (as runc says).
  const pid_t pid = status == Status::stopped ? 0 : state.pid;
  return nlohmann::ordered_json{{"ociVersion", state.oci_version},
                                {"id", state.id},
                                {"pid", pid},
                                {"status", name(status)},
                                {"bundle", state.bundle},
                                {"rootfs", state.rootfs},
                                {"created", state.created},
                                {"owner", state.owner},
                                {"annotations", state.annotations}};
}

}  // namespace

std::string_view name(Status status) {
  switch (status) {
    case Status::creating:
      return "creating";
    case Status::created:
      return "created";
    case Status::running:
      return "running";
    case Status::paused:
      return "paused";
    case Status::stopped:
      return "stopped";
  }
  return "unknown";
}

std::string to_json(const State& state, Status status) {
  return state_fields(state, status).dump(2);
}

std::uint64_t process_start_time(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!file || !std::getline(file, text)) return 0;
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so
  // count fields from the last ')'. Field 3 is the state, 22 the start time.
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  std::uint64_t start_time = 0;
  for (int number = 3; number <= 22 && fields >> field; ++number) {
    if (number == 3 && field == "Z") return 0;  // a zombie has ended already
    if (number == 22) start_time = std::stoull(field);
  }
  return start_time;
}

Status status_of(const State& state, const fs::path& exec_fifo) {
  // #lab 06 status: Tell the container's status from the kernel: stopped, created or running.
  // #hint The process is gone when process_start_time(state.pid) is no longer
  // #hint state.start_time (0: no such process, or a zombie; another number: a new
  // #hint process that got the same pid). Then the container is stopped.
  // #hint Otherwise it waits for start while the exec fifo exists, and runs after.
  // #region status
  if (state.pid <= 0 || process_start_time(state.pid) != state.start_time) {
    return Status::stopped;
  }
  return fs::exists(exec_fifo) ? Status::created : Status::running;
  // #endregion status
  // #endlab
}

ContainerDir ContainerDir::make(const fs::path& root, const std::string& id) {
  validate_id(id);
  std::error_code error;
  fs::create_directories(root, error);
  if (error) throw Error("create state root", root.string(), error.message());
  const fs::path dir = root / id;
  if (::mkdir(dir.c_str(), 0700) == -1) {
    if (errno == EEXIST) throw Error("container", id, "exists already");
    throw Error("mkdir", dir.string(), errno);
  }
  return ContainerDir(dir, lock_directory(dir, id));
}

ContainerDir ContainerDir::open(const fs::path& root, const std::string& id) {
  validate_id(id);
  return ContainerDir(root / id, lock_directory(root / id, id));
}

State ContainerDir::read() const {
  const fs::path file = path_ / "state.json";
  std::ifstream in(file);
  if (!in) throw Error("read state", file.string(), "missing: the container is being created");
  try {
    const json j = json::parse(in);
    State state;
    state.oci_version = j.at("ociVersion").get<std::string>();
    state.id = j.at("id").get<std::string>();
    state.pid = j.at("pid").get<pid_t>();
    state.bundle = j.at("bundle").get<std::string>();
    state.rootfs = j.at("rootfs").get<std::string>();
    state.created = j.at("created").get<std::string>();
    state.owner = j.at("owner").get<std::string>();
    state.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    state.start_time = j.at("berth").at("startTime").get<std::uint64_t>();
    state.cgroup = j.at("berth").at("cgroup").get<std::string>();
    return state;
  } catch (const json::exception& error) {
    throw Error("read state", file.string(), error.what());
  }
}

void ContainerDir::write(const State& state) const {
  nlohmann::ordered_json j = state_fields(state, Status::created);
  j.erase("status");  // read from the kernel, never stored
  j["berth"] = {{"startTime", state.start_time}, {"cgroup", state.cgroup}};
  const fs::path file = path_ / "state.json";
  const fs::path temporary = path_ / "state.json.tmp";
  const std::string text = j.dump(2) + "\n";
  {
    const UniqueFd fd{static_cast<int>(
        check(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), "open",
              temporary.string()))};
    check(::write(fd.get(), text.data(), text.size()), "write", temporary.string());
  }
  check(::rename(temporary.c_str(), file.c_str()), "rename", temporary.string());
}

void ContainerDir::remove() {
  std::error_code error;
  fs::remove_all(path_, error);
  if (error) throw Error("remove", path_.string(), error.message());
  lock_.reset();
}

std::vector<std::string> list_ids(const fs::path& root) {
  std::vector<std::string> ids;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    if (entry.is_directory()) ids.push_back(entry.path().filename().string());
  }
  std::ranges::sort(ids);
  return ids;
}

std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds);
  const std::time_t time = seconds.count();
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char date[32];
  (void)std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:09}Z", date, nanoseconds.count());
}

}  // namespace berth::runtime
