// ns — a container: a process tree in namespaces of its own.
//
// Chapter 03. A container is started from a ContainerSpec: the command, the
// namespaces to create, the root filesystem (chapter 02), the hostname and,
// with a user namespace, the uid/gid mappings. Its first process is the
// chapter 01 init, as PID 1 of the new PID namespace; the init starts the
// command and reaps every orphan of the container.
//
// Later chapters add to a container through two kinds of hook, so that each
// chapter's program stays a small composition of modules:
//   - parent hooks run in the parent after clone, while the child waits:
//     chapter 04 puts the child into its cgroups here;
//   - child hooks run in the child after the root switch, just before the
//     init starts: chapter 05 drops capabilities and loads seccomp here.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/fd.h"
#include "process/process.h"
#include "rootfs/rootfs.h"

namespace berth::ns {

enum class Namespace { uts, pid, mount, ipc, net, cgroup, user };

// Parses a list like "uts,pid,mnt,ipc,net,cgroup,user" (the names of
// /proc/PID/ns/). Throws berth::Error naming an unknown entry:
//     --ns uts,foo: unknown namespace "foo" (known: uts, pid, mnt, ...)
std::vector<Namespace> parse_namespaces(std::string_view list);

// The name of `ns` in /proc/PID/ns/ and in parse_namespaces(): "mnt", ...
std::string_view name_of(Namespace ns);

// The CLONE_NEW* flags for `namespaces`. (start() creates the cgroup
// namespace later, with unshare: see start().)
int clone_flags(const std::vector<Namespace>& namespaces);

// One line of /proc/PID/uid_map or gid_map: `size` ids starting at
// `container_id` inside map to ids starting at `host_id` outside.
struct IdMapping {
  std::uint32_t container_id = 0;
  std::uint32_t host_id = 0;
  std::uint32_t size = 0;
};

// The usual mappings of a container's ids, for uid_map (`uids` true) or
// gid_map (start() applies none by itself): container id 0 and up map to
// ids of the host that no one there uses.
//   - As root: the range /etc/subuid (/etc/subgid) gives "root", the files
//     newuidmap reads; 100000 and the 65535 after it when there is none.
//   - Rootless (any other user): our own id as container 0, and nothing
//     else, which is all the kernel lets an unprivileged user map.
std::vector<IdMapping> default_id_map(bool uids);

// What a container is made of. A few combinations are refused by start()
// because the kernel would refuse them half-way: a hostname without
// Namespace::uts, uid/gid maps without Namespace::user, a rootfs without
// Namespace::mount; and, in a user namespace, a rootfs without the PID and
// network namespaces that mounting /proc and /sys there needs.
struct ContainerSpec {
  std::vector<std::string> argv;                // the command
  std::optional<std::vector<std::string>> env;  // std::nullopt: ours
  std::optional<std::string> cwd;               // inside the container
  std::vector<Namespace> namespaces;            // to create
  std::optional<rootfs::Options> rootfs;        // std::nullopt: keep our root
  std::optional<std::string> hostname;          // needs Namespace::uts
  std::vector<IdMapping> uid_map;               // needs Namespace::user,
  std::vector<IdMapping> gid_map;               // and a mapping of id 0

  // Run in the parent with the child's pid, after clone and before the child
  // goes on (it waits for them). Throwing aborts the start: the child is
  // killed and the error rethrown from start().
  std::vector<std::function<void(pid_t)>> parent_hooks;
  // Run in the child after the root switch, before the init starts. May
  // throw berth::Error, which start() rethrows in the parent.
  std::vector<std::function<void()>> child_hooks;

  // What the container's first process does once it is set up. Empty: it
  // becomes the chapter 01 init, PID 1, which starts argv and reaps orphans.
  // Set (chapter 06): it runs this instead, and ends with _exit() of its
  // result; the OCI runtime waits there for `start`, then execs the command
  // itself, so that the command is PID 1, as with runc. argv may be empty.
  std::function<int()> entrypoint;
};

// A started container: its init's pid (as the host sees it) and its end.
// Like process::Child, a Container never waited for is killed on
// destruction; killing its init (PID 1) kills every process in it.
class Container {
 public:
  explicit Container(process::Child init) : init_(std::move(init)) {}
  pid_t pid() const { return init_.pid(); }
  // Waits for the container's init; returns the command's exit code.
  int wait() { return init_.wait(); }
  // Waits like wait(), forwarding SIGINT, SIGTERM and SIGHUP to the init,
  // which passes them on to the command.
  int wait_forwarding_signals() { return process::wait_forwarding_signals(init_); }
  void kill(int signal) { init_.kill(signal); }
  // Leaves the container running after we are gone (process::Child::release).
  pid_t release() { return init_.release(); }

 private:
  process::Child init_;
};

// Starts a container. Returns once its init is running, in the container's
// root. Throws berth::Error when any step fails, naming it ("write
// /proc/1234/uid_map: operation not permitted"); nothing is left running
// then. A command that cannot be started (not found: 127, cannot be run:
// 126) is reported by the init itself on stderr, and wait() returns that
// code, since the init is already running then.
//
// The child's steps, in order: wait for the parent (uid/gid maps, parent
// hooks); become root of the user namespace; unshare the cgroup namespace,
// now that the parent hooks put us in our cgroups, so that they are its
// root; set the hostname; bring up `lo`; enter the rootfs; run the child
// hooks; then process::run_init(command) as PID 1.
//
// Not for a multithreaded caller (see process.h).
Container start(const ContainerSpec& spec);

// Starts a container and waits for it, forwarding SIGINT, SIGTERM and SIGHUP
// to it. Returns the command's exit code.
int run(const ContainerSpec& spec);

// A running container's namespaces (in the order to join them), root and
// working directory, opened while /proc/PID still names its process.
struct Target {
  std::vector<std::pair<std::string, UniqueFd>> namespaces;
  UniqueFd root;
  UniqueFd cwd;
};

// Opens /proc/PID/ns/*, /proc/PID/root and /proc/PID/cwd. Throws
// berth::Error naming the file ("open /proc/99/ns/user: no such file or
// directory" when there is no such process).
Target open_target(pid_t pid);

// Joins the target's namespaces (but for those we share already), takes its
// root and working directory, and, having joined a user namespace, becomes
// root there. Joining the PID namespace applies to our children only.
void join(const Target& target);

// Runs `argv` in the running container whose process `pid` is (as the host
// sees it), as `docker exec` does: `berth-ch03 enter PID -- CMD`. A child of
// ours joins its namespaces with setns (its user namespace first, when it
// has one of its own, which gives the rights to join the others), takes its
// root and working directory, becomes root there, and starts the command as
// its own child, since joining a PID namespace applies to children only. We
// stay in our namespaces, wait for the command, forwarding signals, and
// return its exit code (127/126 when it cannot be started, reported on
// stderr by the child). `env` as in process::SpawnOptions. Throws
// berth::Error naming the step that failed ("open /proc/99/ns/user: no such
// file or directory" when there is no such process).
int enter(pid_t pid, const std::vector<std::string>& argv,
          const std::optional<std::vector<std::string>>& env = std::nullopt);

}  // namespace berth::ns
